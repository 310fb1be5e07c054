package dev.cordon.internal.policy;

import dev.cordon.PolicyException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The policy profiles shipped with Cordon: TOML resources in the jar ({@code dev/cordon/profiles/NAME.toml}),
 * read through this module's own class (resources of a named module are encapsulated). The first comment line
 * of each file is its one-line description.
 */
public final class Profiles {
    private Profiles() {}

    /** Every shipped profile, in the order {@code cordon profiles} lists them. */
    public static final List<String> NAMES = List.of("compute", "c-run", "cpp-run", "python3", "java", "gcc", "javac",
            "shell");

    /** The text of a profile. */
    public static byte[] bytes(String name) {
        if (!NAMES.contains(name)) {
            throw new PolicyException("no profile named \"" + name + "\"; the profiles are: " + String.join(", ", NAMES));
        }
        try (InputStream in = Profiles.class.getResourceAsStream("/dev/cordon/profiles/" + name + ".toml")) {
            if (in == null) throw new IllegalStateException("profile resource missing from the jar: " + name);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String text(String name) {
        return new String(bytes(name), StandardCharsets.UTF_8);
    }

    /** The profile's one-line description: its first comment line. */
    public static String description(String name) {
        return text(name).lines().filter(l -> l.startsWith("#")).findFirst()
                .map(l -> l.replaceFirst("^#+\\s*", "")).orElse("");
    }
}
