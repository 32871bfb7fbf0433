package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Flags;
import org.jkvm.translator.isa.Insn;

/**
 * Shifts and rotates: ROL, ROR, RCL, RCR, SHL/SAL, SHR, SAR, SHLD, SHRD (SDM Vol. 2B, "SAL/SAR/SHL/SHR",
 * "RCL/RCR/ROL/ROR", "SHLD", "SHRD"). The count is masked to 5 bits (6 with a 64-bit operand); a masked
 * count of zero changes neither the operand nor the flags (a 32-bit register is still zero-extended). OF is architecturally defined only for a count
 * of one; these handlers compute it the count-of-one way for every count.
 */
public final class Shift {
  private Shift() {}

  private static int count(CpuState c, Insn i) {
    return (int) Ops.get1(c, i) & (i.s0 == 8 ? 0x3F : 0x1F);
  }

  /**
   * A masked count of zero changes neither the value nor the flags, but a 32-bit register destination is
   * still written, so its upper half is cleared as for any 32-bit result (found by the difftest).
   */
  private static void zeroCount(CpuState c, Insn i, long a) {
    if (i.s0 == 4 && i.k0 == Insn.K_REG) {
      Ops.set0(c, i, a);
    }
  }

  private static long sign(int size) {
    return 1L << (size * 8 - 1);
  }

  public static void shl(CpuState c, Insn i) {
    int n = count(c, i);
    long a = Ops.get0Rmw(c, i);
    if (n == 0) {
      zeroCount(c, i, a);
      return;
    }
    int s = i.s0;
    long m = Ops.mask(s);
    long before = n - 1 >= 64 ? 0 : (a << (n - 1)) & m;
    long r = n >= 64 ? 0 : (a << n) & m;
    Ops.set0(c, i, r);
    Alu.flags(c, Flags.SHL, s, r, before);
  }

  public static void shr(CpuState c, Insn i) {
    int n = count(c, i);
    long a = Ops.get0Rmw(c, i);
    if (n == 0) {
      zeroCount(c, i, a);
      return;
    }
    int s = i.s0;
    long before = a >>> (n - 1);
    long r = a >>> n;
    Ops.set0(c, i, r);
    Alu.flags(c, Flags.SAR, s, r, before);
  }

  public static void sar(CpuState c, Insn i) {
    int n = count(c, i);
    long a = Ops.get0Rmw(c, i);
    if (n == 0) {
      zeroCount(c, i, a);
      return;
    }
    int s = i.s0;
    long m = Ops.mask(s);
    long v = Ops.sext(a, s);
    long before = (v >> (n - 1)) & m;
    long r = (v >> n) & m;
    Ops.set0(c, i, r);
    Alu.flags(c, Flags.SAR, s, r, before);
  }

  private static void setCfOf(CpuState c, boolean cf, boolean of) {
    c.materializeFlags();
    long f = c.rflags & ~(Flags.CF | Flags.OF);
    if (cf) {
      f |= Flags.CF;
    }
    if (of) {
      f |= Flags.OF;
    }
    c.rflags = f;
  }

  public static void rol(CpuState c, Insn i) {
    int n = count(c, i);
    long a = Ops.get0Rmw(c, i);
    if (n == 0) {
      zeroCount(c, i, a);
      return;
    }
    int s = i.s0;
    int bits = s * 8;
    int k = n % bits;
    long m = Ops.mask(s);
    long r = k == 0 ? a : ((a << k) | (a >>> (bits - k))) & m;
    Ops.set0(c, i, r);
    boolean cf = (r & 1) != 0;
    setCfOf(c, cf, ((r & sign(s)) != 0) ^ cf);
  }

  public static void ror(CpuState c, Insn i) {
    int n = count(c, i);
    long a = Ops.get0Rmw(c, i);
    if (n == 0) {
      zeroCount(c, i, a);
      return;
    }
    int s = i.s0;
    int bits = s * 8;
    int k = n % bits;
    long m = Ops.mask(s);
    long r = k == 0 ? a : ((a >>> k) | (a << (bits - k))) & m;
    Ops.set0(c, i, r);
    boolean msb = (r & sign(s)) != 0;
    boolean next = (r & (sign(s) >>> 1)) != 0;
    setCfOf(c, msb, msb ^ next);
  }

  /** RCL: the count is taken modulo width + 1 for 8- and 16-bit operands (the carry is a 9th/17th bit). */
  public static void rcl(CpuState c, Insn i) {
    int n = count(c, i);
    long a = Ops.get0Rmw(c, i);
    if (n == 0) {
      zeroCount(c, i, a);
      return;
    }
    int s = i.s0;
    int bits = s * 8;
    int k = s <= 2 ? n % (bits + 1) : n;
    long m = Ops.mask(s);
    boolean cf = Flags.cf(c);
    long r = a;
    for (int j = 0; j < k; j++) {
      boolean out = (r & sign(s)) != 0;
      r = ((r << 1) | (cf ? 1 : 0)) & m;
      cf = out;
    }
    Ops.set0(c, i, r);
    setCfOf(c, cf, ((r & sign(s)) != 0) ^ cf);
  }

  /** RCR: OF is MSB(dest) XOR CF taken before the rotation (SDM pseudo-code). */
  public static void rcr(CpuState c, Insn i) {
    int n = count(c, i);
    long a = Ops.get0Rmw(c, i);
    if (n == 0) {
      zeroCount(c, i, a);
      return;
    }
    int s = i.s0;
    int bits = s * 8;
    int k = s <= 2 ? n % (bits + 1) : n;
    boolean cf = Flags.cf(c);
    boolean of = ((a & sign(s)) != 0) ^ cf;
    long r = a;
    for (int j = 0; j < k; j++) {
      boolean out = (r & 1) != 0;
      r = (r >>> 1) | (cf ? sign(s) : 0);
      cf = out;
    }
    Ops.set0(c, i, r);
    setCfOf(c, cf, of);
  }

  /**
   * SHLD: shifts bits of the source in from the right. With a 16-bit operand and a count above 16 the
   * result is undefined; this computes it as a 32-bit-wide funnel of dest:src:dest, as Intel parts do.
   */
  public static void shld(CpuState c, Insn i) {
    int n = (int) Ops.get2(c, i) & (i.s0 == 8 ? 0x3F : 0x1F);
    long a = Ops.get0Rmw(c, i);
    if (n == 0) {
      zeroCount(c, i, a);
      return;
    }
    int s = i.s0;
    int bits = s * 8;
    long m = Ops.mask(s);
    long b = Ops.get1(c, i);
    long r;
    long before;
    if (s == 2) {
      long wide = (a << 32) | (b << 16) | a; // dest:src:dest, 48 bits
      r = (wide << n >>> 32) & m;
      before = (wide << (n - 1) >>> 32) & m;
    } else {
      r = ((a << n) | (b >>> (bits - n))) & m;
      before = n == 1 ? a : ((a << (n - 1)) | (b >>> (bits - n + 1))) & m;
    }
    Ops.set0(c, i, r);
    Alu.flags(c, Flags.SHL, s, r, before);
  }

  /** SHRD: shifts bits of the source in from the left. */
  public static void shrd(CpuState c, Insn i) {
    int n = (int) Ops.get2(c, i) & (i.s0 == 8 ? 0x3F : 0x1F);
    long a = Ops.get0Rmw(c, i);
    if (n == 0) {
      zeroCount(c, i, a);
      return;
    }
    int s = i.s0;
    int bits = s * 8;
    long m = Ops.mask(s);
    long b = Ops.get1(c, i);
    long r;
    long before;
    if (s == 2) {
      long wide = a | (b << 16) | (a << 32); // dest:src:dest read from the low end, 48 bits
      r = (wide >>> n) & m;
      before = (wide >>> (n - 1)) & m;
    } else {
      r = ((a >>> n) | (b << (bits - n))) & m;
      before = n == 1 ? a : ((a >>> (n - 1)) | (b << (bits - n + 1))) & m;
    }
    Ops.set0(c, i, r);
    Alu.flags(c, Flags.SAR, s, r, before);
  }
}
