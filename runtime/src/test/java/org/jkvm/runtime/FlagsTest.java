package org.jkvm.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The lazy flags against a direct, wide-arithmetic computation of the SDM's flag definitions. */
class FlagsTest {
  static long mask(int size) {
    return size == 8 ? -1L : (1L << (8 * size)) - 1;
  }

  static long szp(long r, int size) {
    long f = 0;
    if ((r & mask(size)) == 0) {
      f |= Flags.ZF;
    }
    if ((r >>> (8 * size - 1) & 1) != 0) {
      f |= Flags.SF;
    }
    if (Integer.bitCount((int) (r & 0xFF)) % 2 == 0) {
      f |= Flags.PF;
    }
    return f;
  }

  /** Reference ADD/ADC flags: carry from unsigned overflow, OF from signed overflow, AF from bit 3. */
  static long addRef(long a, long b, long cin, int size) {
    long m = mask(size);
    a &= m;
    b &= m;
    long r = (a + b + cin) & m;
    long f = szp(r, size);
    boolean carry = size == 8 ? Long.compareUnsigned(r, a) < 0 || (cin == 1 && r == a) : a + b + cin > m;
    if (carry) {
      f |= Flags.CF;
    }
    long sa = a << (64 - 8 * size) >> (64 - 8 * size);
    long sb = b << (64 - 8 * size) >> (64 - 8 * size);
    long sr = r << (64 - 8 * size) >> (64 - 8 * size);
    if ((sa < 0) == (sb < 0) && (sr < 0) != (sa < 0)) {
      f |= Flags.OF;
    }
    if (((a & 0xF) + (b & 0xF) + cin) > 0xF) {
      f |= Flags.AF;
    }
    return f;
  }

  static long subRef(long a, long b, long bin, int size) {
    long m = mask(size);
    a &= m;
    b &= m;
    long r = (a - b - bin) & m;
    long f = szp(r, size);
    boolean borrow = size == 8 ? Long.compareUnsigned(a, b) < 0 || (bin == 1 && a == b) : a < b + bin;
    if (borrow) {
      f |= Flags.CF;
    }
    long sa = a << (64 - 8 * size) >> (64 - 8 * size);
    long sb = b << (64 - 8 * size) >> (64 - 8 * size);
    long sr = r << (64 - 8 * size) >> (64 - 8 * size);
    if ((sa < 0) != (sb < 0) && (sr < 0) != (sa < 0)) {
      f |= Flags.OF;
    }
    if ((a & 0xF) < (b & 0xF) + bin) {
      f |= Flags.AF;
    }
    return f;
  }

  @Test
  void addSubAdcSbb_matchReferenceForRandomOperands() {
    Random rnd = new Random(42);
    CpuState c = new CpuState(0, new org.jkvm.mmu.PhysicalMemory());
    for (int n = 0; n < 200_000; n++) {
      int size = 1 << rnd.nextInt(4);
      long a = rnd.nextInt(4) == 0 ? special(rnd) : rnd.nextLong();
      long b = rnd.nextInt(4) == 0 ? special(rnd) : rnd.nextLong();
      long cin = rnd.nextInt(2);
      long m = mask(size);
      int kind = rnd.nextInt(4);
      long r;
      long expect;
      switch (kind) {
        case 0: r = (a + b) & m; expect = addRef(a, b, 0, size); c.ccOp = Flags.ccOp(Flags.ADD, size); break;
        case 1: r = (a + b + cin) & m; expect = addRef(a, b, cin, size); c.ccOp = Flags.ccOp(Flags.ADC, size); break;
        case 2: r = (a - b) & m; expect = subRef(a, b, 0, size); c.ccOp = Flags.ccOp(Flags.SUB, size); break;
        default: r = (a - b - cin) & m; expect = subRef(a, b, cin, size); c.ccOp = Flags.ccOp(Flags.SBB, size); break;
      }
      c.ccDst = r;
      c.ccSrc = b & m;
      c.ccSrc2 = cin;
      assertEquals(expect, Flags.arith(c),
          () -> "kind " + kind + " size " + size + " a=" + Long.toHexString(a) + " b=" + Long.toHexString(b));
      for (int cc = 0; cc < 16; cc++) {
        assertEquals(condRef(expect, cc), Flags.cond(c, cc), "cc " + cc);
      }
    }
  }

  static long special(Random rnd) {
    long[] s = {0, 1, -1, 0x7F, 0x80, 0x7FFF, 0x8000, 0x7FFF_FFFFL, 0x8000_0000L, Long.MAX_VALUE, Long.MIN_VALUE};
    return s[rnd.nextInt(s.length)];
  }

  static boolean condRef(long f, int cc) {
    boolean cf = (f & Flags.CF) != 0;
    boolean zf = (f & Flags.ZF) != 0;
    boolean sf = (f & Flags.SF) != 0;
    boolean of = (f & Flags.OF) != 0;
    boolean pf = (f & Flags.PF) != 0;
    boolean[] base = {of, cf, zf, cf || zf, sf, pf, sf != of, zf || sf != of};
    return base[cc >> 1] ^ ((cc & 1) != 0);
  }

  @Test
  void incDec_keepCarry() {
    CpuState c = new CpuState(0, new org.jkvm.mmu.PhysicalMemory());
    c.ccOp = Flags.ccOp(Flags.INC, 1);
    c.ccDst = 0x80;
    c.ccSrc = 1;
    assertEquals(Flags.CF | Flags.OF | Flags.SF | Flags.AF, Flags.arith(c));
    c.ccOp = Flags.ccOp(Flags.DEC, 4);
    c.ccDst = 0x7FFF_FFFFL;
    c.ccSrc = 0;
    assertEquals(Flags.OF | Flags.AF | Flags.PF, Flags.arith(c));
  }
}
