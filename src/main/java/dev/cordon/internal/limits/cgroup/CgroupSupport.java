package dev.cordon.internal.limits.cgroup;

/** The result of {@link Cgroups#detect()}: a usable driver, or why there is none. */
public sealed interface CgroupSupport permits CgroupDriver, CgroupSupport.Unavailable {

    /** No usable cgroup hierarchy; {@code reason} says why and how to get one. Cordon falls back to rlimits. */
    record Unavailable(String reason) implements CgroupSupport {}
}
