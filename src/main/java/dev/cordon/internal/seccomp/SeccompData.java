package dev.cordon.internal.seccomp;

/** {@code struct seccomp_data}: what a filter sees of a syscall. {@code args} has 6 elements. */
public record SeccompData(int nr, int arch, long ip, long[] args) {

    public SeccompData {
        if (args.length != 6) throw new IllegalArgumentException("seccomp_data has 6 args, got " + args.length);
        args = args.clone();
    }

    public SeccompData(int nr, int arch, long... args) {
        this(nr, arch, 0, pad(args));
    }

    private static long[] pad(long[] a) {
        if (a.length > 6) throw new IllegalArgumentException("at most 6 args");
        long[] six = new long[6];
        System.arraycopy(a, 0, six, 0, a.length);
        return six;
    }

    /** A copy: the record stays immutable. */
    @Override
    public long[] args() {
        return args.clone();
    }

    /** The 32-bit word at byte offset {@code off} (4-aligned, &lt; 64) of the struct, little endian. */
    public int word(int off) {
        return switch (off) {
            case Bpf.OFF_NR -> nr;
            case Bpf.OFF_ARCH -> arch;
            case 8 -> (int) ip;
            case 12 -> (int) (ip >>> 32);
            default -> {
                long a = args[(off - Bpf.OFF_ARGS) / 8];
                yield (off & 4) == 0 ? (int) a : (int) (a >>> 32);
            }
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SeccompData d && d.nr == nr && d.arch == arch && d.ip == ip
                && java.util.Arrays.equals(d.args, args);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(nr, arch, ip, java.util.Arrays.hashCode(args));
    }

    @Override
    public String toString() {
        return "SeccompData[nr=%d, arch=0x%x, ip=0x%x, args=%s]".formatted(nr, arch, ip, java.util.Arrays.toString(args));
    }
}
