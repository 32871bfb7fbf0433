package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Flags;
import org.jkvm.translator.isa.Insn;

/**
 * MUL, IMUL (one, two and three operands), DIV and IDIV with #DE. After MUL/IMUL, CF = OF = "the result
 * did not fit"; SF, ZF, AF and PF are undefined (computed from the low result). DIV and IDIV leave the
 * flags as they were (all six are undefined).
 */
public final class MulDiv {
  private MulDiv() {}

  private static void mulFlags(CpuState c, int size, long low, boolean overflow) {
    c.ccOp = Flags.MUL << 2 | Integer.numberOfTrailingZeros(size);
    c.ccDst = low;
    c.ccSrc = overflow ? 1 : 0;
  }

  /** Unsigned high 64 bits of a 64x64 product (Math.unsignedMultiplyHigh is Java 18+). */
  static long unsignedMultiplyHigh(long a, long b) {
    return Math.multiplyHigh(a, b) + ((a >> 63) & b) + ((b >> 63) & a);
  }

  /** MUL: rDX:rAX (AX for bytes) = rAX * source, unsigned. */
  public static void mul(CpuState c, Insn i) {
    int s = i.s0;
    long b = Ops.get0(c, i);
    long a = Ops.getReg(c, CpuState.RAX, s);
    if (s == 1) {
      long r = a * b;
      Ops.setReg(c, CpuState.RAX, 2, r);
      mulFlags(c, 1, r & 0xFF, (r >>> 8) != 0);
    } else if (s == 8) {
      long lo = a * b;
      long hi = unsignedMultiplyHigh(a, b);
      c.gpr[CpuState.RAX] = lo;
      c.gpr[CpuState.RDX] = hi;
      mulFlags(c, 8, lo, hi != 0);
    } else {
      long r = a * b;
      long lo = r & Ops.mask(s);
      long hi = r >>> (8 * s);
      Ops.setReg(c, CpuState.RAX, s, lo);
      Ops.setReg(c, CpuState.RDX, s, hi);
      mulFlags(c, s, lo, hi != 0);
    }
  }

  /** IMUL with one operand: rDX:rAX = rAX * source, signed. */
  public static void imul1(CpuState c, Insn i) {
    int s = i.s0;
    long b = Ops.sext(Ops.get0(c, i), s);
    long a = Ops.sext(Ops.getReg(c, CpuState.RAX, s), s);
    if (s == 1) {
      long r = a * b;
      Ops.setReg(c, CpuState.RAX, 2, r);
      mulFlags(c, 1, r & 0xFF, r != Ops.sext(r, 1));
    } else if (s == 8) {
      long lo = a * b;
      long hi = Math.multiplyHigh(a, b);
      c.gpr[CpuState.RAX] = lo;
      c.gpr[CpuState.RDX] = hi;
      mulFlags(c, 8, lo, hi != (lo >> 63));
    } else {
      long r = a * b;
      Ops.setReg(c, CpuState.RAX, s, r);
      Ops.setReg(c, CpuState.RDX, s, r >> (8 * s));
      mulFlags(c, s, r & Ops.mask(s), r != Ops.sext(r, s));
    }
  }

  private static void imulTrunc(CpuState c, Insn i, long a, long b) {
    int s = i.s0;
    a = Ops.sext(a, s);
    b = Ops.sext(b, s);
    long lo = a * b;
    boolean overflow;
    if (s == 8) {
      overflow = Math.multiplyHigh(a, b) != (lo >> 63);
    } else {
      overflow = lo != Ops.sext(lo, s);
    }
    lo &= Ops.mask(s);
    Ops.set0(c, i, lo);
    mulFlags(c, s, lo, overflow);
  }

  /** IMUL Gv, Ev. */
  public static void imul2(CpuState c, Insn i) {
    imulTrunc(c, i, Ops.get0(c, i), Ops.get1(c, i));
  }

  /** IMUL Gv, Ev, Ib/Iz. */
  public static void imul3(CpuState c, Insn i) {
    long b = i.imm; // sign-extended immediate
    imulTrunc(c, i, Ops.get1(c, i), b);
  }

  /** DIV: unsigned rDX:rAX / source; #DE on a zero divisor or a quotient that does not fit. */
  public static void div(CpuState c, Insn i) {
    int s = i.s0;
    long d = Ops.get0(c, i);
    if (d == 0) {
      throw GuestFault.of(GuestFault.DE);
    }
    if (s == 1) {
      long n = c.gpr[CpuState.RAX] & 0xFFFF;
      long q = n / d;
      if (q > 0xFF) {
        throw GuestFault.of(GuestFault.DE);
      }
      Ops.setReg(c, CpuState.RAX, 2, (n % d) << 8 | q);
    } else if (s == 8) {
      long hi = c.gpr[CpuState.RDX];
      long lo = c.gpr[CpuState.RAX];
      if (Long.compareUnsigned(hi, d) >= 0) {
        throw GuestFault.of(GuestFault.DE);
      }
      if (hi == 0) {
        c.gpr[CpuState.RAX] = Long.divideUnsigned(lo, d);
        c.gpr[CpuState.RDX] = Long.remainderUnsigned(lo, d);
      } else {
        long[] qr = divu128(hi, lo, d);
        c.gpr[CpuState.RAX] = qr[0];
        c.gpr[CpuState.RDX] = qr[1];
      }
    } else {
      int bits = 8 * s;
      long n = (Ops.getReg(c, CpuState.RDX, s) << bits) | Ops.getReg(c, CpuState.RAX, s);
      long q = Long.divideUnsigned(n, d);
      if (Long.compareUnsigned(q, Ops.mask(s)) > 0) {
        throw GuestFault.of(GuestFault.DE);
      }
      Ops.setReg(c, CpuState.RAX, s, q);
      Ops.setReg(c, CpuState.RDX, s, Long.remainderUnsigned(n, d));
    }
  }

  /** IDIV: signed, quotient truncated toward zero, remainder with the sign of the dividend. */
  public static void idiv(CpuState c, Insn i) {
    int s = i.s0;
    long d = Ops.sext(Ops.get0(c, i), s);
    if (d == 0) {
      throw GuestFault.of(GuestFault.DE);
    }
    if (s == 8) {
      long hi = c.gpr[CpuState.RDX];
      long lo = c.gpr[CpuState.RAX];
      boolean negN = hi < 0;
      long nh = hi;
      long nl = lo;
      if (negN) { // negate the 128-bit dividend
        nl = -lo;
        nh = ~hi + (lo == 0 ? 1 : 0);
      }
      long ad = d < 0 ? -d : d; // |d| as an unsigned value (works for Long.MIN_VALUE too)
      if (Long.compareUnsigned(nh, ad) >= 0) {
        throw GuestFault.of(GuestFault.DE);
      }
      long[] qr = divu128(nh, nl, ad);
      long q = qr[0];
      long r = qr[1];
      boolean negQ = negN != (d < 0);
      // The quotient must fit in a signed 64-bit value.
      if (negQ ? Long.compareUnsigned(q, Long.MIN_VALUE) > 0 : q < 0) {
        throw GuestFault.of(GuestFault.DE);
      }
      c.gpr[CpuState.RAX] = negQ ? -q : q;
      c.gpr[CpuState.RDX] = negN ? -r : r;
      return;
    }
    int bits = 8 * s;
    long n = s == 1 ? (long) (short) c.gpr[CpuState.RAX]
        : (Ops.sext(Ops.getReg(c, CpuState.RDX, s), s) << bits) | Ops.getReg(c, CpuState.RAX, s);
    long q = n / d;
    long r = n % d;
    if (q != Ops.sext(q, s)) {
      throw GuestFault.of(GuestFault.DE);
    }
    if (s == 1) {
      Ops.setReg(c, CpuState.RAX, 2, (r & 0xFF) << 8 | (q & 0xFF));
    } else {
      Ops.setReg(c, CpuState.RAX, s, q);
      Ops.setReg(c, CpuState.RDX, s, r);
    }
  }

  /** Unsigned 128-by-64 division of hi:lo by d, with hi < d: {quotient, remainder}. Restoring division. */
  static long[] divu128(long hi, long lo, long d) {
    for (int k = 0; k < 64; k++) {
      long carry = hi >>> 63;
      hi = (hi << 1) | (lo >>> 63);
      lo <<= 1;
      if (carry != 0 || Long.compareUnsigned(hi, d) >= 0) {
        hi -= d;
        lo |= 1;
      }
    }
    return new long[] {lo, hi};
  }
}
