package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;

/**
 * SSE floating-point arithmetic on raw IEEE bits, with MXCSR semantics (SDM Vol. 1, 4.8-4.9, 11.5):
 * exception flags, the four rounding modes, DAZ and FTZ, and SSE's NaN rules (Table 4-7: a NaN first source
 * wins, SNaNs are quieted and raise IE; invalid operations return the QNaN "indefinite").
 *
 * <p>Java float and double arithmetic is IEEE round-to-nearest-even and gives no flags, so each operation
 * computes its result the Java way and derives the rest from the exact rounding error, which error-free
 * transformations give cheaply: TwoSum for sums, {@link Math#fma} residuals for products, quotients and
 * square roots. Flags accumulate in {@link CpuState#simdFlags}.
 *
 * <p>Choice: tininess (for UE and FTZ) is judged on the rounded result, |r| below the smallest normal;
 * results within half an ulp below the smallest normal that round up to it are treated as not tiny.
 */
public final class SseFp {
  private SseFp() {}

  public static final long QNAN_D = 0xFFF8_0000_0000_0000L;
  public static final int QNAN_F = 0xFFC0_0000;
  static final long EXP_D = 0x7FF0_0000_0000_0000L;
  static final long MANT_D = 0x000F_FFFF_FFFF_FFFFL;
  static final long QUIET_D = 0x0008_0000_0000_0000L;
  static final int EXP_F = 0x7F80_0000;
  static final int MANT_F = 0x007F_FFFF;
  static final int QUIET_F = 0x0040_0000;

  static boolean nanD(long b) {
    return (b & EXP_D) == EXP_D && (b & MANT_D) != 0;
  }

  static boolean snanD(long b) {
    return nanD(b) && (b & QUIET_D) == 0;
  }

  static boolean denormD(long b) {
    return (b & EXP_D) == 0 && (b & MANT_D) != 0;
  }

  static boolean nanF(int b) {
    return (b & EXP_F) == EXP_F && (b & MANT_F) != 0;
  }

  static boolean snanF(int b) {
    return nanF(b) && (b & QUIET_F) == 0;
  }

  static boolean denormF(int b) {
    return (b & EXP_F) == 0 && (b & MANT_F) != 0;
  }

  /** A denormal input: DAZ makes it a signed zero; otherwise it raises DE. */
  static long inD(CpuState c, long b) {
    if (denormD(b)) {
      if ((c.mxcsr & Sse.DAZ) != 0) {
        return b & Long.MIN_VALUE;
      }
      c.simdFlags |= Sse.DE;
    }
    return b;
  }

  /** DAZ without DE: what instructions that do not report denormal inputs see. */
  static long dazD(CpuState c, long b) {
    return denormD(b) && (c.mxcsr & Sse.DAZ) != 0 ? b & Long.MIN_VALUE : b;
  }

  static int dazF(CpuState c, int b) {
    return denormF(b) && (c.mxcsr & Sse.DAZ) != 0 ? b & Integer.MIN_VALUE : b;
  }

  static int inF(CpuState c, int b) {
    if (denormF(b)) {
      if ((c.mxcsr & Sse.DAZ) != 0) {
        return b & Integer.MIN_VALUE;
      }
      c.simdFlags |= Sse.DE;
    }
    return b;
  }

  /** The result of a two-operand operation with a NaN input (Table 4-7). */
  static long nanResultD(CpuState c, long a, long b) {
    if (snanD(a) || snanD(b)) {
      c.simdFlags |= Sse.IE;
    }
    return (nanD(a) ? a : b) | QUIET_D;
  }

  static int nanResultF(CpuState c, int a, int b) {
    if (snanF(a) || snanF(b)) {
      c.simdFlags |= Sse.IE;
    }
    return (nanF(a) ? a : b) | QUIET_F;
  }

  // ---- rounding and post-computation flags ----

  static final int OP_NONE = 0;
  static final int OP_ADD = 1;
  static final int OP_MUL = 2;
  static final int OP_DIV = 3;
  static final int OP_CVT = 4;

  /** {@code v} scaled by a power of two into [1, 2) in magnitude (exact for any finite nonzero double). */
  private static double normalize(double v) {
    if (Math.getExponent(v) < Double.MIN_EXPONENT) {
      v = Math.scalb(v, 600); // subnormal: make it normal first
    }
    return Math.scalb(v, -Math.getExponent(v));
  }

  /** Whether a normal double needs more than the 24 significand bits of a float. */
  private static boolean beyondFloat(double v) {
    return (Double.doubleToRawLongBits(v) & ((1L << 29) - 1)) != 0;
  }

  /**
   * Whether {@code op}'s exact result, rounded to double precision with an unbounded exponent, is inexact.
   * Subnormal sums are always exact; products, quotients and conversions are recomputed on operands scaled
   * into range, exactly (FMA residuals).
   */
  static boolean inexactUnboundedD(int op, double x, double y, double err) {
    switch (op) {
      case OP_ADD: {
        if (Math.abs(x) < 1 && Math.abs(y) < 1) {
          return false; // an underflowing sum is exact
        }
        double xs = x * 0.25;
        double ys = y * 0.25;
        return twoSumErr(xs, ys, xs + ys) != 0;
      }
      case OP_MUL: {
        double xs = normalize(x);
        double ys = normalize(y);
        return Math.fma(xs, ys, -(xs * ys)) != 0;
      }
      case OP_DIV: {
        double xs = normalize(x);
        double ys = normalize(y);
        double q = xs / ys;
        return Math.fma(-q, ys, xs) != 0;
      }
      default:
        return err != 0;
    }
  }

  /** The single-precision {@link #inexactUnboundedD}: float operands, results checked for 24 bits. */
  static boolean inexactUnboundedF(int op, double x, double y, float err) {
    switch (op) {
      case OP_ADD: {
        if (Math.abs(x) < 1 && Math.abs(y) < 1) {
          return false;
        }
        double s = x + y;
        return twoSumErr(x, y, s) != 0 || s != 0 && beyondFloat(s);
      }
      case OP_MUL:
        return beyondFloat(x * y); // a product of floats is exact in double
      case OP_DIV: {
        double q = x / y;
        return Math.fma(-q, y, x) != 0 || beyondFloat(q);
      }
      case OP_CVT:
        return beyondFloat(normalize(x));
      default:
        return err != 0;
    }
  }

  /**
   * Finishes a double result: {@code r} is the nearest-even result, {@code err} the sign of (exact - r)
   * (0 if exact), {@code finiteIn} whether the inputs were finite (for overflow).
   */
  static long finishD(CpuState c, double r, double err, boolean finiteIn) {
    return finishD(c, r, err, finiteIn, OP_NONE, 0, 0);
  }

  /**
   * As {@link #finishD(CpuState, double, double, boolean)} for the result of {@code op} on {@code x} and
   * {@code y}: with overflow or underflow unmasked nothing is written, and PE is reported only if the
   * result rounded with an unbounded exponent would be inexact (the host does; found by the difftest).
   */
  static long finishD(CpuState c, double r, double err, boolean finiteIn, int op, double x, double y) {
    int rc = Sse.rc(c);
    int masks = c.mxcsr >>> Sse.MASK_SHIFT;
    if (err != 0 && rc != Sse.RC_NEAREST) {
      if (rc == Sse.RC_DOWN && err < 0) {
        r = Math.nextDown(r);
      } else if (rc == Sse.RC_UP && err > 0) {
        r = Math.nextUp(r);
      } else if (rc == Sse.RC_ZERO && (r > 0 && err < 0 || r < 0 && err > 0)) { // a zero stays zero
        r = r > 0 ? Math.nextDown(r) : Math.nextUp(r);
      }
    }
    if (Double.isInfinite(r) && finiteIn) {
      if (towardZero(rc, r) && belowTop(op, x, y, 0x1p1023)) {
        // Rounded toward zero with an unbounded exponent the result is MAX itself: inexact, no overflow.
        c.simdFlags |= Sse.PE;
        return Double.doubleToRawLongBits(Math.copySign(Double.MAX_VALUE, r));
      }
      if ((masks & Sse.OE) == 0) {
        c.simdFlags |= Sse.OE | (inexactUnboundedD(op, x, y, err) ? Sse.PE : 0);
        return Double.doubleToRawLongBits(r);
      }
      c.simdFlags |= Sse.OE | Sse.PE;
      if (rc == Sse.RC_ZERO || (rc == Sse.RC_DOWN && r > 0) || (rc == Sse.RC_UP && r < 0)) {
        r = Math.copySign(Double.MAX_VALUE, r);
      }
      return Double.doubleToRawLongBits(r);
    }
    double m = Math.abs(r);
    boolean tiny = m < Double.MIN_NORMAL && (m != 0 || err != 0);
    if (tiny && (masks & Sse.UE) == 0) {
      c.simdFlags |= Sse.UE | (inexactUnboundedD(op, x, y, err) ? Sse.PE : 0);
      return Double.doubleToRawLongBits(r);
    }
    if (err != 0) {
      c.simdFlags |= Sse.PE;
    }
    if (tiny) {
      // Tiny: with UE masked, underflow is reported only if inexact; FTZ flushes to zero.
      if ((c.mxcsr & Sse.FTZ) != 0) {
        c.simdFlags |= Sse.UE | Sse.PE;
        return Double.doubleToRawLongBits(r) & Long.MIN_VALUE;
      } else if (err != 0) {
        c.simdFlags |= Sse.UE;
      }
    }
    return Double.doubleToRawLongBits(r);
  }

  /** Whether rounding mode {@code rc} rounds a result of {@code r}'s sign toward zero. */
  private static boolean towardZero(int rc, double r) {
    return rc == Sse.RC_ZERO || rc == Sse.RC_DOWN && r > 0 || rc == Sse.RC_UP && r < 0;
  }

  /**
   * Whether the exact result of {@code op} on {@code x} and {@code y} is below {@code 2 * half} in
   * magnitude: then rounding it toward zero with an unbounded exponent gives the largest finite number, and
   * there is no overflow, although the nearest-even result is infinite (-FLT_MAX - 1.8e31 rounded up is
   * -FLT_MAX; found by the difftest). Computed exactly; unknown operations count as overflowing.
   */
  static boolean belowTop(int op, double x, double y, double half) {
    java.math.BigDecimal top = new java.math.BigDecimal(half).multiply(java.math.BigDecimal.valueOf(2));
    java.math.BigDecimal bx = new java.math.BigDecimal(x);
    java.math.BigDecimal by = new java.math.BigDecimal(y);
    switch (op) {
      case OP_ADD:
        return bx.add(by).abs().compareTo(top) < 0;
      case OP_MUL:
        return bx.multiply(by).abs().compareTo(top) < 0;
      case OP_DIV:
        return y != 0 && bx.abs().compareTo(top.multiply(by.abs())) < 0;
      case OP_CVT:
        return bx.abs().compareTo(top) < 0;
      default:
        return false;
    }
  }

  static int finishF(CpuState c, float r, float err, boolean finiteIn) {
    return finishF(c, r, err, finiteIn, OP_NONE, 0, 0);
  }

  /** The single-precision {@link #finishD(CpuState, double, double, boolean, int, double, double)}. */
  static int finishF(CpuState c, float r, float err, boolean finiteIn, int op, double x, double y) {
    int rc = Sse.rc(c);
    int masks = c.mxcsr >>> Sse.MASK_SHIFT;
    if (err != 0 && rc != Sse.RC_NEAREST) {
      if (rc == Sse.RC_DOWN && err < 0) {
        r = Math.nextDown(r);
      } else if (rc == Sse.RC_UP && err > 0) {
        r = Math.nextUp(r);
      } else if (rc == Sse.RC_ZERO && (r > 0 && err < 0 || r < 0 && err > 0)) { // a zero stays zero
        r = r > 0 ? Math.nextDown(r) : Math.nextUp(r);
      }
    }
    if (Float.isInfinite(r) && finiteIn) {
      if (towardZero(rc, r) && belowTop(op, x, y, 0x1p127)) {
        c.simdFlags |= Sse.PE;
        return Float.floatToRawIntBits(Math.copySign(Float.MAX_VALUE, r));
      }
      if ((masks & Sse.OE) == 0) {
        c.simdFlags |= Sse.OE | (inexactUnboundedF(op, x, y, err) ? Sse.PE : 0);
        return Float.floatToRawIntBits(r);
      }
      c.simdFlags |= Sse.OE | Sse.PE;
      if (rc == Sse.RC_ZERO || (rc == Sse.RC_DOWN && r > 0) || (rc == Sse.RC_UP && r < 0)) {
        r = Math.copySign(Float.MAX_VALUE, r);
      }
      return Float.floatToRawIntBits(r);
    }
    float m = Math.abs(r);
    boolean tiny = m < Float.MIN_NORMAL && (m != 0 || err != 0);
    if (tiny && (masks & Sse.UE) == 0) {
      c.simdFlags |= Sse.UE | (inexactUnboundedF(op, x, y, err) ? Sse.PE : 0);
      return Float.floatToRawIntBits(r);
    }
    if (err != 0) {
      c.simdFlags |= Sse.PE;
    }
    if (tiny) {
      if ((c.mxcsr & Sse.FTZ) != 0) {
        c.simdFlags |= Sse.UE | Sse.PE;
        return Float.floatToRawIntBits(r) & Integer.MIN_VALUE;
      } else if (err != 0) {
        c.simdFlags |= Sse.UE;
      }
    }
    return Float.floatToRawIntBits(r);
  }

  /** The exact error of x + y = s (TwoSum, Knuth): s + err == x + y exactly, when s is finite. */
  static double twoSumErr(double x, double y, double s) {
    double yv = s - x;
    double xv = s - yv;
    return (x - xv) + (y - yv);
  }

  static float twoSumErr(float x, float y, float s) {
    float yv = s - x;
    float xv = s - yv;
    return (x - xv) + (y - yv);
  }

  /**
   * An exact zero sum takes its sign from the rounding mode (IEEE 754 6.3): -0 only when rounding down;
   * but the sum of two zeros of the same sign is that zero (-0 + -0 = -0 in every mode; found by the
   * difftest).
   */
  static double zeroSum(CpuState c, double x, double y, double r) {
    if (r != 0 || x == 0 && y == 0 && (Double.doubleToRawLongBits(x) ^ Double.doubleToRawLongBits(y)) >= 0) {
      return r;
    }
    return Sse.rc(c) == Sse.RC_DOWN ? -0.0 : 0.0;
  }

  static float zeroSum(CpuState c, float x, float y, float r) {
    if (r != 0 || x == 0 && y == 0 && (Float.floatToRawIntBits(x) ^ Float.floatToRawIntBits(y)) >= 0) {
      return r;
    }
    return Sse.rc(c) == Sse.RC_DOWN ? -0.0f : 0.0f;
  }

  // ---- the fast path ----

  /**
   * MXCSR bits under which an operation on normal (or zero) operands with a normal result is Java's
   * arithmetic and nothing more: rounding to nearest, and PE masked with its flag already set. Such an
   * operation can raise no flag but PE, which is sticky, so its exact rounding error need not be computed.
   * Any other operand or result takes the exact path below.
   */
  static final int FAST_MASK = Sse.PE | (Sse.PE << Sse.MASK_SHIFT) | (3 << Sse.RC_SHIFT);
  static final int FAST_VALUE = Sse.PE | (Sse.PE << Sse.MASK_SHIFT);

  static boolean fast(CpuState c) {
    return (c.mxcsr & FAST_MASK) == FAST_VALUE;
  }

  /** Exponent field neither 0 (zero, denormal) nor all ones (infinity, NaN). */
  static boolean normalD(long b) {
    long e = b & EXP_D;
    return e != 0 && e != EXP_D;
  }

  static boolean normalOrZeroD(long b) {
    return normalD(b) || (b << 1) == 0;
  }

  static boolean normalF(int b) {
    int e = b & EXP_F;
    return e != 0 && e != EXP_F;
  }

  static boolean normalOrZeroF(int b) {
    return normalF(b) || (b << 1) == 0;
  }

  // ---- double operations ----

  public static long addD(CpuState c, long a, long b) {
    if (fast(c) && normalOrZeroD(a) && normalOrZeroD(b)) {
      // A zero sum of such operands is exact, with the sign Java gives it when rounding to nearest.
      long r = Double.doubleToRawLongBits(Double.longBitsToDouble(a) + Double.longBitsToDouble(b));
      if (normalOrZeroD(r)) {
        return r;
      }
    }
    return addDExact(c, a, b);
  }

  /** addD off the fast path: flags, rounding modes, special operands. */
  static long addDExact(CpuState c, long a, long b) {
    if (nanD(a) || nanD(b)) {
      return nanResultD(c, a, b);
    }
    double x = Double.longBitsToDouble(inD(c, a));
    double y = Double.longBitsToDouble(inD(c, b));
    double r = x + y;
    if (Double.isNaN(r)) {
      c.simdFlags |= Sse.IE; // inf + -inf
      return QNAN_D;
    }
    boolean finite = !Double.isInfinite(x) && !Double.isInfinite(y);
    // Near the top of the range TwoSum's intermediate differences can overflow: take the exact way there.
    double err = !finite || Double.isInfinite(r) ? 0
        : Math.abs(r) >= 0x1p1020 || Math.abs(x) >= 0x1p1020 || Math.abs(y) >= 0x1p1020
            ? new java.math.BigDecimal(x).add(new java.math.BigDecimal(y)).subtract(new java.math.BigDecimal(r)).signum()
            : twoSumErr(x, y, r);
    if (err == 0 && r == 0) {
      return Double.doubleToRawLongBits(zeroSum(c, x, y, r));
    }
    return finishD(c, r, err, finite, OP_ADD, x, y);
  }

  public static long subD(CpuState c, long a, long b) {
    if (nanD(a) || nanD(b)) {
      return nanResultD(c, a, b);
    }
    return addD(c, a, b ^ Long.MIN_VALUE);
  }

  public static long mulD(CpuState c, long a, long b) {
    if (fast(c) && normalOrZeroD(a) && normalOrZeroD(b)) {
      long r = Double.doubleToRawLongBits(Double.longBitsToDouble(a) * Double.longBitsToDouble(b));
      if (normalD(r) || (a << 1) == 0 || (b << 1) == 0) { // a zero factor: an exact signed zero
        return r;
      }
    }
    return mulDExact(c, a, b);
  }

  /** mulD off the fast path: flags, rounding modes, special operands. */
  static long mulDExact(CpuState c, long a, long b) {
    if (nanD(a) || nanD(b)) {
      return nanResultD(c, a, b);
    }
    double x = Double.longBitsToDouble(inD(c, a));
    double y = Double.longBitsToDouble(inD(c, b));
    double r = x * y;
    if (Double.isNaN(r)) {
      c.simdFlags |= Sse.IE; // 0 * inf
      return QNAN_D;
    }
    boolean finite = !Double.isInfinite(x) && !Double.isInfinite(y);
    double err = 0;
    if (finite && !Double.isInfinite(r) && r != 0 && Math.abs(r) >= 0x1p-968) {
      err = Math.fma(x, y, -r);
    } else if (finite && !Double.isInfinite(r) && x != 0 && y != 0) {
      err = exactMulErr(x, y, r); // tiny product: the residual may itself underflow
    }
    return finishD(c, r, err, finite, OP_MUL, x, y);
  }

  /** Sign of (x * y - r) for tiny products, computed exactly. */
  static double exactMulErr(double x, double y, double r) {
    java.math.BigDecimal e = new java.math.BigDecimal(x).multiply(new java.math.BigDecimal(y))
        .subtract(new java.math.BigDecimal(r));
    return e.signum();
  }

  public static long divD(CpuState c, long a, long b) {
    if (fast(c) && normalOrZeroD(a) && normalOrZeroD(b)) {
      long r = Double.doubleToRawLongBits(Double.longBitsToDouble(a) / Double.longBitsToDouble(b));
      if (normalD(r) || (a << 1) == 0 && (b << 1) != 0) { // zero by a normal: an exact signed zero
        return r;
      }
    }
    return divDExact(c, a, b);
  }

  /** divD off the fast path: flags, rounding modes, special operands. */
  static long divDExact(CpuState c, long a, long b) {
    if (nanD(a) || nanD(b)) {
      return nanResultD(c, a, b);
    }
    int before = c.simdFlags;
    double x = Double.longBitsToDouble(inD(c, a));
    double y = Double.longBitsToDouble(inD(c, b));
    if (y == 0 && x != 0 && !Double.isInfinite(x)) {
      // Divide-by-zero outranks the denormal operand (SDM Vol. 1, 4.9.2): a denormal / 0 is ZE only.
      c.simdFlags = (c.simdFlags & ~Sse.DE) | (before & Sse.DE) | Sse.ZE;
    }
    double r = x / y;
    if (Double.isNaN(r)) {
      c.simdFlags |= Sse.IE; // 0/0, inf/inf
      return QNAN_D;
    }
    boolean finite = !Double.isInfinite(x) && !Double.isInfinite(y) && y != 0;
    double err = 0;
    if (finite && !Double.isInfinite(r) && x != 0) {
      if (Math.abs(r) >= 0x1p-960 && Math.abs(x) >= 0x1p-960) {
        double rem = Math.fma(-r, y, x); // x - r*y, exact
        err = Math.signum(rem) * Math.signum(y);
      } else {
        java.math.BigDecimal e = new java.math.BigDecimal(x)
            .subtract(new java.math.BigDecimal(r).multiply(new java.math.BigDecimal(y)));
        err = e.signum() * Math.signum(y);
      }
    }
    return finishD(c, r, err, finite, OP_DIV, x, y);
  }

  public static long sqrtD(CpuState c, long a) {
    if (fast(c) && normalD(a) && a > 0) {
      return Double.doubleToRawLongBits(Math.sqrt(Double.longBitsToDouble(a)));
    }
    return sqrtDExact(c, a);
  }

  /** sqrtD off the fast path: flags, rounding modes, special operands. */
  static long sqrtDExact(CpuState c, long a) {
    if (nanD(a)) {
      if (snanD(a)) {
        c.simdFlags |= Sse.IE;
      }
      return a | QUIET_D;
    }
    // The invalid operation outranks the denormal operand (SDM Vol. 1, 4.9.2): a negative denormal is IE only.
    if (Double.longBitsToDouble(dazD(c, a)) < 0) {
      c.simdFlags |= Sse.IE;
      return QNAN_D;
    }
    double x = Double.longBitsToDouble(inD(c, a));
    double r = Math.sqrt(x);
    double err = 0;
    if (x != 0 && !Double.isInfinite(x)) {
      if (x >= 0x1p-900) {
        err = Math.signum(Math.fma(-r, r, x));
      } else {
        err = new java.math.BigDecimal(x).subtract(new java.math.BigDecimal(r).pow(2)).signum();
      }
    }
    return finishD(c, r, err, !Double.isInfinite(x)); // the square root of infinity is no overflow
  }

  /**
   * MINSD/MAXSD: if either is a NaN (IE, QNaN included) or both are zeros, the second operand is returned
   * unchanged; the comparison is otherwise exact.
   */
  public static long minMaxD(CpuState c, long a, long b, boolean max) {
    if (nanD(a) || nanD(b)) {
      c.simdFlags |= Sse.IE;
      return dazD(c, b); // the second operand as DAZ reads it (a denormal comes back as zero; host)
    }
    long aa = inD(c, a);
    long bb = inD(c, b);
    double x = Double.longBitsToDouble(aa);
    double y = Double.longBitsToDouble(bb);
    if (x == 0 && y == 0) {
      return bb;
    }
    return (max ? x > y : x < y) ? aa : bb;
  }

  /** CMPxxSD predicate 0-7 (EQ, LT, LE, UNORD, NEQ, NLT, NLE, ORD). */
  public static boolean cmpD(CpuState c, long a, long b, int pred) {
    boolean unordered = nanD(a) || nanD(b);
    if (snanD(a) || snanD(b) || unordered && (pred & 3) != 0 && (pred & 3) != 3) {
      c.simdFlags |= Sse.IE; // LT, LE, NLT, NLE signal on any NaN
    }
    double x = Double.longBitsToDouble(unordered ? a : inD(c, a));
    double y = Double.longBitsToDouble(unordered ? b : inD(c, b));
    switch (pred & 7) {
      case 0: return !unordered && x == y;
      case 1: return !unordered && x < y;
      case 2: return !unordered && x <= y;
      case 3: return unordered;
      case 4: return unordered || x != y;
      case 5: return unordered || !(x < y);
      case 6: return unordered || !(x <= y);
      default: return !unordered;
    }
  }

  /** COMISD (signalling: any NaN raises IE) and UCOMISD (only SNaN): returns ZF|PF|CF as EFLAGS bits. */
  public static long comisD(CpuState c, long a, long b, boolean signalling) {
    boolean unordered = nanD(a) || nanD(b);
    if (snanD(a) || snanD(b) || unordered && signalling) {
      c.simdFlags |= Sse.IE;
    }
    if (unordered) {
      return 0x45; // ZF PF CF
    }
    double x = Double.longBitsToDouble(inD(c, a));
    double y = Double.longBitsToDouble(inD(c, b));
    return x == y ? 0x40 : x < y ? 0x01 : 0;
  }

  // ---- float operations ----

  public static int addF(CpuState c, int a, int b) {
    if (fast(c) && normalOrZeroF(a) && normalOrZeroF(b)) {
      int r = Float.floatToRawIntBits(Float.intBitsToFloat(a) + Float.intBitsToFloat(b));
      if (normalOrZeroF(r)) {
        return r;
      }
    }
    return addFExact(c, a, b);
  }

  /** addF off the fast path: flags, rounding modes, special operands. */
  static int addFExact(CpuState c, int a, int b) {
    if (nanF(a) || nanF(b)) {
      return nanResultF(c, a, b);
    }
    float x = Float.intBitsToFloat(inF(c, a));
    float y = Float.intBitsToFloat(inF(c, b));
    float r = x + y;
    if (Float.isNaN(r)) {
      c.simdFlags |= Sse.IE;
      return QNAN_F;
    }
    boolean finite = !Float.isInfinite(x) && !Float.isInfinite(y);
    // The error is found in double, where nothing overflows: s + e is the exact sum (TwoSum), and s - r is
    // exact, so the sign of (x + y - r) follows (float TwoSum overflowed near FLT_MAX; found by the difftest).
    float err = 0;
    if (finite && !Float.isInfinite(r)) {
      double s = (double) x + (double) y;
      double e = twoSumErr((double) x, (double) y, s);
      err = (float) (s != r ? Math.signum(s - r) : Math.signum(e));
    }
    if (err == 0 && r == 0) {
      return Float.floatToRawIntBits(zeroSum(c, x, y, r));
    }
    return finishF(c, r, err, finite, OP_ADD, x, y);
  }

  public static int subF(CpuState c, int a, int b) {
    if (nanF(a) || nanF(b)) {
      return nanResultF(c, a, b);
    }
    return addF(c, a, b ^ Integer.MIN_VALUE);
  }

  public static int mulF(CpuState c, int a, int b) {
    if (fast(c) && normalOrZeroF(a) && normalOrZeroF(b)) {
      int r = Float.floatToRawIntBits(Float.intBitsToFloat(a) * Float.intBitsToFloat(b));
      if (normalF(r) || (a << 1) == 0 || (b << 1) == 0) {
        return r;
      }
    }
    return mulFExact(c, a, b);
  }

  /** mulF off the fast path: flags, rounding modes, special operands. */
  static int mulFExact(CpuState c, int a, int b) {
    if (nanF(a) || nanF(b)) {
      return nanResultF(c, a, b);
    }
    float x = Float.intBitsToFloat(inF(c, a));
    float y = Float.intBitsToFloat(inF(c, b));
    float r = x * y;
    if (Float.isNaN(r)) {
      c.simdFlags |= Sse.IE;
      return QNAN_F;
    }
    boolean finite = !Float.isInfinite(x) && !Float.isInfinite(y);
    // The product of two floats is exact in double: compare with the float result.
    double exact = (double) x * (double) y;
    float err = finite && !Float.isInfinite(r) ? (float) Math.signum(exact - r) : 0;
    return finishF(c, r, err, finite, OP_MUL, x, y);
  }

  public static int divF(CpuState c, int a, int b) {
    if (fast(c) && normalOrZeroF(a) && normalOrZeroF(b)) {
      int r = Float.floatToRawIntBits(Float.intBitsToFloat(a) / Float.intBitsToFloat(b));
      if (normalF(r) || (a << 1) == 0 && (b << 1) != 0) {
        return r;
      }
    }
    return divFExact(c, a, b);
  }

  /** divF off the fast path: flags, rounding modes, special operands. */
  static int divFExact(CpuState c, int a, int b) {
    if (nanF(a) || nanF(b)) {
      return nanResultF(c, a, b);
    }
    int before = c.simdFlags;
    float x = Float.intBitsToFloat(inF(c, a));
    float y = Float.intBitsToFloat(inF(c, b));
    if (y == 0 && x != 0 && !Float.isInfinite(x)) {
      c.simdFlags = (c.simdFlags & ~Sse.DE) | (before & Sse.DE) | Sse.ZE; // ZE outranks DE
    }
    float r = x / y;
    if (Float.isNaN(r)) {
      c.simdFlags |= Sse.IE;
      return QNAN_F;
    }
    boolean finite = !Float.isInfinite(x) && !Float.isInfinite(y) && y != 0;
    float err = 0;
    if (finite && !Float.isInfinite(r) && x != 0) {
      // r * y is exact in double; x - r*y then has the sign of (x/y - r) * sign(y).
      double rem = (double) x - (double) r * (double) y;
      err = (float) (Math.signum(rem) * Math.signum(y));
    }
    return finishF(c, r, err, finite, OP_DIV, x, y);
  }

  public static int sqrtF(CpuState c, int a) {
    if (fast(c) && normalF(a) && a > 0) {
      return Float.floatToRawIntBits((float) Math.sqrt(Float.intBitsToFloat(a)));
    }
    return sqrtFExact(c, a);
  }

  /** sqrtF off the fast path: flags, rounding modes, special operands. */
  static int sqrtFExact(CpuState c, int a) {
    if (nanF(a)) {
      if (snanF(a)) {
        c.simdFlags |= Sse.IE;
      }
      return a | QUIET_F;
    }
    if (Float.intBitsToFloat(dazF(c, a)) < 0) {
      c.simdFlags |= Sse.IE;
      return QNAN_F;
    }
    float x = Float.intBitsToFloat(inF(c, a));
    float r = (float) Math.sqrt(x); // correctly rounded: double sqrt then float rounding is exact here
    float err = 0;
    if (x != 0 && !Float.isInfinite(x)) {
      double rem = (double) x - (double) r * (double) r;
      err = (float) Math.signum(rem);
    }
    return finishF(c, r, err, !Float.isInfinite(x));
  }

  public static int minMaxF(CpuState c, int a, int b, boolean max) {
    if (nanF(a) || nanF(b)) {
      c.simdFlags |= Sse.IE;
      return dazF(c, b);
    }
    int aa = inF(c, a);
    int bb = inF(c, b);
    float x = Float.intBitsToFloat(aa);
    float y = Float.intBitsToFloat(bb);
    if (x == 0 && y == 0) {
      return bb;
    }
    return (max ? x > y : x < y) ? aa : bb;
  }

  public static boolean cmpF(CpuState c, int a, int b, int pred) {
    boolean unordered = nanF(a) || nanF(b);
    if (snanF(a) || snanF(b) || unordered && (pred & 3) != 0 && (pred & 3) != 3) {
      c.simdFlags |= Sse.IE;
    }
    float x = Float.intBitsToFloat(unordered ? a : inF(c, a));
    float y = Float.intBitsToFloat(unordered ? b : inF(c, b));
    switch (pred & 7) {
      case 0: return !unordered && x == y;
      case 1: return !unordered && x < y;
      case 2: return !unordered && x <= y;
      case 3: return unordered;
      case 4: return unordered || x != y;
      case 5: return unordered || !(x < y);
      case 6: return unordered || !(x <= y);
      default: return !unordered;
    }
  }

  public static long comisF(CpuState c, int a, int b, boolean signalling) {
    boolean unordered = nanF(a) || nanF(b);
    if (snanF(a) || snanF(b) || unordered && signalling) {
      c.simdFlags |= Sse.IE;
    }
    if (unordered) {
      return 0x45;
    }
    float x = Float.intBitsToFloat(inF(c, a));
    float y = Float.intBitsToFloat(inF(c, b));
    return x == y ? 0x40 : x < y ? 0x01 : 0;
  }

  // ---- conversions ----

  /** CVTSD2SS: double to float with rounding, overflow and underflow. */
  public static int d2f(CpuState c, long a) {
    if (nanD(a)) {
      if (snanD(a)) {
        c.simdFlags |= Sse.IE;
      }
      // The NaN keeps its sign and the top of its payload, quieted.
      return (int) ((a >>> 32) & 0x8000_0000L) | EXP_F | QUIET_F | (int) ((a & MANT_D) >>> 29);
    }
    double x = Double.longBitsToDouble(inD(c, a));
    float r = (float) x;
    float err = Double.isInfinite(x) ? 0 : (float) Math.signum(x - (double) r);
    if (Float.isInfinite(r) && !Double.isInfinite(x)) {
      err = (float) Math.signum(x); // overflowed
    }
    return finishF(c, r, err, !Double.isInfinite(x), OP_CVT, x, 0);
  }

  /** CVTSS2SD: exact. */
  public static long f2d(CpuState c, int a) {
    if (nanF(a)) {
      if (snanF(a)) {
        c.simdFlags |= Sse.IE;
      }
      return ((long) (a & Integer.MIN_VALUE) << 32) | EXP_D | QUIET_D | ((long) (a & MANT_F) << 29);
    }
    return Double.doubleToRawLongBits(Float.intBitsToFloat(inF(c, a)));
  }

  /**
   * Double to a 32- or 64-bit integer, rounded by MXCSR.RC or truncated; NaN or out of range gives the
   * integer indefinite (the most negative value) and IE; an inexact result raises PE.
   */
  public static long d2i(CpuState c, long a, int bits, boolean truncate) {
    long indefinite = bits == 32 ? 0x8000_0000L : Long.MIN_VALUE;
    if (nanD(a)) {
      c.simdFlags |= Sse.IE;
      return indefinite;
    }
    // Conversions to integer raise only IE and PE (SDM CVTSD2SI etc.): a denormal input is no DE, though
    // DAZ still reads it as zero (the host agrees; found by the difftest).
    double x = Double.longBitsToDouble(dazD(c, a));
    double r = truncate ? (x < 0 ? Math.ceil(x) : Math.floor(x)) : roundToInt(c, x);
    double lim = bits == 32 ? 0x1p31 : 0x1p63;
    if (!(r >= -lim && r < lim)) {
      c.simdFlags |= Sse.IE;
      return indefinite;
    }
    if (r != x) {
      c.simdFlags |= Sse.PE;
    }
    long v = (long) r;
    return bits == 32 ? v & 0xFFFF_FFFFL : v;
  }

  public static long f2i(CpuState c, int a, int bits, boolean truncate) {
    if (nanF(a)) {
      c.simdFlags |= Sse.IE;
      return bits == 32 ? 0x8000_0000L : Long.MIN_VALUE;
    }
    return d2i(c, Double.doubleToRawLongBits(Float.intBitsToFloat(dazF(c, a))), bits, truncate);
  }

  static double roundToInt(CpuState c, double x) {
    switch (Sse.rc(c)) {
      case Sse.RC_DOWN: return Math.floor(x);
      case Sse.RC_UP: return Math.ceil(x);
      case Sse.RC_ZERO: return x < 0 ? Math.ceil(x) : Math.floor(x);
      default: return Math.rint(x);
    }
  }

  /** A signed 64-bit integer to double, rounded by MXCSR.RC. */
  public static long i2d(CpuState c, long v) {
    double r = (double) v;
    double err = 0;
    if (Math.abs(v) > (1L << 53) || v == Long.MIN_VALUE) {
      java.math.BigDecimal e = java.math.BigDecimal.valueOf(v).subtract(new java.math.BigDecimal(r));
      err = e.signum();
    }
    return finishD(c, r, err, true);
  }

  /** A signed 64-bit integer to float, rounded by MXCSR.RC. */
  public static int i2f(CpuState c, long v) {
    float r = (float) v;
    float err = 0;
    if (Math.abs(v) > (1L << 24) || v == Long.MIN_VALUE) {
      java.math.BigDecimal e = java.math.BigDecimal.valueOf(v).subtract(new java.math.BigDecimal(r));
      err = e.signum();
    }
    return finishF(c, r, err, true);
  }
}
