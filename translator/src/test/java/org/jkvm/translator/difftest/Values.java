package org.jkvm.translator.difftest;

import java.util.SplittableRandom;

/** Random operand values that reach the corners: zero, signs, carries, and the IEEE special classes. */
final class Values {
  private Values() {}

  private static final long[] SPECIAL = {
      0, 1, -1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000, 0x7FFF_FFFFL, 0x8000_0000L,
      0xFFFF_FFFFL, 0x1_0000_0000L, Long.MAX_VALUE, Long.MIN_VALUE, 0xFFFF_FFFF_8000_0000L, 0x8000_0000_0000_0001L,
      0x0000_0000_0000_FF80L, 0xFFFF_FFFF_FFFF_FF7FL};

  /** A general-register value. */
  static long gpr(SplittableRandom r) {
    switch (r.nextInt(12)) {
      case 0:
        return SPECIAL[r.nextInt(SPECIAL.length)];
      case 1:
        return r.nextInt(-40, 41);
      case 2:
        return (r.nextBoolean() ? 1L : -1L) << r.nextInt(64);
      case 3:
        return r.nextInt() & 0xFFFF_FFFFL;
      case 4:
        return r.nextInt(256);
      case 5:
        return r.nextLong() >> r.nextInt(64);
      default:
        return r.nextLong();
    }
  }

  /** An immediate of {@code bytes} bytes, sign-extended. */
  static long imm(SplittableRandom r, int bytes) {
    long v = gpr(r);
    int shift = 64 - 8 * bytes;
    return v << shift >> shift;
  }

  /** A single-precision bit pattern. */
  static int float32(SplittableRandom r) {
    int sign = r.nextBoolean() ? 0x8000_0000 : 0;
    switch (r.nextInt(14)) {
      case 0: return sign; // zero
      case 1: return sign | 0x7F80_0000; // infinity
      case 2: return sign | 0x7FC0_0000 | r.nextInt(1 << 22); // quiet NaN
      case 3: return sign | 0x7F80_0000 | (1 + r.nextInt((1 << 22) - 1)); // signalling NaN
      case 4: return sign | (1 + r.nextInt(0x7F_FFFF)); // denormal
      case 5: return sign | 0x0080_0000 | r.nextInt(1 << 23) & (r.nextBoolean() ? 0 : 0x7F_FFFF); // smallest normals
      case 6: return sign | 0x7F7F_FFFF; // largest
      case 7: return Float.floatToRawIntBits((float) r.nextInt(-1000, 1000));
      case 8: return Float.floatToRawIntBits((float) (r.nextDouble() * 2 - 1) * (float) Math.pow(2, r.nextInt(-30, 30)));
      case 9: return sign | (r.nextInt(0x60, 0x98) << 23) | r.nextInt(1 << 23);
      case 10: return Float.floatToRawIntBits(r.nextBoolean() ? 0.5f : 1.5f) | sign;
      case 11: return sign | (r.nextInt(0xFD, 0xFF) << 23) | r.nextInt(1 << 23); // near overflow
      default: return r.nextInt();
    }
  }

  /** A double-precision bit pattern. */
  static long float64(SplittableRandom r) {
    long sign = r.nextBoolean() ? Long.MIN_VALUE : 0;
    switch (r.nextInt(14)) {
      case 0: return sign;
      case 1: return sign | 0x7FF0_0000_0000_0000L;
      case 2: return sign | 0x7FF8_0000_0000_0000L | (r.nextLong() & 0x0007_FFFF_FFFF_FFFFL);
      case 3: return sign | 0x7FF0_0000_0000_0000L | (1 + (r.nextLong() & 0x0007_FFFF_FFFF_FFFEL));
      case 4: return sign | (1 + (r.nextLong() & 0x000F_FFFF_FFFF_FFFEL));
      case 5: return sign | 0x0010_0000_0000_0000L | (r.nextBoolean() ? 0 : r.nextLong() & 0x000F_FFFF_FFFF_FFFFL);
      case 6: return sign | 0x7FEF_FFFF_FFFF_FFFFL;
      case 7: return Double.doubleToRawLongBits(r.nextInt(-100000, 100000));
      case 8: return Double.doubleToRawLongBits((r.nextDouble() * 2 - 1) * Math.pow(2, r.nextInt(-60, 60)));
      case 9: return sign | ((long) r.nextInt(0x380, 0x47F) << 52) | (r.nextLong() & 0x000F_FFFF_FFFF_FFFFL);
      case 10: return Double.doubleToRawLongBits(r.nextBoolean() ? 0.5 : 2.5) | sign;
      case 11: return sign | ((long) r.nextInt(0x7FD, 0x7FF) << 52) | (r.nextLong() & 0x000F_FFFF_FFFF_FFFFL);
      case 12: return Double.doubleToRawLongBits(Math.pow(2, 31) + r.nextInt(-3, 3)) | sign; // integer range edges
      default: return r.nextLong();
    }
  }

  /** 128 bits for an XMM register or memory operand: lanes of one random kind. */
  static void xmm(SplittableRandom r, long[] out, int at) {
    switch (r.nextInt(4)) {
      case 0: // singles
        for (int h = 0; h < 2; h++) {
          out[at + h] = (float32(r) & 0xFFFF_FFFFL) | (long) float32(r) << 32;
        }
        break;
      case 1: // doubles
        out[at] = float64(r);
        out[at + 1] = float64(r);
        break;
      case 2: // integers of mixed widths
        out[at] = gpr(r);
        out[at + 1] = gpr(r);
        break;
      default:
        out[at] = r.nextLong();
        out[at + 1] = r.nextLong();
        break;
    }
  }

  /** An MXCSR: all exceptions masked most of the time, any rounding mode, FTZ and DAZ, sticky flags. */
  static int mxcsr(SplittableRandom r) {
    int v = 0x1F80;
    if (r.nextInt(5) == 0) {
      v = (v & ~0x1F80) | (r.nextInt(64) << 7); // some exceptions unmasked
    }
    v |= r.nextInt(4) << 13; // RC
    if (r.nextInt(4) == 0) {
      v |= 0x8000; // FTZ
    }
    if (r.nextInt(4) == 0) {
      v |= 0x40; // DAZ
    }
    if (r.nextBoolean()) {
      v |= r.nextInt(64); // sticky flags
    }
    return v;
  }

  /**
   * An MXCSR with a reserved bit set (#GP in LDMXCSR and FXRSTOR). Bit 17 is left out: it is AMD's
   * misaligned-SSE mode, which the host accepts and jkvm (like Intel) does not.
   */
  static int reservedMxcsr(SplittableRandom r) {
    return (r.nextInt() & 0xFFFF) | 1 << (18 + r.nextInt(14)) | (r.nextBoolean() ? 1 << 16 : 0);
  }

  /** A selector to load or probe: Linux's, null ones, kernel ones, the TSS, beyond the GDT, in the LDT. */
  static int selector(SplittableRandom r) {
    int[] s = {0, 3, 0x08, 0x10, 0x18, 0x1B, 0x23, 0x2B, 0x28, 0x29, 0x33, 0x30, 0x40, 0x43, 0x38, 0x3B, 0x80, 0x83,
        0xFFF8, 0x2F, 0x0C, 0x3F};
    return r.nextInt(8) == 0 ? (r.nextInt(0x10000) & ~0x78) | 0x80 : s[r.nextInt(s.length)];
  }
}
