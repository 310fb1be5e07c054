package dev.cordon;

import java.nio.file.Path;

/** The program could not be started: it does not exist, is not executable, or the policy forbids running it. */
public final class LaunchException extends SandboxException {
    /** Why a launch failed. */
    public enum Reason {
        NOT_FOUND, NOT_EXECUTABLE, DENIED_BY_POLICY, OTHER
    }

    private final Reason reason;
    private final Path program;

    public LaunchException(Reason reason, Path program, String message) {
        super(message);
        this.reason = reason;
        this.program = program;
    }

    public Reason reason() {
        return reason;
    }

    public Path program() {
        return program;
    }
}
