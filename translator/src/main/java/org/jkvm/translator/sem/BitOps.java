package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Flags;
import org.jkvm.translator.isa.Insn;

/**
 * BT, BTS, BTR, BTC, BSF, BSR, POPCNT, LZCNT, and BMI1: TZCNT, ANDN, BEXTR, BLSI, BLSMSK, BLSR. Undefined
 * flags (OF, SF, AF, PF after BT; all but ZF after BSF/BSR; all but CF and ZF after LZCNT/TZCNT; AF and PF
 * after BLSI/BLSMSK/BLSR) are left as they were. ANDN and BEXTR record a logic operation's lazy flags,
 * which agree with the SDM on every flag it defines for them (SF and ZF from the result, CF = OF = 0).
 */
public final class BitOps {
  private BitOps() {}

  private static final int TEST = 0;
  private static final int SET = 1;
  private static final int RESET = 2;
  private static final int COMPLEMENT = 3;

  /**
   * The bit-test family. With a memory operand and a register offset the offset is signed and may reach
   * outside the operand: the access moves by (offset SAR log2(width)) operands (SDM Vol. 2A, BT).
   */
  private static void bitOp(CpuState c, Insn i, int op) {
    int s = i.s0;
    int bits = s * 8;
    long off = Ops.get1(c, i);
    long value;
    long bit;
    long la = 0;
    if (i.k0 == Insn.K_MEM && i.k1 != Insn.K_IMM) {
      long soff = Ops.sext(off, s);
      long ea = (Ops.ea(c, i) + (soff >> Integer.numberOfTrailingZeros(bits)) * s) & Ops.mask(i.addrSize);
      la = Mem.linear(c, i.seg, ea, s, op != TEST);
      value = op == TEST ? Mem.readLa(c, la, s) : Mem.readLaForWrite(c, la, s);
      bit = soff & (bits - 1);
    } else {
      value = op == TEST ? Ops.get0(c, i) : Ops.get0Rmw(c, i);
      bit = off & (bits - 1);
    }
    boolean cf = (value >>> bit & 1) != 0;
    long r;
    switch (op) {
      case SET: r = value | (1L << bit); break;
      case RESET: r = value & ~(1L << bit); break;
      case COMPLEMENT: r = value ^ (1L << bit); break;
      default: r = value; break;
    }
    if (op != TEST) {
      if (i.k0 == Insn.K_MEM && i.k1 != Insn.K_IMM) {
        Mem.writeLa(c, la, s, r);
      } else {
        Ops.set0(c, i, r);
      }
    }
    c.materializeFlags();
    c.rflags = cf ? c.rflags | Flags.CF : c.rflags & ~Flags.CF;
  }

  public static void bt(CpuState c, Insn i) {
    bitOp(c, i, TEST);
  }

  public static void bts(CpuState c, Insn i) {
    bitOp(c, i, SET);
  }

  public static void btr(CpuState c, Insn i) {
    bitOp(c, i, RESET);
  }

  public static void btc(CpuState c, Insn i) {
    bitOp(c, i, COMPLEMENT);
  }

  private static void setZf(CpuState c, boolean zf) {
    c.materializeFlags();
    c.rflags = zf ? c.rflags | Flags.ZF : c.rflags & ~Flags.ZF;
  }

  /** BSF: a zero source sets ZF and leaves the destination unchanged. */
  public static void bsf(CpuState c, Insn i) {
    long v = Ops.get1(c, i);
    if (v == 0) {
      setZf(c, true);
      return;
    }
    Ops.set0(c, i, Long.numberOfTrailingZeros(v));
    setZf(c, false);
  }

  public static void bsr(CpuState c, Insn i) {
    long v = Ops.get1(c, i);
    if (v == 0) {
      setZf(c, true);
      return;
    }
    Ops.set0(c, i, 63 - Long.numberOfLeadingZeros(v));
    setZf(c, false);
  }

  /** POPCNT: ZF = (source == 0); OF, SF, AF, CF, PF cleared. */
  public static void popcnt(CpuState c, Insn i) {
    long v = Ops.get1(c, i);
    Ops.set0(c, i, Long.bitCount(v));
    c.materializeFlags();
    c.rflags = (c.rflags & ~Flags.ARITH) | (v == 0 ? Flags.ZF : 0);
  }

  /** LZCNT and TZCNT: CF = (source == 0), ZF = (result == 0); OF, SF, AF, PF undefined (kept). */
  private static void countFlags(CpuState c, boolean zeroSource, int n) {
    c.materializeFlags();
    long f = c.rflags & ~(Flags.CF | Flags.ZF);
    if (zeroSource) {
      f |= Flags.CF;
    }
    if (n == 0) {
      f |= Flags.ZF;
    }
    c.rflags = f;
  }

  /** LZCNT: leading zero bits of the source; the operand width for a zero source. */
  public static void lzcnt(CpuState c, Insn i) {
    int s = i.s0;
    long v = Ops.get1(c, i);
    int n = v == 0 ? s * 8 : Long.numberOfLeadingZeros(v) - (64 - s * 8);
    Ops.set0(c, i, n);
    countFlags(c, v == 0, n);
  }

  /** TZCNT: trailing zero bits of the source; the operand width for a zero source (where BSF keeps it). */
  public static void tzcnt(CpuState c, Insn i) {
    long v = Ops.get1(c, i);
    int n = v == 0 ? i.s0 * 8 : Long.numberOfTrailingZeros(v);
    Ops.set0(c, i, n);
    countFlags(c, v == 0, n);
  }

  /** ANDN dest, src1 (VEX.vvvv), src2: dest = ~src1 & src2. */
  public static void andn(CpuState c, Insn i) {
    long r = ~Ops.get1(c, i) & Ops.get2(c, i) & Ops.mask(i.s0);
    Ops.set0(c, i, r);
    Alu.flags(c, Flags.LOGIC, i.s0, r, 0);
  }

  /**
   * BEXTR dest, src, control (VEX.vvvv): the field of src that starts at bit control[7:0] and is
   * control[15:8] bits long, zero-extended; bits at or above the operand width read as zero, so a start
   * beyond it gives 0 and a length beyond it takes the rest. ZF from the result, CF = OF = 0 (SF undefined).
   */
  public static void bextr(CpuState c, Insn i) {
    long src = Ops.get1(c, i);
    long ctl = Ops.get2(c, i);
    int start = (int) ctl & 0xFF;
    int len = (int) (ctl >>> 8) & 0xFF;
    long r = start >= i.s0 * 8 ? 0 : src >>> start;
    if (len < 64) {
      r &= (1L << len) - 1;
    }
    Ops.set0(c, i, r);
    Alu.flags(c, Flags.LOGIC, i.s0, r, 0);
  }

  /** BLSI dest (VEX.vvvv), src: the lowest set bit of src. CF = (src != 0). */
  public static void blsi(CpuState c, Insn i) {
    long v = Ops.get1(c, i);
    long r = v & -v & Ops.mask(i.s0);
    Ops.set0(c, i, r);
    lowestBitFlags(c, i.s0, r, v != 0);
  }

  /** BLSMSK dest (VEX.vvvv), src: ones up to and including the lowest set bit of src. CF = (src == 0). */
  public static void blsmsk(CpuState c, Insn i) {
    long v = Ops.get1(c, i);
    long r = (v ^ (v - 1)) & Ops.mask(i.s0);
    Ops.set0(c, i, r);
    lowestBitFlags(c, i.s0, r, v == 0);
  }

  /** BLSR dest (VEX.vvvv), src: src with its lowest set bit cleared. CF = (src == 0). */
  public static void blsr(CpuState c, Insn i) {
    long v = Ops.get1(c, i);
    long r = v & (v - 1) & Ops.mask(i.s0);
    Ops.set0(c, i, r);
    lowestBitFlags(c, i.s0, r, v == 0);
  }

  /**
   * BLSI, BLSMSK, BLSR: SF and ZF from the result, OF = 0, CF as given; AF and PF undefined (kept). The SDM
   * says BLSMSK clears ZF rather than setting it from the result; its result is never zero, so both agree.
   */
  private static void lowestBitFlags(CpuState c, int size, long r, boolean cf) {
    c.materializeFlags();
    long f = c.rflags & ~(Flags.CF | Flags.ZF | Flags.SF | Flags.OF);
    if (cf) {
      f |= Flags.CF;
    }
    if (r == 0) {
      f |= Flags.ZF;
    }
    if ((r >>> (size * 8 - 1) & 1) != 0) {
      f |= Flags.SF;
    }
    c.rflags = f;
  }
}
