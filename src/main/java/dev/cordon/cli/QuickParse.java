package dev.cordon.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the common, well-formed {@code cordon run|trace [OPTIONS] [--] PROGRAM [ARG...]} without picocli, or
 * declines ({@code null}) whenever picocli could read the line differently or would answer with help or an
 * error: picocli then parses it, so that behaviour and messages stay picocli's. It declines on: an unknown or
 * clustered option, {@code -x=V} or {@code -xV}, a value that starts with {@code -}, an empty {@code --opt=},
 * a single-valued option or flag given twice, {@code --flag=V}, a lone {@code -}, any argument starting with
 * {@code @} (picocli's argument files), a second {@code --}, and a line without a program.
 * {@code QuickParseTest} checks it against picocli on many lines.
 */
final class QuickParse {
    private QuickParse() {}

    enum Kind { LIST, SINGLE, FLAG }

    /** One option: short name (or null), long name, parameter label, description, kind. */
    record Option(String shortName, String longName, String label, String description, Kind kind) {}

    /** The result: values by long name, and the positionals. */
    record Parsed(Map<String, Object> values, List<String> positionals) implements Args {
        @Override
        @SuppressWarnings("unchecked")
        public <T> T matchedOptionValue(String longName, T otherwise) {
            Object v = values.get(longName);
            return v == null ? otherwise : (T) v;
        }

        @Override
        public boolean hasMatchedOption(String longName) {
            return values.containsKey(longName);
        }
    }

    /** Parses {@code args[from..]} against {@code options}; null: let picocli do it. */
    static Parsed parse(List<Option> options, String[] args, int from) {
        for (int k = from; k < args.length; k++) {
            if (args[k].startsWith("@")) return null;
        }
        Map<String, Option> byName = new HashMap<>();
        for (Option o : options) {
            byName.put(o.longName(), o);
            if (o.shortName() != null) byName.put(o.shortName(), o);
        }
        Map<String, Object> values = new HashMap<>();
        int i = from;
        while (i < args.length) {
            String a = args[i];
            if (a.equals("--")) {
                i++;
                break;
            }
            if (!a.startsWith("-")) break; // the program: everything from here on is its (stop at positional)
            if (a.equals("-")) return null;
            String value = null;
            Option o = byName.get(a);
            if (o == null && a.startsWith("--")) {
                int eq = a.indexOf('=');
                if (eq < 0) return null;
                o = byName.get(a.substring(0, eq));
                value = a.substring(eq + 1);
                if (o == null || !o.longName().equals(a.substring(0, eq)) || o.kind() == Kind.FLAG || value.isEmpty()) {
                    return null;
                }
            }
            if (o == null) return null;
            if (o.kind() != Kind.FLAG && value == null) {
                if (i + 1 >= args.length || args[i + 1].startsWith("-")) return null;
                value = args[++i];
            }
            switch (o.kind()) {
                case FLAG, SINGLE -> {
                    if (values.putIfAbsent(o.longName(), o.kind() == Kind.FLAG ? Boolean.TRUE : value) != null) return null;
                }
                case LIST -> {
                    @SuppressWarnings("unchecked")
                    List<String> list = (List<String>) values.computeIfAbsent(o.longName(), n -> new ArrayList<String>());
                    list.add(value);
                }
            }
            i++;
        }
        if (i >= args.length) return null;
        List<String> positionals = new ArrayList<>(args.length - i);
        for (; i < args.length; i++) {
            if (args[i].equals("--")) return null;
            positionals.add(args[i]);
        }
        return new Parsed(values, positionals);
    }
}
