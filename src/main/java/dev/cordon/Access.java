package dev.cordon;

/** What a path rule allows. Each kind includes reading: a program cannot write or run what it cannot see. */
public enum Access {
    /** Read files, list directories. */
    READ,
    /** Read, write, create, remove, rename, link and truncate (no device nodes). */
    WRITE,
    /** Read and execute. */
    EXECUTE,
    /**
     * Nothing, inside a tree another rule allows: {@code --read /home/u --deny /home/u/.ssh}. Landlock can only
     * allow, so the allowing rule is split: every entry beside the denied path is allowed on its own, and the
     * directories on the way to it can no longer be listed nor have entries created in them.
     */
    DENY
}
