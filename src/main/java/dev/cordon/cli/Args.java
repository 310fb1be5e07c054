package dev.cordon.cli;

import java.util.List;

/**
 * A parsed subcommand line, as the commands read it. Two sources: {@link QuickParse} for a well-formed
 * {@code run}/{@code trace} line (no picocli at all: its classes are Java 5 class files, which JDK 25's AOT cache
 * cannot store, and loading them costs more than the rest of the start-up), and picocli for everything else
 * (help, version, errors and their messages, at-files, unusual syntax).
 */
sealed interface Args permits QuickParse.Parsed, PicocliArgs {
    /** The option's value (a {@code List<String>}, a {@code String} or {@code Boolean.TRUE}) or {@code otherwise}. */
    <T> T matchedOptionValue(String longName, T otherwise);

    boolean hasMatchedOption(String longName);

    /** The positional parameters (all of them: each command has one multi-valued positional). */
    List<String> positionals();
}
