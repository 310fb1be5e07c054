# Sourced by ./cordon and ./run-tests: finds a JDK >= 25 and Maven, builds Cordon when its sources changed.
# Output of the build goes to stderr, so that a program's own stdout stays clean.

CORDON_HOME=${CORDON_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
# Maven's own libraries use sun.misc.Unsafe, which JDK 24+ warns about on every build.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow -Dstyle.color=never"

cordon_java_version() { # prints the feature version of the JDK at $1, or nothing
    local release="$1/release"
    [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && [ -f "$release" ] || return 0
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release"
}

cordon_find_jdk() {
    local candidate version
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

# Builds target/cordon.jar and target/lib when any source is newer than the last build.
cordon_build_if_needed() {
    local stamp="$CORDON_HOME/target/.built"
    if [ -f "$stamp" ] && [ -z "$(find "$CORDON_HOME/src/main" "$CORDON_HOME/pom.xml" -newer "$stamp" -print -quit)" ]; then
        return 0
    fi
    cordon_find_maven
    echo "cordon: building (first use or sources changed)..." >&2
    # Maven 3.8 in quiet batch mode still emits bare colour resets: drop them.
    (cd "$CORDON_HOME" && set -o pipefail && mvn -q -B -ntp -DskipTests package 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2) \
        || { echo "cordon: build failed" >&2; exit 125; }
    cordon_train_aot_cache
    touch "$stamp"
}

# JDK 25's AOT cache (JEP 483/514/515): classes of the CLI's start-up and launch path loaded and linked ahead of
# time, trained by one sandboxed /bin/true. A start-up cost the CLI user pays on every run; see README, "Speed".
cordon_train_aot_cache() {
    rm -f "$CORDON_HOME/target/cordon.aot"
    "$JAVA_HOME/bin/java" -XX:AOTCacheOutput="$CORDON_HOME/target/cordon.aot" -Xlog:aot=off -Xlog:cds=off \
        -Dcordon.jvmExit=true \
        -XX:+UseSerialGC --enable-native-access=dev.cordon -p "$(cordon_module_path)" \
        -m dev.cordon/dev.cordon.cli.Main run -q --best-effort --exec /usr --exec /lib64 -- /bin/true \
        >/dev/null 2>&1 || rm -f "$CORDON_HOME/target/cordon.aot"
}

cordon_jvm_options() {
    echo "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xlog:aot=off -Xlog:cds=off"
    if [ -f "$CORDON_HOME/target/cordon.aot" ]; then echo "-XX:AOTCache=$CORDON_HOME/target/cordon.aot"; fi
}

cordon_module_path() {
    echo "$CORDON_HOME/target/cordon-0.1.0-SNAPSHOT.jar:$CORDON_HOME/target/lib"
}
