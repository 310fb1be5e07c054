#!/usr/bin/env python3
"""Turns JMH's JSON result into bench/results/JMH.md, with the targets and the per-call supervisor round trip."""
import datetime, json, os, platform, subprocess, sys

results = json.load(open(sys.argv[1]))
command = sys.argv[2] if len(sys.argv) > 2 else "bench/run --jmh"
home = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
commit = subprocess.run(["git", "-C", home, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
by = {}
print("# Cordon JMH results\n")
print(f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
print(f"- machine: {cpu}, {os.cpu_count()} cores, kernel {platform.release()}; load average {os.getloadavg()[0]:.2f}")
print(f"- commit: `{commit}`; run: `{command}`")
if results:
    r0 = results[0]
    print(f"- JMH {r0.get('jmhVersion')}, JVM {r0.get('vmVersion')}; warm-up {r0.get('warmupIterations')} x "
          f"{r0.get('warmupTime')}, measurement {r0.get('measurementIterations')} x {r0.get('measurementTime')}, "
          f"forks {r0.get('forks')}")
print("\n| benchmark | mode | threads | score | error (99.9%) | unit |")
print("|---|---|---:|---:|---:|---|")
for r in results:
    name = r["benchmark"].rsplit(".", 1)[-1]
    m = r["primaryMetric"]
    by[name] = m
    err = m.get("scoreError")
    err = f"± {err:.3f}" if isinstance(err, (int, float)) and err == err else "—"
    print(f"| {name} | {r['mode']} | {r['threads']} | {m['score']:.3f} | {err} | {m['scoreUnit']} |")
print("\n## Targets\n")
print("| target | measured | |")
print("|---|---:|---|")
def verdict(m, ok, limit):
    v, err = m["score"], m.get("scoreError")
    out = "met" if ok else "**missed**"
    if isinstance(err, (int, float)) and err == err and v - err <= limit <= v + err:
        out += f" (not conclusive: {v:.2f} ± {err:.2f} {m['scoreUnit']} includes the limit)"
    return out


if "launchTrue" in by:
    m = by["launchTrue"]
    print(f"| library launch of /bin/true, full policy, warm JVM <= 1.5 ms | {m['score']:.3f} ms | "
          f"{verdict(m, m['score'] <= 1.5, 1.5)} |")
if "launchTrueThreads4" in by:
    m = by["launchTrueThreads4"]
    print(f"| >= 500 sandboxed runs/s, 4 threads | {m['score']:.0f} runs/s | {verdict(m, m['score'] >= 500, 500)} |")
print()
if "setsidLoopSandboxed" in by and "setsidLoopNative" in by:
    d = (by["setsidLoopSandboxed"]["score"] - by["setsidLoopNative"]["score"]) * 1e3 / 10000
    launch = by.get("launchTrue", {}).get("score")
    print(f"Supervisor round trip per notified syscall: (setsidLoopSandboxed - setsidLoopNative) / 10k = **{d:.1f} µs** "
          + (f"(this includes the sandbox launch, {launch:.2f} ms from launchTrue, spread over 10k calls: "
             f"{(launch - by.get('launchTrueNative', {}).get('score', 0)) * 1e3 / 10000:.2f} µs of it)." if launch else "."))
    print()
print("launchTrueNative and setsidLoopNative are the JDK's ProcessBuilder doing the same, for scale. "
      "Defaults are short (2 warm-up and 3 measured iterations, 1 fork): for stable figures run "
      "`bench/run --jmh -wi 5 -w 2s -i 10 -r 2s -f 2`.")
