package dev.cordon.internal.learn;

import dev.cordon.Access;
import dev.cordon.PathRule;
import dev.cordon.Policy;
import dev.cordon.RunResult;
import dev.cordon.SandboxException;
import dev.cordon.Violation;
import dev.cordon.internal.launch.Launcher;
import dev.cordon.internal.launch.SandboxRun;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * One learning run: the program with the caller's standard streams, untouched, under {@code policy} (which the
 * caller has widened to reading and executing everywhere), every call it makes recorded.
 */
public final class LearnRun {
    private LearnRun() {}

    public record Outcome(RunResult result, Recorder.Learned learned) {}

    public static Outcome run(Policy policy, List<String> command, Consumer<Violation> onViolation)
            throws InterruptedException {
        List<Path> writable = new ArrayList<>();
        for (PathRule r : policy.paths()) {
            if (r.access() != Access.WRITE) continue;
            try {
                writable.add(r.path().toRealPath());
            } catch (IOException e) {
                writable.add(r.path());
            }
        }
        Recorder recorder = new Recorder(p -> writable.stream().anyMatch(p::startsWith));
        SandboxRun run = Launcher.start(new Launcher.Launch(policy, command, new int[] {0, 1, 2}, List.of(),
                onViolation, null, recorder));
        try {
            RunResult result = run.result().get();
            return new Outcome(result, recorder.learned());
        } catch (ExecutionException e) {
            throw new SandboxException("the sandbox failed: " + e.getCause(), e.getCause());
        } finally {
            run.destroy();
        }
    }
}
