package dev.cordon.internal.launch;

import dev.cordon.internal.sys.ProcFs;
import dev.cordon.internal.sys.Sys;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Dropping privileges on the launch thread. As root: every capability out of the bounding set (while
 * CAP_SETPCAP is still held), supplementary groups cleared, then gid and uid, which empties the
 * permitted, effective and ambient sets; the inheritable set is cleared last. As an ordinary user there
 * is nothing to give up but ambient and inheritable capabilities.
 */
public final class Credentials {
    private Credentials() {}

    public static int lastCapability() {
        try {
            return Integer.parseInt(ProcFs.read(Path.of("/proc/sys/kernel/cap_last_cap")).trim());
        } catch (IOException | NumberFormatException e) {
            return 63; // PR_CAPBSET_DROP of an unknown capability fails with EINVAL, which is ignored below.
        }
    }

    static final int CAP_SYS_RESOURCE = 24;

    /**
     * Whether this process holds a capability in its effective set now (read from /proc/self/status, which
     * shows the reading thread's set: call it from an unrestricted thread). False if it cannot be told.
     */
    static boolean effective(int cap) {
        try {
            for (String line : ProcFs.read(Path.of("/proc/thread-self/status")).split("\n")) {
                if (line.startsWith("CapEff:")) return (Long.parseUnsignedLong(line.substring(7).strip(), 16) >>> cap & 1) != 0;
            }
        } catch (IOException | NumberFormatException e) {
            // Unknown: assume not held.
        }
        return false;
    }

    public static void dropToUser(int uid, int gid, int lastCap) {
        for (int cap = 0; cap <= lastCap; cap++) {
            Sys.prctl(Sys.PR_CAPBSET_DROP, cap, 0, 0, 0);
        }
        Sys.clearGroups();
        Sys.setresgid(gid);
        Sys.setresuid(uid);
        Sys.clearCapabilities();
        Sys.prctl(Sys.PR_CAP_AMBIENT, Sys.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    }

    static void dropCapabilities() {
        Sys.prctl(Sys.PR_CAP_AMBIENT, Sys.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        Sys.clearCapabilities();
    }
}
