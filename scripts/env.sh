# Sourced by ./cordon and ./run-tests: finds a JDK >= 25 and Maven, builds Cordon when its sources changed.
# Output of the build goes to stderr, so that a program's own stdout stays clean.

CORDON_HOME=${CORDON_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
# Maven's own libraries use sun.misc.Unsafe, which JDK 24+ warns about on every build.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow -Dstyle.color=never"

cordon_java_version() { # prints the feature version of the JDK at $1, or nothing (bash builtins only: no fork)
    local line
    [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && [ -f "$1/release" ] || return 0
    while IFS= read -r line; do
        if [[ $line =~ ^JAVA_VERSION=\"([0-9]+) ]]; then echo "${BASH_REMATCH[1]}"; return 0; fi
    done < "$1/release"
}

cordon_find_jdk() {
    local candidate version
    # The common case first, without forking: $JAVA_HOME already names a JDK >= 25.
    if [ -n "${JAVA_HOME:-}" ]; then
        version=$(cordon_java_version "$JAVA_HOME")
        if [ -n "$version" ] && [ "$version" -ge 25 ]; then export JAVA_HOME; return 0; fi
    fi
    for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-2[5-9]-jdk-* /usr/lib/jvm/java-2[5-9]-openjdk-* \
                     /usr/lib/jvm/jdk-2[5-9]* /usr/lib/jvm/* /opt/java/* /opt/jdk* \
                     "$(dirname "$(dirname "$(readlink -f "$(command -v javac 2>/dev/null || echo /nonexistent)")")")"; do
        [ -n "$candidate" ] && [ -d "$candidate" ] || continue
        version=$(cordon_java_version "$candidate")
        if [ -n "$version" ] && [ "$version" -ge 25 ]; then
            JAVA_HOME=$candidate
            export JAVA_HOME
            return 0
        fi
    done
    echo "cordon: needs a JDK 25 or newer and found none (looked at \$JAVA_HOME and /usr/lib/jvm)." >&2
    echo "cordon: install one, e.g. 'apt-get install temurin-25-jdk' (Adoptium repository) or unpack a JDK 25" >&2
    echo "cordon: and set JAVA_HOME to it." >&2
    exit 125
}

cordon_find_maven() {
    if ! command -v mvn >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "cordon: installing Maven (apt-get install maven)" >&2
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq maven; } >&2 || true
        fi
        command -v mvn >/dev/null 2>&1 || { echo "cordon: needs Apache Maven 3.8+ to build: install it (apt-get install maven)" >&2; exit 125; }
    fi
}

# Builds target/cordon.jar and target/lib when any source is newer than the last build, and (re)trains the AOT
# cache when the jar is newer than it: a jar rebuilt by anything else (mvn package, ./run-tests) makes the JVM
# refuse the old cache silently, and the CLI then starts without any class sharing at all (~1.3 s instead of ~0.1 s).
# Whether any file or directory under src/main, or pom.xml, is newer than the stamp $1. Bash's own globbing and
# -nt, not find: no fork on every run (find cost 3-7 ms of the CLI's start-up here). The three glob options are off
# in a non-interactive bash, and are turned off again.
cordon_sources_newer() {
    local f newer=1
    shopt -s globstar dotglob nullglob
    for f in "$CORDON_HOME/src/main"/** "$CORDON_HOME/pom.xml"; do
        if [[ $f -nt $1 ]]; then newer=0; break; fi
    done
    shopt -u globstar dotglob nullglob
    return $newer
}

cordon_build_if_needed() {
    local stamp="$CORDON_HOME/target/.built" jar=$CORDON_JAR
    if [ -f "$stamp" ] && [ -f "$jar" ] && ! cordon_sources_newer "$stamp"; then
        if ! [ "$CORDON_HOME/target/.aot-trained" -nt "$jar" ]; then
            echo "cordon: the jar was rebuilt: training the start-up cache again..." >&2
            cordon_train_aot_cache
        fi
        return 0
    fi
    cordon_find_maven
    echo "cordon: building (first use or sources changed)..." >&2
    # Maven 3.8 in quiet batch mode still emits bare colour resets: drop them.
    (cd "$CORDON_HOME" && set -o pipefail && mvn -q -B -ntp -DskipTests package 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2) \
        || { echo "cordon: build failed" >&2; exit 125; }
    touch "$stamp"
    cordon_train_aot_cache
}

# JDK 25's AOT caches (JEP 483/514/515): classes of the CLI's start-up and launch path loaded and linked ahead of
# time, trained by dev.cordon.cli.Training. Two: target/cordon.aot for runs given by options, target/cordon-files.aot
# (with TOML and Jackson databind) for policy files, profiles and the other subcommands: the JVM loads every class of
# its cache at start, so the plain cache stays small. A start-up cost the CLI user pays on every run; see README.
# .aot-trained records the attempt, so that a JVM that cannot write a cache is not asked again on every run.
cordon_train_aot_cache() {
    local kind aot
    for kind in plain files; do
        aot="$CORDON_HOME/target/cordon.aot"
        [ $kind = plain ] || aot="$CORDON_HOME/target/cordon-$kind.aot"
        rm -f "$aot" 2>/dev/null
        "$JAVA_HOME/bin/java" -XX:AOTCacheOutput="$aot" -Xlog:aot=off -Xlog:cds=off \
            -XX:+UseSerialGC --enable-native-access=dev.cordon -p "$CORDON_MODULE_PATH" \
            -m dev.cordon/dev.cordon.cli.Training $kind >/dev/null 2>&1 || rm -f "$aot"
    done
    touch "$CORDON_HOME/target/.aot-trained" 2>/dev/null || true
}

# Sets CORDON_JVM_OPTIONS (an array) for a CLI run with arguments "$@"; the cache is chosen by the arguments. No
# forks. Measured on the CLI's start-up (README, "Speed"): the serial collector and C1 only start fastest, and
# compiling later (thresholds x10) cuts a quarter of the start-up's CPU time, C1 compiling code that runs once;
# the supervisor's hot paths are still compiled after a few thousand calls. -AOTReplayTraining: the cache's
# training profiles (JEP 515) would have a thread compile, at start, every method the training run compiled:
# 20-35 ms of CPU for a plain run, for code that mostly runs once (diagnostic flag, hence the unlock).
cordon_jvm_options() {
    local aot="$CORDON_HOME/target/cordon.aot" arg
    case "${1:-}" in
        run|trace)
            for arg in "$@"; do
                case "$arg" in
                    --) break ;;
                    --policy|--policy=*|--profile|--profile=*) aot="$CORDON_HOME/target/cordon-files.aot"; break ;;
                esac
            done ;;
        *) aot="$CORDON_HOME/target/cordon-files.aot" ;;
    esac
    CORDON_JVM_OPTIONS=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CompileThresholdScaling=10 -XX:-UsePerfData -Xlog:aot=off -Xlog:cds=off
        -XX:+UnlockDiagnosticVMOptions -XX:-AOTReplayTraining)
    if [ -f "$aot" ]; then CORDON_JVM_OPTIONS+=("-XX:AOTCache=$aot"); fi
}

CORDON_JAR=$CORDON_HOME/target/cordon-0.1.0-SNAPSHOT.jar
CORDON_MODULE_PATH=$CORDON_JAR:$CORDON_HOME/target/lib

cordon_module_path() {
    echo "$CORDON_MODULE_PATH"
}
