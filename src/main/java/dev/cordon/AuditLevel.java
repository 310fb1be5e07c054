package dev.cordon;

/** What the supervisor reports. */
public enum AuditLevel {
    /** Nothing: the kernel alone enforces, at the lowest cost. */
    NONE,
    /** Every call the policy refused (the default): each refused call costs one supervisor round trip. */
    DENIED
}
