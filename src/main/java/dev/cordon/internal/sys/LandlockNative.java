package dev.cordon.internal.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** The three Landlock system calls (struct layouts from linux/landlock.h). */
public final class LandlockNative {
    private LandlockNative() {}

    private static final int CREATE_RULESET_VERSION = 1;
    private static final int RULE_PATH_BENEATH = 1, RULE_NET_PORT = 2;

    /** The Landlock ABI version of the running kernel, or 0 if Landlock is absent or disabled. */
    public static int abiVersion() {
        try {
            return (int) Sys.call("landlock_create_ruleset", Sys.NR_LANDLOCK_CREATE_RULESET, 0, 0, CREATE_RULESET_VERSION);
        } catch (SyscallException e) {
            return 0;
        }
    }

    /** struct landlock_ruleset_attr {u64 handled_access_fs; u64 handled_access_net; u64 scoped;}. */
    public static int createRuleset(long handledFs, long handledNet, long scoped, int abi) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(24);
            attr.set(JAVA_LONG, 0, handledFs);
            attr.set(JAVA_LONG, 8, handledNet);
            attr.set(JAVA_LONG, 16, scoped);
            // Older kernels reject a struct larger than they know unless the extra fields are zero; pass
            // only the size the ABI has: 8 bytes (v1-3), 16 (v4-5), 24 (v6+).
            long size = abi >= 6 ? 24 : abi >= 4 ? 16 : 8;
            return (int) Sys.call("landlock_create_ruleset", Sys.NR_LANDLOCK_CREATE_RULESET, attr.address(), size, 0);
        }
    }

    /** struct landlock_path_beneath_attr {u64 allowed_access; s32 parent_fd;} __attribute__((packed)). */
    public static void addPathRule(int ruleset, long allowed, int parentFd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(12, 8);
            attr.set(JAVA_LONG, 0, allowed);
            attr.set(JAVA_INT, 8, parentFd);
            Sys.call("landlock_add_rule", Sys.NR_LANDLOCK_ADD_RULE, ruleset, RULE_PATH_BENEATH, attr.address(), 0, 0, 0);
        }
    }

    /** struct landlock_net_port_attr {u64 allowed_access; u64 port;}. */
    public static void addNetRule(int ruleset, long allowed, long port) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(16);
            attr.set(JAVA_LONG, 0, allowed);
            attr.set(JAVA_LONG, 8, port);
            Sys.call("landlock_add_rule", Sys.NR_LANDLOCK_ADD_RULE, ruleset, RULE_NET_PORT, attr.address(), 0, 0, 0);
        }
    }

    /** Restricts the calling thread (and what it spawns); needs no_new_privs. */
    public static void restrictSelf(int ruleset) {
        Sys.call("landlock_restrict_self", Sys.NR_LANDLOCK_RESTRICT_SELF, ruleset, 0, 0);
    }
}
