package dev.cordon.cli;

import dev.cordon.Limits;
import dev.cordon.Policy;
import dev.cordon.internal.policy.PolicyFiles;
import dev.cordon.internal.policy.PolicySpec;

import java.util.List;

/** {@code --profile} and {@code --policy} for {@code cordon run}: kept apart so that a plain run never loads the TOML parser. */
final class PolicyFileSupport {
    private PolicyFileSupport() {}

    /** Puts the files' policy into {@code b}; returns their limits, for the flags to override one by one. */
    static Limits apply(Policy.Builder b, List<String> profiles, List<String> files) {
        PolicySpec spec = PolicyFiles.load(profiles, files);
        spec.applyTo(b);
        return spec.limits();
    }
}
