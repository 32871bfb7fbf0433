package org.jkvm.translator.exec;

import static org.jkvm.translator.exec.BlockCompiler.*;
import static org.objectweb.asm.Opcodes.*;

import java.util.List;
import org.jkvm.runtime.CpuState;
import org.jkvm.translator.isa.Insn;
import org.jkvm.translator.sem.GuestFault;
import org.objectweb.asm.ConstantDynamic;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Type;

/**
 * Emits the {@code run} method of one region for {@link BlockCompiler}: the blocks in order, each
 * instruction as a semantics call or an inline form, the interpreter's checks, the transfers between the
 * region's blocks, and the guest-fault handler.
 */
final class RegionEmitter {
  final BlockCompiler compiler;
  final MethodVisitor mv;
  final List<Block> r;
  final Block entry;
  final Label[] enter;
  final Label[] body;
  final int[] firstInsn;
  final Label retN = new Label();
  final Label chain = new Label();
  /** Registers the inline forms of this region use: kept in locals, written back before calls and exits. */
  final boolean[] inLocal = new boolean[16];
  /** Registers whose local is newer than c.gpr, at the point being emitted. */
  final boolean[] dirty = new boolean[16];
  /** XMM registers the inline SSE forms use, kept in locals like the general registers. */
  final boolean[] inLocalX = new boolean[16];
  /** XMM registers whose locals are newer than c.xmm. */
  final boolean[] dirtyX = new boolean[16];

  RegionEmitter(BlockCompiler compiler, MethodVisitor mv, List<Block> r) {
    this.compiler = compiler;
    this.mv = mv;
    this.r = r;
    this.entry = r.get(0);
    enter = new Label[r.size()];
    body = new Label[r.size()];
    firstInsn = new int[r.size()];
    int f = r.size();
    for (int j = 0; j < r.size(); j++) {
      enter[j] = new Label();
      body[j] = new Label();
      firstInsn[j] = f;
      f += r.get(j).insns.length;
      for (Insn i : r.get(j).insns) {
        if (inlineKind(i) != IK_NONE) {
          if (i.k0 == Insn.K_REG) {
            inLocal[i.r0] = true;
          }
          if (i.k1 == Insn.K_REG) {
            inLocal[i.r1] = true;
          }
          if (i.hasMem() && i.base >= 0 && i.base < 16) {
            inLocal[i.base] = true;
          }
          if (i.hasMem() && i.index >= 0 && i.index < 16) {
            inLocal[i.index] = true;
          }
          if (i.k0 == Insn.K_XMM) {
            inLocalX[i.r0] = true;
          }
          if (i.k1 == Insn.K_XMM) {
            inLocalX[i.r1] = true;
          }
        }
      }
    }
  }

  /** Loads every register kept in a local from c.gpr and c.xmm. */
  void reload() {
    for (int g = 0; g < 16; g++) {
      if (inLocal[g]) {
        mv.visitVarInsn(ALOAD, L_GPR);
        push(mv, g);
        mv.visitInsn(LALOAD);
        mv.visitVarInsn(LSTORE, L_REGS + 2 * g);
      }
    }
    for (int x = 0; x < 16; x++) {
      for (int half = 0; inLocalX[x] && half < 2; half++) {
        xmmArray(x, half);
        mv.visitInsn(LALOAD);
        mv.visitVarInsn(LSTORE, L_XMM + 4 * x + 2 * half);
      }
    }
  }

  /** Pushes c.xmm and the index of quadword {@code half} of XMM register {@code x}. */
  void xmmArray(int x, int half) {
    mv.visitVarInsn(ALOAD, L_C);
    mv.visitFieldInsn(GETFIELD, CPU, "xmm", "[J");
    push(mv, 2 * x + half);
  }

  /** Writes the dirty XMM locals back to c.xmm. */
  void writeBackX() {
    for (int x = 0; x < 16; x++) {
      for (int half = 0; dirtyX[x] && half < 2; half++) {
        xmmArray(x, half);
        mv.visitVarInsn(LLOAD, L_XMM + 4 * x + 2 * half);
        mv.visitInsn(LASTORE);
      }
    }
  }

  /** Writes back the registers in {@code which} (dirty ones, or all kept in locals). */
  void writeBack(boolean[] which) {
    for (int g = 0; g < 16; g++) {
      if (which[g]) {
        mv.visitVarInsn(ALOAD, L_GPR);
        push(mv, g);
        mv.visitVarInsn(LLOAD, L_REGS + 2 * g);
        mv.visitInsn(LASTORE);
      }
    }
  }

  /** c.gpr up to date: before a semantics call or a memory form, and at block ends. */
  void sync() {
    writeBack(dirty);
    java.util.Arrays.fill(dirty, false);
    writeBackX();
    java.util.Arrays.fill(dirtyX, false);
  }

  void emit() {
    mv.visitCode();
    Label start = new Label();
    Label end = new Label();
    Label handler = new Label();
    mv.visitTryCatchBlock(start, end, handler, Type.getInternalName(GuestFault.class));
    mv.visitVarInsn(ALOAD, L_C);
    mv.visitFieldInsn(GETFIELD, CPU, "rip", "J");
    mv.visitInsn(DUP2);
    mv.visitVarInsn(LSTORE, L_ENTRY);
    mv.visitVarInsn(LSTORE, L_BASE2);
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, L_K2);
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, L_N);
    mv.visitVarInsn(ALOAD, L_B);
    mv.visitVarInsn(ASTORE, L_CUR);
    mv.visitVarInsn(ALOAD, L_C);
    mv.visitFieldInsn(GETFIELD, CPU, "gpr", "[J");
    mv.visitVarInsn(ASTORE, L_GPR);
    reload();
    mv.visitLabel(start);
    mv.visitJumpInsn(GOTO, body[0]);
    for (int j = 0; j < r.size(); j++) {
      block(j);
    }
    // Between blocks: the budget, deliverable events, then the block at the new RIP if it is ours.
    mv.visitLabel(chain);
    checks(null);
    // Instructions that change the code size or the decoding mode (Decoder.mode: real and v86 mode)
    // end their blocks and are not near branches, so this holds; the code size is checked anyway, as the
    // jump cache checks its mode.
    mv.visitVarInsn(ALOAD, L_C);
    mv.visitFieldInsn(GETFIELD, CPU, "codeSize", "I");
    push(mv, entry.codeSize);
    mv.visitJumpInsn(IF_ICMPNE, retN);
    dispatch();
    mv.visitLabel(end);
    mv.visitLabel(retN);
    mv.visitVarInsn(ILOAD, L_N);
    mv.visitInsn(IRETURN);
    mv.visitLabel(handler);
    mv.visitVarInsn(ASTORE, L_F2);
    // Nothing to write back: c.gpr is brought up to date before every instruction that can fault, and
    // what a faulting semantics method left there (REP progress, say) stands.
    mv.visitVarInsn(ALOAD, L_C);
    mv.visitVarInsn(ALOAD, L_CUR);
    mv.visitVarInsn(ALOAD, L_IT);
    mv.visitVarInsn(LLOAD, L_BASE2);
    mv.visitVarInsn(ILOAD, L_K2);
    mv.visitVarInsn(ILOAD, L_N);
    mv.visitVarInsn(ALOAD, L_F2);
    mv.visitMethodInsn(INVOKESTATIC, SUPER, "fault", "(L" + CPU + ";L" + BLOCK + ";"
        + Type.getDescriptor(Interpreter.class) + "JII" + Type.getDescriptor(GuestFault.class) + ")"
        + Type.getDescriptor(GuestFault.class), false);
    mv.visitInsn(ATHROW);
    mv.visitMaxs(0, 0);
    mv.visitEnd();
  }

  /** Budget and events: return n if the region must stop, else go on (to {@code go}, or fall through). */
  void checks(Label go) {
    mv.visitVarInsn(ILOAD, L_N);
    mv.visitVarInsn(ILOAD, L_BUDGET);
    mv.visitJumpInsn(IF_ICMPGE, retN);
    Label ok = go != null ? go : new Label();
    ifEventDeliverable(retN, ok);
    if (go != null) {
      mv.visitJumpInsn(GOTO, go);
    } else {
      mv.visitLabel(ok);
    }
  }

  /**
   * Jumps to {@code none} when c.events is zero, to {@code deliverable} when {@code
   * Interpreter.eventDeliverable} says a pending event can be taken now; otherwise falls through.
   */
  void ifEventDeliverable(Label deliverable, Label none) {
    mv.visitVarInsn(ALOAD, L_C);
    mv.visitFieldInsn(GETFIELD, CPU, "events", "I");
    mv.visitJumpInsn(IFEQ, none);
    mv.visitVarInsn(ALOAD, L_C);
    mv.visitMethodInsn(INVOKESTATIC, Type.getInternalName(Interpreter.class), "eventDeliverable",
        "(L" + CPU + ";)Z", false);
    mv.visitJumpInsn(IFNE, deliverable);
  }

  /** Continues at the region block that starts at c.rip, or returns. */
  void dispatch() {
    long lo = Long.MAX_VALUE;
    long hi = Long.MIN_VALUE;
    for (Block x : r) {
      lo = Math.min(lo, x.gpa - entry.gpa);
      hi = Math.max(hi, x.gpa - entry.gpa);
    }
    mv.visitVarInsn(ALOAD, L_C);
    mv.visitFieldInsn(GETFIELD, CPU, "rip", "J");
    mv.visitVarInsn(LLOAD, L_ENTRY);
    mv.visitInsn(LSUB);
    mv.visitVarInsn(LSTORE, L_T);
    mv.visitVarInsn(LLOAD, L_T);
    mv.visitLdcInsn(lo);
    mv.visitInsn(LCMP);
    mv.visitJumpInsn(IFLT, retN);
    mv.visitVarInsn(LLOAD, L_T);
    mv.visitLdcInsn(hi);
    mv.visitInsn(LCMP);
    mv.visitJumpInsn(IFGT, retN);
    mv.visitVarInsn(LLOAD, L_T);
    mv.visitInsn(L2I);
    Integer[] order = new Integer[r.size()];
    for (int j = 0; j < order.length; j++) {
      order[j] = j;
    }
    java.util.Arrays.sort(order, (x, y) -> Long.compare(r.get(x).gpa, r.get(y).gpa));
    int[] keys = new int[order.length];
    Label[] labels = new Label[order.length];
    for (int q = 0; q < order.length; q++) {
      keys[q] = (int) (r.get(order[q]).gpa - entry.gpa);
      labels[q] = enter[order[q]];
    }
    mv.visitLookupSwitchInsn(retN, keys, labels);
  }

  /**
   * The region's blocks and instructions are static final fields, loaded from the class data in
   * {@code <clinit>}: an {@code ldc} of a dynamic constant in {@code run} would be unresolved until its path
   * first executes, and JDK 17's C1 and C2 then refuse the whole method ("could not resolve a constant"),
   * leaving it in HotSpot's interpreter (a Debian boot took 4x longer on JDK 17 than on JDK 25).
   */
  void blockConst(int j) {
    usedBlocks.set(j);
    mv.visitFieldInsn(GETSTATIC, NAME, "b" + j, "L" + BLOCK + ";");
  }

  void insnConst(int j, int k) {
    int at = firstInsn[j] + k;
    usedInsns.set(at);
    mv.visitFieldInsn(GETSTATIC, NAME, "i" + at, INSN_DESC);
  }

  /** Blocks and instructions {@code run} reads, by class-data index. */
  final java.util.BitSet usedBlocks = new java.util.BitSet();
  final java.util.BitSet usedInsns = new java.util.BitSet();

  /** Declares the constants {@code run} used and loads them from the class data once. */
  static void emitConstants(org.objectweb.asm.ClassVisitor cw, RegionEmitter e) {
    MethodVisitor init = cw.visitMethod(ACC_STATIC, "<clinit>", "()V", null, null);
    init.visitCode();
    for (int j = e.usedBlocks.nextSetBit(0); j >= 0; j = e.usedBlocks.nextSetBit(j + 1)) {
      cw.visitField(ACC_STATIC | ACC_FINAL | ACC_PRIVATE, "b" + j, "L" + BLOCK + ";", null, null).visitEnd();
      init.visitLdcInsn(new ConstantDynamic("_", "L" + BLOCK + ";", CLASS_DATA_AT, j));
      init.visitFieldInsn(PUTSTATIC, NAME, "b" + j, "L" + BLOCK + ";");
    }
    for (int k = e.usedInsns.nextSetBit(0); k >= 0; k = e.usedInsns.nextSetBit(k + 1)) {
      cw.visitField(ACC_STATIC | ACC_FINAL | ACC_PRIVATE, "i" + k, INSN_DESC, null, null).visitEnd();
      init.visitLdcInsn(new ConstantDynamic("_", INSN_DESC, CLASS_DATA_AT, k));
      init.visitFieldInsn(PUTSTATIC, NAME, "i" + k, INSN_DESC);
    }
    init.visitInsn(RETURN);
    init.visitMaxs(0, 0);
    init.visitEnd();
  }

  void setShadowFalse() {
    mv.visitVarInsn(ALOAD, L_C);
    mv.visitInsn(ICONST_0);
    mv.visitFieldInsn(PUTFIELD, CPU, "interruptShadow", "Z");
  }

  /** c.rip = base + {@code off}. */
  void setRip(long off) {
    mv.visitVarInsn(ALOAD, L_C);
    mv.visitVarInsn(LLOAD, L_BASE2);
    if (off != 0) {
      mv.visitLdcInsn(off);
      mv.visitInsn(LADD);
    }
    mv.visitFieldInsn(PUTFIELD, CPU, "rip", "J");
  }

  void block(int j) {
    Block x = r.get(j);
    Insn[] insns = x.insns;
    int n = insns.length;
    // Entered from another region block: it must still be valid (and within the CS limit).
    mv.visitLabel(enter[j]);
    blockConst(j);
    mv.visitFieldInsn(GETFIELD, BLOCK, "valid", "Z");
    mv.visitJumpInsn(IFEQ, retN);
    if (x.codeSize != 8) {
      mv.visitVarInsn(ALOAD, L_C);
      mv.visitFieldInsn(GETFIELD, CPU, "rip", "J");
      mv.visitLdcInsn(0xFFFF_FFFFL);
      mv.visitInsn(LAND);
      mv.visitVarInsn(ALOAD, L_C);
      mv.visitFieldInsn(GETFIELD, CPU, "segLimit", "[I");
      push(mv, CpuState.CS);
      mv.visitInsn(IALOAD);
      mv.visitInsn(I2L);
      mv.visitLdcInsn(0xFFFF_FFFFL);
      mv.visitInsn(LAND);
      mv.visitInsn(LCMP);
      mv.visitJumpInsn(IFGT, retN);
    }
    mv.visitVarInsn(LLOAD, L_ENTRY);
    if (x.gpa != entry.gpa) {
      mv.visitLdcInsn(x.gpa - entry.gpa);
      mv.visitInsn(LADD);
    }
    mv.visitVarInsn(LSTORE, L_BASE2);
    blockConst(j);
    mv.visitVarInsn(ASTORE, L_CUR);
    mv.visitLabel(body[j]);
    java.util.Arrays.fill(dirty, false); // c.gpr, c.xmm and the locals agree at every block entry
    java.util.Arrays.fill(dirtyX, false);
    Insn fused = fusable(x, insns, n - 1);
    boolean lastInline = false;
    for (int k = 0; k < n; k++) {
      Insn i = insns[k];
      int ik = inlineKind(i);
      lastInline = ik != IK_NONE && !memoryForm(ik);
      if (ik != IK_NONE && !memoryForm(ik)) {
        inline(i, ik, k, insns);
        continue;
      }
      push(mv, k);
      mv.visitVarInsn(ISTORE, L_K2);
      if (k == n - 1 && fused != null) {
        fusedJcc(j, x, i, fused);
        return;
      }
      setRip(i.offsetInBlock + i.len);
      Label after = new Label();
      sync(); // before anything that can fault or read registers in c.gpr
      if (ik != IK_NONE) {
        inline(i, ik, k, insns);
      } else if (i.atomic) {
        Label plain = new Label();
        mv.visitVarInsn(ALOAD, L_C);
        mv.visitFieldInsn(GETFIELD, CPU, "atomics", "Z");
        mv.visitJumpInsn(IFEQ, plain);
        mv.visitVarInsn(ALOAD, L_C);
        insnConst(j, k);
        mv.visitMethodInsn(INVOKESTATIC, "org/jkvm/translator/sem/Locked", "exec", SEM_DESC, false);
        mv.visitJumpInsn(GOTO, after);
        mv.visitLabel(plain);
        call(mv, i, j, k);
      } else {
        call(mv, i, j, k);
      }
      mv.visitLabel(after);
      if (ik == IK_NONE) {
        reload();
      }
      if (k < n - 1) {
        // the interpreter's checks after an instruction: self-modified block, deliverable event
        Label stop = new Label();
        Label next = new Label();
        Label ok = new Label();
        mv.visitVarInsn(ALOAD, L_CUR);
        mv.visitFieldInsn(GETFIELD, BLOCK, "valid", "Z");
        mv.visitJumpInsn(IFNE, ok);
        mv.visitLabel(stop);
        writeBack(dirty);
        writeBackX();
        setShadowFalse();
        mv.visitVarInsn(ILOAD, L_N);
        push(mv, k + 1);
        mv.visitInsn(IADD);
        mv.visitInsn(IRETURN);
        mv.visitLabel(ok);
        ifEventDeliverable(stop, next);
        mv.visitLabel(next);
      }
    }
    Insn last = insns[n - 1];
    if (lastInline) {
      setRip(x.length);
    }
    sync();
    mv.visitIincInsn(L_N, n);
    if ((last.entry.flags & org.jkvm.translator.isa.OpEntry.SHADOW) == 0) {
      setShadowFalse();
    }
    if (!last.endsBlock() || nearBranch(last) != null) {
      mv.visitJumpInsn(GOTO, chain);
    } else {
      mv.visitJumpInsn(GOTO, retN);
    }
  }

  /** A Jcc that tests the locals of the ALU instruction {@code alu} before it. */
  void fusedJcc(int j, Block x, Insn i, Insn alu) {
    sync();
    int cc = i.opcode & 0xF;
    String op = target(alu.handler)[1];
    push(mv, cc);
    push(mv, alu.s0);
    if (op.equals("sub") || op.equals("cmp") || op.equals("add")) {
      mv.visitVarInsn(LLOAD, L_A);
      mv.visitVarInsn(LLOAD, L_B2);
      mv.visitVarInsn(LLOAD, L_R);
      mv.visitMethodInsn(INVOKESTATIC, JITOPS, op.equals("add") ? "condAdd" : "condSub", "(IIJJJ)Z", false);
    } else if (op.equals("inc") || op.equals("dec")) {
      mv.visitInsn(op.equals("inc") ? ICONST_1 : ICONST_0);
      mv.visitVarInsn(LLOAD, L_R);
      mv.visitMethodInsn(INVOKESTATIC, JITOPS, "condIncDec", "(IIZJ)Z", false);
    } else {
      mv.visitVarInsn(LLOAD, L_R);
      mv.visitMethodInsn(INVOKESTATIC, JITOPS, "condLogic", "(IIJ)Z", false);
    }
    Label notTaken = new Label();
    mv.visitJumpInsn(IFEQ, notTaken);
    long end = i.offsetInBlock + i.len;
    transfer(x, i, end + i.imm, true);
    mv.visitLabel(notTaken);
    transfer(x, i, end, false);
  }

  /**
   * Sets RIP to base + {@code off} (through {@code sem.Branch.nearTarget} for a taken branch: masking, the
   * canonical or CS limit check) and goes on at the region block there (after the checks), or returns.
   * In 64-bit code the target is known here; in other modes it is found by dispatch on the new RIP.
   */
  void transfer(Block x, Insn jcc, long off, boolean branch) {
    int n = x.insns.length;
    if (branch && (x.codeSize != 8 || jcc.opSize != 8)) {
      mv.visitVarInsn(ALOAD, L_C);
      mv.visitVarInsn(ALOAD, L_C);
      mv.visitVarInsn(LLOAD, L_BASE2);
      mv.visitLdcInsn(off);
      mv.visitInsn(LADD);
      push(mv, jcc.opSize);
      mv.visitMethodInsn(INVOKESTATIC, "org/jkvm/translator/sem/Branch", "nearTarget", "(L" + CPU + ";JI)J",
          false);
      mv.visitFieldInsn(PUTFIELD, CPU, "rip", "J");
      mv.visitIincInsn(L_N, n);
      setShadowFalse();
      mv.visitJumpInsn(GOTO, chain);
      return;
    }
    int m = indexOf(r, x.gpa + off);
    if (branch && m < 0) {
      mv.visitVarInsn(ALOAD, L_C);
      mv.visitVarInsn(LLOAD, L_BASE2);
      mv.visitLdcInsn(off);
      mv.visitInsn(LADD);
      mv.visitMethodInsn(INVOKESTATIC, JITOPS, "near64", "(J)J", false);
      mv.visitFieldInsn(PUTFIELD, CPU, "rip", "J");
    } else {
      setRip(off);
    }
    mv.visitIincInsn(L_N, n);
    setShadowFalse();
    if (m < 0) {
      mv.visitJumpInsn(GOTO, retN);
    } else {
      checks(enter[m]);
    }
  }

  void loadReg(int reg, int size) {
    if (inLocal[reg]) {
      mv.visitVarInsn(LLOAD, L_REGS + 2 * reg);
    } else {
      mv.visitVarInsn(ALOAD, L_GPR);
      push(mv, reg);
      mv.visitInsn(LALOAD);
    }
    maskTo(size);
  }

  /**
   * gpr[reg] = local {@code from}, zero-extended to {@code size} bytes: 8- and 16-bit writes merge,
   * 32-bit writes zero-extend (as {@code sem.Ops.setReg}).
   */
  void storeReg(int reg, int size, int from) {
    if (!inLocal[reg]) {
      throw new IllegalStateException("register " + reg + " is not kept in a local");
    }
    if (size <= 2) {
      mv.visitVarInsn(LLOAD, L_REGS + 2 * reg);
      mv.visitLdcInsn(~JitOps.mask(size));
      mv.visitInsn(LAND);
      mv.visitVarInsn(LLOAD, from);
      mv.visitInsn(LOR);
    } else {
      mv.visitVarInsn(LLOAD, from);
    }
    mv.visitVarInsn(LSTORE, L_REGS + 2 * reg);
    dirty[reg] = true;
  }

  /** Operand 1 of a register or immediate form, zero-extended to the size of operand 0. */
  void loadSrc(Insn i) {
    if (i.k1 == Insn.K_IMM) {
      mv.visitLdcInsn(i.imm & JitOps.mask(i.s0));
    } else {
      loadReg(i.r1, i.s0);
    }
  }

  void maskTo(int size) {
    if (size < 8) {
      mv.visitLdcInsn(JitOps.mask(size));
      mv.visitInsn(LAND);
    }
  }

  /** The effective address of the memory operand (as {@code sem.Ops.ea}). */
  void ea(Insn i) {
    mv.visitLdcInsn(i.disp);
    if (i.base == Insn.BASE_RIP) {
      mv.visitVarInsn(LLOAD, L_BASE2);
      mv.visitLdcInsn((long) (i.offsetInBlock + i.len));
      mv.visitInsn(LADD);
      mv.visitInsn(LADD);
    } else if (i.base >= 0) {
      loadReg(i.base, 8);
      mv.visitInsn(LADD);
    }
    if (i.index >= 0) {
      loadReg(i.index, 8);
      if (i.scale != 0) {
        push(mv, i.scale);
        mv.visitInsn(LSHL);
      }
      mv.visitInsn(LADD);
    }
    maskTo(i.addrSize);
  }

  /** Local {@code L_T} = the checked linear address of the memory operand ({@code sem.Ops.la}). */
  void la(Insn i, int size, boolean write) {
    mv.visitVarInsn(ALOAD, L_C);
    push(mv, i.seg);
    ea(i);
    push(mv, size);
    mv.visitInsn(write ? ICONST_1 : ICONST_0);
    mv.visitMethodInsn(INVOKESTATIC, MEM, "linear", "(L" + CPU + ";IJIZ)J", false);
    mv.visitVarInsn(LSTORE, L_T);
  }

  /** Reads {@code size} bytes at linear {@code L_T} (for a read-modify-write: checked for write). */
  void readT(int size, boolean forWrite) {
    mv.visitVarInsn(ALOAD, L_C);
    mv.visitVarInsn(LLOAD, L_T);
    push(mv, size);
    mv.visitMethodInsn(INVOKESTATIC, MEM, forWrite ? "readLaForWrite" : "readLa", "(L" + CPU + ";JI)J",
        false);
  }

  void writeT(int size, int from) {
    mv.visitVarInsn(ALOAD, L_C);
    mv.visitVarInsn(LLOAD, L_T);
    push(mv, size);
    mv.visitVarInsn(LLOAD, from);
    mv.visitMethodInsn(INVOKESTATIC, MEM, "writeLa", "(L" + CPU + ";JIJ)V", false);
  }

  void flags(int kind, int size, int src) {
    mv.visitVarInsn(ALOAD, L_C);
    push(mv, org.jkvm.runtime.Flags.ccOp(kind, size));
    mv.visitFieldInsn(PUTFIELD, CPU, "ccOp", "I");
    mv.visitVarInsn(ALOAD, L_C);
    mv.visitVarInsn(LLOAD, L_R);
    mv.visitFieldInsn(PUTFIELD, CPU, "ccDst", "J");
    mv.visitVarInsn(ALOAD, L_C);
    if (src < 0) {
      mv.visitInsn(LCONST_0);
    } else {
      mv.visitVarInsn(LLOAD, src);
    }
    mv.visitFieldInsn(PUTFIELD, CPU, "ccSrc", "J");
  }

  void inline(Insn i, int ik, int k, Insn[] insns) {
    compiler.inlined++;
    switch (ik) {
      case IK_MOV:
        loadSrc(i);
        mv.visitVarInsn(LSTORE, L_R);
        storeReg(i.r0, i.s0, L_R);
        return;
      case IK_MOVMEM:
        if (i.k0 == Insn.K_MEM) { // store: the value first, then the checked address and the write
          loadSrc(i);
          mv.visitVarInsn(LSTORE, L_R);
          la(i, i.s0, true);
          writeT(i.s0, L_R);
        } else {
          la(i, i.s1, false);
          readT(i.s1, false);
          mv.visitVarInsn(LSTORE, L_R);
          storeReg(i.r0, i.s0, L_R);
        }
        return;
      case IK_LEA:
        ea(i);
        maskTo(i.s0);
        mv.visitVarInsn(LSTORE, L_R);
        storeReg(i.r0, i.s0, L_R);
        return;
      case IK_ALU:
      case IK_ALUMEM: {
        String op = target(i.handler)[1];
        boolean writes = !op.equals("cmp") && !op.equals("test");
        // operand 0, then operand 1, in the order of sem.Alu (get0Rmw / get0, then get1Ext)
        if (i.k0 == Insn.K_MEM) {
          la(i, i.s0, writes);
          readT(i.s0, writes);
        } else {
          loadReg(i.r0, i.s0);
        }
        mv.visitVarInsn(LSTORE, L_A);
        if (i.k1 == Insn.K_MEM) {
          la(i, i.s1, false);
          readT(i.s1, false);
        } else {
          loadSrc(i);
        }
        mv.visitVarInsn(LSTORE, L_B2);
        mv.visitVarInsn(LLOAD, L_A);
        mv.visitVarInsn(LLOAD, L_B2);
        int kind;
        switch (op) {
          case "add": mv.visitInsn(LADD); kind = org.jkvm.runtime.Flags.ADD; break;
          case "sub": case "cmp": mv.visitInsn(LSUB); kind = org.jkvm.runtime.Flags.SUB; break;
          case "and": case "test": mv.visitInsn(LAND); kind = org.jkvm.runtime.Flags.LOGIC; break;
          case "or": mv.visitInsn(LOR); kind = org.jkvm.runtime.Flags.LOGIC; break;
          default: mv.visitInsn(LXOR); kind = org.jkvm.runtime.Flags.LOGIC; break;
        }
        maskTo(i.s0);
        mv.visitVarInsn(LSTORE, L_R);
        if (writes) {
          if (i.k0 == Insn.K_MEM) {
            writeT(i.s0, L_R);
          } else {
            storeReg(i.r0, i.s0, L_R);
          }
        }
        if (ik == IK_ALUMEM || !flagsDead(insns, k)) {
          flags(kind, i.s0, kind == org.jkvm.runtime.Flags.LOGIC ? -1 : L_B2);
        } else {
          compiler.deadFlags++;
        }
        return;
      }
      case IK_MOVX:
      case IK_MOVXMEM: {
        if (ik == IK_MOVX) {
          loadReg(i.r1, i.s1);
        } else {
          la(i, i.s1, false);
          readT(i.s1, false);
        }
        if (target(i.handler)[1].equals("movsx")) {
          sext(i.s1);
          maskTo(i.s0);
        }
        mv.visitVarInsn(LSTORE, L_R);
        storeReg(i.r0, i.s0, L_R);
        return;
      }
      case IK_SHIFT: {
        // as sem.Shift for a count n != 0: the value, the value shifted by n - 1 (the lazy CF), the result
        String op = target(i.handler)[1];
        int n = shiftCount(i);
        int sz = i.s0;
        loadReg(i.r0, sz);
        if (op.equals("sar")) {
          sext(sz);
        }
        mv.visitVarInsn(LSTORE, L_A);
        int shift = op.equals("shl") ? LSHL : op.equals("shr") ? LUSHR : LSHR;
        mv.visitVarInsn(LLOAD, L_A);
        push(mv, n - 1);
        mv.visitInsn(shift);
        if (!op.equals("shr")) {
          maskTo(sz);
        }
        mv.visitVarInsn(LSTORE, L_B2);
        mv.visitVarInsn(LLOAD, L_A);
        push(mv, n);
        mv.visitInsn(shift);
        if (!op.equals("shr")) {
          maskTo(sz);
        }
        mv.visitVarInsn(LSTORE, L_R);
        storeReg(i.r0, sz, L_R);
        if (!flagsDead(insns, k)) {
          flags(op.equals("shl") ? org.jkvm.runtime.Flags.SHL : org.jkvm.runtime.Flags.SAR, sz, L_B2);
        } else {
          compiler.deadFlags++;
        }
        return;
      }
      case IK_INCDEC: {
        boolean inc = target(i.handler)[1].equals("inc");
        boolean dead = flagsDead(insns, k);
        if (!dead) {
          mv.visitVarInsn(ALOAD, L_C);
          mv.visitMethodInsn(INVOKESTATIC, "org/jkvm/runtime/Flags", "cf", "(L" + CPU + ";)Z", false);
          mv.visitInsn(I2L);
          mv.visitVarInsn(LSTORE, L_B2);
        } else {
          compiler.deadFlags++;
        }
        loadReg(i.r0, i.s0);
        mv.visitInsn(LCONST_1);
        mv.visitInsn(inc ? LADD : LSUB);
        maskTo(i.s0);
        mv.visitVarInsn(LSTORE, L_R);
        storeReg(i.r0, i.s0, L_R);
        if (!dead) {
          flags(inc ? org.jkvm.runtime.Flags.INC : org.jkvm.runtime.Flags.DEC, i.s0, L_B2);
        }
        return;
      }
      case IK_IMUL:
      case IK_IMULMEM:
        imul(i, k, insns);
        return;
      case IK_SSE_FP:
        sseFp(i);
        return;
      case IK_SSE_MOV:
        sseMov(i);
        return;
      default:
        throw new IllegalStateException("inline kind " + ik);
    }
  }

  /** Sign-extends the long on the stack from {@code size} bytes. */
  void sext(int size) {
    if (size < 8) {
      push(mv, 64 - 8 * size);
      mv.visitInsn(LSHL);
      push(mv, 64 - 8 * size);
      mv.visitInsn(LSHR);
    }
  }

  /**
   * IMUL r, r/m and IMUL r, r/m, imm as {@code sem.MulDiv.imulTrunc}: the signed product truncated to the
   * operand size, and CF = OF = whether it overflowed (the MUL flag record, ccSrc 1 or 0).
   */
  void imul(Insn i, int k, Insn[] insns) {
    int s = i.s0;
    boolean three = target(i.handler)[1].equals("imul3");
    if (i.k1 == Insn.K_MEM) {
      la(i, s, false);
      readT(s, false);
    } else {
      loadReg(i.r1, s);
    }
    sext(s);
    if (three) {
      mv.visitVarInsn(LSTORE, L_A);
      mv.visitLdcInsn(i.imm); // sign-extended already
      mv.visitVarInsn(LSTORE, L_B2);
    } else {
      mv.visitVarInsn(LSTORE, L_B2);
      loadReg(i.r0, s);
      sext(s);
      mv.visitVarInsn(LSTORE, L_A);
    }
    mv.visitVarInsn(LLOAD, L_A);
    mv.visitVarInsn(LLOAD, L_B2);
    mv.visitInsn(LMUL);
    mv.visitVarInsn(LSTORE, L_R);
    boolean dead = flagsDead(insns, k);
    if (!dead) { // L_T = overflow ? 1 : 0
      if (s == 8) {
        mv.visitVarInsn(LLOAD, L_A);
        mv.visitVarInsn(LLOAD, L_B2);
        mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "multiplyHigh", "(JJ)J", false);
        mv.visitVarInsn(LLOAD, L_R);
        push(mv, 63);
        mv.visitInsn(LSHR);
      } else {
        mv.visitVarInsn(LLOAD, L_R);
        mv.visitVarInsn(LLOAD, L_R);
        sext(s);
      }
      mv.visitInsn(LCMP); // 0 when equal, else +-1: overflow is its being non-zero
      mv.visitInsn(I2L);
      mv.visitInsn(DUP2);
      mv.visitInsn(LMUL); // (+-1)^2 = 1
      mv.visitVarInsn(LSTORE, L_T);
    } else {
      compiler.deadFlags++;
    }
    mv.visitVarInsn(LLOAD, L_R);
    maskTo(s);
    mv.visitVarInsn(LSTORE, L_R);
    storeReg(i.r0, s, L_R);
    if (!dead) {
      flags(org.jkvm.runtime.Flags.MUL, s, L_T);
    }
  }

  static final String SSE = "org/jkvm/translator/sem/Sse";
  static final String SSE_FP = "org/jkvm/translator/sem/SseFp";

  /** Pushes quadword {@code half} of XMM register {@code reg}, from its local. */
  void xmm(int reg, int half) {
    mv.visitVarInsn(LLOAD, L_XMM + 4 * reg + 2 * half);
  }

  /** Quadword {@code half} of XMM register {@code reg} = local {@code from} (0 when negative), in its local. */
  void setXmm(int reg, int half, int from) {
    if (from < 0) {
      mv.visitInsn(LCONST_0);
    } else {
      mv.visitVarInsn(LLOAD, from);
    }
    mv.visitVarInsn(LSTORE, L_XMM + 4 * reg + 2 * half);
    dirtyX[reg] = true;
  }

  /** Replaces the long on the stack by XMM {@code reg}'s low quadword with the long's low 32 bits in it. */
  void intoLowSingle(int reg) {
    mv.visitLdcInsn(0xFFFF_FFFFL);
    mv.visitInsn(LAND);
    xmm(reg, 0);
    mv.visitLdcInsn(0xFFFF_FFFF_0000_0000L);
    mv.visitInsn(LAND);
    mv.visitInsn(LOR);
  }

  /** {@code sem.Sse.check}: #UD/#NM from CR0 and CR4, and the instruction's exception flags cleared. */
  void sseCheck() {
    mv.visitVarInsn(ALOAD, L_C);
    mv.visitMethodInsn(INVOKESTATIC, SSE, "check", "(L" + CPU + ";)V", false);
  }

  /**
   * ADD/SUB/MUL/DIV SD, SS, PD as {@code sem.SseArith.sd/ss/pd}: the check, the source, each element
   * through the same {@code sem.SseFp} operation, then MXCSR's exceptions (#XM before anything is written),
   * then the destination.
   */
  void sseFp(Insn i) {
    String name = target(i.handler)[1];
    boolean packed = name.charAt(3) == 'p';
    boolean dbl = name.charAt(4) == 'd';
    String op = name.substring(0, 3) + (dbl ? "D" : "F");
    String desc = dbl ? "(L" + CPU + ";JJ)J" : "(L" + CPU + ";II)I";
    sseCheck();
    if (i.k1 == Insn.K_MEM) {
      la(i, dbl ? 8 : 4, false);
      readT(dbl ? 8 : 4, false);
    } else {
      xmm(i.r1, 0);
    }
    mv.visitVarInsn(LSTORE, L_B2);
    mv.visitVarInsn(ALOAD, L_C);
    xmm(i.r0, 0);
    if (!dbl) {
      mv.visitInsn(L2I);
    }
    mv.visitVarInsn(LLOAD, L_B2);
    if (!dbl) {
      mv.visitInsn(L2I);
    }
    mv.visitMethodInsn(INVOKESTATIC, SSE_FP, op, desc, false);
    if (!dbl) { // SS: the low single replaced, the rest of the register kept
      mv.visitInsn(I2L);
      intoLowSingle(i.r0);
    }
    mv.visitVarInsn(LSTORE, L_R);
    if (packed) {
      mv.visitVarInsn(ALOAD, L_C);
      xmm(i.r0, 1);
      xmm(i.r1, 1);
      mv.visitMethodInsn(INVOKESTATIC, SSE_FP, op, desc, false);
      mv.visitVarInsn(LSTORE, L_A);
    }
    mv.visitVarInsn(ALOAD, L_C);
    mv.visitMethodInsn(INVOKESTATIC, SSE, "commitFlags", "(L" + CPU + ";)V", false);
    setXmm(i.r0, 0, L_R);
    if (packed) {
      setXmm(i.r0, 1, L_A);
    }
  }

  /** MOVSD/MOVSS as {@code sem.SseMove.movsd/movss}; MOVAPS and friends register to register. */
  void sseMov(Insn i) {
    String name = target(i.handler)[1];
    int size = name.equals("movss") ? 4 : 8;
    sseCheck();
    if (name.startsWith("movA") || name.startsWith("movU")) {
      xmm(i.r1, 0);
      mv.visitVarInsn(LSTORE, L_R);
      xmm(i.r1, 1);
      mv.visitVarInsn(LSTORE, L_A);
      setXmm(i.r0, 0, L_R);
      setXmm(i.r0, 1, L_A);
    } else if (i.k0 == Insn.K_MEM) { // store: the address checked, then the write
      xmm(i.r1, 0);
      mv.visitVarInsn(LSTORE, L_R);
      la(i, size, true);
      writeT(size, L_R);
    } else if (i.k1 == Insn.K_MEM) { // load: the rest of the register zeroed
      la(i, size, false);
      readT(size, false);
      mv.visitVarInsn(LSTORE, L_R);
      setXmm(i.r0, 0, L_R);
      setXmm(i.r0, 1, -1);
    } else {
      xmm(i.r1, 0);
      if (size == 4) {
        intoLowSingle(i.r0);
      }
      mv.visitVarInsn(LSTORE, L_R);
      setXmm(i.r0, 0, L_R);
    }
  }

  /** handler(c, insn): invokestatic of the row's method, else through the Handler interface. */
  void call(MethodVisitor mv, Insn i, int j, int k) {
    String[] t = target(i.handler);
    if (t != null) {
      mv.visitVarInsn(ALOAD, L_C);
      insnConst(j, k);
      mv.visitMethodInsn(INVOKESTATIC, t[0], t[1], SEM_DESC, false);
      compiler.handlerCalls++;
    } else {
      insnConst(j, k);
      mv.visitFieldInsn(GETFIELD, Type.getInternalName(Insn.class), "handler", "L" + HANDLER + ";");
      mv.visitVarInsn(ALOAD, L_C);
      insnConst(j, k);
      mv.visitMethodInsn(INVOKEINTERFACE, HANDLER, "exec", SEM_DESC, true);
      compiler.interfaceCalls++;
    }
  }
}
