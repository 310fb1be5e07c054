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
            default -> {
                for (int i = 0; i < 3; i++) args.add(hex(a[i]));
            }
        }
        return name + "(" + String.join(", ", args) + ")";
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
            long bit = Long.decode(f[0]);
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
