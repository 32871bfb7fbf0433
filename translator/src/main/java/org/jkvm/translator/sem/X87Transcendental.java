package org.jkvm.translator.sem;

import java.math.BigInteger;
import org.jkvm.runtime.CpuState;
import org.jkvm.translator.isa.Insn;

/**
 * x87 transcendental instructions (SDM Vol. 1, 8.3.9-8.3.10): F2XM1, FYL2X, FYL2XP1, FPTAN, FPATAN, FSIN,
 * FCOS, FSINCOS. Results are computed with {@link Wide} (about 125 bits) and rounded once to 64 bits by
 * RC (precision control does not apply), so they are the correctly rounded values but in rare cases
 * within 2^-60 ulp of a rounding boundary; hardware is only accurate to about one ulp, so a result may
 * differ from the host's in the last bit. Trigonometric arguments are reduced as the hardware reduces
 * them, with a 66-bit pi/2 (see {@link #reduce}), for any |x| < 2^63; beyond that C2 is set and ST(0) is
 * left unchanged. Every computed result reports PE, as on the host, even when it happens to be exact.
 *
 * <p>Special operands follow the SDM's tables (and IEEE 754's atan2): NaNs propagate, invalid
 * combinations give the indefinite, log of zero divides by zero.
 */
public final class X87Transcendental {
  private X87Transcendental() {}

  // ---- F2XM1 ----

  /** F2XM1 (D9 F0): ST(0) = 2^ST(0) - 1, meant for -1 <= ST(0) <= 1. */
  public static void f2xm1(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    X87.lastInsn(c, i);
    if (X87.empty(c, 0)) {
      X87.stackUnderflow(c, 0, false);
      return;
    }
    long m = X87.mant(c, 0);
    int se = X87.se(c, 0);
    if (F80.isUnsupported(m, se)) {
      F80.invalid(w);
    } else if (F80.isNaN(m, se)) {
      F80.propagate(w, m, se);
    } else if (F80.isInf(m, se)) {
      if ((se & F80.SIGN) != 0) {
        F80.set(w, F80.INT_BIT, F80.SIGN | F80.BIAS); // 2^-inf - 1 = -1
      } else {
        F80.set(w, m, se);
      }
    } else if (m == 0) {
      F80.set(w, m, se);
    } else {
      if (F80.isDenormal(m, se)) {
        w[F80.EXC] |= F80.DE;
      }
      Wide x = Wide.ofF80(m, se);
      if (x.cmpAbs(Wide.ONE) > 0) {
        // Outside -1..1 the result is undefined (SDM); the host returns the operand and reports PE.
        F80.set(w, m, se);
        w[F80.EXC] |= F80.PE;
      } else {
        Wide.expm1(x.mul(Wide.LN2)).round(w, c.fcw, true);
      }
    }
    if (X87.commit(c, w, false)) {
      X87.writeResult(c, 0, w);
    }
  }

  // ---- FYL2X, FYL2XP1 ----

  /** FYL2X (D9 F1): ST(1) = ST(1) * log2(ST(0)), pop. */
  public static void fyl2x(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    X87.lastInsn(c, i);
    if (X87.empty(c, 0) || X87.empty(c, 1)) {
      X87.stackUnderflow(c, 1, true);
      return;
    }
    long xm = X87.mant(c, 0);
    int xe = X87.se(c, 0);
    long ym = X87.mant(c, 1);
    int ye = X87.se(c, 1);
    yLog2(w, xm, xe, ym, ye, false, c.fcw);
    if (X87.commit(c, w, false)) {
      X87.pop(c);
      X87.writeResult(c, 0, w);
    }
  }

  /** FYL2XP1 (D9 F9): ST(1) = ST(1) * log2(ST(0) + 1), pop; meant for |ST(0)| < 1 - sqrt(2)/2. */
  public static void fyl2xp1(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    X87.lastInsn(c, i);
    if (X87.empty(c, 0) || X87.empty(c, 1)) {
      X87.stackUnderflow(c, 1, true);
      return;
    }
    yLog2(w, X87.mant(c, 0), X87.se(c, 0), X87.mant(c, 1), X87.se(c, 1), true, c.fcw);
    if (X87.commit(c, w, false)) {
      X87.pop(c);
      X87.writeResult(c, 0, w);
    }
  }

  /** y * log2(x), or y * log2(x + 1) when {@code plusOne}. */
  static void yLog2(long[] w, long xm, int xe, long ym, int ye, boolean plusOne, int fcw) {
    if (F80.isUnsupported(xm, xe) || F80.isUnsupported(ym, ye)) {
      F80.invalid(w);
      return;
    }
    if (F80.isNaN(xm, xe) || F80.isNaN(ym, ye)) {
      F80.propagate(w, xm, xe, ym, ye);
      return;
    }
    boolean xNeg = (xe & F80.SIGN) != 0;
    boolean xZero = xm == 0 && !F80.isInf(xm, xe);
    boolean xInf = F80.isInf(xm, xe);
    boolean yInf = F80.isInf(ym, ye);
    boolean yZero = ym == 0 && (ye & F80.EXP_MASK) == 0;
    int ySign = ye & F80.SIGN;
    // The sign of log2(x [+ 1]): -1, 0 or 1; and whether it is infinite (x = 0 / -1 or x = inf).
    int logSign;
    boolean logInf;
    Wide arg = null;
    if (plusOne) {
      if (xZero) {
        logSign = 0;
        logInf = false;
      } else if (xInf) {
        if (xNeg) {
          F80.invalid(w);
          return;
        }
        logSign = 1;
        logInf = true;
      } else {
        Wide x = Wide.ofF80(xm, xe);
        int c1 = xNeg ? x.cmpAbs(Wide.ONE) : -1;
        if (c1 > 0) {
          F80.invalid(w);
          return;
        }
        logSign = xNeg ? -1 : 1;
        logInf = c1 == 0;
        arg = x;
      }
    } else {
      if (xNeg && !xZero) {
        F80.invalid(w);
        return;
      }
      if (xZero) {
        logSign = -1;
        logInf = true;
      } else if (xInf) {
        logSign = 1;
        logInf = true;
      } else {
        Wide x = Wide.ofF80(xm, xe);
        int c1 = x.cmpAbs(Wide.ONE);
        logSign = c1;
        logInf = false;
        arg = x;
      }
    }
    boolean den = F80.isDenormal(xm, xe) || F80.isDenormal(ym, ye);
    if (logInf) {
      if (yZero) {
        F80.invalid(w);
        return;
      }
      if (den) {
        w[F80.EXC] |= F80.DE;
      }
      if (!yInf && (xZero || plusOne && !xInf)) {
        w[F80.EXC] |= F80.ZE; // log of zero
      }
      int sign = ySign ^ (logSign < 0 ? F80.SIGN : 0);
      F80.set(w, F80.INT_BIT, sign | F80.EXP_MASK);
      return;
    }
    if (logSign == 0) {
      if (yInf) {
        F80.invalid(w);
        return;
      }
      if (den) {
        w[F80.EXC] |= F80.DE;
      }
      F80.set(w, 0, ySign ^ (plusOne ? xe & F80.SIGN : 0));
      return;
    }
    if (den) {
      w[F80.EXC] |= F80.DE;
    }
    int sign = ySign ^ (logSign < 0 ? F80.SIGN : 0);
    if (yInf) {
      F80.set(w, F80.INT_BIT, sign | F80.EXP_MASK);
      return;
    }
    if (yZero) {
      F80.set(w, 0, sign);
      return;
    }
    Wide log;
    if (plusOne) {
      // ln(1 + x) = 2 atanh(x / (2 + x)).
      log = Wide.lnRatio(arg.div(Wide.TWO.add(arg))).mul(Wide.LOG2E);
    } else {
      int e = arg.exp;
      Wide m = Wide.of(false, 0, arg.hi, arg.lo);
      if (arg.hi == F80.INT_BIT && arg.lo == 0) {
        // A power of two: the logarithm is an integer and the product is only rounded once (the host still
        // reports PE).
        F80.fromInt(w, e);
        F80.mul(w, ym, ye, w[F80.MANT], (int) w[F80.SE], false, fcw | 0x300);
        w[F80.EXC] |= F80.PE | ((w[F80.SE] & F80.EXP_MASK) == 0 ? F80.UE : 0);
        return;
      }
      if (m.cmpAbs(SQRT2) > 0) {
        m = m.scalb(-1);
        e++;
      }
      // ln(m) = 2 atanh((m - 1) / (m + 1)), |(m - 1) / (m + 1)| <= 0.172.
      Wide t = m.sub(Wide.ONE).div(m.add(Wide.ONE));
      log = Wide.lnRatio(t).mul(Wide.LOG2E).add(Wide.ofInt(e));
    }
    log.mul(Wide.ofF80(ym, ye)).round(w, fcw, true);
  }

  private static final Wide SQRT2 = Wide.of(false, 0, 0xB504_F333_F9DE_6484L, 0x597D_89B3_754A_BE9FL);

  // ---- FPATAN ----

  /** FPATAN (D9 F3): ST(1) = atan2(ST(1), ST(0)), pop. */
  public static void fpatan(CpuState c, Insn i) {
    long[] w = X87.begin(c);
    X87.lastInsn(c, i);
    if (X87.empty(c, 0) || X87.empty(c, 1)) {
      X87.stackUnderflow(c, 1, true);
      return;
    }
    atan2(w, X87.mant(c, 1), X87.se(c, 1), X87.mant(c, 0), X87.se(c, 0), c.fcw);
    if (X87.commit(c, w, false)) {
      X87.pop(c);
      X87.writeResult(c, 0, w);
    }
  }

  static void atan2(long[] w, long ym, int ye, long xm, int xe, int fcw) {
    if (F80.isUnsupported(xm, xe) || F80.isUnsupported(ym, ye)) {
      F80.invalid(w);
      return;
    }
    if (F80.isNaN(xm, xe) || F80.isNaN(ym, ye)) {
      F80.propagate(w, xm, xe, ym, ye);
      return;
    }
    boolean yNeg = (ye & F80.SIGN) != 0;
    boolean xNeg = (xe & F80.SIGN) != 0;
    boolean xInf = F80.isInf(xm, xe);
    boolean yInf = F80.isInf(ym, ye);
    if (F80.isDenormal(xm, xe) || F80.isDenormal(ym, ye)) {
      w[F80.EXC] |= F80.DE;
    }
    Wide r;
    if (ym == 0 && !yInf) {
      if (!xNeg) {
        F80.set(w, 0, ye);
        return;
      }
      r = Wide.PI;
    } else if (yInf) {
      r = xInf ? (xNeg ? Wide.PI_4.mul(THREE) : Wide.PI_4) : Wide.PI_2;
    } else if (xInf) {
      if (!xNeg) {
        F80.set(w, 0, ye & F80.SIGN);
        return;
      }
      r = Wide.PI;
    } else if (xm == 0) {
      r = Wide.PI_2;
    } else {
      Wide y = Wide.ofF80(ym, ye).abs();
      Wide x = Wide.ofF80(xm, xe).abs();
      if (y.cmpAbs(x) <= 0) {
        r = atan(y.div(x));
      } else {
        r = Wide.PI_2.sub(atan(x.div(y)));
      }
      if (xNeg) {
        r = Wide.PI.sub(r);
      }
    }
    (yNeg ? r.negate() : r).round(w, fcw, true);
  }

  private static final Wide THREE = Wide.ofInt(3);
  /** tan(pi/8) = sqrt(2) - 1. */
  private static final Wide TAN_PI_8 = Wide.of(false, -2, 0xD413_CCCF_E779_9211L, 0x65F6_26CD_D52A_FA7CL);

  /** atan(t) for 0 <= t <= 1. */
  static Wide atan(Wide t) {
    if (t.cmpAbs(TAN_PI_8) <= 0) {
      return Wide.atanSmall(t);
    }
    // atan(t) = pi/4 + atan((t - 1) / (t + 1)).
    return Wide.PI_4.add(Wide.atanSmall(t.sub(Wide.ONE).div(t.add(Wide.ONE))));
  }

  // ---- FSIN, FCOS, FSINCOS, FPTAN ----

  private static final int SIN = 1;
  private static final int COS = 2;

  /** FSIN (D9 FE). */
  public static void fsin(CpuState c, Insn i) {
    trig(c, i, SIN);
  }

  /** FCOS (D9 FF). */
  public static void fcos(CpuState c, Insn i) {
    trig(c, i, COS);
  }

  private static void trig(CpuState c, Insn i, int which) {
    long[] w = X87.begin(c);
    X87.lastInsn(c, i);
    X87.setCc(c, X87.C2, 0);
    if (X87.empty(c, 0)) {
      X87.stackUnderflow(c, 0, false);
      return;
    }
    long m = X87.mant(c, 0);
    int se = X87.se(c, 0);
    if (special(w, m, se, which)) {
      if (w[F80.SE] < 0) {
        c.fsw |= X87.C2; // out of range: nothing else changes
        return;
      }
    } else {
      reduce(m, se).value(w, which, c.fcw);
    }
    if (X87.commit(c, w, false)) {
      X87.writeResult(c, 0, w);
    }
  }

  /** FSINCOS (D9 FB): ST(0) = sin, then push cos. */
  public static void fsincos(CpuState c, Insn i) {
    pushing(c, i, false);
  }

  /** FPTAN (D9 F2): ST(0) = tan, then push 1.0. */
  public static void fptan(CpuState c, Insn i) {
    pushing(c, i, true);
  }

  private static void pushing(CpuState c, Insn i, boolean tan) {
    long[] w = X87.begin(c);
    X87.lastInsn(c, i);
    X87.setCc(c, X87.C2, 0);
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
    long m = X87.mant(c, 0);
    int se = X87.se(c, 0);
    long m2;
    int se2;
    if (special(w, m, se, tan ? 0 : SIN)) {
      if (w[F80.SE] < 0) {
        c.fsw |= X87.C2;
        return;
      }
      if (F80.isNaN(w[F80.MANT], (int) w[F80.SE])) {
        m2 = w[F80.MANT];
        se2 = (int) w[F80.SE];
      } else if (tan) {
        m2 = F80.INT_BIT;
        se2 = F80.BIAS;
      } else {
        special(w, m, se, COS);
        m2 = w[F80.MANT];
        se2 = (int) w[F80.SE];
        special(w, m, se, SIN);
      }
    } else {
      Reduced r = reduce(m, se);
      if (tan) {
        r.value(w, 0, c.fcw);
        m2 = F80.INT_BIT;
        se2 = F80.BIAS;
      } else {
        r.value(w, COS, c.fcw);
        m2 = w[F80.MANT];
        se2 = (int) w[F80.SE];
        r.value(w, SIN, c.fcw);
      }
    }
    if (X87.commit(c, w, false)) {
      X87.writeResult(c, 0, w);
      X87.push(c, m2, se2);
    }
  }

  /**
   * The operands that need no series: NaN, infinity, unsupported (invalid), zero, |x| >= 2^63 (w[SE] set
   * to -1: out of range). Returns false for an ordinary argument. {@code which} 0 means tangent.
   */
  private static boolean special(long[] w, long m, int se, int which) {
    if (F80.isUnsupported(m, se) || F80.isInf(m, se)) {
      F80.invalid(w);
      return true;
    }
    if (F80.isNaN(m, se)) {
      F80.propagate(w, m, se);
      return true;
    }
    if (m == 0) {
      if (which == COS) {
        F80.set(w, F80.INT_BIT, F80.BIAS);
      } else {
        F80.set(w, 0, se);
      }
      return true;
    }
    if ((se & F80.EXP_MASK) - F80.BIAS >= 63) {
      w[F80.SE] = -1;
      return true;
    }
    return false;
  }

  /** An argument reduced modulo pi/2: x = k * pi/2 + r, |r| <= pi/4. */
  private static final class Reduced {
    final Wide r;
    final int quadrant;
    final boolean denormal;

    Reduced(Wide r, int quadrant, boolean denormal) {
      this.r = r;
      this.quadrant = quadrant;
      this.denormal = denormal;
    }

    /** sin (SIN), cos (COS) or tan (0) of x, rounded into w. */
    void value(long[] w, int which, int fcw) {
      if (denormal) {
        w[F80.EXC] |= F80.DE;
      }
      Wide s = null;
      Wide co = null;
      if (which != COS || (quadrant & 1) != 0) {
        s = Wide.sinSmall(r);
      }
      if (which != SIN || (quadrant & 1) != 0) {
        co = Wide.cosSmall(r);
      }
      Wide v;
      switch (which) {
        case SIN:
          v = (quadrant & 1) == 0 ? s : co;
          if ((quadrant & 2) != 0) {
            v = v.negate();
          }
          break;
        case COS:
          v = (quadrant & 1) == 0 ? co : s;
          if (((quadrant + 1) & 2) != 0) {
            v = v.negate();
          }
          break;
        default:
          if (quadrant == 0 && r.exp < -40) {
            v = r.add(r.mul(r).mul(r).divInt(3)); // tan r = r + r^3/3 + ...: keeps the side of r it is on
          } else {
            v = (quadrant & 1) == 0 ? s.div(co) : co.div(s).negate();
          }
          break;
      }
      v.round(w, fcw, true);
    }
  }

  /**
   * Reduces a finite, nonzero x with |x| < 2^63 modulo pi/2 as the hardware does: with pi/2 truncated to
   * 66 bits (the "66-bit pi" of Intel's documentation; the host matches it to within half an ulp), the
   * reduction itself being exact. So results stay within one ulp of the host's even for large
   * arguments, where they differ from the true sine.
   */
  private static Reduced reduce(long m, int se) {
    boolean den = F80.isDenormal(m, se);
    Wide x = Wide.ofF80(m, se);
    if (x.cmpAbs(Wide.PI_4) <= 0) {
      return new Reduced(x, 0, den);
    }
    // x = m * 2^(e - 63) and P = PI_2_66 * 2^-65: x - k P = (m * 2^(e + 2) - k * PI_2_66) * 2^-65.
    int e = (se & F80.EXP_MASK) - F80.BIAS;
    BigInteger num = new BigInteger(Long.toUnsignedString(m)).shiftLeft(e + 2);
    BigInteger[] qr = num.divideAndRemainder(PI_2_66);
    BigInteger k = qr[0];
    BigInteger rr = qr[1];
    if (rr.shiftLeft(1).compareTo(PI_2_66) > 0) {
      k = k.add(BigInteger.ONE);
      rr = rr.subtract(PI_2_66);
    }
    Wide r;
    if (rr.signum() == 0) {
      r = Wide.ZERO;
    } else {
      BigInteger a = rr.abs();
      int bits = a.bitLength(); // at most 66
      BigInteger top = a.shiftLeft(128 - bits);
      r = Wide.of(rr.signum() < 0, bits - 1 - 65, top.shiftRight(64).longValue(), top.longValue());
    }
    int q = k.intValue() & 3;
    if ((se & F80.SIGN) != 0) {
      // sin(-x) = -sin(x), cos(-x) = cos(x): reduce -x as k' = -k, r' = -r.
      r = r.negate();
      q = -q & 3;
    }
    return new Reduced(r, q, den);
  }

  /** pi/2 * 2^65, truncated to 66 bits. */
  private static final BigInteger PI_2_66 = new BigInteger("3243f6a8885a308d3", 16);
}
