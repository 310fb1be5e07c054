#!/usr/bin/env python3
"""Cordon benchmark suite: orchestration and statistics. Called by bench/run; see bench/README.md.

Every configuration is measured interleaved with its native twin: in each round, for each workload, the
configurations are taken round-robin and every measurement of a configuration is immediately preceded by a
native measurement of the same workload. The ratio of a configuration is the median of its per-pair ratios,
so that slow drifts of the machine (other work, frequency changes) cancel.
"""
import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HOME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(HOME, "bench")


# ---------------------------------------------------------------------------------------------------------------
# Context: the temp dir with generated inputs and compiled drivers.

class Ctx:
    def __init__(self, tmp, quick):
        self.tmp = tmp
        self.bin = os.path.join(tmp, "bin")      # compiled drivers: executable in the sandbox
        self.work = os.path.join(tmp, "work")    # the writable directory
        self.quick = quick
        self.java = os.path.join(os.environ["JAVA_HOME"], "bin", "java")
        self.cordon = os.path.join(HOME, "cordon")
        self.env = {"PATH": "/usr/bin:/bin", "TMPDIR": self.work, "LC_ALL": "C"}

    def b(self, name):
        return os.path.join(self.bin, name)


def scale(ctx, n):
    """--quick shortens the loop counts of the syscall-heavy workloads to a quarter."""
    return max(1, n // 4) if ctx.quick else n


# ---------------------------------------------------------------------------------------------------------------
# Configurations. Each wraps a workload's command line. Adding one (e.g. a second Cordon engine or an audit level)
# is one line in CONFIGS.

def cordon_cli(*extra):
    def wrap(ctx, argv):
        return [ctx.cordon, "run", "-q", *extra,
                "--read", "/usr", "--exec", "/usr", "--exec", "/lib64",
                "--read", ctx.tmp, "--exec", ctx.bin, "--write", ctx.work,
                "--env", "PATH=/usr/bin:/bin", "--env", "TMPDIR=" + ctx.work, "--env", "LC_ALL=C",
                "--cwd", ctx.work, "--", *argv]
    return wrap


def bwrap(ctx, argv):
    binds = []
    for d in ("/usr", "/lib64"):
        if os.path.islink(d):
            binds += ["--symlink", os.readlink(d), d]
        else:
            binds += ["--ro-bind", d, d]
    for link in ("/bin", "/lib", "/sbin"):
        if os.path.islink(link):
            binds += ["--symlink", os.readlink(link), link]
    return [shutil.which("bwrap") or "bwrap", *binds, "--bind", ctx.tmp, ctx.tmp, "--dev", "/dev", "--proc", "/proc",
            "--unshare-all", "--die-with-parent", "--clearenv",
            "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "TMPDIR", ctx.work, "--setenv", "LC_ALL", "C",
            "--chdir", ctx.work, "--", *argv]


def strace_all(ctx, argv):
    return ["strace", "-f", "-o", "/dev/null", *argv]


def strace_seccomp(ctx, argv):
    return ["strace", "-f", "--seccomp-bpf", "-e", "trace=%file,%process,%network", "-o", "/dev/null", *argv]


class Config:
    def __init__(self, key, title, wrap, needs=None, cli=False, cpu=True):
        self.key, self.title, self.wrap, self.needs, self.cli = key, title, wrap, needs, cli
        self.cpu = cpu  # whether the command's RUSAGE_CHILDREN is the workload's CPU time


# The library in a warm JVM (bench/java/.../LaunchBench.java): the workload runs once in a sandbox after warm-up
# launches, timed by the JVM from start() to the end of the run. This is Cordon's cost without the JVM start-up.
def cordon_library(ctx, argv):
    return library_cmd(ctx, "run", ctx.tmp, ctx.bin, ctx.work, "--", *argv)


def cordon_library_kernel(ctx, argv):
    return library_cmd(ctx, "run", ctx.tmp, ctx.bin, ctx.work, "--", *argv, jvm=("-Dbench.kernelOnly=true",))


def cordon_library_audit(ctx, argv):
    return library_cmd(ctx, "run", ctx.tmp, ctx.bin, ctx.work, "--", *argv, jvm=("-Dbench.auditAll=true",))


LIBRARY = Config("cordon-lib", "Cordon (library, warm JVM)", cordon_library)
# The same with nothing supervised: audit level none, metadata not hidden (what a mount namespace gives for free).
LIBRARY_KERNEL = Config("cordon-lib-kernel", "Cordon (library, kernel only: --audit none --no-hide-metadata)",
                        cordon_library_kernel)
# Every file, process and network call supervised, decoded and logged (to /dev/null), metadata hidden too.
LIBRARY_AUDIT = Config("cordon-lib-audit", "Cordon (library, --audit all)", cordon_library_audit)


def bare_jvm(ctx, argv):
    # The floor under any Java CLI: the JVM starting and stopping, with the flags ./cordon uses (scripts/env.sh).
    return [ctx.java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-version"]


CONFIGS = [
    LIBRARY,
    LIBRARY_KERNEL,
    LIBRARY_AUDIT,
    Config("cordon", "Cordon (CLI)", cordon_cli(), cli=True),
    Config("cordon-ptrace", "Cordon --engine ptrace (CLI)", cordon_cli("--engine", "ptrace"), cli=True),
    Config("cordon-audit", "Cordon --audit all (CLI)", cordon_cli("--audit", "all"), cli=True),
    # bwrap's RUSAGE_CHILDREN misses the sandboxed program (its pid-namespace init does not pass it on): no CPU ratio.
    Config("bwrap", "bwrap", bwrap, needs="bwrap", cpu=False),
    Config("strace", "strace -f", strace_all, needs="strace"),
    Config("strace-seccomp", "strace -f --seccomp-bpf (file,process,network)", strace_seccomp, needs="strace"),
    # Only where a workload lists it (the cli workload): the JVM start-up alone, for the CLI row's breakdown.
    Config("jvm", "bare JVM (`java -version`, the CLI's flags)", bare_jvm, cpu=False),
]

EXPLICIT_ONLY = {"jvm"}  # configurations applied only to the workloads that list them


# ---------------------------------------------------------------------------------------------------------------
# Workloads. argv(ctx) is the native command; configs lists the configurations that apply (None: all of CONFIGS);
# special maps a configuration key to its own command (and how to read its time) where it is not a plain wrapper.

class Workload:
    def __init__(self, key, title, argv, configs=None, special=None, prepare=None, net=True, native=True):
        self.key, self.title, self.argv = key, title, argv
        self.configs = configs
        self.special = special or {}
        self.prepare = prepare
        self.net = net          # report Cordon CLI rows net of the CLI start-up baseline
        self.native = native    # has a native twin


def library_cmd(ctx, *args, jvm=()):
    cp = ":".join([os.path.join(ctx.tmp, "jclasses"), os.path.join(HOME, "target", "classes"),
                   os.path.join(HOME, "target", "lib", "*")])
    return [ctx.java, "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", *jvm, "-cp", cp,
            "dev.cordon.bench.LaunchBench", *args]


def clean_make(ctx):
    d = os.path.join(ctx.work, "proj")
    for f in os.listdir(d):
        if f.endswith(".o") or f == "prog":
            os.unlink(os.path.join(d, f))


def clean_gcc(ctx):
    for f in ("big.o",):
        p = os.path.join(ctx.work, f)
        if os.path.exists(p):
            os.unlink(p)


def clean_writes(ctx):
    p = os.path.join(ctx.work, "writes.out")
    if os.path.exists(p):
        os.unlink(p)


WORKLOADS = [
    Workload("launch", "launch /bin/true x200 (library in a warm JVM; native: fork+exec driver; bwrap: 200 bwrap runs)",
             lambda ctx: [ctx.b("spawn"), "200", "/bin/true"],
             configs=["cordon-lib", "bwrap"],
             special={
                 "cordon-lib": lambda ctx: (library_cmd(ctx, "sequential", "200", ctx.work), "elapsed_s"),
                 "bwrap": lambda ctx: ([ctx.b("spawn"), "200", *bwrap(ctx, ["/bin/true"])], None),
             }, net=False),
    Workload("throughput", "sandboxed /bin/true per second, 4 threads launching (library)",
             None, configs=["cordon-lib"], native=False, net=False,
             special={"cordon-lib": lambda ctx: (library_cmd(ctx, "threads", "4", "1" if ctx.quick else "3",
                                                             ctx.work), "runs_per_s")}),
    Workload("cli", "CLI start-up: `cordon run -- /bin/true` end to end (JVM start included)",
             lambda ctx: ["/bin/true"], configs=["cordon", "bwrap", "jvm"], net=False),
    Workload("statopen", "200k stat+open+close of files under /usr/include",
             lambda ctx: [ctx.b("statopen"), os.path.join(ctx.tmp, "include-files.txt"), str(scale(ctx, 200000))]),
    Workload("gcc", "gcc -O2 -c of a generated 5k-line C file with many includes",
             lambda ctx: ["gcc", "-O2", "-c", "-o", os.path.join(ctx.work, "big.o"), os.path.join(ctx.tmp, "big.c")],
             prepare=clean_gcc),
    Workload("cpu", "CPU-bound loop, almost no syscalls (~1.4 s)",
             lambda ctx: [ctx.b("cpu"), str(scale(ctx, 1000000000))]),
    Workload("forkexec", "500 fork+exec of /bin/true (C driver)",
             lambda ctx: [ctx.b("spawn"), str(scale(ctx, 500)), "/bin/true"]),
    Workload("threads", "8 threads x 20k getppid via syscall()",
             lambda ctx: [ctx.b("threads"), "8", str(scale(ctx, 20000))]),
    Workload("writes", "1M 16-byte write() to a file in the writable directory",
             lambda ctx: [ctx.b("writes"), os.path.join(ctx.work, "writes.out"), str(scale(ctx, 1000000))],
             prepare=clean_writes),
    Workload("make", "make -j2 of a generated 40-file C project",
             lambda ctx: ["make", "-s", "-j2", "-C", os.path.join(ctx.work, "proj")],
             prepare=clean_make),
]

# The CLI rows are shown net of the JVM start-up only where the native run is long enough for the subtraction to
# mean something: the start-up varies by tens of milliseconds between runs.
NET_MIN_NATIVE_S = 0.5

# Targets: (workload, configuration, what is compared, limit, description)
TARGETS = [
    # "Kernel-only" ratios come from the library rows: the workload in a sandbox, timed inside a warm JVM.
    ("cpu", "cordon-lib-kernel", "ratio", 1.01, "CPU-bound <= 1.01x native (kernel-only)"),
    ("gcc", "cordon-lib-kernel", "ratio", 1.03, "gcc -O2 <= 1.03x native (kernel-only)"),
    ("make", "cordon-lib-kernel", "ratio", 1.03, "make -j2 <= 1.03x native (kernel-only)"),
    ("gcc", "cordon-lib", "ratio", 1.10, "gcc -O2 <= 1.10x native (default: audit denied, metadata hidden)"),
    ("make", "cordon-lib", "ratio", 1.10, "make -j2 <= 1.10x native (default: audit denied, metadata hidden)"),
    ("statopen", "cordon-lib-kernel", "ratio", 1.15, "stat/open-heavy <= 1.15x native (metadata not hidden)"),
    ("statopen", "cordon-lib", "ratio", 4.0, "stat/open-heavy, metadata hidden (the default without a mount namespace) <= 4x"),
    ("statopen", "cordon-lib-audit", "ratio", 4.0, "stat/open-heavy, full audit (every call decoded and logged) <= 4x"),
    ("forkexec", "cordon-lib", "ratio", 1.20, "500 fork+exec <= 1.2x native"),
    ("launch", "cordon-lib", "per_launch_ms", 1.5, "library launch of /bin/true, full policy, warm JVM <= 1.5 ms"),
    ("throughput", "cordon-lib", "runs_per_s", -500, "library, 4 threads: >= 500 sandboxed runs/s"),
    ("cli", "cordon", "median", 0.080, "`cordon run -- /bin/true` end to end <= 80 ms"),
]


# ---------------------------------------------------------------------------------------------------------------
# Set-up: compile the drivers and generate the inputs.

HEADERS = ["stdio.h", "stdlib.h", "string.h", "math.h", "pthread.h", "sys/stat.h", "unistd.h", "fcntl.h",
           "signal.h", "time.h", "errno.h", "ctype.h", "limits.h", "stdint.h", "inttypes.h", "assert.h",
           "setjmp.h", "locale.h", "wchar.h", "sys/types.h", "sys/socket.h", "netinet/in.h", "arpa/inet.h",
           "sys/mman.h", "dirent.h", "poll.h", "sys/epoll.h", "sys/wait.h", "sys/time.h", "sys/resource.h",
           "netdb.h", "complex.h", "stdatomic.h", "regex.h", "glob.h", "termios.h", "sched.h", "semaphore.h"]


def gen_c_function(i, lines):
    body = [f"static long f{i}(long x, const char *s) {{", "    long acc = x;"]
    while len(body) < lines - 2:
        k = len(body)
        body.append(f"    acc += s[{k % 3}] * {k + 3};")
        body.append(f"    if (acc > {k * 1000 + i}) acc -= x;")
    body += ["    return acc;", "}"]
    return body


def gen_big_c(path, total_lines=5000):
    out = [f"#include <{h}>" for h in HEADERS]
    i = 0
    while len(out) < total_lines - 10:
        out += gen_c_function(i, 24)
        i += 1
    out.append("long big_sum(long x) {")
    out.append("    long acc = 0;")
    for j in range(i):  # every function is called: GCC drops unreferenced static functions before optimizing
        out.append(f"    acc += f{j}(x + {j}, \"abc\");")
    out += ["    return acc;", "}"]
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return len(out)


def gen_make_project(d, files=40):
    os.makedirs(d, exist_ok=True)
    for n in range(files):
        lines = [f"#include <{h}>" for h in HEADERS[:20]]
        for k in range(6):
            lines += gen_c_function(n * 100 + k, 20)
        calls = " + ".join(f"f{n * 100 + k}(x, \"u\")" for k in range(6))
        lines.append(f"long unit{n}(long x) {{ return {calls}; }}")
        with open(os.path.join(d, f"u{n}.c"), "w") as f:
            f.write("\n".join(lines) + "\n")
    decls = "\n".join(f"long unit{n}(long);" for n in range(files))
    calls = " + ".join(f"unit{n}(argc)" for n in range(files))
    with open(os.path.join(d, "main.c"), "w") as f:
        f.write(f"#include <stdio.h>\n{decls}\nint main(int argc, char **argv) {{ (void)argv; "
                f"printf(\"%ld\\n\", {calls}); return 0; }}\n")
    objs = " ".join([f"u{n}.o" for n in range(files)] + ["main.o"])
    with open(os.path.join(d, "Makefile"), "w") as f:
        f.write(f"OBJS = {objs}\nCC = gcc\nCFLAGS = -O2\nprog: $(OBJS)\n\t$(CC) -o $@ $(OBJS) -lm\n"
                f"%.o: %.c\n\t$(CC) $(CFLAGS) -c -o $@ $<\n")


def setup(ctx):
    os.makedirs(ctx.bin)
    os.makedirs(ctx.work)
    os.chmod(ctx.tmp, 0o755)
    os.chmod(ctx.work, 0o777)  # the sandbox runs as uid 65534 when Cordon is started as root
    for name in ("spawn", "statopen", "cpu", "threads", "writes", "setsid_loop"):
        subprocess.run(["gcc", "-O2", "-Wall", "-pthread", "-o", ctx.b(name), os.path.join(BENCH, "c", name + ".c")],
                       check=True)
    files = []
    for root, _, names in os.walk("/usr/include"):
        for n in sorted(names):
            p = os.path.join(root, n)
            if os.path.isfile(p) and not os.path.islink(p) and os.access(p, os.R_OK):
                files.append(p)
    files.sort()
    with open(os.path.join(ctx.tmp, "include-files.txt"), "w") as f:
        f.write("\n".join(files[:2000]) + "\n")
    gen_big_c(os.path.join(ctx.tmp, "big.c"))
    gen_make_project(os.path.join(ctx.work, "proj"))
    os.chmod(os.path.join(ctx.work, "proj"), 0o777)
    jdir = os.path.join(ctx.tmp, "jclasses")
    javac = os.path.join(os.environ["JAVA_HOME"], "bin", "javac")
    cp = ":".join([os.path.join(HOME, "target", "classes"), os.path.join(HOME, "target", "lib", "*")])
    subprocess.run([javac, "-d", jdir, "-cp", cp,
                    os.path.join(BENCH, "java", "dev", "cordon", "bench", "LaunchBench.java")], check=True)
    subprocess.run(["chmod", "-R", "a+rX", ctx.tmp], check=True)


# ---------------------------------------------------------------------------------------------------------------
# Measuring.

class Failure(Exception):
    pass


def measure(ctx, argv, parse=None, workload=None, use_env=True):
    """Runs argv; returns (value, cpu): value is the wall time, or the field `parse` the command prints; cpu is the
    user+system time of the command and the children it waited for (from RUSAGE_CHILDREN, or the field cpu_s)."""
    if workload is not None and workload.prepare:
        workload.prepare(ctx)
    env = dict(os.environ) if not use_env else ctx.env
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(argv, cwd=ctx.work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if p.returncode != 0:
        err = (p.stderr.decode(errors="replace").strip().splitlines() or ["(no message)"])
        raise Failure(f"exit {p.returncode}: {err[-1][:200]}")
    if parse:
        fields = dict(kv.split("=", 1) for kv in p.stdout.decode().split())
        return float(fields[parse]), (float(fields["cpu_s"]) if "cpu_s" in fields else None)
    return wall, cpu


def config_command(ctx, w, cfg):
    if cfg.key in w.special:
        return w.special[cfg.key](ctx)
    return cfg.wrap(ctx, w.argv(ctx)), ("elapsed_s" if cfg in (LIBRARY, LIBRARY_KERNEL, LIBRARY_AUDIT) else None)


def applicable(w, available):
    keys = w.configs if w.configs is not None else [c.key for c in CONFIGS if c.key not in EXPLICIT_ONLY]
    out = []
    for k in keys:
        cfg = next((c for c in CONFIGS if c.key == k), None)
        if cfg is not None:
            out.append(cfg)
    return out


def run_suite(ctx, rounds, only, available, log):
    # data[w][c] = {"samples": [...], "native": [...paired native...], "error": str|None}
    data = {}
    workloads = [w for w in WORKLOADS if not only or w.key in only]
    for w in workloads:
        data[w.key] = {}
        for cfg in applicable(w, available):
            entry = {"samples": [], "native": [], "cpu": [], "native_cpu": [], "error": None}
            if cfg.needs and cfg.needs not in available:
                entry["error"] = f"{cfg.needs} is not installed"
            data[w.key][cfg.key] = entry
    for r in range(rounds):
        for w in workloads:
            for cfg in applicable(w, available):
                entry = data[w.key][cfg.key]
                if entry["error"]:
                    continue
                try:
                    native, native_cpu = measure(ctx, w.argv(ctx), workload=w) if w.native else (None, None)
                    argv, parse = config_command(ctx, w, cfg)
                    t, cpu = measure(ctx, argv, parse=parse, workload=w, use_env=not cfg.cli and cfg not in (LIBRARY, LIBRARY_KERNEL, LIBRARY_AUDIT))
                except Failure as e:
                    entry["error"] = str(e)
                    log(f"  round {r + 1} {w.key} / {cfg.key}: FAILED {e}")
                    continue
                except FileNotFoundError as e:
                    entry["error"] = f"cannot run: {e}"
                    log(f"  round {r + 1} {w.key} / {cfg.key}: FAILED {e}")
                    continue
                entry["samples"].append(t)
                # CPU time is compared only where it is the workload's own: not for the CLI (the JVM's CPU is in it)
                # nor for the launch rows (the library's CPU is the JVM's, not a child's).
                if native is not None and cpu is not None and cfg.cpu and not cfg.cli and w.key not in ("launch", "cli"):
                    entry["cpu"].append(cpu)
                    entry["native_cpu"].append(native_cpu)
                if native is not None:
                    entry["native"].append(native)
                log(f"  round {r + 1}/{rounds} {w.key:10s} {cfg.key:15s} "
                    + (f"native {native:8.4f} s  " if native is not None else "")
                    + f"{t:10.4f}" + (" s" if parse is None else f" ({parse})"))
    return workloads, data


# ---------------------------------------------------------------------------------------------------------------
# Statistics and the table.

def summarize(workloads, data):
    summary = {}
    cli = data.get("cli", {}).get("cordon")
    baseline = None
    if cli and cli["samples"] and cli["native"]:
        baseline = statistics.median(cli["samples"]) - statistics.median(cli["native"])
    for w in workloads:
        summary[w.key] = {}
        for ck, e in data[w.key].items():
            s = {"error": e["error"], "n": len(e["samples"])}
            if e["samples"]:
                s["median"] = statistics.median(e["samples"])
                s["min"] = min(e["samples"])
                s["max"] = max(e["samples"])
            if e["native"] and e["samples"] and len(e["native"]) == len(e["samples"]):
                s["native_median"] = statistics.median(e["native"])
                ratios = [c / n for c, n in zip(e["samples"], e["native"])]
                s["ratio"] = statistics.median(ratios)
                s["ratio_min"], s["ratio_max"] = min(ratios), max(ratios)
                if ck == "cordon" and w.net and baseline is not None and s["native_median"] >= NET_MIN_NATIVE_S:
                    s["net"] = (s["median"] - baseline) / s["native_median"]
            if e.get("cpu") and len(e["cpu"]) == len(e.get("native_cpu", [])) and min(e["native_cpu"]) > 0:
                s["cpu_ratio"] = statistics.median([c / n for c, n in zip(e["cpu"], e["native_cpu"])])
            if ck == "cordon-lib" and w.key == "launch" and e["samples"]:
                s["per_launch_ms"] = s["median"] * 1000 / 200
            if ck == "cordon-lib" and w.key == "throughput" and e["samples"]:
                s["runs_per_s"] = s["median"]
            summary[w.key][ck] = s
    return summary, baseline


def config_title(key):
    return next(c.title for c in CONFIGS if c.key == key)


def fmt_s(x):
    if x is None:
        return "—"
    return f"{x * 1000:.1f} ms" if x < 1 else f"{x:.3f} s"


def render(meta, workloads, summary, baseline):
    L = []
    L.append("# Cordon benchmark results")
    L.append("")
    L.append(f"- date: {meta['date']}")
    L.append(f"- machine: {meta['cpu']}, {meta['cores']} cores, kernel {meta['kernel']}, {meta['os']}")
    L.append(f"- commit: `{meta['commit']}`{' (with uncommitted changes)' if meta['dirty'] else ''}")
    L.append(f"- run: `{meta['command']}`: {meta['rounds']} round{'' if meta['rounds'] == 1 else 's'}{', QUICK (loop counts / 4)' if meta['quick'] else ''}, "
             f"user {meta['user']}; total {meta['elapsed_s']:.0f} s")
    L.append(f"- tools: {meta['tools']}")
    L.append("")
    L.append("Medians over the rounds. *ratio* is the median of the per-round ratios configuration / native, each "
             "configuration run right after its native twin. *net* (Cordon CLI rows) subtracts the measured CLI "
             "start-up overhead (median `cordon run -- /bin/true` minus median native `/bin/true` = "
             + (f"{baseline * 1000:.1f} ms" if baseline is not None else "not measured") + ") before dividing: "
             "the cost of the kernel enforcement and the supervisor, without the JVM start; it is shown only where the native "
             f"run takes at least {NET_MIN_NATIVE_S} s, because the start-up itself varies by tens of ms. The *Cordon "
             "(library, warm JVM)* rows are the direct kernel-only measure: the workload runs once in a sandbox started "
             "from a warm JVM and is timed from start() to the end of the run (one launch, ~ms, included). Targets "
             "use them. *CPU ratio* is the median per-round ratio of CPU time (user + system of the command and "
             "the children it waited for) to the native twin's: less disturbed by other work on the machine than "
             "wall time, but blind to work done elsewhere (the supervisor's, for Cordon; the tracer's kernel side, "
             "for strace) and to waiting. Not shown for the CLI (the JVM's CPU is in it), bwrap (its pid-namespace init "
             "does not pass the program's CPU time on) or the launch rows.")
    L.append("")
    L.append("| workload | configuration | median | native median | ratio (per-round range) | net | CPU ratio | n | spread (min–max) |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for w in workloads:
        for ck, s in summary[w.key].items():
            title = config_title(ck)
            if s.get("error") and not s.get("n"):
                L.append(f"| {w.key} | {title} | **not run**: {s['error']} | | | | | 0 | |")
                continue
            if ck == "cordon-lib" and w.key == "throughput":
                med = f"{s['runs_per_s']:.0f} runs/s"
                spread = f"{s['min']:.0f}–{s['max']:.0f} runs/s"
            else:
                med = fmt_s(s.get("median"))
                if ck == "cordon-lib" and w.key == "launch":
                    med += f" ({s['per_launch_ms']:.2f} ms/launch)"
                spread = f"{fmt_s(s['min'])}–{fmt_s(s['max'])}"
            ratio = f"{s['ratio']:.3f}x ({s['ratio_min']:.2f}–{s['ratio_max']:.2f})" if "ratio" in s else "—"
            net = f"{s['net']:.3f}x" if "net" in s else "—"
            cpur = f"{s['cpu_ratio']:.3f}x" if "cpu_ratio" in s else "—"
            err = f" (failed later: {s['error']})" if s.get("error") else ""
            L.append(f"| {w.key} | {title} | {med}{err} | {fmt_s(s.get('native_median'))} | {ratio} | {net} | {cpur} | "
                     f"{s['n']} | {spread} |")
    L.append("")
    L.append("## Targets")
    L.append("")
    L.append("| target | measured | |")
    L.append("|---|---:|---|")
    for wk, ck, what, limit, desc in TARGETS:
        s = summary.get(wk, {}).get(ck)
        if not s or what not in s:
            L.append(f"| {desc} | — | not measured{': ' + s['error'] if s and s.get('error') else ''} |")
            continue
        v = s[what]
        ok = v >= -limit if limit < 0 else v <= limit
        shown = {"ratio": f"{v:.3f}x", "net": f"{v:.3f}x", "per_launch_ms": f"{v:.2f} ms", "runs_per_s": f"{v:.0f} runs/s",
                 "median": f"{v * 1000:.0f} ms"}[what]
        verdict = "met" if ok else "**missed**"
        if what == "ratio" and s["ratio_min"] <= limit <= s["ratio_max"]:
            verdict += f" (not conclusive: the per-round ratios range {s['ratio_min']:.2f}–{s['ratio_max']:.2f})"
        L.append(f"| {desc} | {shown} | {verdict} |")
    L.append("")
    L.append("## Workloads")
    L.append("")
    for w in workloads:
        L.append(f"- **{w.key}**: {w.title}")
    L.append("")
    L.append("## Notes")
    L.append("")
    for n in meta["notes"]:
        L.append(f"- {n}")
    L.append("")
    return "\n".join(L)


def machine_meta():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    osname = "Linux"
    try:
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                osname = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    git = lambda *a: subprocess.run(["git", "-C", HOME, *a], capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(), "os": osname,
            "commit": git("rev-parse", "--short", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def tool_versions(available):
    out = []
    for t, args in (("gcc", ["--version"]), ("bwrap", ["--version"]), ("strace", ["-V"]), ("make", ["--version"])):
        if t in available:
            v = subprocess.run([t, *args], capture_output=True, text=True).stdout.splitlines()
            out.append(v[0] if v else t)
    jv = subprocess.run([os.path.join(os.environ["JAVA_HOME"], "bin", "java"), "-version"], capture_output=True,
                        text=True).stderr.splitlines()
    out.append(jv[0] if jv else "java")
    return "; ".join(out)


def main():
    ap = argparse.ArgumentParser(prog="bench/run")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated workload keys")
    ap.add_argument("--configs", default="", help="comma-separated configuration keys (native is always run)")
    ap.add_argument("--out", default=os.path.join(BENCH, "results"))
    ap.add_argument("--command", default="bench/run")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("--render", metavar="JSON", help="only rewrite RESULTS.md from a results.json")
    a = ap.parse_args()
    if a.render:
        saved = json.load(open(a.render))
        keys = list(saved["samples"])
        workloads = [w for w in WORKLOADS if w.key in keys]
        summary, baseline = summarize(workloads, saved["samples"])
        md = render(saved["meta"], workloads, summary, baseline)
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "RESULTS.md"), "w") as f:
            f.write(md)
        saved["summary"], saved["cli_startup_overhead_s"] = summary, baseline
        with open(os.path.join(a.out, "results.json"), "w") as f:
            json.dump(saved, f, indent=1)
        print(md)
        return
    rounds = a.rounds or (2 if a.quick else 5)
    only = set(x for x in a.only.split(",") if x)
    unknown = only - {w.key for w in WORKLOADS}
    if unknown:
        sys.exit(f"bench/run: unknown workload {', '.join(sorted(unknown))}; "
                 f"known: {', '.join(w.key for w in WORKLOADS)}")
    configs = set(x for x in a.configs.split(",") if x)
    unknown = configs - {c.key for c in CONFIGS}
    if unknown:
        sys.exit(f"bench/run: unknown configuration {', '.join(sorted(unknown))}; "
                 f"known: {', '.join(c.key for c in CONFIGS)}")
    if configs:
        CONFIGS[:] = [c for c in CONFIGS if c.key in configs]
    available = {t for t in ("bwrap", "strace", "gcc", "make") if shutil.which(t)}
    tmp = tempfile.mkdtemp(prefix="cordon-bench-")
    ctx = Ctx(tmp, a.quick)
    log = lambda m: print(m, file=sys.stderr, flush=True)
    t0 = time.time()
    try:
        log(f"bench: inputs and drivers in {tmp}")
        setup(ctx)
        workloads, data = run_suite(ctx, rounds, only, available, log)
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    summary, baseline = summarize(workloads, data)
    meta = machine_meta()
    load = os.getloadavg()
    meta.update({
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": a.command, "rounds": rounds, "quick": a.quick, "user": f"uid {os.getuid()}",
        "elapsed_s": time.time() - t0, "tools": tool_versions(available),
        "notes": [
            f"The machine has {os.cpu_count()} cores and other work may have been running (load average at the end: "
            f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}); the interleaving cancels slow drifts, not bursts: read "
            "the spread column before trusting a small difference.",
            "Cordon (CLI) runs `./cordon run -q` with a policy allowing read /usr, execute /usr, /lib64 and the "
            "drivers' directory, write the temp work directory, env PATH, TMPDIR and LC_ALL. Started as root, "
            "the program runs as uid 65534; native, bwrap and strace run as the caller.",
            "Every Cordon CLI figure includes the JVM start-up (see the cli row); *net* removes it. The library "
            "rows run in one warm JVM (warm-up launches first, not timed) and time themselves.",
            "bwrap binds /usr (read-only), /lib64 (or its symlink) and the temp dir, with --unshare-all "
            "--die-with-parent. The launch row for bwrap is 200 bwrap runs of /bin/true from the same C driver.",
            "A configuration that fails is reported as not run with its error; no number is made up.",
            "The library rows include one sandbox launch (several ms here: see the launch row) in their time, which "
            "overstates the ratio of the short workloads (threads, ~10-40 ms natively); compare their difference to "
            "the per-launch cost before reading it as a per-syscall cost.",
        ]})
    os.makedirs(a.out, exist_ok=True)
    md = render(meta, workloads, summary, baseline)
    with open(os.path.join(a.out, "RESULTS.md"), "w") as f:
        f.write(md)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump({"meta": meta, "cli_startup_overhead_s": baseline, "summary": summary,
                   "samples": data}, f, indent=1)
    print(md)


if __name__ == "__main__":
    main()
