package dev.cordon.internal.ptrace;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Run in a separate JVM by {@link TracerTest}: traces a program (argv[0]) that is waiting in its handshake,
 * prints "root PID" and forwards the program's output, then waits to be killed with SIGKILL.
 */
public final class TracerKillProbe {
    public static void main(String[] args) throws Exception {
        Process p = new ProcessBuilder("/bin/sh", "-c", "\"$0\"; exit $?", args[0])
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        int pid = Integer.parseInt(out.readLine().substring(6));
        Tracer.start(pid, TraceMode.GUARD, null);
        System.out.println("root " + pid);
        System.out.flush();
        p.getOutputStream().write('g');
        p.getOutputStream().flush();
        for (String l; (l = out.readLine()) != null; ) {
            System.out.println(l);
            System.out.flush();
        }
        Thread.sleep(Long.MAX_VALUE);
    }
}
