package dev.cordon.internal.policy;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Line numbers of the keys of a TOML document, for messages. Jackson's TOML module builds a tree and keeps no
 * locations once the syntax is accepted, so the (already valid) text is scanned again here: table headers,
 * {@code key =} lines, and the lines of array elements. Approximate by design: a key it cannot place gets the
 * line of its table, or none.
 */
final class KeyLines {
    private static final Pattern HEADER = Pattern.compile("^\\[\\[?\\s*([^\\]]+?)\\s*\\]\\]?\\s*(#.*)?$");
    private static final Pattern KEY = Pattern.compile("^((?:[A-Za-z0-9_\\-]+|\"[^\"]*\"|'[^']*')"
            + "(?:\\s*\\.\\s*(?:[A-Za-z0-9_\\-]+|\"[^\"]*\"|'[^']*'))*)\\s*=");

    private final String[] lines;
    private final Map<String, Integer> keys = new HashMap<>();

    KeyLines(String text) {
        lines = text.split("\n", -1);
        String table = "";
        String openString = null;
        int depth = 0;
        for (int i = 0; i < lines.length; i++) {
            String s = lines[i].strip();
            if (openString != null) {
                if (count(s, openString) % 2 == 1) openString = null;
                continue;
            }
            if (depth > 0) {
                depth += brackets(s);
                continue;
            }
            if (s.isEmpty() || s.startsWith("#")) continue;
            Matcher h = HEADER.matcher(s);
            if (s.startsWith("[") && h.matches()) {
                table = unquote(h.group(1));
                keys.putIfAbsent(table, i + 1);
                continue;
            }
            Matcher k = KEY.matcher(s);
            if (!k.find()) continue;
            String key = unquote(k.group(1));
            keys.putIfAbsent(table.isEmpty() ? key : table + "." + key, i + 1);
            String rest = s.substring(k.end());
            for (String delim : new String[] {"\"\"\"", "'''"}) {
                if (count(rest, delim) % 2 == 1) openString = delim;
            }
            if (openString == null) depth = Math.max(0, brackets(rest));
        }
    }

    /** The line of a dotted key, else of the closest table around it; 0 if unknown. */
    int line(String key) {
        String k = key;
        while (true) {
            Integer n = keys.get(k);
            if (n != null) return n;
            int dot = k.lastIndexOf('.');
            if (dot < 0) return 0;
            k = k.substring(0, dot);
        }
    }

    /** The line where the array element {@code literal} (a string) of {@code key} is written. */
    int element(String key, String literal) {
        int start = line(key);
        if (start == 0) return 0;
        String quoted = "\"" + literal + "\"", single = "'" + literal + "'";
        for (int i = start - 1; i < lines.length; i++) {
            if (i > start - 1 && KEY.matcher(lines[i].strip()).find()) break;
            if (lines[i].contains(quoted) || lines[i].contains(single)) return i + 1;
        }
        return start;
    }

    private static String unquote(String dotted) {
        StringBuilder sb = new StringBuilder();
        for (String part : dotted.split("\\s*\\.\\s*(?=(?:[^\"']*[\"'][^\"']*[\"'])*[^\"']*$)")) {
            String p = part.strip();
            if (p.length() >= 2 && (p.startsWith("\"") || p.startsWith("'"))) p = p.substring(1, p.length() - 1);
            if (!sb.isEmpty()) sb.append('.');
            sb.append(p);
        }
        return sb.toString();
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + what.length())) n++;
        return n;
    }

    /** Net [ minus ] outside strings and comments. */
    private static int brackets(String s) {
        int d = 0;
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\' && quote == '"') i++;
                else if (c == quote) quote = 0;
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '#') {
                break;
            } else if (c == '[') {
                d++;
            } else if (c == ']') {
                d--;
            }
        }
        return d;
    }
}
