package dev.cordon.cli;

import picocli.CommandLine.ParseResult;

import java.util.List;

/** {@link Args} read from picocli's parse result. */
record PicocliArgs(ParseResult result) implements Args {
    @Override
    public <T> T matchedOptionValue(String longName, T otherwise) {
        return result.matchedOptionValue(longName, otherwise);
    }

    @Override
    public boolean hasMatchedOption(String longName) {
        return result.hasMatchedOption(longName);
    }

    @Override
    public List<String> positionals() {
        return result.matchedPositionalValue(0, List.of());
    }
}
