package dev.cordon.internal.supervise;

import dev.cordon.internal.sys.FileMeta;

/**
 * The file-system identity (fsuid, fsgid) of a root supervisor thread, which performs a program's metadata reads
 * with the program's ids ({@link MetadataCalls}). A switch is not cheap: each setfsuid or setfsgid goes through
 * commit_creds (2.3 us here, where commit_creds is watched by a BPF probe), and switching there and back costs
 * four per call. So the identity is switched lazily and kept between metadata reads, and switched back only
 * before the thread does anything else: any other decision ({@link #own}), a timer, an exit.
 */
public final class FsIdentity {
    private static final ThreadLocal<FsIdentity> STATE = ThreadLocal.withInitial(FsIdentity::new);

    private boolean switched;
    private int uid, gid, ownUid, ownGid;

    private FsIdentity() {}

    /** Gives the calling thread the file-system identity {@code uid}, {@code gid}, unless it has it already. */
    static void become(int uid, int gid) {
        FsIdentity s = STATE.get();
        if (s.switched && s.uid == uid && s.gid == gid) return;
        // The group first: CAP_SETGID is kept by setfsuid, but the order mirrors the way back.
        int oldGid = FileMeta.setfsgid(gid);
        int oldUid = FileMeta.setfsuid(uid);
        if (!s.switched) {
            s.ownUid = oldUid;
            s.ownGid = oldGid;
        }
        s.switched = true;
        s.uid = uid;
        s.gid = gid;
    }

    /** Gives the calling thread its own file-system identity back, if it was switched: cheap otherwise. */
    public static void own() {
        FsIdentity s = STATE.get();
        if (!s.switched) return;
        FileMeta.setfsuid(s.ownUid);
        FileMeta.setfsgid(s.ownGid);
        s.switched = false;
    }
}
