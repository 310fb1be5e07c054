package dev.cordon;

import java.util.List;

/**
 * One process of a sandbox, from its creation to its exit.
 *
 * @param pid         its process id, as the caller sees it
 * @param parent      the process that created it (0 for the program itself)
 * @param executable  what it ran last ({@code /proc/PID/exe} at its last exec)
 * @param commandLine its arguments at its last exec
 * @param exitCode    its exit code, or -1 if a signal ended it or it was still alive
 * @param signal      the signal that ended it, or 0
 */
public record SandboxedProcessInfo(int pid, int parent, String executable, List<String> commandLine, int exitCode,
                                   int signal) {
    public SandboxedProcessInfo {
        commandLine = List.copyOf(commandLine);
    }
}
