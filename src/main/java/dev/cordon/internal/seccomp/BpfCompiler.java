package dev.cordon.internal.seccomp;

import dev.cordon.internal.syscalls.Arch;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compiles a {@link FilterSpec} into a seccomp BPF program for one architecture.
 *
 * <p>Shape of the program:
 * <ol>
 *   <li>{@code arch} must be the native audit arch, else badArchAction;</li>
 *   <li>on x86_64, numbers with the x32 bit (unsigned {@code nr >= 0x40000000}) go to badArchAction, except
 *       {@code nr == -1} (tracers use it to skip a call), which falls through to the search and ends as
 *       unknown, as in libseccomp;</li>
 *   <li>a balanced binary search ({@code JGE} on split points) over ranges of numbers sharing one outcome:
 *       consecutive numbers with the same unconditional action form one range, numbers missing from the
 *       table get unknownSyscallAction, and everything above the table is one last range;</li>
 *   <li>a syscall with argument conditions gets a block: its rules sorted by severity (most restrictive
 *       first, stable), each rule's conditions ANDed, the first matching rule returns, and the default
 *       action ends the block. This implements the combining rule documented on {@link FilterSpec}.</li>
 * </ol>
 * 64-bit arguments are compared high half first, then low half (both supported arches are little endian:
 * {@code args[i]} low word at {@code 16+8i}, high word at {@code 20+8i}). RET instructions are shared in a
 * pool at the end; a conditional jump (8-bit offset) whose target is too far gets either a private copy
 * of the RET or a {@code JA} trampoline (32-bit offset) right after it. Every program is checked by
 * {@link BpfVerifier} before it is returned.
 */
public final class BpfCompiler {
    private BpfCompiler() {}

    /** An instruction under construction; jump targets are instructions, resolved to offsets at the end. */
    private static final class Node {
        final int code;
        final int k;
        Node jt, jf; // JA uses jt

        Node(int code, int k) {
            this.code = code;
            this.k = k;
        }

        boolean isRet() { return Bpf.cls(code) == Bpf.RET; }
        boolean isCondJump() { return Bpf.cls(code) == Bpf.JMP && Bpf.op(code) != Bpf.JA; }
    }

    /** A branch of a conditional jump still waiting for its target. */
    private record Branch(Node node, boolean taken) {
        void to(Node target) {
            if (taken) node.jt = target; else node.jf = target;
        }
    }

    /** A syscall whose rules have conditions: compiled to a block. */
    private record Block(int nr, List<Rule> rules) {}

    /** Numbers from {@code lo} up to the next segment share {@code outcome}: an Action or a Block. */
    private record Segment(long lo, Object outcome) {}

    public static BpfProgram compile(FilterSpec spec, Arch arch) {
        return new BpfCompiler.Emitter(spec).emit(arch);
    }

    private static final class Emitter {
        final FilterSpec spec;
        final List<Node> code = new ArrayList<>();
        final Map<Integer, Node> retPool = new LinkedHashMap<>();

        Emitter(FilterSpec spec) {
            this.spec = spec;
        }

        Node ret(Action a) {
            return retPool.computeIfAbsent(a.ret(), v -> new Node(Bpf.RET | Bpf.K, v));
        }

        Node add(int c, int k) {
            Node n = new Node(c, k);
            code.add(n);
            return n;
        }

        BpfProgram emit(Arch arch) {
            List<Segment> segments = segments(arch);

            add(Bpf.LD | Bpf.W | Bpf.ABS, Bpf.OFF_ARCH);
            Node archCheck = add(Bpf.JMP | Bpf.JEQ | Bpf.K, arch.auditArch);
            archCheck.jf = ret(spec.badArchAction());
            Node ldNr = add(Bpf.LD | Bpf.W | Bpf.ABS, Bpf.OFF_NR);
            archCheck.jt = ldNr;
            Node x32 = null, minusOne = null;
            if (arch.x32Bit != 0) {
                x32 = add(Bpf.JMP | Bpf.JGE | Bpf.K, arch.x32Bit);
                minusOne = add(Bpf.JMP | Bpf.JEQ | Bpf.K, -1);
                x32.jt = minusOne;
                minusOne.jf = ret(spec.badArchAction());
            }
            int before = code.size();
            Node search = search(segments, 0, segments.size());
            if (code.size() == before && x32 == null) {
                // one outcome for every number and nothing jumps to it: the load must not fall into the pool
                add(search.code, search.k);
            }
            if (x32 != null) {
                x32.jf = search;
                minusOne.jt = search;
            }
            List<Node> all = new ArrayList<>(code);
            all.addAll(retPool.values());
            return resolve(all);
        }

        /** Per-number outcomes merged into ranges. */
        List<Segment> segments(Arch arch) {
            Map<Integer, List<Rule>> byNr = new TreeMap<>();
            for (Rule r : spec.rules()) {
                int nr = arch.number(r.syscall()).orElseThrow(() -> new UnknownSyscallException(r.syscall(), arch));
                byNr.computeIfAbsent(nr, _ -> new ArrayList<>()).add(r);
            }
            List<Segment> segs = new ArrayList<>();
            for (int nr = 0; nr < arch.tableSize(); nr++) {
                Object outcome;
                if (arch.name(nr) == null) outcome = spec.unknownSyscallAction();
                else if (!byNr.containsKey(nr)) outcome = spec.defaultAction();
                else outcome = outcome(nr, byNr.get(nr));
                if (segs.isEmpty() || !sameOutcome(segs.getLast().outcome(), outcome)) segs.add(new Segment(nr, outcome));
            }
            if (segs.isEmpty() || !sameOutcome(segs.getLast().outcome(), spec.unknownSyscallAction())) {
                segs.add(new Segment(arch.tableSize(), spec.unknownSyscallAction()));
            }
            return segs;
        }

        /**
         * Whether two numbers' outcomes can share a range: the same action (the same 32-bit value returned), or
         * the same block. Not the records' equals: their generated equals runs through a method handle chain,
         * which costs the CLI's cold start several milliseconds over the ~460 numbers (README, "Speed"). A block
         * is made per number, so two numbers never share one.
         */
        static boolean sameOutcome(Object a, Object b) {
            if (a == b) return true;
            return a instanceof Action x && b instanceof Action y && x.ret() == y.ret();
        }

        /** Most restrictive first; rules after an unconditional one can never win and are dropped. */
        Object outcome(int nr, List<Rule> rules) {
            List<Rule> sorted = new ArrayList<>(rules);
            // A lambda of ours, not Comparator.comparingInt(...).reversed(): the JDK's lambda there is generated at
            // run time on every CLI start, ours is kept in the AOT cache. Stable: equal severities keep their order.
            sorted.sort((x, y) -> Integer.compare(y.action().severity(), x.action().severity()));
            List<Rule> live = new ArrayList<>();
            for (Rule r : sorted) {
                live.add(r);
                if (r.conditions().isEmpty()) break;
            }
            if (live.getFirst().conditions().isEmpty()) return live.getFirst().action();
            return new Block(nr, live);
        }

        Node search(List<Segment> segs, int from, int to) {
            if (to - from == 1) {
                // instanceof, not a pattern switch (start-up: see Action#severity).
                Object outcome = segs.get(from).outcome();
                if (outcome instanceof Action a) return ret(a);
                if (outcome instanceof Block b) return block(b);
                throw new IllegalStateException();
            }
            int mid = (from + to) >>> 1;
            Node j = add(Bpf.JMP | Bpf.JGE | Bpf.K, (int) segs.get(mid).lo());
            j.jf = search(segs, from, mid);
            j.jt = search(segs, mid, to);
            return j;
        }

        Node block(Block b) {
            int start = code.size();
            List<Branch> fail = List.of();
            boolean ended = false;
            for (Rule r : b.rules()) {
                if (r.conditions().isEmpty()) {
                    for (Branch br : fail) br.to(ret(r.action()));
                    ended = true;
                    break;
                }
                // the previous rule's failures lead to this rule's first instruction (patched below)
                List<Branch> pass = List.of();
                List<Branch> ruleFail = new ArrayList<>();
                for (int ci = 0; ci < r.conditions().size(); ci++) {
                    int before = code.size();
                    List<Branch> cPass = new ArrayList<>();
                    condition(r.conditions().get(ci), cPass, ruleFail);
                    Node first = code.get(before);
                    for (Branch br : (ci == 0 ? fail : pass)) br.to(first);
                    pass = cPass;
                }
                for (Branch br : pass) br.to(ret(r.action()));
                fail = ruleFail;
            }
            if (!ended) for (Branch br : fail) br.to(ret(spec.defaultAction()));
            return code.get(start);
        }

        /** Emits one 64-bit comparison; adds its exits to {@code pass} and {@code fail}. */
        void condition(Condition c, List<Branch> pass, List<Branch> fail) {
            int lo = Bpf.OFF_ARGS + 8 * c.arg(), hi = lo + 4;
            int vl = (int) c.value(), vh = (int) (c.value() >>> 32);
            int ml = (int) c.mask(), mh = (int) (c.mask() >>> 32);
            if (c.op() == Op.MASKED_EQ) {
                vl &= ml;
                vh &= mh;
            }
            add(Bpf.LD | Bpf.W | Bpf.ABS, hi);
            switch (c.op()) {
                case EQ, NE, MASKED_EQ -> {
                    if (c.op() == Op.MASKED_EQ && mh != -1) add(Bpf.ALU | Bpf.AND | Bpf.K, mh);
                    Node j1 = add(Bpf.JMP | Bpf.JEQ | Bpf.K, vh);
                    Node ld = add(Bpf.LD | Bpf.W | Bpf.ABS, lo);
                    j1.jt = ld;
                    if (c.op() == Op.MASKED_EQ && ml != -1) add(Bpf.ALU | Bpf.AND | Bpf.K, ml);
                    Node j2 = add(Bpf.JMP | Bpf.JEQ | Bpf.K, vl);
                    boolean ne = c.op() == Op.NE;
                    (ne ? pass : fail).add(new Branch(j1, false));
                    (ne ? fail : pass).add(new Branch(j2, true));
                    (ne ? pass : fail).add(new Branch(j2, false));
                }
                case GT, GE, LT, LE -> {
                    // GT/GE computed directly; LT = !GE and LE = !GT swap the exits.
                    boolean negate = c.op() == Op.LT || c.op() == Op.LE;
                    List<Branch> yes = negate ? fail : pass, no = negate ? pass : fail;
                    Node j1 = add(Bpf.JMP | Bpf.JGT | Bpf.K, vh);
                    Node j2 = add(Bpf.JMP | Bpf.JEQ | Bpf.K, vh);
                    j1.jf = j2;
                    Node ld = add(Bpf.LD | Bpf.W | Bpf.ABS, lo);
                    j2.jt = ld;
                    int lowOp = c.op() == Op.GT || c.op() == Op.LE ? Bpf.JGT : Bpf.JGE;
                    Node j3 = add(Bpf.JMP | lowOp | Bpf.K, vl);
                    yes.add(new Branch(j1, true));
                    no.add(new Branch(j2, false));
                    yes.add(new Branch(j3, true));
                    no.add(new Branch(j3, false));
                }
            }
        }
    }

    /** Lays the nodes out, adds trampolines for far conditional jumps, converts to instructions. */
    private static BpfProgram resolve(List<Node> all) {
        // Each pass finds every jump that is too far from one of its targets and inserts one trampoline after
        // it; the insertions can push other jumps too far, so passes repeat until none is. (One pass per
        // insertion, recomputing every position, made a 300-rule policy take milliseconds.)
        boolean changed = true;
        while (changed) {
            changed = false;
            Map<Node, Integer> pos = positions(all);
            List<Node> out = new ArrayList<>(all.size() + 16);
            for (int i = 0; i < all.size(); i++) {
                Node n = all.get(i);
                out.add(n);
                if (!n.isCondJump()) continue;
                boolean farT = pos.get(n.jt) - i - 1 > 255, farF = pos.get(n.jf) - i - 1 > 255;
                if (farT || farF) {
                    Node target = farT ? n.jt : n.jf;
                    Node tramp;
                    if (target.isRet()) {
                        tramp = new Node(target.code, target.k);
                    } else {
                        tramp = new Node(Bpf.JMP | Bpf.JA, 0);
                        tramp.jt = target;
                    }
                    if (n.jt == target) n.jt = tramp;
                    if (n.jf == target) n.jf = tramp;
                    out.add(tramp);
                    changed = true;
                }
            }
            all = out;
            if (all.size() > 4 * Bpf.MAX_INSNS) break; // hopeless; reported below
        }
        if (all.size() > Bpf.MAX_INSNS) {
            throw new BpfException("the filter needs " + all.size() + " BPF instructions, more than the kernel limit of "
                    + Bpf.MAX_INSNS + "; use fewer argument conditions or merge rules");
        }
        Map<Node, Integer> pos = positions(all);
        List<Insn> out = new ArrayList<>(all.size());
        for (int i = 0; i < all.size(); i++) {
            Node n = all.get(i);
            if (n.isCondJump()) {
                out.add(Insn.jump(n.code, n.k, pos.get(n.jt) - i - 1, pos.get(n.jf) - i - 1));
            } else if (Bpf.cls(n.code) == Bpf.JMP) {
                out.add(Insn.stmt(n.code, pos.get(n.jt) - i - 1));
            } else {
                out.add(Insn.stmt(n.code, n.k));
            }
        }
        BpfProgram p = new BpfProgram(out);
        BpfVerifier.verify(p);
        return p;
    }

    private static Map<Node, Integer> positions(List<Node> all) {
        Map<Node, Integer> pos = new IdentityHashMap<>();
        for (int i = 0; i < all.size(); i++) pos.put(all.get(i), i);
        return pos;
    }
}
