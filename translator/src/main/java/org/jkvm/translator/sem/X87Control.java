package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.translator.isa.Insn;

/**
 * x87 control instructions (SDM Vol. 1, 8.1 and Vol. 2): FNINIT, FNCLEX, FLDCW/FNSTCW, FNSTSW,
 * FLDENV/FNSTENV, FRSTOR/FNSAVE, FINCSTP/FDECSTP, FFREE, FNOP, and the FXSAVE/FXRSTOR image of the x87,
 * MMX and SSE state (Vol. 1, 10.5.1, Table 10-2), LDMXCSR/STMXCSR.
 *
 * <p>State: {@link CpuState#fpMant}/{@link CpuState#fpExp} are the physical registers R0-R7 (64-bit
 * significand with explicit integer bit; sign and 15-bit exponent), {@link CpuState#fpTop} is TOP (kept out
 * of {@link CpuState#fsw}, which holds the other status bits), {@link CpuState#fpTag} the full tag word.
 */
public final class X87Control {
  private X87Control() {}

  static final int FSW_TOP_SHIFT = 11;
  static final int FSW_ES = 0x80;
  static final int TAG_VALID = 0;
  static final int TAG_ZERO = 1;
  static final int TAG_SPECIAL = 2;
  static final int TAG_EMPTY = 3;
  /** MXCSR bits that may be set: flags, DAZ, masks, RC, FTZ. */
  public static final int MXCSR_MASK = 0xFFFF;

  /** #NM when CR0.EM or CR0.TS (x87 instructions other than WAIT). */
  public static void checkDevice(CpuState c) {
    if ((c.cr0 & (CpuState.CR0_EM | CpuState.CR0_TS)) != 0) {
      throw GuestFault.of(GuestFault.NM);
    }
  }

  /** The status word as software reads it: TOP merged in. */
  public static int statusWord(CpuState c) {
    return (c.fsw & ~(7 << FSW_TOP_SHIFT)) | (c.fpTop & 7) << FSW_TOP_SHIFT;
  }

  static void setStatusWord(CpuState c, int v) {
    c.fsw = v & 0xFFFF & ~(7 << FSW_TOP_SHIFT);
    c.fpTop = (v >> FSW_TOP_SHIFT) & 7;
  }

  static void init(CpuState c) {
    c.fcw = 0x37F;
    c.fsw = 0;
    c.fpTop = 0;
    c.fpTag = 0xFFFF;
    c.fop = 0;
    c.fip = 0;
    c.fdp = 0;
    c.fcs = 0;
    c.fds = 0;
  }

  public static void fninit(CpuState c, Insn i) {
    checkDevice(c);
    init(c);
  }

  public static void fnclex(CpuState c, Insn i) {
    checkDevice(c);
    c.fsw &= ~0x80FF; // exception flags, SF, ES and B
  }

  public static void fldcw(CpuState c, Insn i) {
    checkDevice(c);
    X87.checkPending(c);
    c.fcw = (int) Mem.read(c, i.seg, Ops.ea(c, i), 2) & 0x1F7F | 0x40;
    updateSummary(c);
  }

  public static void fnstcw(CpuState c, Insn i) {
    checkDevice(c);
    Mem.write(c, i.seg, Ops.ea(c, i), 2, c.fcw);
  }

  /** FNSTSW m16 and FNSTSW AX (DF E0). */
  public static void fnstsw(CpuState c, Insn i) {
    checkDevice(c);
    int sw = statusWord(c);
    if (i.k0 == Insn.K_MEM) {
      Mem.write(c, i.seg, Ops.ea(c, i), 2, sw);
    } else {
      Ops.setReg(c, CpuState.RAX, 2, sw);
    }
  }

  /** ES and B follow the unmasked exception flags (SDM 8.1.3.1). */
  static void updateSummary(CpuState c) {
    int unmasked = c.fsw & 0x3F & ~(c.fcw & 0x3F);
    if (unmasked != 0) {
      c.fsw |= 0x8080;
    } else {
      c.fsw &= ~0x8080;
    }
  }

  public static void fincstp(CpuState c, Insn i) {
    X87.begin(c);
    X87.lastInsn(c, i);
    c.fpTop = (c.fpTop + 1) & 7;
    c.fsw &= ~0x0200; // C1 cleared
  }

  public static void fdecstp(CpuState c, Insn i) {
    X87.begin(c);
    X87.lastInsn(c, i);
    c.fpTop = (c.fpTop - 1) & 7;
    c.fsw &= ~0x0200;
  }

  /** FFREE ST(i): tag empty; TOP unchanged; C1 cleared. */
  public static void ffree(CpuState c, Insn i) {
    X87.begin(c);
    X87.lastInsn(c, i);
    int phys = (c.fpTop + i.r0) & 7;
    c.fpTag |= TAG_EMPTY << (2 * phys);
    c.fsw &= ~0x0200;
  }

  /** FFREEP ST(i) (DF C0+i, undocumented but executed by every Intel part): FFREE then pop. */
  public static void ffreep(CpuState c, Insn i) {
    ffree(c, i);
    X87.pop(c);
  }

  /** FNOP (D9 D0): a waiting instruction that does nothing (a pending exception is taken). */
  public static void fnop(CpuState c, Insn i) {
    X87.begin(c);
    X87.lastInsn(c, i);
  }

  /**
   * FNENI, FNDISI, FNSETPM (DB E0, E1, E4): 8087/80287 control instructions that do nothing since the
   * 80387. They are no-wait forms, so a pending exception is not taken (the host agrees), and as control
   * instructions they leave FOP and FIP alone.
   */
  public static void fnopNoWait(CpuState c, Insn i) {
    checkDevice(c);
  }

  // ---- tags ----

  /** The tag a register's contents call for (SDM 8.1.7): zero, special (NaN, inf, denormal, unnormal), valid. */
  static int classify(long mant, int exp) {
    int e = exp & 0x7FFF;
    if (e == 0) {
      return mant == 0 ? TAG_ZERO : TAG_SPECIAL;
    }
    if (e == 0x7FFF || mant >= 0) { // integer bit clear: unnormal or pseudo-NaN/infinity
      return TAG_SPECIAL;
    }
    return TAG_VALID;
  }

  /**
   * The tag word as FNSTENV and FNSAVE store it: empty registers as recorded, the others classified from
   * their contents (only "empty or not" is state; SDM Vol. 1, 8.1.7).
   */
  static int fullTag(CpuState c) {
    int tag = 0;
    for (int r = 0; r < 8; r++) {
      int t = (c.fpTag >> (2 * r)) & 3;
      if (t != TAG_EMPTY) {
        t = classify(c.fpMant[r], c.fpExp[r]);
      }
      tag |= t << (2 * r);
    }
    return tag;
  }

  /** FXSAVE's abridged tag: one bit per physical register, set if not empty. */
  static int abridgedTag(CpuState c) {
    int t = 0;
    for (int r = 0; r < 8; r++) {
      if (((c.fpTag >> (2 * r)) & 3) != TAG_EMPTY) {
        t |= 1 << r;
      }
    }
    return t;
  }

  static void restoreFromAbridged(CpuState c, int abridged) {
    int tag = 0;
    for (int r = 0; r < 8; r++) {
      int t = (abridged & (1 << r)) == 0 ? TAG_EMPTY : classify(c.fpMant[r], c.fpExp[r]);
      tag |= t << (2 * r);
    }
    c.fpTag = tag;
  }

  // ---- FXSAVE / FXRSTOR ----

  private static long fxArea(CpuState c, Insn i, boolean write) {
    long ea = Ops.ea(c, i);
    long la = Mem.linear(c, i.seg, ea, 512, write);
    // The SDM lets a processor raise #AC instead of #GP for a misaligned area when alignment checks are on,
    // and leaves the width of that check to the implementation; the host (AMD) checks 4 bytes.
    Mem.checkAligned(c, la, 4);
    if ((la & 15) != 0) {
      throw GuestFault.gp0();
    }
    return la;
  }

  /** FXSAVE m512byte: x87, MXCSR and XMM state; 64-bit FIP/FDP with REX.W. */
  public static void fxsave(CpuState c, Insn i) {
    checkDevice(c);
    long la = fxArea(c, i, true);
    Mem.readLaForWrite(c, la, 1);
    Mem.readLaForWrite(c, la + 511, 1);
    Mem.writeLa(c, la, 2, c.fcw);
    Mem.writeLa(c, la + 2, 2, statusWord(c));
    Mem.writeLa(c, la + 4, 1, abridgedTag(c));
    Mem.writeLa(c, la + 5, 1, 0);
    Mem.writeLa(c, la + 6, 2, c.fop);
    if ((i.rex & 8) != 0) {
      Mem.writeLa(c, la + 8, 8, c.fip);
      Mem.writeLa(c, la + 16, 8, c.fdp);
    } else {
      Mem.writeLa(c, la + 8, 4, c.fip);
      Mem.writeLa(c, la + 12, 4, c.fcs);
      Mem.writeLa(c, la + 16, 4, c.fdp);
      Mem.writeLa(c, la + 20, 4, c.fds);
    }
    Mem.writeLa(c, la + 24, 4, c.mxcsr);
    Mem.writeLa(c, la + 28, 4, MXCSR_MASK);
    for (int st = 0; st < 8; st++) {
      int phys = (c.fpTop + st) & 7;
      long at = la + 32 + 16L * st;
      Mem.writeLa(c, at, 8, c.fpMant[phys]);
      Mem.writeLa(c, at + 8, 2, c.fpExp[phys]);
      Mem.writeLa(c, at + 10, 2, 0);
      Mem.writeLa(c, at + 12, 4, 0);
    }
    int nxmm = c.codeSize == 8 ? 16 : 8;
    for (int x = 0; x < nxmm; x++) {
      Mem.writeLa(c, la + 160 + 16L * x, 8, c.xmm[2 * x]);
      Mem.writeLa(c, la + 168 + 16L * x, 8, c.xmm[2 * x + 1]);
    }
  }

  /** FXRSTOR m512byte; reserved MXCSR bits are #GP(0). */
  public static void fxrstor(CpuState c, Insn i) {
    checkDevice(c);
    long la = fxArea(c, i, false);
    // The whole image is read before MXCSR is checked: a #PF anywhere in it comes first (the host does).
    Mem.readLa(c, la, 1);
    Mem.readLa(c, la + 511, 1);
    int mxcsr = (int) Mem.readLa(c, la + 24, 4);
    long[] mant = new long[8];
    int[] exp = new int[8];
    for (int st = 0; st < 8; st++) {
      long at = la + 32 + 16L * st;
      mant[st] = Mem.readLa(c, at, 8);
      exp[st] = (int) Mem.readLa(c, at + 8, 2);
    }
    int nxmm = c.codeSize == 8 ? 16 : 8;
    long[] xmm = new long[2 * nxmm];
    for (int x = 0; x < nxmm; x++) {
      xmm[2 * x] = Mem.readLa(c, la + 160 + 16L * x, 8);
      xmm[2 * x + 1] = Mem.readLa(c, la + 168 + 16L * x, 8);
    }
    int fcw = (int) Mem.readLa(c, la, 2);
    int fsw = (int) Mem.readLa(c, la + 2, 2);
    int ftw = (int) Mem.readLa(c, la + 4, 1);
    int fop = (int) Mem.readLa(c, la + 6, 2) & 0x7FF;
    long fip;
    long fdp;
    if ((i.rex & 8) != 0) {
      fip = Mem.readLa(c, la + 8, 8);
      fdp = Mem.readLa(c, la + 16, 8);
    } else {
      fip = Mem.readLa(c, la + 8, 4);
      c.fcs = (int) Mem.readLa(c, la + 12, 2);
      fdp = Mem.readLa(c, la + 16, 4);
      c.fds = (int) Mem.readLa(c, la + 20, 2);
    }
    if ((mxcsr & ~MXCSR_MASK) != 0) {
      throw GuestFault.gp0();
    }
    // Everything read: commit. FCW's reserved bits read as FLDCW leaves them (the host does).
    c.fcw = fcw & 0x1F7F | 0x40;
    setStatusWord(c, fsw);
    c.fop = fop;
    c.fip = fip;
    c.fdp = fdp;
    c.mxcsr = mxcsr;
    for (int st = 0; st < 8; st++) {
      int phys = (c.fpTop + st) & 7;
      c.fpMant[phys] = mant[st];
      c.fpExp[phys] = exp[st] & 0xFFFF;
    }
    System.arraycopy(xmm, 0, c.xmm, 0, xmm.length);
    restoreFromAbridged(c, ftw);
    updateSummary(c); // ES follows the unmasked flags, whatever the image said (the host does)
  }

  // ---- FNSTENV / FLDENV / FNSAVE / FRSTOR ----

  /** The environment image: 28 bytes with a 32-bit operand size, 14 with a 16-bit one (SDM Vol. 1, 8.1.10). */
  private static int envSize(Insn i) {
    return i.opSize == 2 ? 14 : 28;
  }

  /** Real-address and virtual-8086 mode store FIP and FDP as linear addresses (Figures 8-10, 8-12). */
  private static boolean realLayout(CpuState c) {
    return !c.protectedMode() || c.v86Mode();
  }

  private static void storeEnv(CpuState c, long la, Insn i) {
    boolean o32 = i.opSize != 2;
    int w = o32 ? 4 : 2;
    long ones = o32 ? 0xFFFF_0000L : 0; // reserved upper halves read as ones on Intel parts
    long[] f = new long[7];
    f[0] = c.fcw | ones;
    f[1] = statusWord(c) | ones;
    f[2] = fullTag(c) | ones;
    if (!realLayout(c)) {
      f[3] = c.fip;
      f[4] = o32 ? (long) c.fop << 16 | c.fcs : c.fcs;
      f[5] = c.fdp;
      f[6] = c.fds | ones;
    } else {
      long ip = ((long) (c.fcs & 0xFFFF) << 4) + (c.fip & 0xFFFF_FFFFL) & 0xFFFF_FFFFL;
      long dp = ((long) (c.fds & 0xFFFF) << 4) + (c.fdp & 0xFFFF_FFFFL) & 0xFFFF_FFFFL;
      long upper = o32 ? 0xFFFF_0000L : 0xF_0000L;
      f[3] = ip & 0xFFFF | ones;
      f[4] = (ip & upper) >>> 4 | c.fop;
      f[5] = dp & 0xFFFF | ones;
      f[6] = (dp & upper) >>> 4;
    }
    for (int k = 0; k < 7; k++) {
      Mem.writeLa(c, la + (long) k * w, w, f[k]);
    }
  }

  /** Reads an environment image; {@link #applyEnv} installs it once every read has succeeded. */
  private static long[] readEnv(CpuState c, long la, Insn i) {
    int w = i.opSize == 2 ? 2 : 4;
    long[] f = new long[7];
    for (int k = 0; k < 7; k++) {
      f[k] = Mem.readLa(c, la + (long) k * w, w);
    }
    return f;
  }

  private static void applyEnv(CpuState c, long[] f, Insn i) {
    boolean o32 = i.opSize != 2;
    c.fcw = (int) f[0] & 0x1F7F | 0x40;
    setStatusWord(c, (int) f[1]);
    c.fpTag = (int) f[2] & 0xFFFF;
    if (!realLayout(c)) {
      c.fip = f[3];
      c.fcs = (int) f[4] & 0xFFFF;
      c.fop = o32 ? (int) (f[4] >>> 16) & 0x7FF : 0;
      c.fdp = f[5];
      c.fds = (int) f[6] & 0xFFFF;
    } else {
      long upper = o32 ? 0x0FFF_F000L : 0xF000L;
      c.fip = (f[4] & upper) << 4 | f[3] & 0xFFFF;
      c.fop = (int) f[4] & 0x7FF;
      c.fdp = (f[6] & upper) << 4 | f[5] & 0xFFFF;
      c.fcs = 0;
      c.fds = 0;
    }
    updateSummary(c);
  }

  public static void fnstenv(CpuState c, Insn i) {
    checkDevice(c);
    long la = Mem.linear(c, i.seg, Ops.ea(c, i), envSize(i), true);
    storeEnv(c, la, i);
    c.fcw |= 0x3F; // FNSTENV masks all exceptions afterwards
    updateSummary(c); // and with nothing unmasked, ES and B clear (SDM Vol. 1, 8.1.3.1; the host agrees)
  }

  public static void fldenv(CpuState c, Insn i) {
    checkDevice(c);
    X87.checkPending(c);
    long la = Mem.linear(c, i.seg, Ops.ea(c, i), envSize(i), false);
    applyEnv(c, readEnv(c, la, i), i);
  }

  /** FNSAVE: the environment, then ST(0)-ST(7) as 10-byte values; then FNINIT. */
  public static void fnsave(CpuState c, Insn i) {
    checkDevice(c);
    int env = envSize(i);
    long la = Mem.linear(c, i.seg, Ops.ea(c, i), env + 80, true);
    int view = Mem.beginStructure(c, la, i.opSize == 2 ? 2 : 4); // aligned as its environment, like the host
    try {
      X87LoadStore.probeWrite(c, la, 8);
      X87LoadStore.probeWrite(c, la + env + 72, 8);
      storeEnv(c, la, i);
      for (int st = 0; st < 8; st++) {
        int phys = (c.fpTop + st) & 7;
        Mem.writeLa(c, la + env + 10L * st, 8, c.fpMant[phys]);
        Mem.writeLa(c, la + env + 10L * st + 8, 2, c.fpExp[phys]);
      }
    } finally {
      c.mmuIdx = view;
    }
    init(c);
  }

  /** FRSTOR: every byte is read before anything changes, so a fault leaves the state as it was. */
  public static void frstor(CpuState c, Insn i) {
    checkDevice(c);
    X87.checkPending(c);
    int env = envSize(i);
    long la = Mem.linear(c, i.seg, Ops.ea(c, i), env + 80, false);
    long[] f;
    long[] mant = new long[8];
    int[] exp = new int[8];
    int view = Mem.beginStructure(c, la, i.opSize == 2 ? 2 : 4);
    try {
      f = readEnv(c, la, i);
      for (int st = 0; st < 8; st++) {
        mant[st] = Mem.readLa(c, la + env + 10L * st, 8);
        exp[st] = (int) Mem.readLa(c, la + env + 10L * st + 8, 2);
      }
    } finally {
      c.mmuIdx = view;
    }
    applyEnv(c, f, i);
    for (int st = 0; st < 8; st++) {
      int phys = (c.fpTop + st) & 7;
      c.fpMant[phys] = mant[st];
      c.fpExp[phys] = exp[st];
    }
  }

  // ---- MXCSR ----

  /** #UD without CR4.OSFXSR or with CR0.EM; #NM with CR0.TS (SSE instructions). */
  public static void checkSse(CpuState c) {
    if ((c.cr0 & CpuState.CR0_EM) != 0 || (c.cr4 & CpuState.CR4_OSFXSR) == 0) {
      throw GuestFault.ud();
    }
    if ((c.cr0 & CpuState.CR0_TS) != 0) {
      throw GuestFault.of(GuestFault.NM);
    }
  }

  public static void ldmxcsr(CpuState c, Insn i) {
    checkSse(c);
    int v = (int) Mem.read(c, i.seg, Ops.ea(c, i), 4);
    if ((v & ~MXCSR_MASK) != 0) {
      throw GuestFault.gp0();
    }
    c.mxcsr = v;
  }

  public static void stmxcsr(CpuState c, Insn i) {
    checkSse(c);
    Mem.write(c, i.seg, Ops.ea(c, i), 4, c.mxcsr);
  }
}
