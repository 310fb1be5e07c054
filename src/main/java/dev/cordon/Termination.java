package dev.cordon;

/** How the program ended. */
public sealed interface Termination {
    /** It called exit with this code. */
    record Exited(int code) implements Termination {}

    /** A signal ended it. */
    record Signaled(int signal) implements Termination {}

    /** The shell convention: the exit code, or 128 + the signal number. */
    default int exitStatus() {
        return switch (this) {
            case Exited e -> e.code();
            case Signaled s -> 128 + s.signal();
        };
    }
}
