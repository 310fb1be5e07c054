package dev.cordon.internal.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * glibc's {@code posix_spawn}: clone(CLONE_VM|CLONE_VFORK) and execve, with no Java code in the child.
 * Everything is prepared in memory first ({@link #prepare}), so that the launch thread, once it has
 * restricted itself, only has to make the call.
 */
public final class Spawn {
    private Spawn() {}

    private static final short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;
    /** Generous upper bounds of posix_spawnattr_t (336 on x86_64) and posix_spawn_file_actions_t (80). */
    private static final long ATTR_SIZE = 512, ACTIONS_SIZE = 256, SIGSET_SIZE = 128;

    private static final Native.Sym POSIX_SPAWN = new Native.Sym("posix_spawn");
    private static final Native.Sym ACTIONS_INIT = new Native.Sym("posix_spawn_file_actions_init");
    private static final Native.Sym ACTIONS_DESTROY = new Native.Sym("posix_spawn_file_actions_destroy");
    private static final Native.Sym ADD_DUP2 = new Native.Sym("posix_spawn_file_actions_adddup2");
    private static final Native.Sym ADD_CLOSEFROM = new Native.Sym("posix_spawn_file_actions_addclosefrom_np");
    private static final Native.Sym ADD_CHDIR = new Native.Sym("posix_spawn_file_actions_addchdir_np");
    private static final Native.Sym ATTR_INIT = new Native.Sym("posix_spawnattr_init");
    private static final Native.Sym ATTR_DESTROY = new Native.Sym("posix_spawnattr_destroy");
    private static final Native.Sym ATTR_SETFLAGS = new Native.Sym("posix_spawnattr_setflags");
    private static final Native.Sym ATTR_SETSIGMASK = new Native.Sym("posix_spawnattr_setsigmask");
    private static final Native.Sym ATTR_SETSIGDEFAULT = new Native.Sym("posix_spawnattr_setsigdefault");
    private static final Native.Sym SIGEMPTYSET = new Native.Sym("sigemptyset");
    private static final Native.Sym SIGFILLSET = new Native.Sym("sigfillset");

    /**
     * A spawn ready to run: argv, envp, file actions (child fd {@code i} becomes a copy of parent fd
     * {@code stdio[i]}; every other descriptor is closed), working directory, default signal dispositions,
     * an empty signal mask and a new session.
     */
    public static final class Prepared implements AutoCloseable {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment path, argv, envp, actions, attr, pid;
        private final String pathString;

        private Prepared(String path, List<String> args, List<String> env, int[] stdio, String cwd) {
            this.pathString = path;
            this.path = arena.allocateFrom(path);
            this.argv = stringArray(args);
            this.envp = stringArray(env);
            this.pid = arena.allocate(JAVA_INT);
            this.actions = arena.allocate(ACTIONS_SIZE, 16);
            this.attr = arena.allocate(ATTR_SIZE, 16);
            check("posix_spawn_file_actions_init", invoke(ACTIONS_INIT, actions));
            for (int target = 0; target < stdio.length; target++) {
                check("posix_spawn_file_actions_adddup2", invoke(ADD_DUP2, actions, stdio[target], target));
            }
            check("posix_spawn_file_actions_addclosefrom_np", invoke(ADD_CLOSEFROM, actions, stdio.length));
            if (cwd != null) {
                check("posix_spawn_file_actions_addchdir_np", invoke(ADD_CHDIR, actions, arena.allocateFrom(cwd)));
            }
            check("posix_spawnattr_init", invoke(ATTR_INIT, attr));
            MemorySegment empty = arena.allocate(SIGSET_SIZE, 8);
            MemorySegment all = arena.allocate(SIGSET_SIZE, 8);
            invoke(SIGEMPTYSET, empty);
            invoke(SIGFILLSET, all);
            check("posix_spawnattr_setsigmask", invoke(ATTR_SETSIGMASK, attr, empty));
            check("posix_spawnattr_setsigdefault", invoke(ATTR_SETSIGDEFAULT, attr, all));
            short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID;
            check("posix_spawnattr_setflags", invoke(ATTR_SETFLAGS, attr, flags));
        }

        private MemorySegment stringArray(List<String> strings) {
            MemorySegment array = arena.allocate(ADDRESS, strings.size() + 1);
            for (int i = 0; i < strings.size(); i++) {
                array.setAtIndex(ADDRESS, i, arena.allocateFrom(strings.get(i)));
            }
            array.setAtIndex(ADDRESS, strings.size(), MemorySegment.NULL);
            return array;
        }

        /** Spawns the child; returns its pid. posix_spawn returns only once the child has exec'd or failed. */
        public int spawn() {
            int err = Native.call(POSIX_SPAWN, pid.address(), path.address(), actions.address(), attr.address(),
                    argv.address(), envp.address());
            if (err != 0) throw new SyscallException("posix_spawn", "\"" + pathString + "\"", err);
            return pid.get(JAVA_INT, 0);
        }

        @Override
        public void close() {
            invoke(ACTIONS_DESTROY, actions);
            invoke(ATTR_DESTROY, attr);
            arena.close();
        }
    }

    public static Prepared prepare(String path, List<String> argv, List<String> env, int[] stdio, String cwd) {
        return new Prepared(path, argv, env, stdio, cwd);
    }

    /** Creates every handle the launch path needs, so that a restricted launch thread links nothing. */
    public static void link() {
        for (Native.Sym fn : List.of(POSIX_SPAWN, ACTIONS_INIT, ACTIONS_DESTROY, ADD_DUP2, ADD_CLOSEFROM, ADD_CHDIR,
                ATTR_INIT, ATTR_DESTROY, ATTR_SETFLAGS, ATTR_SETSIGMASK, ATTR_SETSIGDEFAULT, SIGEMPTYSET, SIGFILLSET)) {
            Native.link(fn);
        }
        Native.link(Native.SYSCALL);
    }

    private static void check(String call, int err) {
        if (err != 0) throw new SyscallException(call, err);
    }

    private static int invoke(Native.Sym fn, MemorySegment a) {
        return Native.call(fn, a.address(), 0, 0, 0, 0, 0);
    }

    private static int invoke(Native.Sym fn, MemorySegment a, MemorySegment b) {
        return Native.call(fn, a.address(), b.address(), 0, 0, 0, 0);
    }

    private static int invoke(Native.Sym fn, MemorySegment a, long b) {
        return Native.call(fn, a.address(), b, 0, 0, 0, 0);
    }

    private static int invoke(Native.Sym fn, MemorySegment a, long b, long c) {
        return Native.call(fn, a.address(), b, c, 0, 0, 0);
    }
}
