package dev.cordon.internal.policy;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.cordon.Access;
import dev.cordon.AuditLevel;
import dev.cordon.PathRule;
import dev.cordon.Policy;
import dev.cordon.PolicyException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Policy files: TOML, read with Jackson's TOML module, every value checked on load, every error one line naming
 * the file, the line and the key. See README.md, "Policy files and profiles". This is the only class that
 * touches the TOML parser, so a run without a policy file never loads it.
 */
public final class PolicyFiles {
    private PolicyFiles() {}

    /** Files larger than this are refused before parsing. */
    public static final long MAX_BYTES = 1 << 20;
    public static final String PROFILE = "profile:";
    /** An environment value that copies the variable from Cordon's own environment. */
    public static final String INHERIT = "$inherit";

    static final Set<String> TOP = Set.of("include", "read", "write", "exec", "deny", "cwd", "uid", "gid", "audit",
            "namespaces", "best_effort", "hide_metadata", "engine", "syscalls", "network", "env", "limits");
    static final Set<String> NETWORK = Set.of("tcp_connect", "tcp_bind");
    static final Set<String> LIMITS = Set.of("cpu_time", "wall_time", "memory", "processes", "output", "file_size",
            "open_files", "stack");
    static final List<String> ENGINES = List.of("notify", "ptrace");
    private static final TomlMapper TOML = new TomlMapper();

    /**
     * THE hook for the {@code syscalls} key (syscall rules, branch {@code syscall-policy}). Wire it to
     * {@code Policy.Builder.syscalls(String)} when that exists, prefixing {@code where} to its errors.
     */
    public static void applySyscalls(Policy.Builder b, String text, String where) {
        try {
            b.syscalls(text);
        } catch (PolicyException e) {
            // The rule text's own place ("policy:LINE:COL") is relative to the string: name the file's key too.
            throw new PolicyException(where + ": syscalls: " + e.getMessage());
        }
    }

    /** Profiles, then files, each combined like an include: lists add up, later single values win. */
    public static PolicySpec load(List<String> profiles, List<String> files) {
        PolicySpec all = new PolicySpec();
        for (String p : profiles) all.merge(load(PROFILE + p));
        for (String f : files) all.merge(load(f));
        return all;
    }

    /** One policy file, or {@code profile:NAME}. */
    public static PolicySpec load(String ref) {
        return read(source(ref, null), new ArrayDeque<>());
    }

    /** Where a policy comes from: a file (path) or a shipped profile (path null). */
    private record Source(String name, String id, Path path, String profile) {}

    private static Source source(String ref, Source from) {
        if (ref.startsWith(PROFILE)) {
            String name = ref.substring(PROFILE.length());
            return new Source(ref, ref, null, name);
        }
        Path p = Path.of(ref);
        String name = ref;
        if (!p.isAbsolute() && from != null) {
            if (from.path == null) throw new PolicyException(from.name + ": include: " + ref + ": a profile may only include profiles");
            p = from.path.resolveSibling(ref);
            Path shown = Path.of(from.name).resolveSibling(ref).normalize();
            name = shown.toString();
        }
        p = p.toAbsolutePath().normalize();
        String id;
        try {
            id = p.toRealPath().toString();
        } catch (IOException e) {
            id = p.toString();
        }
        return new Source(name, id, p, null);
    }

    private static String chain(Deque<Source> chain, Source last) {
        List<String> names = new ArrayList<>();
        for (Iterator<Source> it = chain.descendingIterator(); it.hasNext(); ) names.add(it.next().name);
        names.add(last.name);
        return String.join(" includes ", names);
    }

    private static PolicySpec read(Source src, Deque<Source> chain) {
        byte[] bytes = src.profile != null ? Profiles.bytes(src.profile) : fileBytes(src);
        String text = decode(src.name, bytes);
        JsonNode root;
        try {
            root = TOML.readTree(text);
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            String msg = e.getOriginalMessage().lines().findFirst().orElse("").strip();
            if (loc != null && loc.getLineNr() > 0) {
                throw new PolicyException(src.name + ":" + loc.getLineNr() + ": not valid TOML (column " + loc.getColumnNr()
                        + "): " + msg + quoteHint(text, loc.getLineNr()));
            }
            throw new PolicyException(src.name + ": not valid TOML: " + msg);
        }
        if (root == null || !root.isObject()) root = TOML.createObjectNode();
        return new Reader(src, new KeyLines(text), root, chain).read();
    }

    private static final java.util.regex.Pattern BARE_VALUE =
            java.util.regex.Pattern.compile("^\\s*[A-Za-z0-9_.\\-]+\\s*=\\s*([^\"'\\[{\\s#][^#]*?)\\s*(#.*)?$");

    /** "memory = 256M": the commonest slip, a string without quotes. */
    private static String quoteHint(String text, int line) {
        String[] lines = text.split("\n", -1);
        if (line < 1 || line > lines.length) return "";
        java.util.regex.Matcher m = BARE_VALUE.matcher(lines[line - 1]);
        if (!m.matches()) return "";
        String v = m.group(1);
        if (v.matches("[+-]?[0-9_]+(\\.[0-9_]+)?([eE][+-]?[0-9]+)?|true|false|[+-]?(inf|nan)|\\d{4}-\\d{2}-\\d{2}.*")) return "";
        return "; strings need quotes: \"" + v + "\"";
    }

    private static byte[] fileBytes(Source src) {
        try {
            long size = Files.size(src.path);
            if (size > MAX_BYTES) {
                throw new PolicyException(src.name + ": too large (" + size + " bytes; the limit is 1 MiB)");
            }
            if (!Files.isRegularFile(src.path)) throw new PolicyException(src.name + ": not a regular file");
            byte[] b = Files.readAllBytes(src.path);
            if (b.length > MAX_BYTES) throw new PolicyException(src.name + ": too large (the limit is 1 MiB)");
            return b;
        } catch (NoSuchFileException e) {
            throw new PolicyException(src.name + ": no such file");
        } catch (IOException e) {
            throw new PolicyException(src.name + ": cannot read: " + e.getMessage());
        }
    }

    /** Strict UTF-8 without control characters other than tab, CR and LF: else it is not a policy file. */
    private static String decode(String name, byte[] bytes) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            int bad = firstInvalidUtf8(bytes);
            throw new PolicyException(name + ": not a TOML file: invalid UTF-8 " + position(bytes, bad));
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
                int line = 1, col = 1;
                for (int j = 0; j < i; j++) {
                    if (text.charAt(j) == '\n') {
                        line++;
                        col = 1;
                    } else {
                        col++;
                    }
                }
                throw new PolicyException(name + ": not a TOML file: control character " + String.format("0x%02x", (int) c)
                        + " at line " + line + ", column " + col);
            }
        }
        if (!text.isEmpty() && text.charAt(0) == '\uFEFF') text = text.substring(1);
        return text;
    }

    private static int firstInvalidUtf8(byte[] b) {
        for (int i = 0; i < b.length; ) {
            int c = b[i] & 0xff;
            int n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
            if (n < 0) return i;
            for (int k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k] & 0xc0) != 0x80) return i;
            i += n + 1;
        }
        return 0;
    }

    private static String position(byte[] b, int offset) {
        int line = 1, col = 1;
        for (int i = 0; i < offset && i < b.length; i++) {
            if (b[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return String.format("(byte 0x%02x at line %d, column %d)", b[Math.min(offset, b.length - 1)] & 0xff, line, col);
    }

    /** Reads one parsed file into a spec; includes first, then the file's own keys on top. */
    private static final class Reader {
        private final Source src;
        private final KeyLines lines;
        private final JsonNode root;
        private final Deque<Source> chain;
        private final PolicySpec own = new PolicySpec();

        Reader(Source src, KeyLines lines, JsonNode root, Deque<Source> chain) {
            this.src = src;
            this.lines = lines;
            this.root = root;
            this.chain = chain;
        }

        private String at(String key) {
            int n = lines.line(key);
            return n > 0 ? src.name + ":" + n : src.name;
        }

        private PolicyException error(String key, String message) {
            return new PolicyException(at(key) + ": " + leaf(key) + ": " + message);
        }

        private PolicyException errorAt(int line, String key, String message) {
            return new PolicyException((line > 0 ? src.name + ":" + line : src.name) + ": " + leaf(key) + ": " + message);
        }

        private static String leaf(String key) {
            int dot = key.lastIndexOf('.');
            return key.startsWith("env.") ? key : dot < 0 ? key : key.substring(dot + 1);
        }

        PolicySpec read() {
            own.sources.add(src.name);
            PolicySpec result = new PolicySpec();
            for (Map.Entry<String, JsonNode> e : root.properties()) {
                if (!TOP.contains(e.getKey())) throw unknown("", e.getKey(), TOP);
            }
            JsonNode include = root.get("include");
            if (include != null) {
                chain.push(src);
                try {
                    for (String ref : strings("include", include)) {
                        Source inc;
                        try {
                            inc = source(ref, src);
                        } catch (PolicyException e) {
                            throw error("include", e.getMessage());
                        }
                        for (Source s : chain) {
                            if (s.id.equals(inc.id)) throw error("include", "a cycle: " + chain(chain, inc));
                        }
                        if (inc.profile != null && !Profiles.NAMES.contains(inc.profile)) {
                            throw error("include", "no profile named \"" + inc.profile + "\"; the profiles are: "
                                    + String.join(", ", Profiles.NAMES));
                        }
                        if (inc.path != null && !Files.exists(inc.path)) {
                            throw error("include", ref + ": no such file (" + chain(chain, inc) + ")");
                        }
                        result.merge(PolicyFiles.read(inc, chain));
                    }
                } finally {
                    chain.pop();
                }
            }
            paths("read", Access.READ);
            paths("write", Access.WRITE);
            paths("exec", Access.EXECUTE);
            paths("deny", Access.DENY);
            JsonNode cwd = root.get("cwd");
            if (cwd != null) {
                String dir = string("cwd", cwd);
                if (!dir.startsWith("/")) throw error("cwd", "\"" + dir + "\" is not an absolute path");
                if (!Files.isDirectory(Path.of(dir))) throw error("cwd", dir + ": no such directory");
                own.workingDirectory = Path.of(dir).normalize();
            }
            if (root.has("uid")) own.uid = (int) positive("uid", root.get("uid"), Integer.MAX_VALUE);
            if (root.has("gid")) own.gid = (int) positive("gid", root.get("gid"), Integer.MAX_VALUE);
            JsonNode audit = root.get("audit");
            if (audit != null) {
                own.audit = switch (string("audit", audit)) {
                    case "none" -> AuditLevel.NONE;
                    case "denied" -> AuditLevel.DENIED;
                    case "all" -> AuditLevel.ALL;
                    default -> throw error("audit", "\"" + audit.asText() + "\" is not an audit level; use \"denied\", "
                            + "\"all\" or \"none\"");
                };
            }
            if (root.has("namespaces")) own.namespaces = bool("namespaces", root.get("namespaces"));
            if (root.has("best_effort")) own.bestEffort = bool("best_effort", root.get("best_effort"));
            if (root.has("hide_metadata")) own.hideMetadata = bool("hide_metadata", root.get("hide_metadata"));
            JsonNode engine = root.get("engine");
            if (engine != null && !ENGINES.contains(string("engine", engine))) {
                throw error("engine", "\"" + engine.asText() + "\" is not an engine of this build; the engines are: "
                        + String.join(", ", ENGINES));
            }
            if (engine != null) own.engine = engine.asText().equals("ptrace") ? dev.cordon.Engine.PTRACE : dev.cordon.Engine.NOTIFY;
            JsonNode syscalls = root.get("syscalls");
            if (syscalls != null) {
                own.syscalls = string("syscalls", syscalls);
                own.syscallsWhere = at("syscalls");
            }
            network();
            env();
            limits();
            result.merge(own);
            return result;
        }

        private void paths(String key, Access access) {
            JsonNode node = root.get(key);
            if (node == null) return;
            for (String p : strings(key, node)) {
                int line = lines.element(key, p);
                boolean optional = p.startsWith("?");
                String path = optional ? p.substring(1) : p;
                if (!path.startsWith("/")) throw errorAt(line, key, "\"" + path + "\" is not an absolute path");
                Path file = Path.of(path).normalize();
                if (!Files.exists(file)) {
                    if (optional) continue;
                    throw errorAt(line, key, path + ": no such file or directory (write \"?" + path
                            + "\" if it may be missing)");
                }
                own.paths.add(new PathRule(file, access));
            }
        }

        private void network() {
            JsonNode net = table("network");
            if (net == null) return;
            for (Map.Entry<String, JsonNode> e : net.properties()) {
                String key = "network." + e.getKey();
                if (!NETWORK.contains(e.getKey())) throw unknown("network", e.getKey(), NETWORK);
                if (!e.getValue().isArray()) throw error(key, "expected an array of TCP ports, got " + type(e.getValue()));
                for (JsonNode port : e.getValue()) {
                    if (!port.isIntegralNumber() || port.asLong() < 1 || port.asLong() > 65535) {
                        throw error(key, port + " is not a TCP port (1-65535)");
                    }
                    (e.getKey().equals("tcp_connect") ? own.tcpConnect : own.tcpBind).add(port.asInt());
                }
            }
        }

        private void env() {
            JsonNode env = table("env");
            if (env == null) return;
            for (Map.Entry<String, JsonNode> e : env.properties()) {
                String name = e.getKey();
                String key = "env." + name;
                if (name.isEmpty() || name.contains("=")) throw error(key, "\"" + name + "\" is not a variable name");
                if (!e.getValue().isTextual()) {
                    throw error(key, "expected a string (or \"" + INHERIT + "\"), got " + type(e.getValue()));
                }
                String value = e.getValue().asText();
                if (value.equals(INHERIT)) {
                    value = System.getenv(name);
                    if (value == null) throw error(key, INHERIT + ": " + name + " is not set in Cordon's environment");
                }
                if (value.indexOf('\0') >= 0) throw error(key, "the value contains a NUL character");
                own.environment.put(name, value);
            }
        }

        private void limits() {
            JsonNode limits = table("limits");
            if (limits == null) return;
            for (Map.Entry<String, JsonNode> e : limits.properties()) {
                if (!LIMITS.contains(e.getKey())) throw unknown("limits", e.getKey(), LIMITS);
                String key = "limits." + e.getKey();
                JsonNode v = e.getValue();
                try {
                    switch (e.getKey()) {
                        case "cpu_time" -> own.cpuTime = Units.duration(e.getKey(), durationText(key, v));
                        case "wall_time" -> own.wallTime = Units.duration(e.getKey(), durationText(key, v));
                        case "memory" -> own.memory = size(key, v);
                        case "output" -> own.output = size(key, v);
                        case "file_size" -> own.fileSize = size(key, v);
                        case "stack" -> own.stack = size(key, v);
                        case "processes" -> own.processes = positive(key, v, Long.MAX_VALUE);
                        case "open_files" -> own.openFiles = positive(key, v, Integer.MAX_VALUE);
                        default -> throw new IllegalStateException(e.getKey());
                    }
                } catch (PolicyException x) {
                    if (x.getMessage().startsWith(src.name)) throw x;
                    throw new PolicyException(at(key) + ": " + x.getMessage());
                }
            }
        }

        private String durationText(String key, JsonNode v) {
            if (v.isTextual()) return v.asText();
            if (v.isNumber()) return v.asText();
            throw error(key, "expected a duration such as \"2s\" or \"500ms\", got " + type(v));
        }

        private long size(String key, JsonNode v) {
            if (v.isTextual()) return Units.size(leaf(key), v.asText());
            if (v.isIntegralNumber() && v.asLong() >= 0) return v.asLong();
            throw error(key, "expected a size such as \"256M\" (or a number of bytes), got " + type(v) + " " + v);
        }

        private long positive(String key, JsonNode v, long max) {
            if (v.isIntegralNumber() && v.canConvertToLong() && v.asLong() > 0 && v.asLong() <= max) return v.asLong();
            if (v.isTextual()) {
                long n = Units.count(leaf(key), v.asText());
                if (n <= max) return n;
            }
            throw error(key, "expected a positive whole number, got " + type(v) + " " + v);
        }

        private JsonNode table(String key) {
            JsonNode t = root.get(key);
            if (t == null) return null;
            if (!t.isObject()) throw error(key, "expected a table ([" + key + "]), got " + type(t));
            return t;
        }

        private String string(String key, JsonNode v) {
            if (!v.isTextual()) throw error(key, "expected a string, got " + type(v) + " " + v);
            return v.asText();
        }

        private boolean bool(String key, JsonNode v) {
            if (!v.isBoolean()) throw error(key, "expected true or false, got " + type(v) + " " + v);
            return v.asBoolean();
        }

        private List<String> strings(String key, JsonNode v) {
            if (!v.isArray()) {
                throw error(key, "expected an array of strings, e.g. " + key + " = [\"/usr\"], got " + type(v) + " " + v);
            }
            List<String> out = new ArrayList<>();
            for (JsonNode e : v) {
                if (!e.isTextual()) throw error(key, "expected an array of strings, found " + type(e) + " " + e);
                out.add(e.asText());
            }
            return out;
        }

        private PolicyException unknown(String table, String key, Set<String> known) {
            String full = table.isEmpty() ? key : table + "." + key;
            String hint = "";
            String best = null;
            int bestDistance = Integer.MAX_VALUE;
            for (String k : known) {
                int d = distance(key.toLowerCase(Locale.ROOT), k);
                if (d < bestDistance) {
                    bestDistance = d;
                    best = k;
                }
            }
            if (best != null && bestDistance <= Math.max(1, Math.min(3, key.length() / 3))) {
                hint = "; did you mean \"" + best + "\"?";
            } else if (table.isEmpty() && LIMITS.contains(key)) {
                hint = "; did you mean to put it under [limits]?";
            } else if (table.isEmpty() && NETWORK.contains(key)) {
                hint = "; did you mean to put it under [network]?";
            } else {
                List<String> sorted = new ArrayList<>(known);
                java.util.Collections.sort(sorted);
                hint = " (known keys" + (table.isEmpty() ? "" : " in [" + table + "]") + ": " + String.join(", ", sorted) + ")";
            }
            return new PolicyException(at(full) + ": unknown key \"" + full + "\"" + hint);
        }
    }

    static String type(JsonNode v) {
        if (v.isTextual()) return "a string";
        if (v.isBoolean()) return "a boolean";
        if (v.isIntegralNumber()) return "an integer";
        if (v.isNumber()) return "a number";
        if (v.isArray()) return "an array";
        if (v.isObject()) return "a table";
        return v.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    /** Levenshtein distance, for "did you mean". */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
