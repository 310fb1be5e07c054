package dev.cordon.internal.seccomp;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The oracle: libseccomp 2.5 called through java.lang.foreign (test tree only). Builds the same filter
 * with libseccomp and exports its BPF program (2.5 has no seccomp_export_bpf_mem, so it is exported into
 * a memfd and read back through /proc/self/fd).
 */
@SuppressWarnings("restricted") // FFM is the point of this test helper
final class LibSeccomp {
    static final Path LIB = Path.of("/usr/lib/x86_64-linux-gnu/libseccomp.so.2");

    // enum scmp_compare (include/seccomp.h.in)
    static final int SCMP_CMP_NE = 1, SCMP_CMP_LT = 2, SCMP_CMP_LE = 3, SCMP_CMP_EQ = 4, SCMP_CMP_GE = 5,
            SCMP_CMP_GT = 6, SCMP_CMP_MASKED_EQ = 7;
    // enum scmp_filter_attr: 1 is ACT_DEFAULT (read only), 2 is ACT_BADARCH
    static final int SCMP_FLTATR_ACT_BADARCH = 2;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Arena LIB_ARENA = Arena.ofAuto();
    private static final SymbolLookup LOOKUP = SymbolLookup.libraryLookup(LIB, LIB_ARENA);
    private static final MethodHandle INIT = handle(LOOKUP, "seccomp_init", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    private static final MethodHandle RULE_ADD_ARRAY = handle(LOOKUP, "seccomp_rule_add_array",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle ATTR_SET = handle(LOOKUP, "seccomp_attr_set",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle EXPORT_BPF = handle(LOOKUP, "seccomp_export_bpf",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RELEASE = handle(LOOKUP, "seccomp_release", FunctionDescriptor.ofVoid(ADDRESS));
    private static final MethodHandle API_SET = handle(LOOKUP, "seccomp_api_set", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle MEMFD_CREATE = handle(LINKER.defaultLookup(), "memfd_create",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle CLOSE = handle(LINKER.defaultLookup(), "close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    static {
        try {
            // Claim the newest API level so KILL_PROCESS, LOG and NOTIFY are accepted whatever the
            // sandbox this test runs in lets libseccomp probe; we only export, never load.
            int rc = (int) API_SET.invokeExact(6);
            if (rc != 0) System.err.println("seccomp_api_set(6) = " + rc);
        } catch (Throwable t) {
            throw new ExceptionInInitializerError(t);
        }
    }

    private static MethodHandle handle(SymbolLookup l, String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(l.findOrThrow(name), fd);
    }

    /** libseccomp's program, or the negative errno it returned while building the filter. */
    sealed interface Outcome {}
    record Program(BpfProgram program) implements Outcome {}
    record Rejected(String call, int rc) implements Outcome {}

    private LibSeccomp() {}

    static Outcome compile(FilterSpec spec, dev.cordon.internal.syscalls.Arch arch) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ctx = (MemorySegment) INIT.invokeExact(spec.defaultAction().ret());
            if (ctx.equals(MemorySegment.NULL)) return new Rejected("seccomp_init", -22);
            try {
                int rc = (int) ATTR_SET.invokeExact(ctx, SCMP_FLTATR_ACT_BADARCH, spec.badArchAction().ret());
                if (rc < 0) return new Rejected("seccomp_attr_set", rc);
                for (Rule r : spec.rules()) {
                    List<Condition> cs = r.conditions();
                    MemorySegment arr = arena.allocate(24L * Math.max(1, cs.size()), 8);
                    for (int i = 0; i < cs.size(); i++) {
                        Condition c = cs.get(i);
                        long base = 24L * i;
                        arr.set(JAVA_INT, base, c.arg());
                        arr.set(JAVA_INT, base + 4, op(c.op()));
                        arr.set(JAVA_LONG, base + 8, c.op() == Op.MASKED_EQ ? c.mask() : c.value());
                        arr.set(JAVA_LONG, base + 16, c.op() == Op.MASKED_EQ ? c.value() : 0);
                    }
                    rc = (int) RULE_ADD_ARRAY.invokeExact(ctx, r.action().ret(), arch.require(r.syscall()), cs.size(), arr);
                    if (rc < 0) return new Rejected("seccomp_rule_add_array(" + r + ")", rc);
                }
                int fd = (int) MEMFD_CREATE.invokeExact(arena.allocateFrom("cordon-oracle"), 0);
                if (fd < 0) throw new IllegalStateException("memfd_create failed");
                try {
                    rc = (int) EXPORT_BPF.invokeExact(ctx, fd);
                    if (rc < 0) return new Rejected("seccomp_export_bpf", rc);
                    return new Program(BpfProgram.fromBytes(Files.readAllBytes(Path.of("/proc/self/fd/" + fd))));
                } finally {
                    int ignored = (int) CLOSE.invokeExact(fd);
                    assert ignored == 0;
                }
            } finally {
                RELEASE.invokeExact(ctx);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int op(Op op) {
        return switch (op) {
            case NE -> SCMP_CMP_NE;
            case LT -> SCMP_CMP_LT;
            case LE -> SCMP_CMP_LE;
            case EQ -> SCMP_CMP_EQ;
            case GE -> SCMP_CMP_GE;
            case GT -> SCMP_CMP_GT;
            case MASKED_EQ -> SCMP_CMP_MASKED_EQ;
        };
    }
}
