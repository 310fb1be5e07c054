package dev.cordon.internal.syscalls;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A CPU architecture Cordon supports: its seccomp audit value and its syscall table (generated from
 * the kernel's UAPI headers by scripts/gen-syscalls.py). There is no fallback: an architecture without
 * a table is refused, because a guessed number in a filter is a hole.
 */
public enum Arch {
    X86_64(0xC000003E, X86_64Syscalls.NAMES, 0x40000000),
    AARCH64(0xC00000B7, Aarch64Syscalls.NAMES, 0);

    /** seccomp_data.arch value (AUDIT_ARCH_*). */
    public final int auditArch;
    /** Syscall numbers with this bit set belong to the x32 ABI on x86_64; 0 where there is none. */
    public final int x32Bit;
    private final String[] names;
    private final Map<String, Integer> numbers;

    Arch(int auditArch, String[] names, int x32Bit) {
        this.auditArch = auditArch;
        this.names = names;
        this.x32Bit = x32Bit;
        Map<String, Integer> byName = new HashMap<>();
        for (int nr = 0; nr < names.length; nr++) {
            if (names[nr] != null) byName.put(names[nr], nr);
        }
        this.numbers = Collections.unmodifiableMap(byName);
    }

    private static final Arch CURRENT = detect();

    private static Arch detect() {
        return switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> X86_64;
            case "aarch64", "arm64" -> AARCH64;
            default -> null;
        };
    }

    /** The architecture this JVM runs on. */
    public static Arch current() {
        if (CURRENT == null) {
            throw new UnsupportedOperationException("Cordon has no syscall table for the CPU architecture '"
                    + System.getProperty("os.arch") + "'; supported: x86_64, aarch64");
        }
        return CURRENT;
    }

    public OptionalInt number(String name) {
        Integer nr = numbers.get(name);
        return nr == null ? OptionalInt.empty() : OptionalInt.of(nr);
    }

    /** The number of a syscall the code itself relies on; a missing one is a build error, not user input. */
    public int require(String name) {
        Integer nr = numbers.get(name);
        if (nr == null) throw new IllegalStateException("syscall " + name + " is not in the " + this + " table");
        return nr;
    }

    /** The name for a number, or {@code null} if the table does not know it. */
    public String name(int nr) {
        return nr >= 0 && nr < names.length ? names[nr] : null;
    }

    /** Highest number in the table plus one. */
    public int tableSize() {
        return names.length;
    }

    /** All known syscall names, sorted. */
    public List<String> names() {
        List<String> all = new ArrayList<>(numbers.keySet());
        Collections.sort(all);
        return all;
    }
}
