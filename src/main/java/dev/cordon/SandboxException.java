package dev.cordon;

/**
 * The sandbox could not be set up as asked: bad input, or something the machine cannot enforce.
 * The message names the problem in words a user can act on.
 */
public class SandboxException extends RuntimeException {
    public SandboxException(String message) {
        super(message);
    }

    public SandboxException(String message, Throwable cause) {
        super(message, cause);
    }
}
