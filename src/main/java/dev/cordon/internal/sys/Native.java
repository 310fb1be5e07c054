package dev.cordon.internal.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
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
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** Per-thread errno capture buffer; automatic arena so short-lived launch threads leave nothing behind. */
    private static final ThreadLocal<MemorySegment> CAPTURE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    static MemorySegment capture() {
        return CAPTURE.get();
    }

    static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    /** A downcall handle made on first use. */
    static final class Fn {
        private final String name;
        private final FunctionDescriptor descriptor;
        private final Linker.Option[] options;
        private volatile MethodHandle handle;

        Fn(String name, FunctionDescriptor descriptor, Linker.Option... options) {
            this.name = name;
            this.descriptor = descriptor;
            this.options = options;
        }

        MethodHandle get() {
            MethodHandle h = handle;
            if (h == null) {
                MemorySegment symbol = LIBC.find(name).orElseThrow(
                        () -> new UnsatisfiedLinkError("C library function " + name + " not found"));
                h = LINKER.downcallHandle(symbol, descriptor, options);
                handle = h;
            }
            return h;
        }
    }

    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");

    /** long syscall(long number, ...): every raw system call goes through this one handle. */
    static final Fn SYSCALL = new Fn("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            ERRNO_OPTION, Linker.Option.firstVariadicArg(1));

    private static final Fn STRERROR = new Fn("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));

    static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.get().invokeExact(errno);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    static FunctionDescriptor intFn(ValueLayout... args) {
        return FunctionDescriptor.of(JAVA_INT, args);
    }
}
