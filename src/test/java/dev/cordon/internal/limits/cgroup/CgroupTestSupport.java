package dev.cordon.internal.limits.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

final class CgroupTestSupport {
    private CgroupTestSupport() {}

    /** A pid no process has now: from the top of the pid range down (pids are handed out from the bottom). */
    static int deadPid() throws IOException {
        int max = Integer.parseInt(CgroupFs.slurp(Path.of("/proc/sys/kernel/pid_max")).strip());
        for (int pid = max - 1; pid > 1000; pid--) {
            if (!Files.exists(Path.of("/proc/" + pid)) && !CgroupFs.alive(pid)) return pid;
        }
        throw new IllegalStateException("no free pid");
    }
}
