package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Flags;
import org.jkvm.translator.isa.Insn;

/**
 * x87 data transfer (SDM Vol. 1, 8.3.3-8.3.4, Vol. 2): FLD/FST/FSTP with single, double and extended
 * memory operands and ST(i), FILD/FIST/FISTP/FISTTP, FBLD/FBSTP, the constants, FXCH and FCMOVcc.
 *
 * <p>Loads from single and double precision are exact (SNaN: IE and quieted; a denormal: DE); extended
 * loads and stores and register moves copy bits and raise nothing. Stores round by RC only (precision
 * control applies to arithmetic); as the host shows, a denormal source does not report DE on a store.
 */
public final class X87LoadStore {
  private X87LoadStore() {}

  // ---- FLD ----

  /** FLD m32fp (D9 /0), m64fp (DD /0), m80fp (DB /5). */
  public static void fldMem(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    long ea = Ops.ea(c, i);
    long m;
    int se;
    boolean den = false;
    if (i.opcode == 0xDB) {
      long la = Mem.linear(c, i.seg, ea, 10, false);
      m = Mem.readLa(c, la, 8);
      se = (int) Mem.readLa(c, la + 8, 2);
    } else {
      if (i.opcode == 0xD9) {
        den = F80.fromF32(w, (int) Mem.read(c, i.seg, ea, 4));
      } else {
        den = F80.fromF64(w, Mem.read(c, i.seg, ea, 8));
      }
      m = w[F80.MANT];
      se = (int) w[F80.SE];
    }
    X87.lastInsn(c, i, ea);
    c.fsw &= ~X87.C1;
    if (X87.full(c)) {
      X87.stackOverflow(c);
      return;
    }
    if (i.opcode != 0xDB) {
      if (F80.isSNaN(m, se)) {
        w[F80.EXC] |= F80.IE;
        m |= F80.QUIET_BIT;
      } else if (den) {
        w[F80.EXC] |= F80.DE;
      }
      // An unmasked IE keeps the stack as it was; an unmasked DE does not stop a load (as the host shows).
      if (!X87.commit(c, w, false) && (w[F80.EXC] & F80.IE) != 0) {
        return;
      }
    }
    X87.push(c, m, se);
  }

  /**
   * FLD ST(i) (D9 C0+i): pushes a copy. An empty ST(i) is a stack underflow, which the host reports ahead
   * of a full stack.
   */
  public static void fldSt(CpuState c, Insn i) {
    X87.begin(c);
    X87.lastInsn(c, i);
    c.fsw &= ~X87.C1;
    int src = i.modrm & 7;
    if (!X87.empty(c, src) && X87.full(c)) {
      X87.stackOverflow(c);
      return;
    }
    if (X87.empty(c, src)) {
      c.fsw |= F80.IE | F80.SF;
      if (!X87.masked(c, F80.IE)) {
        c.fsw |= X87.ES | X87.B;
        return;
      }
      X87.push(c, F80.INDEF_MANT, F80.INDEF_SE);
      return;
    }
    X87.push(c, X87.mant(c, src), X87.se(c, src));
  }

  // ---- FST / FSTP ----

  /** FST/FSTP m32fp (D9 /2, /3), m64fp (DD /2, /3), FSTP m80fp (DB /7). */
  public static void fstMem(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    boolean pop = i.opcode == 0xDB || (i.modrmReg() & 1) != 0;
    int size = i.opcode == 0xD9 ? 4 : i.opcode == 0xDD ? 8 : 10;
    long ea = Ops.ea(c, i);
    long la = Mem.linear(c, i.seg, ea, size, true);
    probeWrite(c, la, size);
    X87.lastInsn(c, i, ea);
    if (X87.empty(c, 0)) {
      X87.stackUnderflow(c, -1, false);
      if (X87.masked(c, F80.IE)) {
        writeValue(c, la, size, F80.INDEF_MANT, F80.INDEF_SE, 0xFFC0_0000L, 0xFFF8_0000_0000_0000L);
        if (pop) {
          X87.pop(c);
        }
      }
      return;
    }
    long m = X87.mant(c, 0);
    int se = X87.se(c, 0);
    long f32 = 0;
    long f64 = 0;
    if (size == 4) {
      f32 = F80.toF32(w, m, se, c.fcw) & 0xFFFF_FFFFL;
    } else if (size == 8) {
      f64 = F80.toF64(w, m, se, c.fcw);
    }
    if (!X87.commit(c, w, true)) {
      return;
    }
    writeValue(c, la, size, m, se, f32, f64);
    if (pop) {
      X87.pop(c);
    }
  }

  private static void writeValue(CpuState c, long la, int size, long m, int se, long f32, long f64) {
    if (size == 4) {
      Mem.writeLa(c, la, 4, f32);
    } else if (size == 8) {
      Mem.writeLa(c, la, 8, f64);
    } else {
      Mem.writeLa(c, la, 8, m);
      Mem.writeLa(c, la + 8, 2, se);
    }
  }

  /** Faults now, before any x87 state changes, if the destination cannot be written. */
  static void probeWrite(CpuState c, long la, int size) {
    if (size <= 8) {
      Mem.readLaForWrite(c, la, size);
    } else {
      Mem.readLaForWrite(c, la, 8);
      Mem.readLaForWrite(c, la + 8, size - 8);
    }
  }

  /**
   * FST ST(i) (DD D0+i), FSTP ST(i) (DD D8+i and its aliases D9 D8+i, DF D0+i, DF D8+i). The host's
   * FSTP1 (D9 D8+i) reports no stack underflow: from an empty ST(0) it only pops.
   */
  public static void fstSt(CpuState c, Insn i) {
    X87.begin(c);
    X87.lastInsn(c, i);
    boolean pop = !(i.opcode == 0xDD && i.modrmReg() == 2);
    int dst = i.modrm & 7;
    c.fsw &= ~X87.C1;
    if (X87.empty(c, 0) && i.opcode == 0xD9) {
      X87.pop(c);
      return;
    }
    if (X87.empty(c, 0)) {
      X87.stackUnderflow(c, dst, pop);
      return;
    }
    X87.write(c, dst, X87.mant(c, 0), X87.se(c, 0));
    if (pop) {
      X87.pop(c);
    }
  }

  // ---- integers ----

  /** FILD m16int (DF /0), m32int (DB /0), m64int (DF /5): exact. */
  public static void fild(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    int size = i.opcode == 0xDB ? 4 : i.modrmReg() == 5 ? 8 : 2;
    long ea = Ops.ea(c, i);
    long v = Ops.sext(Mem.read(c, i.seg, ea, size), size);
    X87.lastInsn(c, i, ea);
    c.fsw &= ~X87.C1;
    if (X87.full(c)) {
      X87.stackOverflow(c);
      return;
    }
    F80.fromInt(w, v);
    X87.push(c, w[F80.MANT], (int) w[F80.SE]);
  }

  /**
   * FIST m16/m32 (DF /2, DB /2), FISTP m16/m32/m64 (DF /3, DB /3, DF /7) by RC, and FISTTP m16/m32/m64
   * (DF /1, DB /1, DD /1), which truncates. Out of range, NaN and infinity store the integer indefinite
   * when IE is masked.
   */
  public static void fist(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    int reg = i.modrmReg();
    int size;
    if (i.opcode == 0xDD) {
      size = 8;
    } else if (i.opcode == 0xDB) {
      size = 4;
    } else {
      size = reg == 7 ? 8 : 2;
    }
    boolean truncate = reg == 1;
    boolean pop = reg != 2;
    long ea = Ops.ea(c, i);
    long la = Mem.linear(c, i.seg, ea, size, true);
    probeWrite(c, la, size);
    X87.lastInsn(c, i, ea);
    long indefinite = 1L << (8 * size - 1);
    if (X87.empty(c, 0)) {
      X87.stackUnderflow(c, -1, false);
      if (X87.masked(c, F80.IE)) {
        Mem.writeLa(c, la, size, indefinite);
        if (pop) {
          X87.pop(c);
        }
      }
      return;
    }
    long v = F80.toInt(w, X87.mant(c, 0), X87.se(c, 0), 8 * size, truncate ? F80.RC_ZERO : F80.rc(c.fcw));
    if (!X87.commit(c, w, true)) {
      return;
    }
    Mem.writeLa(c, la, size, v);
    if (pop) {
      X87.pop(c);
    }
  }

  // ---- packed BCD ----

  /** FBLD m80bcd (DF /4): 18 digits and a sign; digits above 9 are taken at face value. */
  public static void fbld(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    long ea = Ops.ea(c, i);
    long la = Mem.linear(c, i.seg, ea, 10, false);
    long lo = Mem.readLa(c, la, 8);
    int hi = (int) Mem.readLa(c, la + 8, 2);
    X87.lastInsn(c, i, ea);
    c.fsw &= ~X87.C1;
    if (X87.full(c)) {
      X87.stackOverflow(c);
      return;
    }
    long v = 0;
    for (int k = 1; k >= 0; k--) {
      v = v * 10 + ((hi >> (4 * k)) & 15);
    }
    for (int k = 15; k >= 0; k--) {
      v = v * 10 + ((lo >>> (4 * k)) & 15);
    }
    F80.fromInt(w, v);
    int sign = (hi & 0x8000) != 0 ? F80.SIGN : 0;
    X87.push(c, w[F80.MANT], (int) w[F80.SE] | sign);
  }

  /** FBSTP m80bcd (DF /6): rounded by RC; beyond 18 digits the masked response stores the BCD indefinite. */
  public static void fbstp(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    long ea = Ops.ea(c, i);
    long la = Mem.linear(c, i.seg, ea, 10, true);
    probeWrite(c, la, 10);
    X87.lastInsn(c, i, ea);
    if (X87.empty(c, 0)) {
      X87.stackUnderflow(c, -1, false);
      if (X87.masked(c, F80.IE)) {
        writeBcdIndefinite(c, la);
        X87.pop(c);
      }
      return;
    }
    int se = X87.se(c, 0);
    long v = F80.toInt(w, X87.mant(c, 0), se, 0, F80.rc(c.fcw));
    if (!X87.commit(c, w, true)) {
      return;
    }
    if ((w[F80.EXC] & F80.IE) != 0) {
      writeBcdIndefinite(c, la);
    } else {
      long mag = Math.abs(v);
      long digits = 0;
      for (int k = 0; k < 16; k++) {
        digits |= (mag % 10) << (4 * k);
        mag /= 10;
      }
      int top = (int) (mag % 10) | (int) (mag / 10 % 10) << 4;
      Mem.writeLa(c, la, 8, digits);
      Mem.writeLa(c, la + 8, 2, top | ((se & F80.SIGN) != 0 ? 0x8000 : 0));
    }
    X87.pop(c);
  }

  /** The packed BCD indefinite: FFFF C000 0000 0000 0000 (high to low). */
  private static void writeBcdIndefinite(CpuState c, long la) {
    Mem.writeLa(c, la, 8, 0xC000_0000_0000_0000L);
    Mem.writeLa(c, la + 8, 2, 0xFFFF);
  }

  // ---- constants ----

  /**
   * FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ (D9 E8-EE): the constant correctly rounded to 64
   * bits by RC (the bits after the 64th are kept here); no PE, C1 cleared, as the host shows.
   */
  public static void fldConst(CpuState c, Insn i) {
    X87.begin(c);
    X87.lastInsn(c, i);
    c.fsw &= ~X87.C1;
    if (X87.full(c)) {
      X87.stackOverflow(c);
      return;
    }
    int k = i.modrm - 0xE8;
    long m = CONST_MANT[k];
    int se = CONST_SE[k];
    long tail = CONST_TAIL[k];
    if (tail != 0) {
      int rc = F80.rc(c.fcw);
      if (rc == F80.RC_UP || rc == F80.RC_NEAREST && tail < 0 && ((tail << 1) != 0 || (m & 1) != 0)) {
        m++; // none of these significands is all ones
      }
    }
    X87.push(c, m, se);
  }

  // FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ: 64-bit significand truncated, the next 64 bits.
  private static final long[] CONST_MANT = {
      0x8000_0000_0000_0000L, 0xD49A_784B_CD1B_8AFEL, 0xB8AA_3B29_5C17_F0BBL, 0xC90F_DAA2_2168_C234L,
      0x9A20_9A84_FBCF_F798L, 0xB172_17F7_D1CF_79ABL, 0};
  private static final long[] CONST_TAIL = {
      0, 0x492B_F6FF_4DAF_DB4CL, 0xBE87_FED0_691D_3E88L, 0xC4C6_628B_80DC_1CD1L,
      0x8F89_59AC_0B7C_9178L, 0xC9E3_B398_03F2_F6AFL, 0};
  private static final int[] CONST_SE = {
      F80.BIAS, F80.BIAS + 1, F80.BIAS, F80.BIAS + 1, F80.BIAS - 2, F80.BIAS - 1, 0};

  // ---- FXCH, FCMOVcc ----

  /** FXCH ST(i) (D9 C8+i, aliases DD C8+i, DF C8+i); an empty operand reads as the indefinite. */
  public static void fxch(CpuState c, Insn i) {
    X87.begin(c);
    X87.lastInsn(c, i);
    int s = i.modrm & 7;
    c.fsw &= ~X87.C1;
    boolean e0 = X87.empty(c, 0);
    boolean es = X87.empty(c, s);
    long m0 = X87.mant(c, 0);
    int se0 = X87.se(c, 0);
    long ms = X87.mant(c, s);
    int ses = X87.se(c, s);
    if (e0 || es) {
      c.fsw |= F80.IE | F80.SF;
      if (!X87.masked(c, F80.IE)) {
        c.fsw |= X87.ES | X87.B;
        return;
      }
      if (e0) {
        m0 = F80.INDEF_MANT;
        se0 = F80.INDEF_SE;
      }
      if (es) {
        ms = F80.INDEF_MANT;
        ses = F80.INDEF_SE;
      }
    }
    X87.write(c, s, m0, se0);
    X87.write(c, 0, ms, ses);
  }

  /**
   * FCMOVB/E/BE/U (DA C0-DF) and FCMOVNB/NE/NBE/NU (DB C0-DF): ST(0) = ST(i) if the EFLAGS condition
   * holds. An empty operand is a stack underflow whatever the condition.
   */
  public static void fcmov(CpuState c, Insn i) {
    X87.begin(c);
    X87.lastInsn(c, i);
    int s = i.modrm & 7;
    if (X87.empty(c, 0) || X87.empty(c, s)) {
      X87.stackUnderflow(c, 0, false);
      return;
    }
    boolean cond;
    switch (i.modrmReg() & 3) {
      case 0: cond = Flags.cf(c); break;
      case 1: cond = Flags.zf(c); break;
      case 2: cond = Flags.cf(c) || Flags.zf(c); break;
      default: cond = Flags.pf(c); break;
    }
    if (i.opcode == 0xDB) {
      cond = !cond;
    }
    if (cond) {
      X87.write(c, 0, X87.mant(c, s), X87.se(c, s));
    }
  }
}
