package dev.cordon;

/** How the program ended. */
public sealed interface Termination {
    /** It called exit with this code. */
    record Exited(int code) implements Termination {}

    /** A signal ended it. */
    record Signaled(int signal) implements Termination {}

    /** The shell convention: the exit code, or 128 + the signal number. */
    default int exitStatus() {
        // Not a pattern switch: its bootstrap costs the CLI's start-up a generated class (README, "Speed").
        if (this instanceof Exited e) return e.code();
        return 128 + ((Signaled) this).signal();
    }
}
