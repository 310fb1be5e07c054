package dev.cordon.internal.landlock;

import dev.cordon.Access;
import dev.cordon.PathRule;
import dev.cordon.PolicyException;
import dev.cordon.SandboxException;
import dev.cordon.internal.sys.Errno;
import dev.cordon.internal.sys.LandlockNative;
import dev.cordon.internal.sys.Sys;
import dev.cordon.internal.sys.SyscallException;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A Landlock ruleset built from the policy's path and port rules, handling every access right the running
 * kernel's ABI knows, so that whatever is not granted is denied. Built in the caller's thread; the launch
 * thread only calls {@link #restrictSelf()}.
 */
public final class LandlockRuleset implements AutoCloseable {
    // Filesystem rights (linux/landlock.h) and the ABI that introduced them.
    static final long EXECUTE = 1L, WRITE_FILE = 1L << 1, READ_FILE = 1L << 2, READ_DIR = 1L << 3,
            REMOVE_DIR = 1L << 4, REMOVE_FILE = 1L << 5, MAKE_CHAR = 1L << 6, MAKE_DIR = 1L << 7, MAKE_REG = 1L << 8,
            MAKE_SOCK = 1L << 9, MAKE_FIFO = 1L << 10, MAKE_BLOCK = 1L << 11, MAKE_SYM = 1L << 12,
            REFER = 1L << 13, TRUNCATE = 1L << 14, IOCTL_DEV = 1L << 15;
    static final long BIND_TCP = 1L, CONNECT_TCP = 1L << 1;
    static final long SCOPE_ABSTRACT_UNIX_SOCKET = 1L, SCOPE_SIGNAL = 1L << 1;

    /** Rights that apply to a file (not a directory): adding others to a file rule is EINVAL. */
    static final long FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV;

    private static volatile int abi = -1;

    /** The running kernel's Landlock ABI (0: none). */
    public static int abi() {
        int v = abi;
        if (v < 0) abi = v = LandlockNative.abiVersion();
        return v;
    }

    /** Every filesystem right a given ABI knows. */
    static long fsRights(int abi) {
        long rights = 0;
        if (abi >= 1) rights |= (MAKE_SYM << 1) - 1; // EXECUTE .. MAKE_SYM
        if (abi >= 2) rights |= REFER;
        if (abi >= 3) rights |= TRUNCATE;
        if (abi >= 5) rights |= IOCTL_DEV;
        return rights;
    }

    /** What an access kind grants on a directory tree (reduced to file rights for a single file). */
    static long rightsFor(Access access) {
        long read = READ_FILE | READ_DIR;
        return switch (access) {
            case DENY -> 0;
            case READ -> read;
            case EXECUTE -> read | EXECUTE;
            case WRITE -> read | WRITE_FILE | TRUNCATE | IOCTL_DEV | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG
                    | MAKE_SYM | MAKE_FIFO | MAKE_SOCK | REFER;
        };
    }

    /**
     * Devices every program may use, as bubblewrap's --dev gives them: the data sinks and sources that
     * reveal nothing and reach nothing. No device ioctls on them.
     */
    static final List<PathRule> STANDARD_DEVICES = List.of(
            new PathRule(java.nio.file.Path.of("/dev/null"), Access.WRITE),
            new PathRule(java.nio.file.Path.of("/dev/zero"), Access.WRITE),
            new PathRule(java.nio.file.Path.of("/dev/full"), Access.WRITE),
            new PathRule(java.nio.file.Path.of("/dev/random"), Access.READ),
            new PathRule(java.nio.file.Path.of("/dev/urandom"), Access.READ));

    private final int fd;
    private final int abiVersion;
    private final List<String> notEnforced;

    private LandlockRuleset(int fd, int abiVersion, List<String> notEnforced) {
        this.fd = fd;
        this.abiVersion = abiVersion;
        this.notEnforced = List.copyOf(notEnforced);
    }

    /**
     * Creates the ruleset. Fails (with what is missing) when the kernel cannot enforce a rule the policy
     * needs, unless {@code bestEffort}, in which case {@link #notEnforced()} lists it.
     */
    public static LandlockRuleset create(RuleExpansion.Expansion rules, Collection<Integer> connectPorts,
                                         Collection<Integer> bindPorts, boolean bestEffort) {
        int version = abi();
        List<String> missing = new ArrayList<>();
        if (version == 0) {
            missing.add("file system rules (Landlock is not available in this kernel)");
        } else {
            if (version < 2) missing.add("rename/link between directories (Landlock ABI 2, Linux 5.19)");
            if (version < 3) missing.add("truncation (Landlock ABI 3, Linux 6.2)");
            if (version < 4) missing.add("TCP port rules and the TCP deny-all (Landlock ABI 4, Linux 6.7)");
            if (version < 5) missing.add("ioctl on devices (Landlock ABI 5, Linux 6.10)");
            if (version < 6) missing.add("scoping of abstract unix sockets and signals (Landlock ABI 6, Linux 6.12)");
        }
        if (!missing.isEmpty() && !bestEffort) {
            throw new SandboxException("the kernel cannot enforce this policy: " + String.join("; ", missing)
                    + " is missing (Landlock ABI " + version + "); pass --best-effort to run without it");
        }
        if (version == 0) return new LandlockRuleset(-1, 0, missing);

        long handledFs = fsRights(version);
        long handledNet = version >= 4 ? BIND_TCP | CONNECT_TCP : 0;
        long scoped = version >= 6 ? SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL : 0;
        int fd = LandlockNative.createRuleset(handledFs, handledNet, scoped, version);
        try {
            for (RuleExpansion.Grant g : rules.grants()) addPath(fd, new PathRule(g.path(), g.access()), handledFs);
            for (PathRule rule : STANDARD_DEVICES) {
                if (java.nio.file.Files.exists(rule.path())) addPath(fd, rule, handledFs & ~IOCTL_DEV);
            }
            if (handledNet != 0) {
                for (int port : connectPorts) LandlockNative.addNetRule(fd, CONNECT_TCP, port);
                for (int port : bindPorts) LandlockNative.addNetRule(fd, BIND_TCP, port);
            }
        } catch (RuntimeException e) {
            Sys.closeQuietly(fd);
            throw e;
        }
        return new LandlockRuleset(fd, version, missing);
    }

    private static void addPath(int ruleset, PathRule rule, long handled) {
        String path = rule.path().toString();
        int pathFd;
        try {
            pathFd = Sys.open(path, Sys.O_PATH | Sys.O_CLOEXEC, 0);
        } catch (SyscallException e) {
            throw new PolicyException(switch (e.errno()) {
                case Errno.ENOENT -> "path " + path + " does not exist";
                case Errno.EACCES -> "path " + path + " is not accessible to the user running Cordon";
                default -> "path " + path + ": " + Errno.describe(e.errno());
            });
        }
        try {
            long rights = rightsFor(rule.access()) & handled;
            if (!Files.isDirectory(rule.path(), LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(rule.path())) {
                rights &= FILE_RIGHTS;
            }
            LandlockNative.addPathRule(ruleset, rights, pathFd);
        } finally {
            Sys.closeQuietly(pathFd);
        }
    }

    /**
     * Allows reading beneath a mount point created after the ruleset (the launch thread's fresh /proc and /sys):
     * Landlock checks a mount point's rules when it walks up out of what is mounted there.
     */
    public void allowReadBeneath(String mountPoint) {
        if (fd >= 0) addPath(fd, new PathRule(java.nio.file.Path.of(mountPoint), Access.READ), fsRights(abiVersion));
    }

    /** Allows writing beneath a directory made after the ruleset (the launch thread's fresh /tmp). */
    public void allowWriteBeneath(String dir) {
        if (fd >= 0) addPath(fd, new PathRule(java.nio.file.Path.of(dir), Access.WRITE), fsRights(abiVersion));
    }

    /** Applies the ruleset to the calling thread; what it spawns inherits it. Needs no_new_privs. */
    public void restrictSelf() {
        if (fd >= 0) LandlockNative.restrictSelf(fd);
    }

    public boolean active() {
        return fd >= 0;
    }

    public int abiVersion() {
        return abiVersion;
    }

    public List<String> notEnforced() {
        return notEnforced;
    }

    @Override
    public void close() {
        Sys.closeQuietly(fd);
    }
}
