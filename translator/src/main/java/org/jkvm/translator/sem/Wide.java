package org.jkvm.translator.sem;

/**
 * A binary floating-point number with a 128-bit significand and an int exponent, for the x87
 * transcendental instructions: their results are computed to about 125 bits and rounded once to 64, so
 * they are correctly rounded except within 2^-60 ulp of a rounding boundary.
 *
 * <p>Value: {@code (-1)^neg * (hi:lo) / 2^127 * 2^exp}, normalized (top bit of hi set) unless zero.
 * Instances are immutable and allocated: these instructions are rare (compilers use SSE, and libm only
 * reaches them for long double) and cost hardware a hundred cycles or more each; HotSpot's escape
 * analysis removes many of the allocations. Truncations keep a computed value on the near side of the
 * true one where it matters (see {@link #add}), so that the sticky bit of the final rounding is right for
 * the results that lie next to a representable number (sin x and tan x for tiny x, cos x near 1).
 */
final class Wide {
  final boolean neg;
  final int exp;
  final long hi;
  final long lo;

  static final Wide ZERO = new Wide(false, 0, 0, 0);
  static final Wide ONE = new Wide(false, 0, F80.INT_BIT, 0);
  static final Wide TWO = new Wide(false, 1, F80.INT_BIT, 0);
  /** pi/2, pi/4, ln 2 and log2(e) to 128 bits; pi/2 to 256 bits for argument reduction. */
  static final Wide PI_2 = new Wide(false, 0, 0xC90F_DAA2_2168_C234L, 0xC4C6_628B_80DC_1CD1L);
  static final Wide PI_2_LOW = new Wide(false, -128, 0x2902_4E08_8A67_CC74L, 0x020B_BEA6_3B13_9B22L);
  static final Wide PI_4 = PI_2.scalb(-1);
  static final Wide PI = PI_2.scalb(1);
  static final Wide LN2 = new Wide(false, -1, 0xB172_17F7_D1CF_79ABL, 0xC9E3_B398_03F2_F6AFL);
  static final Wide LOG2E = new Wide(false, 0, 0xB8AA_3B29_5C17_F0BBL, 0xBE87_FED0_691D_3E88L);

  private Wide(boolean neg, int exp, long hi, long lo) {
    this.neg = neg;
    this.exp = exp;
    this.hi = hi;
    this.lo = lo;
  }

  /** Normalizes; the top bit of {@code hi} is worth 2^exp. */
  static Wide of(boolean neg, int exp, long hi, long lo) {
    if ((hi | lo) == 0) {
      return neg ? new Wide(true, 0, 0, 0) : ZERO;
    }
    int s = hi != 0 ? Long.numberOfLeadingZeros(hi) : 64 + Long.numberOfLeadingZeros(lo);
    if (s >= 64) {
      hi = lo << (s - 64);
      lo = 0;
    } else if (s > 0) {
      hi = hi << s | lo >>> (64 - s);
      lo <<= s;
    }
    return new Wide(neg, exp - s, hi, lo);
  }

  /** A finite 80-bit value (denormals included). */
  static Wide ofF80(long m, int se) {
    return of((se & F80.SIGN) != 0, F80.exp(se) - F80.BIAS, m, 0);
  }

  static Wide ofInt(long v) {
    return v < 0 ? of(true, 63, -v, 0) : of(false, 63, v, 0);
  }

  boolean isZero() {
    return (hi | lo) == 0;
  }

  Wide negate() {
    return new Wide(!neg, exp, hi, lo);
  }

  Wide abs() {
    return neg ? negate() : this;
  }

  Wide scalb(int n) {
    return isZero() ? this : new Wide(neg, exp + n, hi, lo);
  }

  /** Compares magnitudes. */
  int cmpAbs(Wide b) {
    if (isZero() || b.isZero()) {
      return isZero() ? (b.isZero() ? 0 : -1) : 1;
    }
    if (exp != b.exp) {
      return exp > b.exp ? 1 : -1;
    }
    int c = Long.compareUnsigned(hi, b.hi);
    return c != 0 ? c : Long.compareUnsigned(lo, b.lo);
  }

  Wide add(Wide b) {
    if (b.isZero()) {
      return this;
    }
    if (isZero()) {
      return b;
    }
    Wide a = this;
    if (a.cmpAbs(b) < 0) {
      Wide t = a;
      a = b;
      b = t;
    }
    int d = a.exp - b.exp;
    long bh;
    long bl;
    boolean lost; // bits of b below the last of a's 128
    if (d == 0) {
      bh = b.hi;
      bl = b.lo;
      lost = false;
    } else if (d < 64) {
      bh = b.hi >>> d;
      bl = b.lo >>> d | b.hi << (64 - d);
      lost = b.lo << (64 - d) != 0;
    } else if (d < 128) {
      bh = 0;
      bl = b.hi >>> (d - 64);
      lost = (d == 64 ? 0 : b.hi << (128 - d)) != 0 || b.lo != 0;
    } else {
      bh = 0;
      bl = 0;
      lost = true;
    }
    if (lost && a.neg != b.neg) {
      // Subtracting a truncated b would leave the result above the true difference; one unit more keeps
      // it below, so that the sticky bit added when rounding lands on the right side (sin x just below x).
      bl++;
      if (bl == 0) {
        bh++;
      }
    }
    if (a.neg == b.neg) {
      long l = a.lo + bl;
      long carryLo = Long.compareUnsigned(l, a.lo) < 0 ? 1 : 0;
      long h = a.hi + bh + carryLo;
      boolean carry = Long.compareUnsigned(h, a.hi) < 0 || carryLo == 1 && h == a.hi;
      if (carry) {
        return new Wide(a.neg, a.exp + 1, h >>> 1 | F80.INT_BIT, l >>> 1 | h << 63);
      }
      return new Wide(a.neg, a.exp, h, l);
    }
    long l = a.lo - bl;
    long borrow = Long.compareUnsigned(a.lo, bl) < 0 ? 1 : 0;
    long h = a.hi - bh - borrow;
    return of(a.neg, a.exp, h, l);
  }

  Wide sub(Wide b) {
    return add(b.negate());
  }

  Wide mul(Wide b) {
    if (isZero() || b.isZero()) {
      return neg != b.neg ? new Wide(true, 0, 0, 0) : ZERO;
    }
    // The 256-bit product's top 128 bits (the lo*lo product only carries into what is dropped).
    long hh1 = F80.mulHigh(hi, b.hi);
    long hh0 = hi * b.hi;
    long hl1 = F80.mulHigh(hi, b.lo);
    long lh1 = F80.mulHigh(lo, b.hi);
    long hl0 = hi * b.lo;
    long lh0 = lo * b.hi;
    long ll1 = F80.mulHigh(lo, b.lo);
    // word 1 (bits 64-127) = hl0 + lh0 + ll1, carries into word 2
    long w1 = hl0 + lh0;
    long c1 = Long.compareUnsigned(w1, hl0) < 0 ? 1 : 0;
    long w1b = w1 + ll1;
    c1 += Long.compareUnsigned(w1b, w1) < 0 ? 1 : 0;
    // word 2 (bits 128-191) = hh0 + hl1 + lh1 + c1
    long w2 = hh0 + hl1;
    long c2 = Long.compareUnsigned(w2, hh0) < 0 ? 1 : 0;
    long w2b = w2 + lh1;
    c2 += Long.compareUnsigned(w2b, w2) < 0 ? 1 : 0;
    long w2c = w2b + c1;
    c2 += Long.compareUnsigned(w2c, w2b) < 0 ? 1 : 0;
    long w3 = hh1 + c2;
    // (w3:w2c:w1b) / 2^254 * 2^(exp+b.exp): the top bit of w3 is worth 2^(exp + b.exp + 1).
    int e = exp + b.exp + 1;
    if (w3 < 0) {
      return new Wide(neg != b.neg, e, w3, w2c);
    }
    return new Wide(neg != b.neg, e - 1, w3 << 1 | w2c >>> 63, w2c << 1 | w1b >>> 63);
  }

  /** Division by Newton-Raphson refinement of the reciprocal, from a double estimate. */
  Wide div(Wide b) {
    if (b.isZero()) {
      // Never reached by the instructions (every divisor is bounded away from zero); a huge finite value
      // keeps the arithmetic total.
      return new Wide(neg != b.neg, Integer.MAX_VALUE / 2, F80.INT_BIT, 0);
    }
    // r ~ 1/b with b scaled to [1, 2): 53 bits, then 106, then past 128.
    Wide bn = new Wide(false, 0, b.hi, b.lo);
    double est = 1.0 / (1.0 + (double) (b.hi >>> 11 & 0xF_FFFF_FFFF_FFFFL) / (1L << 52));
    Wide r = ofDouble(est);
    for (int k = 0; k < 3; k++) {
      r = r.mul(TWO.sub(bn.mul(r)));
    }
    Wide q = new Wide(false, 0, hi, lo).mul(r);
    return q.isZero() ? q : new Wide(neg != b.neg, q.exp + exp - b.exp, q.hi, q.lo);
  }

  private static Wide ofDouble(double d) {
    long bits = Double.doubleToRawLongBits(d);
    int e = (int) (bits >>> 52 & 0x7FF) - 1023;
    long m = (bits & 0xF_FFFF_FFFF_FFFFL | 1L << 52) << 11;
    return new Wide(d < 0, e, m, 0);
  }

  /** Division by a small positive integer. */
  Wide divInt(int d) {
    if (isZero()) {
      return this;
    }
    long qh = Long.divideUnsigned(hi, d);
    long r = Long.remainderUnsigned(hi, d);
    long chunk = r << 32 | lo >>> 32;
    long q1 = chunk / d;
    r = chunk % d;
    chunk = r << 32 | (lo & 0xFFFF_FFFFL);
    long q0 = chunk / d;
    return of(neg, exp, qh, q1 << 32 | q0);
  }

  /** Rounds to the 80-bit format (64 bits, the register's range); {@code inexact} adds the sticky bit. */
  void round(long[] w, int fcw, boolean inexact) {
    if (isZero()) {
      F80.set(w, 0, neg ? F80.SIGN : 0);
      return;
    }
    F80.round(w, neg ? F80.SIGN : 0, exp + F80.BIAS, hi, lo | (inexact ? 1 : 0), 64, F80.EXT_EMIN, F80.EXT_EMAX,
        fcw, true);
  }

  // ---- elementary functions (arguments already reduced) ----

  /** atanh(t) * 2 = ln((1+t)/(1-t)), for |t| <= 0.18. */
  static Wide lnRatio(Wide t) {
    Wide t2 = t.mul(t);
    Wide term = t;
    Wide sum = t;
    for (int k = 3; k < 200; k += 2) {
      term = term.mul(t2);
      Wide add = term.divInt(k);
      sum = sum.add(add);
      if (add.isZero() || add.exp < sum.exp - 130) {
        break;
      }
    }
    return sum.scalb(1);
  }

  /** e^z - 1 for |z| <= 0.7. */
  static Wide expm1(Wide z) {
    Wide term = z;
    Wide sum = z;
    for (int k = 2; k < 200; k++) {
      term = term.mul(z).divInt(k);
      sum = sum.add(term);
      if (term.isZero() || term.exp < sum.exp - 130) {
        break;
      }
    }
    return sum;
  }

  /** atan(t) for |t| <= 0.42. */
  static Wide atanSmall(Wide t) {
    Wide t2 = t.mul(t);
    Wide term = t;
    Wide sum = t;
    for (int k = 3; k < 400; k += 2) {
      term = term.mul(t2).negate();
      Wide add = term.divInt(k);
      sum = sum.add(add);
      if (add.isZero() || add.exp < sum.exp - 130) {
        break;
      }
    }
    return sum;
  }

  /** sin(r) for |r| <= pi/4. */
  static Wide sinSmall(Wide r) {
    Wide r2 = r.mul(r);
    Wide term = r;
    Wide sum = r;
    for (int k = 2; k < 200; k += 2) {
      term = term.mul(r2).divInt(k * (k + 1)).negate();
      sum = sum.add(term);
      if (term.isZero() || term.exp < sum.exp - 130) {
        break;
      }
    }
    return sum;
  }

  /** cos(r) for |r| <= pi/4. */
  static Wide cosSmall(Wide r) {
    Wide r2 = r.mul(r);
    Wide term = ONE;
    Wide sum = ONE;
    for (int k = 1; k < 200; k += 2) {
      term = term.mul(r2).divInt(k * (k + 1)).negate();
      sum = sum.add(term);
      if (term.isZero() || term.exp < sum.exp - 130) {
        break;
      }
    }
    return sum;
  }
}
