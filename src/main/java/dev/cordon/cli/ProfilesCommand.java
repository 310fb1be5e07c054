package dev.cordon.cli;

import dev.cordon.PolicyException;
import dev.cordon.internal.policy.Profiles;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;
import java.util.List;

/** {@code cordon profiles} lists the shipped profiles; {@code cordon profiles show NAME} prints one. */
final class ProfilesCommand {
    private final CommandSpec spec = CommandSpec.create().name("profiles");

    ProfilesCommand() {
        spec.mixinStandardHelpOptions(true);
        spec.usageMessage().description("Lists the policy profiles shipped with Cordon, one line each. 'cordon "
                + "profiles show NAME' prints one as a policy file. Use one with 'cordon run --profile NAME' or "
                + "include = [\"profile:NAME\"] in a policy file.");
        spec.addPositional(PositionalParamSpec.builder().paramLabel("show NAME").arity("0..2").type(List.class)
                .auxiliaryTypes(String.class).description("Print profile NAME.").build());
    }

    CommandSpec spec() {
        return spec;
    }

    int execute(ParseResult r, PrintWriter out, PrintWriter err) {
        List<String> args = r.matchedPositionalValue(0, List.of());
        if (args.isEmpty()) {
            int width = Profiles.NAMES.stream().mapToInt(String::length).max().orElse(0);
            for (String name : Profiles.NAMES) {
                out.printf("%-" + width + "s  %s%n", name, Profiles.description(name));
            }
            return 0;
        }
        if (args.size() != 2 || !args.get(0).equals("show")) {
            err.println("cordon: usage: cordon profiles [show NAME]");
            return Main.EXIT_USAGE;
        }
        try {
            out.print(Profiles.text(args.get(1)));
            return 0;
        } catch (PolicyException e) {
            err.println("cordon: " + e.getMessage());
            return Main.EXIT_USAGE;
        }
    }
}
