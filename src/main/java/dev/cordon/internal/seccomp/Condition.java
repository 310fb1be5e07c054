package dev.cordon.internal.seccomp;

/**
 * A test on one syscall argument: {@code args[arg] op value}, unsigned and on the full 64 bits (the
 * compiler compares the high half, then the low half). {@code mask} is used by {@link Op#MASKED_EQ} only
 * and is 0 otherwise.
 */
public record Condition(int arg, Op op, long value, long mask) {

    public Condition {
        if (arg < 0 || arg > 5) throw new IllegalArgumentException("argument index must be 0..5, got " + arg);
        if (op == null) throw new IllegalArgumentException("op is null");
        if (op != Op.MASKED_EQ && mask != 0) throw new IllegalArgumentException("mask is only for MASKED_EQ");
    }

    public static Condition eq(int arg, long value) { return new Condition(arg, Op.EQ, value, 0); }
    public static Condition ne(int arg, long value) { return new Condition(arg, Op.NE, value, 0); }
    public static Condition lt(int arg, long value) { return new Condition(arg, Op.LT, value, 0); }
    public static Condition le(int arg, long value) { return new Condition(arg, Op.LE, value, 0); }
    public static Condition gt(int arg, long value) { return new Condition(arg, Op.GT, value, 0); }
    public static Condition ge(int arg, long value) { return new Condition(arg, Op.GE, value, 0); }

    /** {@code (args[arg] & mask) == (value & mask)}, see {@link Op#MASKED_EQ}. */
    public static Condition maskedEq(int arg, long mask, long value) {
        return new Condition(arg, Op.MASKED_EQ, value, mask);
    }

    /** Whether the condition holds for these six arguments. */
    public boolean test(long[] args) {
        return op.test(args[arg], value, mask);
    }

    @Override
    public String toString() {
        return op == Op.MASKED_EQ
                ? "(arg%d & 0x%x) == 0x%x".formatted(arg, mask, value)
                : "arg%d %s 0x%x".formatted(arg, op, value);
    }
}
