package dev.cordon;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class SmokeTest {
    @Test
    void echoRuns() throws Exception {
        Policy policy = Policy.builder().read("/usr", "/etc").execute("/usr/bin", "/usr/lib", "/usr/lib64", "/lib", "/lib64").build();
        try (SandboxProcess p = new SandboxBuilder(policy, "/usr/bin/id").start()) {
            String out = new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.stderr().readAllBytes(), StandardCharsets.UTF_8);
            RunResult r = p.waitFor();
            System.out.println("OUT: " + out + " ERR: " + err + " RESULT: " + r);
            assertThat(r.exitStatus()).isEqualTo(0);
        }
    }
}
