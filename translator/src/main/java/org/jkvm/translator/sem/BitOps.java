package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Flags;
import org.jkvm.translator.isa.Insn;

/**
 * BT, BTS, BTR, BTC, BSF, BSR, POPCNT and LZCNT. Undefined flags (OF, SF, AF, PF after BT; all but ZF after
 * BSF/BSR) are left as they were.
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

  /** LZCNT: CF = (source == 0), ZF = (result == 0). */
  public static void lzcnt(CpuState c, Insn i) {
    int s = i.s0;
    long v = Ops.get1(c, i);
    int n = v == 0 ? s * 8 : Long.numberOfLeadingZeros(v) - (64 - s * 8);
    Ops.set0(c, i, n);
    c.materializeFlags();
    long f = c.rflags & ~(Flags.CF | Flags.ZF);
    if (v == 0) {
      f |= Flags.CF;
    }
    if (n == 0) {
      f |= Flags.ZF;
    }
    c.rflags = f;
  }
}
