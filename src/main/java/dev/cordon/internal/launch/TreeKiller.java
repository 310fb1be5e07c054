package dev.cordon.internal.launch;

import dev.cordon.internal.sys.ProcFs;
import dev.cordon.internal.sys.Sys;
import dev.cordon.internal.sys.SyscallException;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * Kills what is left of a sandbox's process tree. Every sandbox process starts in the session of the main
 * program, and can leave it only through setsid, which the filter hands to the supervisor, which records
 * the new session. So the sessions recorded cover the whole tree, for any user, without cgroups.
 * A process is killed only if it also carries no_new_privs and a seccomp filter, so that a host process
 * that reused a recorded session number is never hit.
 */
final class TreeKiller {
    private TreeKiller() {}

    /** Sends SIGKILL to every sandbox process in the given sessions; returns how many were signalled. */
    static int killSessions(Set<Integer> sessions) {
        int killed = 0;
        try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path entry : proc) {
                String name = entry.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0))) continue;
                int pid = Integer.parseInt(name);
                Integer session = sessionOf(entry);
                if (session == null || !sessions.contains(session) || !sandboxed(entry)) continue;
                try {
                    Sys.kill(pid, Sys.SIGKILL);
                    killed++;
                } catch (SyscallException ignored) {
                    // Already gone.
                }
            }
        } catch (IOException e) {
            // /proc unreadable: nothing can be found this way; the caller reports what is left.
        }
        return killed;
    }

    private static Integer sessionOf(Path procEntry) {
        try {
            String stat = ProcFs.read(procEntry.resolve("stat"));
            // "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(fields[3]);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static boolean sandboxed(Path procEntry) {
        try {
            String status = ProcFs.read(procEntry.resolve("status"));
            return status.contains("\nNoNewPrivs:\t1") && status.contains("\nSeccomp:\t2");
        } catch (IOException e) {
            return false;
        }
    }
}
