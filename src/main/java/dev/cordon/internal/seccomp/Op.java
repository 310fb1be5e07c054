package dev.cordon.internal.seccomp;

/** Comparison of a 64-bit syscall argument with a constant; all comparisons are unsigned. */
public enum Op {
    EQ, NE, LT, LE, GT, GE,
    /**
     * {@code (arg & mask) == (value & mask)}: bits of {@code value} outside the mask are ignored, as
     * libseccomp does (it masks the datum when the rule is added), rather than making the rule dead.
     */
    MASKED_EQ;

    /** Reference semantics on full 64-bit values, used by tests and documentation alike. */
    public boolean test(long arg, long value, long mask) {
        return switch (this) {
            case EQ -> arg == value;
            case NE -> arg != value;
            case LT -> Long.compareUnsigned(arg, value) < 0;
            case LE -> Long.compareUnsigned(arg, value) <= 0;
            case GT -> Long.compareUnsigned(arg, value) > 0;
            case GE -> Long.compareUnsigned(arg, value) >= 0;
            case MASKED_EQ -> (arg & mask) == (value & mask);
        };
    }
}
