/**
 * Cordon: runs an untrusted program, and every process it starts, under a policy enforced by the kernel
 * (seccomp-bpf, Landlock) and explained by a supervisor. Only {@code dev.cordon} is API.
 */
module dev.cordon {
    requires info.picocli;
    requires com.fasterxml.jackson.core;
    // Policy files (TOML): loaded only when a policy file or a profile is used.
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.toml;

    exports dev.cordon;
    // picocli reads the command classes reflectively.
    opens dev.cordon.cli to info.picocli;
}
