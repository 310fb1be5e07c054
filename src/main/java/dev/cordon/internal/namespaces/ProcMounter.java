package dev.cordon.internal.namespaces;

import dev.cordon.internal.sys.Sys;
import dev.cordon.internal.sys.SyscallException;

import java.util.concurrent.LinkedBlockingQueue;

/**
 * Mounts a fresh /proc (and /sys) into a sandbox's mount namespace while its first exec is held. A proc for
 * the program's own pid namespace can only be made once that namespace has its first process, so not by the
 * launch thread; and a thread can enter another mount namespace only after it stops sharing its file-system
 * context with the rest of the JVM. This one long-lived root thread does both, then returns to the JVM's
 * namespaces after each job. The proc instance is bound to the program's pid namespace with procfs's
 * {@code pidns} parameter (Linux 6.15).
 */
public final class ProcMounter {
    private static volatile ProcMounter instance;
    private final LinkedBlockingQueue<Runnable> jobs = new LinkedBlockingQueue<>();
    private int hostMnt = -1, hostNet = -1;

    public static ProcMounter get() {
        ProcMounter m = instance;
        if (m == null) {
            synchronized (ProcMounter.class) {
                m = instance;
                if (m == null) instance = m = new ProcMounter();
            }
        }
        return m;
    }

    private ProcMounter() {
        Thread.ofPlatform().name("cordon-mounter").daemon().start(this::serve);
    }

    public void submit(Runnable job) {
        jobs.add(job);
    }

    private void serve() {
        try {
            Sys.unshare(0x00000200); // CLONE_FS: setns into a mount namespace needs a private fs context
            hostMnt = Sys.open("/proc/thread-self/ns/mnt", Sys.O_RDONLY | Sys.O_CLOEXEC, 0);
            hostNet = Sys.open("/proc/thread-self/ns/net", Sys.O_RDONLY | Sys.O_CLOEXEC, 0);
        } catch (SyscallException e) {
            System.err.println("cordon: the mount helper cannot start: " + e.getMessage());
        }
        while (true) {
            try {
                jobs.take().run();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                System.err.println("cordon: mount helper: " + e);
            }
        }
    }

    /**
     * Mounts proc (and sysfs) for the held process {@code pid}. Must run on this helper's thread (see
     * {@link #submit}). Throws if the kernel cannot make a proc of the program's own pid namespace.
     */
    public void mountInto(int pid, boolean proc, boolean sys) {
        String ns = "/proc/" + pid + "/ns/";
        int mnt = Sys.open(ns + "mnt", Sys.O_RDONLY | Sys.O_CLOEXEC, 0);
        int procMount = -1, sysMount = -1;
        try {
            if (proc) {
                int pidns = Sys.open(ns + "pid", Sys.O_RDONLY | Sys.O_CLOEXEC, 0);
                int fs = Sys.fsopen("proc");
                try {
                    Sys.fsconfig(fs, Sys.FSCONFIG_SET_FD, "pidns", null, pidns);
                    Sys.fsconfig(fs, Sys.FSCONFIG_CMD_CREATE, null, null, 0);
                    procMount = Sys.fsmount(fs, Sys.MOUNT_ATTR_NOSUID | Sys.MOUNT_ATTR_NODEV | Sys.MOUNT_ATTR_NOEXEC);
                } finally {
                    Sys.closeQuietly(fs);
                    Sys.closeQuietly(pidns);
                }
            }
            if (sys) {
                // sysfs shows the network namespace of whoever mounts it.
                int net = Sys.open(ns + "net", Sys.O_RDONLY | Sys.O_CLOEXEC, 0);
                try {
                    Sys.setns(net, 0x40000000);
                    int fs = Sys.fsopen("sysfs");
                    try {
                        Sys.fsconfig(fs, Sys.FSCONFIG_CMD_CREATE, null, null, 0);
                        sysMount = Sys.fsmount(fs, Sys.MOUNT_ATTR_NOSUID | Sys.MOUNT_ATTR_NODEV | Sys.MOUNT_ATTR_NOEXEC);
                    } finally {
                        Sys.closeQuietly(fs);
                    }
                } finally {
                    Sys.setns(hostNet, 0x40000000);
                    Sys.closeQuietly(net);
                }
            }
            Sys.setns(mnt, 0x00020000);
            try {
                if (procMount >= 0) {
                    Sys.moveMount(procMount, "/proc");
                    // Kernel tunables stay read-only whatever the rules say.
                    Sys.mount("/proc/sys", "/proc/sys", null, Sys.MS_BIND | Sys.MS_REC, null);
                    Sys.mount(null, "/proc/sys", null, Sys.MS_REMOUNT | Sys.MS_BIND | Sys.MS_RDONLY | Sys.MS_NOSUID
                            | Sys.MS_NODEV | Sys.MS_NOEXEC, null);
                }
                if (sysMount >= 0) {
                    Sys.moveMount(sysMount, "/sys");
                    Sys.mount(null, "/sys", null, Sys.MS_REMOUNT | Sys.MS_BIND | Sys.MS_RDONLY | Sys.MS_NOSUID
                            | Sys.MS_NODEV | Sys.MS_NOEXEC, null);
                }
            } finally {
                Sys.setns(hostMnt, 0x00020000);
            }
        } finally {
            Sys.closeQuietly(mnt);
            Sys.closeQuietly(procMount);
            Sys.closeQuietly(sysMount);
        }
    }
}
