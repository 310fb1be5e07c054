package dev.cordon.internal.seccomp;

/** A filter that cannot be compiled, or a program the kernel would refuse. */
public class BpfException extends IllegalArgumentException {
    public BpfException(String message) {
        super(message);
    }
}
