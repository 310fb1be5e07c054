package dev.cordon.internal.seccomp;

import dev.cordon.internal.sys.Errno;
import dev.cordon.internal.syscalls.Arch;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Parses the textual syscall policy, one statement per line, {@code #} starts a comment:
 *
 * <pre>
 * default errno EPERM                      # or: default kill, default allow (the default), ...
 * allow @compute                           # a named set (SyscallSets)
 * allow read, write, close                 # several syscalls
 * allow write if arg0 == 1 and arg2 &lt;= 512 # conditions on 64-bit arguments, unsigned, ANDed
 * errno EBADF write if arg0 != 1           # errno by name or number
 * kill ptrace                              # KILL_PROCESS; also kill-thread, trap, log
 * allow socket if arg1 &amp; 0xf == 1         # a mask, compared with ==
 * </pre>
 *
 * Operators {@code == != < <= > >=}; numbers in decimal, hex ({@code 0x}) or octal (leading {@code 0}). At
 * most 6 conditions per rule. When the policy names a syscall explicitly, the entries of sets for that
 * syscall are dropped: the explicit rules govern it. Errors name the source, line and column.
 */
public final class SyscallPolicyParser {
    private SyscallPolicyParser() {}

    /** A named text: a file, {@code --syscall}, or {@code policy} for text given through the API. */
    public record Source(String name, String text) {}

    private record Token(String text, int column, Kind kind) {}

    private enum Kind { WORD, NUMBER, OP, COMMA, AMP }

    /** Parses one text named {@code policy}. */
    public static SyscallPolicy parse(String text) {
        return parse(List.of(new Source("policy", text)), Arch.current());
    }

    public static SyscallPolicy parse(List<Source> sources, Arch arch) {
        List<SyscallPolicy.Entry> explicit = new ArrayList<>();
        List<SyscallPolicy.Entry> fromSets = new ArrayList<>();
        Action defaultAction = Action.ALLOW;
        String defaultOrigin = "default allow";
        String defaultAt = null;
        for (Source source : sources) {
            String[] lines = source.text().split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                Line line = new Line(source.name(), i + 1, lines[i]);
                if (line.tokens.isEmpty()) continue;
                if (line.peekWord("default")) {
                    line.next();
                    Action a = line.action();
                    line.end();
                    if (defaultAt != null) {
                        throw line.error(line.tokens.getFirst(), "a second default; the default is already set at " + defaultAt);
                    }
                    defaultAt = source.name() + ":" + (i + 1);
                    defaultAction = a;
                    defaultOrigin = origin(source.name(), i + 1, line.text());
                    continue;
                }
                Action action = line.action();
                List<String> names = new ArrayList<>();
                List<Token> at = new ArrayList<>();
                do {
                    Token t = line.next();
                    if (t == null || t.kind() != Kind.WORD || t.text().equals("if")) {
                        throw line.error(t, "expected a syscall name or @set" + (names.isEmpty()
                                ? " after the action" : " after \",\""));
                    }
                    names.add(t.text());
                    at.add(t);
                } while (line.skip(Kind.COMMA));
                List<Condition> conditions = new ArrayList<>();
                Token ifToken = line.peek();
                if (ifToken != null) {
                    if (!line.peekWord("if")) throw line.error(ifToken, "expected \",\", \"if\" or the end of the line, found \"" + ifToken.text() + "\"");
                    line.next();
                    do {
                        if (conditions.size() == 6) throw line.error(line.peek(), "at most 6 conditions per rule");
                        conditions.add(line.condition());
                    } while (line.skipWord("and"));
                    line.end();
                }
                String origin = origin(source.name(), i + 1, line.text());
                for (int k = 0; k < names.size(); k++) {
                    String name = names.get(k);
                    if (name.startsWith("@")) {
                        String body = SyscallSets.SETS.get(name.substring(1));
                        if (body == null) {
                            throw line.error(at.get(k), "unknown syscall set \"" + name + "\"; the sets are "
                                    + String.join(", ", SyscallSets.names()));
                        }
                        for (Rule r : expand(body, arch)) {
                            List<Condition> all = new ArrayList<>(r.conditions());
                            all.addAll(conditions);
                            if (all.size() > 6) throw line.error(at.get(k), "at most 6 conditions per rule, with those of " + name);
                            fromSets.add(new SyscallPolicy.Entry(new Rule(r.syscall(), action, all), source.name(), i + 1, origin));
                        }
                    } else {
                        if (arch.number(name).isEmpty()) {
                            throw line.error(at.get(k), new UnknownSyscallException(name, arch).getMessage());
                        }
                        explicit.add(new SyscallPolicy.Entry(new Rule(name, action, conditions), source.name(), i + 1, origin));
                    }
                }
            }
        }
        Set<String> named = new HashSet<>();
        for (SyscallPolicy.Entry e : explicit) named.add(e.rule().syscall());
        List<SyscallPolicy.Entry> all = new ArrayList<>();
        for (SyscallPolicy.Entry e : fromSets) if (!named.contains(e.rule().syscall())) all.add(e);
        all.addAll(explicit);
        return new SyscallPolicy(defaultAction, defaultOrigin, all);
    }

    private static String origin(String source, int line, String text) {
        return "syscall policy " + ("policy".equals(source) ? "" : source + " ") + "line " + line + ": " + text;
    }

    /** A set's body: entries "name[, name...] [if conditions]" with the action left out. */
    static List<Rule> expand(String body, Arch arch) {
        List<Rule> rules = new ArrayList<>();
        String[] lines = body.split("\n");
        for (int i = 0; i < lines.length; i++) {
            Line line = new Line("set", i + 1, lines[i]);
            if (line.tokens.isEmpty()) continue;
            List<String> names = new ArrayList<>();
            do {
                names.add(line.next().text());
            } while (line.skip(Kind.COMMA));
            List<Condition> conditions = new ArrayList<>();
            if (line.skipWord("if")) {
                do conditions.add(line.condition()); while (line.skipWord("and"));
            }
            line.end();
            for (String name : names) {
                if (name.startsWith("@")) {
                    rules.addAll(expand(SyscallSets.SETS.get(name.substring(1)), arch));
                } else if (arch.number(name).isPresent()) {
                    rules.add(new Rule(name, Action.ALLOW, conditions));
                }
            }
        }
        return rules;
    }

    /** One line, tokenized; the methods consume tokens from the front. */
    private static final class Line {
        final String source;
        final int number;
        final String raw;
        final List<Token> tokens = new ArrayList<>();
        int pos;

        Line(String source, int number, String raw) {
            this.source = source;
            this.number = number;
            this.raw = raw;
            tokenize();
        }

        String text() {
            int hash = raw.indexOf('#');
            return (hash < 0 ? raw : raw.substring(0, hash)).strip().replaceAll("\\s+", " ");
        }

        private void tokenize() {
            int i = 0;
            int n = raw.length();
            while (i < n) {
                char c = raw.charAt(i);
                if (c == '#') break;
                if (Character.isWhitespace(c)) { i++; continue; }
                int start = i;
                if (Character.isLetter(c) || c == '_' || c == '@') {
                    while (i < n && (Character.isLetterOrDigit(raw.charAt(i)) || "_-@".indexOf(raw.charAt(i)) >= 0)) i++;
                    tokens.add(new Token(raw.substring(start, i), start + 1, Kind.WORD));
                } else if (Character.isDigit(c)) {
                    while (i < n && (Character.isLetterOrDigit(raw.charAt(i)) || raw.charAt(i) == '_')) i++;
                    tokens.add(new Token(raw.substring(start, i), start + 1, Kind.NUMBER));
                } else if (c == ',') {
                    tokens.add(new Token(",", ++i, Kind.COMMA));
                } else if (c == '&') {
                    tokens.add(new Token("&", ++i, Kind.AMP));
                } else if ("=!<>".indexOf(c) >= 0) {
                    i++;
                    if (i < n && raw.charAt(i) == '=') i++;
                    String op = raw.substring(start, i);
                    if (op.equals("=") || op.equals("!")) {
                        throw new SyscallPolicyException(source, number, start + 1, "\"" + op + "\" is not an operator; use == != < <= > >=");
                    }
                    tokens.add(new Token(op, start + 1, Kind.OP));
                } else {
                    throw new SyscallPolicyException(source, number, start + 1, "unexpected character \"" + c + "\"");
                }
            }
        }

        SyscallPolicyException error(Token at, String message) {
            int column = at != null ? at.column() : raw.stripTrailing().length() + 1;
            if (at == null && raw.indexOf('#') >= 0) column = raw.substring(0, raw.indexOf('#')).stripTrailing().length() + 1;
            return new SyscallPolicyException(source, number, column, message);
        }

        Token peek() {
            return pos < tokens.size() ? tokens.get(pos) : null;
        }

        Token next() {
            return pos < tokens.size() ? tokens.get(pos++) : null;
        }

        boolean peekWord(String w) {
            Token t = peek();
            return t != null && t.kind() == Kind.WORD && t.text().equals(w);
        }

        boolean skipWord(String w) {
            if (!peekWord(w)) return false;
            pos++;
            return true;
        }

        boolean skip(Kind k) {
            Token t = peek();
            if (t == null || t.kind() != k) return false;
            pos++;
            return true;
        }

        void end() {
            Token t = peek();
            if (t != null) throw error(t, "unexpected \"" + t.text() + "\" at the end of the rule");
        }

        Action action() {
            Token t = next();
            if (t == null || t.kind() != Kind.WORD) {
                throw error(t, "expected an action: allow, errno NAME, kill, kill-thread, trap or log");
            }
            return switch (t.text()) {
                case "allow" -> Action.ALLOW;
                case "log" -> Action.LOG;
                case "kill", "kill-process" -> Action.KILL_PROCESS;
                case "kill-thread" -> Action.KILL_THREAD;
                case "trap" -> Action.TRAP;
                case "errno" -> {
                    Token e = next();
                    if (e == null) throw error(null, "expected an errno name or number after \"errno\"");
                    if (e.kind() == Kind.NUMBER) {
                        long v = number(e);
                        if (v < 1 || v > 4095) throw error(e, "errno " + e.text() + " is not in 1..4095");
                        yield Action.errno((int) v);
                    }
                    int v = e.kind() == Kind.WORD ? Errno.byName(e.text()) : -1;
                    if (v <= 0) {
                        List<String> close = e.kind() == Kind.WORD ? UnknownSyscallException.closest(e.text(), errnoNames()) : List.of();
                        throw error(e, "unknown errno \"" + e.text() + "\"" + (close.isEmpty() ? "" : "; did you mean "
                                + String.join(", ", close) + "?"));
                    }
                    yield Action.errno(v);
                }
                case "trace", "notify", "user-notif", "user_notif" -> throw error(t, "\"" + t.text() + "\" is not "
                        + "available in a policy: the sandbox's tracer and notification listener belong to its "
                        + "supervisor; use allow, errno NAME, kill, kill-thread, trap or log");
                default -> throw error(t, "expected an action (allow, errno NAME, kill, kill-thread, trap or log), found \""
                        + t.text() + "\"");
            };
        }

        Condition condition() {
            Token a = next();
            if (a == null || a.kind() != Kind.WORD || !a.text().matches("arg[0-9]+")) {
                throw error(a, "expected an argument arg0..arg5" + (a == null ? "" : ", found \"" + a.text() + "\""));
            }
            int arg = Integer.parseInt(a.text().substring(3));
            if (arg > 5) throw error(a, "a syscall has arguments arg0..arg5 only");
            long mask = 0;
            boolean masked = false;
            Token maskToken = null;
            if (skip(Kind.AMP)) {
                maskToken = next();
                if (maskToken == null || maskToken.kind() != Kind.NUMBER) throw error(maskToken, "expected a number after \"&\"");
                mask = number(maskToken);
                masked = true;
            }
            Token op = next();
            if (op == null || op.kind() != Kind.OP) {
                throw error(op, "expected a comparison operator after \"" + (masked ? a.text() + " & " + maskToken.text() : a.text())
                        + "\"");
            }
            Token v = next();
            if (v == null || v.kind() != Kind.NUMBER) throw error(v, "expected a number after \"" + op.text() + "\"");
            long value = number(v);
            if (masked) {
                if (!op.text().equals("==")) throw error(op, "a masked argument can only be compared with ==");
                return Condition.maskedEq(arg, mask, value);
            }
            return switch (op.text()) {
                case "==" -> Condition.eq(arg, value);
                case "!=" -> Condition.ne(arg, value);
                case "<" -> Condition.lt(arg, value);
                case "<=" -> Condition.le(arg, value);
                case ">" -> Condition.gt(arg, value);
                case ">=" -> Condition.ge(arg, value);
                default -> throw error(op, "unknown operator \"" + op.text() + "\"");
            };
        }

        long number(Token t) {
            String s = t.text().toLowerCase(java.util.Locale.ROOT).replace("_", "");
            try {
                if (s.startsWith("0x")) return Long.parseUnsignedLong(s.substring(2), 16);
                if (s.length() > 1 && s.startsWith("0")) return Long.parseUnsignedLong(s.substring(1), 8);
                return Long.parseUnsignedLong(s, 10);
            } catch (NumberFormatException e) {
                throw error(t, "\"" + t.text() + "\" is not a number (decimal, 0x hex or 0 octal, at most 64 bits)");
            }
        }
    }

    private static List<String> errnoNames() {
        List<String> names = new ArrayList<>();
        for (int i = 1; i < 200; i++) {
            String n = Errno.name(i);
            if (!n.startsWith("errno ")) names.add(n);
        }
        return names;
    }
}
