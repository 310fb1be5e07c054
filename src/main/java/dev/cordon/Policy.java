package dev.cordon;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a sandboxed program may do: an immutable value. Everything not granted is denied.
 *
 * @param paths           file system rules (enforced by Landlock)
 * @param tcpConnect      TCP ports the program may connect to (any address); empty: none
 * @param tcpBind         TCP ports the program may bind; empty: none. With both empty there is no network.
 * @param environment     the program's whole environment; nothing is inherited
 * @param workingDirectory the program's working directory, or {@code null} for the caller's
 * @param uid             user the program runs as when Cordon runs as root (never root itself)
 * @param gid             group the program runs as when Cordon runs as root
 * @param limits          resource limits
 * @param bestEffort      run even if the kernel cannot enforce part of the policy, and report what was not
 *                        enforced; without it such a run is refused
 * @param audit           what the supervisor reports
 * @param namespaces      run the program in its own mount (only the policy's paths), pid, IPC, UTS and (without
 *                        network) network namespaces; needs root. The program is pid 1 of its namespace, which
 *                        dies with it.
 * @param syscalls        a syscall policy that adds restrictions to the mandatory filter; {@link SyscallRules#NONE}
 *                        for none
 * @param engine          how the supervisor sees the calls it decides
 * @param freshTmp        with namespaces: a private, empty, writable /tmp (64 MiB tmpfs)
 * @param exposeMetadata  without a mount namespace, let the program read the metadata (stat, access, readlink,
 *                        xattrs, statfs) of files outside the policy, which Landlock does not govern; by default
 *                        the supervisor answers such calls with ENOENT, at the cost of one supervised call per
 *                        stat (README, "Hidden metadata"). No effect with namespaces, whose view hides them anyway.
 */
public record Policy(List<PathRule> paths, Set<Integer> tcpConnect, Set<Integer> tcpBind,
                     Map<String, String> environment, Path workingDirectory, int uid, int gid, Limits limits,
                     boolean bestEffort, AuditLevel audit, boolean namespaces, SyscallRules syscalls,
                     Engine engine, boolean freshTmp, boolean exposeMetadata) {

    /** The user "nobody", which owns nothing. */
    public static final int NOBODY = 65534;

    public Policy {
        paths = List.copyOf(paths);
        tcpConnect = Set.copyOf(tcpConnect);
        tcpBind = Set.copyOf(tcpBind);
        environment = Map.copyOf(environment);
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(audit, "audit");
        if (syscalls == null) syscalls = SyscallRules.NONE;
        if (engine == null) engine = Engine.NOTIFY;
        if (freshTmp && !namespaces) throw new PolicyException("a fresh /tmp needs the namespaces (--namespaces)");
        for (int port : concat(tcpConnect, tcpBind)) {
            if (port < 1 || port > 65535) throw new PolicyException("TCP port " + port + " is not in 1..65535");
        }
        if (uid <= 0 || gid <= 0) throw new PolicyException("the sandboxed program may not run as root (uid/gid 0)");
        for (PathRule d : paths) {
            if (d.access() != Access.DENY) continue;
            for (PathRule a : paths) {
                if (a.access() != Access.DENY && a.path().equals(d.path())) {
                    throw new PolicyException("contradictory rules: " + d.path() + " is both allowed ("
                            + a.access().name().toLowerCase(java.util.Locale.ROOT) + ") and denied");
                }
            }
        }
        if (workingDirectory != null && !workingDirectory.isAbsolute()) {
            throw new PolicyException("working directory " + workingDirectory + " is not an absolute path");
        }
        for (String name : environment.keySet()) {
            if (name.isEmpty() || name.contains("=") || name.indexOf('\0') >= 0) {
                throw new PolicyException("invalid environment variable name \"" + name + "\"");
            }
        }
    }

    /** A policy without namespaces and without a syscall policy. */
    public Policy(List<PathRule> paths, Set<Integer> tcpConnect, Set<Integer> tcpBind,
                  Map<String, String> environment, Path workingDirectory, int uid, int gid, Limits limits,
                  boolean bestEffort, AuditLevel audit) {
        this(paths, tcpConnect, tcpBind, environment, workingDirectory, uid, gid, limits, bestEffort, audit, false,
                SyscallRules.NONE, Engine.NOTIFY, false, false);
    }

    private static List<Integer> concat(Set<Integer> a, Set<Integer> b) {
        List<Integer> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** Whether the policy allows any network use at all. */
    public boolean network() {
        return !tcpConnect.isEmpty() || !tcpBind.isEmpty();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link Policy}; the defaults allow nothing. */
    public static final class Builder {
        private final List<PathRule> paths = new ArrayList<>();
        private final Set<Integer> tcpConnect = new TreeSet<>();
        private final Set<Integer> tcpBind = new TreeSet<>();
        private final Map<String, String> environment = new LinkedHashMap<>();
        private Path workingDirectory;
        private int uid = NOBODY;
        private int gid = NOBODY;
        private Limits limits = Limits.NONE;
        private boolean bestEffort;
        private AuditLevel audit = AuditLevel.DENIED;
        private boolean namespaces;
        private Engine engine = Engine.NOTIFY;
        private boolean freshTmp;
        private boolean exposeMetadata;
        private SyscallRules syscalls = SyscallRules.NONE;

        public Builder allow(Path path, Access access) {
            paths.add(new PathRule(path, access));
            return this;
        }

        public Builder read(String... paths) {
            for (String p : paths) allow(Path.of(p), Access.READ);
            return this;
        }

        public Builder write(String... paths) {
            for (String p : paths) allow(Path.of(p), Access.WRITE);
            return this;
        }

        public Builder execute(String... paths) {
            for (String p : paths) allow(Path.of(p), Access.EXECUTE);
            return this;
        }

        /** Nothing beneath these paths, inside trees other rules allow. */
        public Builder deny(String... paths) {
            for (String p : paths) allow(Path.of(p), Access.DENY);
            return this;
        }

        public Builder tcpConnect(int port) {
            tcpConnect.add(port);
            return this;
        }

        public Builder tcpBind(int port) {
            tcpBind.add(port);
            return this;
        }

        public Builder env(String name, String value) {
            environment.put(name, value);
            return this;
        }

        public Builder workingDirectory(Path dir) {
            this.workingDirectory = dir;
            return this;
        }

        public Builder user(int uid, int gid) {
            this.uid = uid;
            this.gid = gid;
            return this;
        }

        public Builder limits(Limits limits) {
            this.limits = limits;
            return this;
        }

        public Builder bestEffort(boolean bestEffort) {
            this.bestEffort = bestEffort;
            return this;
        }

        public Builder audit(AuditLevel audit) {
            this.audit = audit;
            return this;
        }

        /**
         * Lets the program read the metadata of files outside the policy (faster: stat is then not supervised).
         * By default it is hidden (ENOENT) wherever no mount namespace hides it.
         */
        public Builder exposeMetadata(boolean exposeMetadata) {
            this.exposeMetadata = exposeMetadata;
            return this;
        }

        /** With namespaces: a private, empty, writable /tmp. */
        public Builder freshTmp(boolean freshTmp) {
            this.freshTmp = freshTmp;
            return this;
        }

        public Builder engine(Engine engine) {
            this.engine = java.util.Objects.requireNonNull(engine);
            return this;
        }

        public Builder namespaces(boolean namespaces) {
            this.namespaces = namespaces;
            return this;
        }

        /**
         * Adds a syscall policy text (README, "Syscall policies"); it can only restrict further. Checked at
         * once: a mistake throws {@link PolicyException} with {@code policy:LINE:COLUMN}.
         */
        public Builder syscalls(String text) {
            this.syscalls = syscalls.and("policy", text);
            return this;
        }

        /** Adds syscall policy texts, e.g. read from files (their names are cited in errors and refusals). */
        public Builder syscalls(SyscallRules rules) {
            SyscallRules all = syscalls;
            for (SyscallRules.Source s : rules.sources()) all = all.and(s.name(), s.text());
            this.syscalls = all;
            return this;
        }

        /**
         * Compute only: the {@code @compute} syscall set, every other call refused with EPERM (no new
         * processes, no exec after the first, no network, files opened read-only; Landlock decides which).
         */
        public Builder computeOnly() {
            this.syscalls = syscalls.and("--compute-only", SyscallRules.COMPUTE_ONLY);
            return this;
        }

        public Policy build() {
            return new Policy(paths, tcpConnect, tcpBind, environment, workingDirectory, uid, gid, limits, bestEffort,
                    audit, namespaces, syscalls, engine, freshTmp, exposeMetadata);
        }
    }
}
