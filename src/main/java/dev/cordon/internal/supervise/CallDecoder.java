package dev.cordon.internal.supervise;

import dev.cordon.internal.sys.Sys;
import dev.cordon.internal.syscalls.Arch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a notified call into what strace would print: {@code socket(AF_INET, SOCK_DGRAM, 0)}. Register values
 * are decoded by type; strings are read from the caller's memory only for display, never to decide.
 */
public final class CallDecoder {
    private CallDecoder() {}

    private static final Map<Integer, String> FAMILIES = Map.ofEntries(Map.entry(0, "AF_UNSPEC"), Map.entry(1, "AF_UNIX"),
            Map.entry(2, "AF_INET"), Map.entry(10, "AF_INET6"), Map.entry(16, "AF_NETLINK"), Map.entry(17, "AF_PACKET"),
            Map.entry(38, "AF_ALG"), Map.entry(40, "AF_VSOCK"), Map.entry(44, "AF_XDP"), Map.entry(31, "AF_BLUETOOTH"),
            Map.entry(4, "AF_IPX"), Map.entry(5, "AF_APPLETALK"), Map.entry(9, "AF_X25"), Map.entry(15, "AF_KEY"),
            Map.entry(29, "AF_CAN"), Map.entry(30, "AF_TIPC"), Map.entry(36, "AF_IEEE802154"), Map.entry(41, "AF_KCM"),
            Map.entry(42, "AF_QIPCRTR"), Map.entry(43, "AF_SMC"), Map.entry(45, "AF_MCTP"), Map.entry(132, "IPPROTO_SCTP"));
    private static final String[] SOCK_TYPES = {null, "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM",
            "SOCK_SEQPACKET", "SOCK_DCCP", null, null, null, "SOCK_PACKET"};
    private static final String[][] CLONE_FLAGS = {{"0x100", "CLONE_VM"}, {"0x200", "CLONE_FS"},
            {"0x400", "CLONE_FILES"}, {"0x800", "CLONE_SIGHAND"}, {"0x1000", "CLONE_PIDFD"}, {"0x2000", "CLONE_PTRACE"},
            {"0x4000", "CLONE_VFORK"}, {"0x8000", "CLONE_PARENT"}, {"0x10000", "CLONE_THREAD"},
            {"0x20000", "CLONE_NEWNS"}, {"0x40000", "CLONE_SYSVSEM"}, {"0x80000", "CLONE_SETTLS"},
            {"0x100000", "CLONE_PARENT_SETTID"}, {"0x200000", "CLONE_CHILD_CLEARTID"}, {"0x800000", "CLONE_UNTRACED"},
            {"0x1000000", "CLONE_CHILD_SETTID"}, {"0x2000000", "CLONE_NEWCGROUP"}, {"0x4000000", "CLONE_NEWUTS"},
            {"0x8000000", "CLONE_NEWIPC"}, {"0x10000000", "CLONE_NEWUSER"}, {"0x20000000", "CLONE_NEWPID"},
            {"0x40000000", "CLONE_NEWNET"}, {"0x80000000", "CLONE_IO"}};
    private static final String[][] MSG_FLAGS = {{"0x1", "MSG_OOB"}, {"0x40", "MSG_DONTWAIT"},
            {"0x4000", "MSG_NOSIGNAL"}, {"0x20000000", "MSG_FASTOPEN"}};
    private static final String[][] MFD_FLAGS = {{"0x1", "MFD_CLOEXEC"}, {"0x2", "MFD_ALLOW_SEALING"},
            {"0x4", "MFD_HUGETLB"}, {"0x8", "MFD_NOEXEC_SEAL"}, {"0x10", "MFD_EXEC"}};
    private static final Map<Long, String> IOCTLS = Map.of(0x5412L, "TIOCSTI", 0x541CL, "TIOCLINUX");
    private static final String[][] OPEN_FLAGS = {{"0100", "O_CREAT"}, {"0200", "O_EXCL"}, {"0400", "O_NOCTTY"},
            {"01000", "O_TRUNC"}, {"02000", "O_APPEND"}, {"04000", "O_NONBLOCK"}, {"010000", "O_DSYNC"},
            {"040000", "O_DIRECT"}, {"0200000", "O_DIRECTORY"}, {"0400000", "O_NOFOLLOW"}, {"01000000", "O_NOATIME"},
            {"02000000", "O_CLOEXEC"}, {"010000000", "O_PATH"}, {"020000000", "O_TMPFILE"}, {"04010000", "O_SYNC"}};

    public static String decode(Arch arch, Notification n) {
        String name = arch.name(n.nr());
        if (name == null) return "syscall_" + n.nr() + "(...)";
        long[] a = n.args();
        List<String> args = new ArrayList<>();
        switch (name) {
            case "socket", "socketpair" -> {
                args.add(FAMILIES.getOrDefault((int) a[0], Long.toString(a[0])));
                args.add(sockType(a[1]));
                args.add(Long.toString((int) a[2]));
            }
            case "clone" -> args.add("flags=" + flags(a[0] & ~0xffL, CLONE_FLAGS) + ((a[0] & 0xff) == 17 ? "|SIGCHLD" : ""));
            case "unshare", "setns" -> {
                if (name.equals("setns")) args.add(Long.toString((int) a[0]));
                args.add(flags(a[name.equals("setns") ? 1 : 0], CLONE_FLAGS));
            }
            case "ioctl" -> {
                args.add(Long.toString((int) a[0]));
                args.add(IOCTLS.getOrDefault(a[1] & 0xffffffffL, hex(a[1])));
                args.add(hex(a[2]));
            }
            case "personality" -> args.add(hex(a[0] & 0xffffffffL));
            case "memfd_create" -> {
                args.add(quoted(n.pid(), a[0]));
                args.add(flags(a[1], MFD_FLAGS));
            }
            case "sendto" -> {
                args.add(Long.toString((int) a[0]));
                args.add(hex(a[1]));
                args.add(Long.toString(a[2]));
                args.add(flags(a[3], MSG_FLAGS));
            }
            case "sendmsg" -> {
                args.add(Long.toString((int) a[0]));
                args.add(hex(a[1]));
                args.add(flags(a[2], MSG_FLAGS));
            }
            case "ptrace" -> {
                args.add(Long.toString(a[0]));
                args.add(Long.toString((int) a[1]));
            }
            case "kill", "tkill" -> {
                args.add(Long.toString((int) a[0]));
                args.add(Long.toString((int) a[1]));
            }
            case "mount", "chroot", "pivot_root", "swapon", "swapoff", "acct", "umount2" -> args.add(quoted(n.pid(), a[0]));
            case "execve" -> args.add(quoted(n.pid(), a[0]));
            case "execveat" -> {
                args.add(dirfd(a[0]));
                args.add(quoted(n.pid(), a[1]));
            }
            case "open" -> {
                args.add(quoted(n.pid(), a[0]));
                args.add(openFlags(a[1]));
                if ((a[1] & 0100) != 0) args.add(octal(a[2]));
            }
            case "creat" -> {
                args.add(quoted(n.pid(), a[0]));
                args.add(octal(a[1]));
            }
            case "openat", "openat2" -> {
                args.add(dirfd(a[0]));
                args.add(quoted(n.pid(), a[1]));
                if (name.equals("openat")) {
                    args.add(openFlags(a[2]));
                    if ((a[2] & 0100) != 0) args.add(octal(a[3]));
                } else {
                    byte[] how = Sys.readBytes(n.pid(), a[2], 16);
                    if (how == null) {
                        args.add(hex(a[2]));
                    } else {
                        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(how).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                        args.add("{flags=" + openFlags(b.getLong(0)) + ", mode=" + octal(b.getLong(8)) + "}");
                    }
                }
            }
            case "stat", "lstat", "access", "readlink", "statfs", "chdir", "getxattr", "lgetxattr", "listxattr",
                 "llistxattr", "setxattr", "lsetxattr", "removexattr", "lremovexattr", "utime", "utimes" -> {
                args.add(quoted(n.pid(), a[0]));
                if (name.endsWith("xattr") && !name.contains("list")) args.add(quoted(n.pid(), a[1]));
                if (name.equals("access")) args.add(Long.toString(a[1] & 7));
            }
            case "newfstatat", "statx", "faccessat", "faccessat2", "readlinkat", "futimesat", "utimensat" -> {
                args.add(dirfd(a[0]));
                args.add(quoted(n.pid(), a[1]));
            }
            case "chmod" -> {
                args.add(quoted(n.pid(), a[0]));
                args.add(octal(a[1]));
            }
            case "fchmod" -> {
                args.add(Long.toString((int) a[0]));
                args.add(octal(a[1]));
            }
            case "fchmodat" -> {
                args.add(dirfd(a[0]));
                args.add(quoted(n.pid(), a[1]));
                args.add(octal(a[2]));
            }
            case "chown", "lchown" -> {
                args.add(quoted(n.pid(), a[0]));
                args.add(Integer.toString((int) a[1]));
                args.add(Integer.toString((int) a[2]));
            }
            case "fchown" -> {
                args.add(Long.toString((int) a[0]));
                args.add(Integer.toString((int) a[1]));
                args.add(Integer.toString((int) a[2]));
            }
            case "fchownat" -> {
                args.add(dirfd(a[0]));
                args.add(quoted(n.pid(), a[1]));
                args.add(Integer.toString((int) a[2]));
                args.add(Integer.toString((int) a[3]));
            }
            case "fsetxattr", "fremovexattr" -> {
                args.add(Long.toString((int) a[0]));
                args.add(quoted(n.pid(), a[1]));
            }
            case "connect", "bind" -> {
                args.add(Long.toString((int) a[0]));
                args.add(sockaddr(n.pid(), a[1], a[2]));
                args.add(Long.toString((int) a[2]));
            }
            default -> {
                for (int i = 0; i < 3; i++) args.add(hex(a[i]));
            }
        }
        return name + "(" + String.join(", ", args) + ")";
    }

    /**
     * As {@link #decode}, with the first string argument replaced by {@code path}: the object a decision was made
     * on, where the string in the program's memory may have been rewritten since.
     */
    public static String decode(Arch arch, Notification n, String path) {
        String call = decode(arch, n);
        if (path == null) return call;
        String shown = "\"" + path.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|NULL|0x[0-9a-f]+").matcher(call);
        int open = call.indexOf('(');
        // The first pointer argument shown (a string, NULL or an address) is the path.
        if (!m.find(open + 1) || !m.group().startsWith("\"")) return call;
        return call.substring(0, m.start()) + shown + call.substring(m.end());
    }

    static String openFlags(long flags) {
        String mode = switch ((int) (flags & 3)) {
            case 0 -> "O_RDONLY";
            case 1 -> "O_WRONLY";
            case 2 -> "O_RDWR";
            default -> "O_ACCMODE";
        };
        long rest = flags & ~3L;
        return rest == 0 ? mode : mode + "|" + flags(rest, OPEN_FLAGS);
    }

    static String octal(long mode) {
        return String.format("0%03o", mode & 07777);
    }

    static String dirfd(long fd) {
        return (int) fd == -100 ? "AT_FDCWD" : Long.toString((int) fd);
    }

    /** {@code {AF_INET, 127.0.0.1:8080}}, {@code {AF_INET6, [::1]:80}}, {@code {AF_UNIX, "/path"}}. */
    static String sockaddr(int pid, long address, long length) {
        byte[] b = Sys.readBytes(pid, address, (int) Math.min(Math.max(length, 0), 110));
        if (b == null || b.length < 2) return hex(address);
        int family = (b[0] & 0xff) | (b[1] & 0xff) << 8;
        int port = b.length >= 4 ? (b[2] & 0xff) << 8 | (b[3] & 0xff) : 0;
        try {
            if (family == 2 && b.length >= 8) {
                return "{AF_INET, " + java.net.InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, 4, 8)).getHostAddress()
                        + ":" + port + "}";
            }
            if (family == 10 && b.length >= 24) {
                return "{AF_INET6, [" + java.net.InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, 8, 24)).getHostAddress()
                        + "]:" + port + "}";
            }
        } catch (java.net.UnknownHostException e) {
            return hex(address);
        }
        if (family == 1) {
            int end = 2;
            while (end < b.length && b[end] != 0) end++;
            return "{AF_UNIX, \"" + new String(b, 2, end - 2, java.nio.charset.StandardCharsets.UTF_8) + "\"}";
        }
        return "{" + FAMILIES.getOrDefault(family, Integer.toString(family)) + ", ...}";
    }

    private static String sockType(long type) {
        int base = (int) (type & 0xf);
        String s = base < SOCK_TYPES.length && SOCK_TYPES[base] != null ? SOCK_TYPES[base] : Integer.toString(base);
        if ((type & 0x800) != 0) s += "|SOCK_NONBLOCK";
        if ((type & 0x80000) != 0) s += "|SOCK_CLOEXEC";
        return s;
    }

    static String flags(long value, String[][] table) {
        List<String> names = new ArrayList<>();
        long rest = value;
        for (String[] f : table) {
            long bit = f[0].startsWith("0") && !f[0].startsWith("0x") ? Long.parseLong(f[0], 8) : Long.decode(f[0]);
            if ((value & bit) == bit && bit != 0) {
                names.add(f[1]);
                rest &= ~bit;
            }
        }
        if (rest != 0 || names.isEmpty()) names.add(hex(rest));
        return String.join("|", names);
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private static String quoted(int pid, long address) {
        if (address == 0) return "NULL";
        String s = Sys.readString(pid, address, 4096);
        return s == null ? hex(address) : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
