package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.translator.isa.Insn;

/**
 * x87 arithmetic (SDM Vol. 1, 8.3.5-8.3.7): FADD, FSUB, FSUBR, FMUL, FDIV, FDIVR in every form, FIADD and
 * the other integer forms, FCHS, FABS, FSQRT, FRNDINT, FSCALE, FXTRACT, FPREM and FPREM1.
 *
 * <p>The two-operand forms share one shape: with x = ST(0) and y = the other operand (memory, ST(i)),
 * ModRM.reg selects x+y, x*y, x-y, y-x, x/y, y/x (0, 1, 4, 5, 6, 7) whether the result goes to ST(0)
 * (D8, memory forms) or to ST(i) (DC, DE): the encodings of the "reversed" mnemonics swap exactly so.
 */
public final class X87Arith {
  private X87Arith() {}

  /** x op y into w; yDen says y came from a denormal of a smaller format (DE although it is normal here). */
  private static void compute(long[] w, int op, long xm, int xe, long ym, int ye, boolean yDen, int fcw) {
    switch (op) {
      case 0:
        F80.add(w, xm, xe, ym, ye, false, yDen, fcw);
        break;
      case 1:
        F80.mul(w, xm, xe, ym, ye, yDen, fcw);
        break;
      case 4:
        F80.add(w, xm, xe, ym, ye, true, yDen, fcw);
        break;
      case 5:
        F80.add(w, ym, ye, xm, xe, true, yDen, fcw);
        break;
      case 6:
        F80.div(w, xm, xe, ym, ye, false, yDen, fcw);
        break;
      default:
        F80.div(w, ym, ye, xm, xe, yDen, false, fcw);
        break;
    }
  }

  /**
   * Reads the memory operand of the D8/DC/DA/DE arithmetic and compare rows into {@code w}: m32fp (D8),
   * m64fp (DC), m32int (DA), m16int (DE). Returns whether a float operand was denormal.
   */
  static boolean readOperand(CpuState c, Insn i, long ea, long[] w) {
    switch (i.opcode) {
      case 0xD8:
        return F80.fromF32(w, (int) Mem.read(c, i.seg, ea, 4));
      case 0xDC:
        return F80.fromF64(w, Mem.read(c, i.seg, ea, 8));
      case 0xDA:
        F80.fromInt(w, (int) Mem.read(c, i.seg, ea, 4));
        return false;
      default:
        F80.fromInt(w, (short) Mem.read(c, i.seg, ea, 2));
        return false;
    }
  }

  /**
   * FADD/FMUL/FSUB/FSUBR/FDIV/FDIVR with a memory operand: m32fp (D8), m64fp (DC), m32int (DA), m16int
   * (DE); the result goes to ST(0).
   */
  public static void arithMem(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    long ea = Ops.ea(c, i);
    boolean den = readOperand(c, i, ea, w);
    long ym = w[F80.MANT];
    int ye = (int) w[F80.SE];
    X87.lastInsn(c, i, ea);
    if (X87.empty(c, 0)) {
      X87.stackUnderflow(c, 0, false);
      return;
    }
    compute(w, i.modrmReg(), X87.mant(c, 0), X87.se(c, 0), ym, ye, den, c.fcw);
    if (X87.commit(c, w, false)) {
      X87.writeResult(c, 0, w);
    }
  }

  /**
   * Register forms: D8 (ST(0) = ST(0) op ST(i)), DC (ST(i) = ST(0) op' ST(i)) and DE (the same, then pop).
   */
  public static void arithReg(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    X87.lastInsn(c, i);
    int s = i.modrm & 7;
    boolean toSti = i.opcode != 0xD8;
    boolean pop = i.opcode == 0xDE;
    int dst = toSti ? s : 0;
    if (X87.empty(c, 0) || X87.empty(c, s)) {
      X87.stackUnderflow(c, dst, pop);
      return;
    }
    compute(w, i.modrmReg(), X87.mant(c, 0), X87.se(c, 0), X87.mant(c, s), X87.se(c, s), false, c.fcw);
    if (X87.commit(c, w, false)) {
      X87.writeResult(c, dst, w);
      if (pop) {
        X87.pop(c);
      }
    }
  }

  // ---- one-operand instructions on ST(0) ----

  /** FCHS (D9 E0). */
  public static void fchs(CpuState c, Insn i) {
    X87.begin(c);
    X87.lastInsn(c, i);
    if (X87.empty(c, 0)) {
      X87.stackUnderflow(c, 0, false);
      return;
    }
    c.fsw &= ~X87.C1;
    X87.write(c, 0, X87.mant(c, 0), X87.se(c, 0) ^ F80.SIGN);
  }

  /** FABS (D9 E1). */
  public static void fabs(CpuState c, Insn i) {
    X87.begin(c);
    X87.lastInsn(c, i);
    if (X87.empty(c, 0)) {
      X87.stackUnderflow(c, 0, false);
      return;
    }
    c.fsw &= ~X87.C1;
    X87.write(c, 0, X87.mant(c, 0), X87.se(c, 0) & ~F80.SIGN);
  }

  /** FSQRT (D9 FA) and FRNDINT (D9 FC). */
  public static void unary(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    X87.lastInsn(c, i);
    if (X87.empty(c, 0)) {
      X87.stackUnderflow(c, 0, false);
      return;
    }
    if (i.modrm == 0xFA) {
      F80.sqrt(w, X87.mant(c, 0), X87.se(c, 0), c.fcw);
    } else {
      F80.roundToInt(w, X87.mant(c, 0), X87.se(c, 0), c.fcw);
    }
    if (X87.commit(c, w, false)) {
      X87.writeResult(c, 0, w);
    }
  }

  /** FSCALE (D9 FD): ST(0) = ST(0) * 2^trunc(ST(1)). */
  public static void fscale(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    X87.lastInsn(c, i);
    if (X87.empty(c, 0) || X87.empty(c, 1)) {
      X87.stackUnderflow(c, 0, false);
      return;
    }
    F80.scale(w, X87.mant(c, 0), X87.se(c, 0), X87.mant(c, 1), X87.se(c, 1), c.fcw);
    if (X87.commit(c, w, false)) {
      X87.writeResult(c, 0, w);
    }
  }

  /**
   * FXTRACT (D9 F4): ST(0) = exponent, then push the significand. A stack fault (empty ST(0), or no room
   * to push) answers, masked, with the indefinite in ST(0) and pushed.
   */
  public static void fxtract(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    X87.lastInsn(c, i);
    boolean under = X87.empty(c, 0);
    if (under || X87.full(c)) {
      c.fsw = (c.fsw & ~X87.C1) | F80.IE | F80.SF | (under ? 0 : X87.C1);
      if (X87.masked(c, F80.IE)) {
        X87.write(c, 0, F80.INDEF_MANT, F80.INDEF_SE);
        X87.push(c, F80.INDEF_MANT, F80.INDEF_SE);
      } else {
        c.fsw |= X87.ES | X87.B;
      }
      return;
    }
    F80.extract(w, X87.mant(c, 0), X87.se(c, 0));
    if (X87.commit(c, w, false)) {
      X87.writeResult(c, 0, w);
      X87.push(c, w[F80.MANT2], (int) w[F80.SE2]);
    }
  }

  /** FPREM (D9 F8) and FPREM1 (D9 F5): partial remainder of ST(0) by ST(1), quotient bits in C0, C3, C1. */
  public static void fprem(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    X87.lastInsn(c, i);
    if (X87.empty(c, 0) || X87.empty(c, 1)) {
      X87.stackUnderflow(c, 0, false);
      X87.setCc(c, X87.C2, 0);
      return;
    }
    X87.setCc(c, X87.C2, 0);
    int cc = F80.rem(w, X87.mant(c, 0), X87.se(c, 0), X87.mant(c, 1), X87.se(c, 1), i.modrm == 0xF5, c.fcw);
    if (X87.commit(c, w, false)) {
      X87.writeResult(c, 0, w);
      if (cc >= 0) {
        X87.setCc(c, X87.CC, cc);
      }
    }
  }
}
