package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Flags;
import org.jkvm.translator.isa.Insn;

/**
 * x87 comparisons and classification (SDM Vol. 1, 8.3.6-8.3.7): FCOM/FCOMP/FCOMPP and their undocumented
 * aliases, FUCOM/FUCOMP/FUCOMPP, FICOM/FICOMP, FCOMI/FCOMIP/FUCOMI/FUCOMIP (into ZF, PF, CF), FTST and
 * FXAM. FCOM and FCOMI are ordered (any NaN is invalid), FUCOM and FUCOMI only reject SNaNs.
 */
public final class X87Compare {
  private X87Compare() {}

  private static final int CC3 = X87.C0 | X87.C2 | X87.C3;

  /** FCOM/FCOMP m32fp (D8 /2, /3), m64fp (DC /2, /3), FICOM/FICOMP m32int (DA /2, /3), m16int (DE /2, /3). */
  public static void fcomMem(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    long ea = Ops.ea(c, i);
    boolean den = X87Arith.readOperand(c, i, ea, w);
    X87.lastInsn(c, i, ea);
    compareSt0(c, w, w[F80.MANT], (int) w[F80.SE], den, false, i.modrmReg() == 3 ? 1 : 0, false);
  }

  /**
   * FCOM/FCOMP ST(i) (D8 D0+i, D8 D8+i; aliases DC D0+i, DC D8+i, DE D0+i) and FUCOM/FUCOMP ST(i)
   * (DD E0+i, DD E8+i).
   */
  public static void fcomReg(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    X87.lastInsn(c, i);
    int reg = i.modrmReg();
    boolean quiet = i.opcode == 0xDD;
    boolean pop = quiet ? reg == 5 : reg == 3 || i.opcode == 0xDE;
    regCompare(c, w, i.modrm & 7, quiet, pop ? 1 : 0);
  }

  /** FCOMPP (DE D9) and FUCOMPP (DA E9): compare ST(0) with ST(1), pop twice. */
  public static void fcompp(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    X87.lastInsn(c, i);
    regCompare(c, w, 1, i.opcode == 0xDA, 2);
  }

  private static void regCompare(CpuState c, long[] w, int s, boolean quiet, int pops) {
    if (X87.empty(c, s)) {
      underflow(c, pops, false);
      return;
    }
    compareSt0(c, w, X87.mant(c, s), X87.se(c, s), false, quiet, pops, false);
  }

  /**
   * A stack underflow in a compare: the result is "unordered" whether IE is masked or not (as the host
   * shows); the pops happen only under the masked response.
   */
  private static void underflow(CpuState c, int pops, boolean eflags) {
    X87.stackUnderflow(c, -1, false);
    setResult(c, F80.CMP_UN, eflags);
    if (X87.masked(c, F80.IE)) {
      for (int k = 0; k < pops; k++) {
        X87.pop(c);
      }
    }
  }

  private static void setResult(CpuState c, int r, boolean eflags) {
    if (eflags) {
      setEflags(c, r);
    } else {
      X87.setCc(c, CC3, r);
    }
  }

  /**
   * Compares ST(0) with b. The result is written even when an unmasked exception is raised; only the pops
   * wait for the masked response. FCOMI and FUCOMI leave C1 alone.
   */
  private static void compareSt0(CpuState c, long[] w, long bm, int be, boolean bDen, boolean quiet, int pops,
      boolean eflags) {
    if (X87.empty(c, 0)) {
      underflow(c, pops, eflags);
      return;
    }
    int r = F80.compare(w, X87.mant(c, 0), X87.se(c, 0), bm, be, quiet, bDen);
    int c1 = c.fsw & X87.C1;
    boolean ok = X87.commit(c, w, false);
    if (eflags) {
      c.fsw = (c.fsw & ~X87.C1) | c1;
    }
    setResult(c, r, eflags);
    if (ok) {
      for (int k = 0; k < pops; k++) {
        X87.pop(c);
      }
    }
  }

  /** ZF, PF, CF from C3, C2, C0; OF, SF and AF cleared. */
  private static void setEflags(CpuState c, int r) {
    c.materializeFlags();
    long f = ((r & X87.C3) != 0 ? Flags.ZF : 0) | ((r & X87.C2) != 0 ? Flags.PF : 0)
        | ((r & X87.C0) != 0 ? Flags.CF : 0);
    c.rflags = (c.rflags & ~Flags.ARITH) | f;
  }

  /** FUCOMI (DB E8+i), FCOMI (DB F0+i), FUCOMIP (DF E8+i), FCOMIP (DF F0+i). */
  public static void fcomi(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    X87.lastInsn(c, i);
    int s = i.modrm & 7;
    boolean quiet = i.modrmReg() == 5;
    int pops = i.opcode == 0xDF ? 1 : 0;
    if (X87.empty(c, s)) {
      underflow(c, pops, true);
      return;
    }
    compareSt0(c, w, X87.mant(c, s), X87.se(c, s), false, quiet, pops, true);
  }

  /** FTST (D9 E4): compare ST(0) with +0.0. */
  public static void ftst(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    X87.lastInsn(c, i);
    compareSt0(c, w, 0, 0, false, false, 0, false);
  }

  /**
   * FXAM (D9 E5): C1 = sign; C3, C2, C0 = unsupported 000, NaN 001, normal 010, infinity 011, zero 100,
   * empty 101, denormal 110. Raises nothing.
   */
  public static void fxam(CpuState c, Insn i) {
    X87.begin(c);
    X87.lastInsn(c, i);
    long m = X87.mant(c, 0);
    int se = X87.se(c, 0);
    int cc;
    if (X87.empty(c, 0)) {
      cc = X87.C3 | X87.C0;
    } else if (F80.isUnsupported(m, se)) {
      cc = 0;
    } else if ((se & F80.EXP_MASK) == F80.EXP_MASK) {
      cc = m == F80.INT_BIT ? X87.C2 | X87.C0 : X87.C0;
    } else if ((se & F80.EXP_MASK) == 0) {
      cc = m == 0 ? X87.C3 : X87.C3 | X87.C2;
    } else {
      cc = X87.C2;
    }
    if ((se & F80.SIGN) != 0) {
      cc |= X87.C1;
    }
    X87.setCc(c, X87.CC, cc);
  }
}
