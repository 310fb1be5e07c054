package dev.cordon.internal.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The only place that talks to the C library. Handles are created on first use: making every downcall
 * handle eagerly costs a CLI user well over 100 ms of start-up.
 */
final class Native {
    private Native() {}

    static final Linker LINKER = Linker.nativeLinker();
    static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    /** An offset, not a layout VarHandle: making one spins a chain of lambda forms at start-up. */
    private static final long ERRNO_OFFSET = errnoOffset(CAPTURE_LAYOUT);
    /** Per-thread errno capture buffer; automatic arena so short-lived launch threads leave nothing behind. */
    private static final ThreadLocal<MemorySegment> CAPTURE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    /** The member layouts' sizes added up (padding is a member too): no layout path, which spins lambda forms. */
    private static long errnoOffset(StructLayout layout) {
        long offset = 0;
        for (MemoryLayout m : layout.memberLayouts()) {
            if (m.name().isPresent() && m.name().get().equals("errno")) return offset;
            offset += m.byteSize();
        }
        throw new IllegalStateException("the C library's capture state has no errno");
    }

    static MemorySegment capture() {
        return CAPTURE.get();
    }

    static int errno(MemorySegment capture) {
        return capture.get(JAVA_INT, ERRNO_OFFSET);
    }

    /**
     * A C function called through {@link #call}: its address looked up on first use. Every C call Cordon makes goes
     * through one downcall handle of one shape, syscall(2)'s, with the function's address given first: each distinct
     * shape costs the CLI 10-20 ms of start-up (a stub class and its lambda forms are generated at run time, and
     * JDK 25's AOT cache cannot keep them). The other functions take up to six integer or pointer arguments and return
     * an int or a pointer; on the Linux x86-64 and AArch64 calling conventions, integer arguments travel in the same
     * registers whether the call is variadic or not, and a callee ignores the registers it does not read.
     */
    static final class Sym {
        private final String name;
        private volatile MemorySegment address;

        Sym(String name) {
            this.name = name;
        }

        MemorySegment address() {
            MemorySegment a = address;
            if (a == null) {
                a = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("C library function " + name + " not found"));
                address = a;
            }
            return a;
        }
    }

    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");

    /** long f(long, long, long, long, long, long, long) at the address given first, errno captured: see {@link Sym}. */
    private static final class Call {
        static final MethodHandle HANDLE = LINKER.downcallHandle(
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                ERRNO_OPTION, Linker.Option.firstVariadicArg(1));
    }

    /** Calls {@code fn} with up to six arguments (unused ones 0); returns its int result. */
    static int call(Sym fn, long a, long b, long c, long d, long e, long f) {
        return (int) callLong(fn, a, b, c, d, e, f);
    }

    /** As {@link #call}, for a function that returns a long or a pointer. */
    static long callLong(Sym fn, long a, long b, long c, long d, long e, long f) {
        try {
            return (long) Call.HANDLE.invokeExact(fn.address(), capture(), a, b, c, d, e, f, 0L);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Links {@code fn} and the shared handle now: a restricted launch thread must link nothing. */
    static void link(Sym fn) {
        fn.address();
        MethodHandle unused = Call.HANDLE;
    }

    /** long syscall(long number, ...): every raw system call. */
    static final Sym SYSCALL = new Sym("syscall");

    /**
     * syscall(2) through the shared handle, errno left in {@code capture}. The handle is invoked directly, not
     * bound to the address with insertArguments: binding generated more lambda forms at start-up (README, "Speed").
     */
    static long syscall(MemorySegment capture, long nr, long a0, long a1, long a2, long a3, long a4, long a5) throws Throwable {
        return (long) Call.HANDLE.invokeExact(SYSCALL.address(), capture, nr, a0, a1, a2, a3, a4, a5);
    }

    private static final Sym STRERROR = new Sym("strerror");

    static String strerror(int errno) {
        return MemorySegment.ofAddress(callLong(STRERROR, errno, 0, 0, 0, 0, 0)).reinterpret(256).getString(0);
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
