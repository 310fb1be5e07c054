package dev.cordon;

/** What the supervisor reports. */
public enum AuditLevel {
    /** Nothing: the kernel alone enforces, at the lowest cost. */
    NONE,
    /**
     * Every call the policy refused (the default): each refused call costs one supervisor round trip; execs and,
     * when TCP is allowed, connect and bind are checked by the supervisor too, so that their refusals by
     * Landlock are explained. File opens refused by Landlock are not observed at this level.
     */
    DENIED,
    /**
     * As {@link #DENIED}, and file opens too are checked by the supervisor, so that every refusal is explained.
     * Each open costs a round trip: for writing and debugging a policy.
     */
    ALL
}
