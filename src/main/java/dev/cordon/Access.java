package dev.cordon;

/** What a path rule allows. Each kind includes reading: a program cannot write or run what it cannot see. */
public enum Access {
    /** Read files, list directories. */
    READ,
    /** Read, write, create, remove, rename, link and truncate (no device nodes). */
    WRITE,
    /** Read and execute. */
    EXECUTE
}
