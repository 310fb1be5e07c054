package dev.cordon.internal.limits.cgroup;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** What /proc/self/mountinfo and /proc/self/cgroup say about cgroup mounts and our own cgroups. */
final class ProcSelf {
    private ProcSelf() {}

    /** One cgroup filesystem mount: {@code root} is the cgroup path shown at {@code mountPoint}. */
    record Mount(String root, Path mountPoint, String fsType, Set<String> superOptions) {
        /** The directory of a cgroup path (as in /proc/self/cgroup) below this mount. */
        Path dirOf(String cgroupPath) {
            String rel = cgroupPath;
            if (!root.equals("/") && (rel.equals(root) || rel.startsWith(root + "/"))) rel = rel.substring(root.length());
            rel = rel.replaceFirst("^/+", "");
            return rel.isEmpty() ? mountPoint : mountPoint.resolve(rel);
        }
    }

    /** One line of /proc/self/cgroup: {@code 4:memory:/a/b}, or {@code 0::/a/b} for cgroup v2. */
    record Membership(int id, Set<String> controllers, String path) {}

    static List<Mount> cgroupMounts(String mountinfo) {
        List<Mount> mounts = new ArrayList<>();
        for (String line : mountinfo.split("\n")) {
            // id parent major:minor root mountpoint options [optional fields...] - fstype source superoptions
            int dash = line.indexOf(" - ");
            if (dash < 0) continue;
            String[] a = line.substring(0, dash).split(" ");
            String[] b = line.substring(dash + 3).split(" ");
            if (a.length < 5 || b.length < 3) continue;
            String fs = b[0];
            if (!fs.equals("cgroup") && !fs.equals("cgroup2")) continue;
            mounts.add(new Mount(unescape(a[3]), Path.of(unescape(a[4])), fs, Set.of(b[2].split(","))));
        }
        return mounts;
    }

    static List<Membership> memberships(String procCgroup) {
        List<Membership> list = new ArrayList<>();
        for (String line : procCgroup.split("\n")) {
            if (line.isBlank()) continue;
            String[] f = line.split(":", 3);
            if (f.length < 3) continue;
            Set<String> controllers = f[1].isEmpty() ? Set.of() : Set.of(f[1].split(","));
            list.add(new Membership(Integer.parseInt(f[0]), controllers, f[2]));
        }
        return list;
    }

    /** mountinfo escapes space, tab, newline and backslash as octal (\040). */
    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 4 <= s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
