package dev.cordon;

/** The policy or the request is wrong as given (a path that does not exist, a bad value): the caller's to fix. */
public final class PolicyException extends SandboxException {
    public PolicyException(String message) {
        super(message);
    }
}
