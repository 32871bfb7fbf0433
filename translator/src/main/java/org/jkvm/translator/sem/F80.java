package org.jkvm.translator.sem;

/**
 * An exact soft-float for the x87's 80-bit extended-precision format (SDM Vol. 1, 4.2, 4.8, 4.9 and 8.2):
 * a 64-bit significand with an explicit integer bit and a sign with a 15-bit exponent biased by 16383,
 * the layout of {@code CpuState.fpMant}/{@code fpExp}.
 *
 * <p>Every operation is exact before one final rounding ({@link #round}) to 24, 53 or 64 bits (precision
 * control) in one of the four rounding modes, with the exponent range of the destination: denormal
 * results, tininess detected after rounding (as the host measures), masked overflow to infinity or the
 * largest finite number, and the unmasked responses that wrap the exponent by 24576 for register
 * destinations. Pseudo-denormals (exponent 0, integer bit set) are operands of exponent 1; unnormals,
 * pseudo-NaNs and pseudo-infinities are unsupported and invalid; NaNs propagate as Table 4-7 says and
 * invalid operations give the default QNaN, "real indefinite".
 *
 * <p>Results go to a work array (the vCPU's {@code fpWork}) so that nothing is allocated: the significand
 * at {@link #MANT}, sign and exponent at {@link #SE}, and the exceptions the operation raised at
 * {@link #EXC} in their FSW positions, with {@link #C1} meaning "rounded up". Operations add to
 * {@code w[EXC]}; the caller clears it. Two-result operations (FXTRACT) also use {@link #MANT2}/{@link #SE2}.
 */
final class F80 {
  private F80() {}

  static final int MANT = 0;
  static final int SE = 1;
  static final int EXC = 2;
  static final int MANT2 = 3;
  static final int SE2 = 4;
  static final int WORK_SIZE = 6;

  // Exception flags and condition codes where the FSW keeps them.
  static final int IE = 0x01;
  static final int DE = 0x02;
  static final int ZE = 0x04;
  static final int OE = 0x08;
  static final int UE = 0x10;
  static final int PE = 0x20;
  static final int SF = 0x40;
  static final int C0 = 0x100;
  static final int C1 = 0x200;
  static final int C2 = 0x400;
  static final int C3 = 0x4000;

  static final int BIAS = 16383;
  static final int EXP_MASK = 0x7FFF;
  static final int SIGN = 0x8000;
  static final long INT_BIT = 0x8000_0000_0000_0000L;
  static final long QUIET_BIT = 0x4000_0000_0000_0000L;
  /** Real indefinite: the default QNaN (SDM Vol. 1, Table 4-3). */
  static final long INDEF_MANT = 0xC000_0000_0000_0000L;
  static final int INDEF_SE = 0xFFFF;
  /** Exponent adjustment of the unmasked overflow and underflow responses (SDM Vol. 1, 4.9.1.4-5). */
  static final int WRAP = 24576;

  static final int RC_NEAREST = 0;
  static final int RC_DOWN = 1;
  static final int RC_UP = 2;
  static final int RC_ZERO = 3;

  // Exponent ranges of the destination formats, as biased 80-bit exponents of normal numbers.
  static final int EXT_EMIN = 1;
  static final int EXT_EMAX = 0x7FFE;
  static final int F32_EMIN = BIAS - 126;
  static final int F32_EMAX = BIAS + 127;
  static final int F64_EMIN = BIAS - 1022;
  static final int F64_EMAX = BIAS + 1023;

  // What roundSig reports.
  private static final int INEXACT = 1;
  private static final int UP = 2;
  private static final int CARRY = 4;

  // ---- classification ----

  static boolean isNaN(long m, int se) {
    return (se & EXP_MASK) == EXP_MASK && m < 0 && (m << 1) != 0;
  }

  static boolean isSNaN(long m, int se) {
    return isNaN(m, se) && (m & QUIET_BIT) == 0;
  }

  static boolean isInf(long m, int se) {
    return (se & EXP_MASK) == EXP_MASK && m == INT_BIT;
  }

  static boolean isZero(long m, int se) {
    return (se & EXP_MASK) == 0 && m == 0;
  }

  /** Denormals and pseudo-denormals: exponent 0, significand not zero. */
  static boolean isDenormal(long m, int se) {
    return (se & EXP_MASK) == 0 && m != 0;
  }

  /** Unnormals, pseudo-NaNs and pseudo-infinities: invalid operands since the 80387 (SDM Vol. 1, 8.2.2). */
  static boolean isUnsupported(long m, int se) {
    return (se & EXP_MASK) != 0 && m >= 0;
  }

  /** The exponent an operand computes with: denormals have exponent 1 and no integer bit. */
  static int exp(int se) {
    int e = se & EXP_MASK;
    return e == 0 ? 1 : e;
  }

  /** Precision control (FCW bits 9:8): 24, 53 or 64 bits; the reserved setting 01 behaves as 64. */
  static int precision(int fcw) {
    switch ((fcw >> 8) & 3) {
      case 0: return 24;
      case 2: return 53;
      default: return 64;
    }
  }

  static int rc(int fcw) {
    return (fcw >> 10) & 3;
  }

  static void set(long[] w, long m, int se) {
    w[MANT] = m;
    w[SE] = se & 0xFFFF;
  }

  static void indefinite(long[] w) {
    set(w, INDEF_MANT, INDEF_SE);
  }

  static void invalid(long[] w) {
    w[EXC] |= IE;
    indefinite(w);
  }

  // ---- NaNs ----

  /** The NaN result of a one-operand operation on a NaN: quieted, IE if it was signaling. */
  static void propagate(long[] w, long m, int se) {
    if ((m & QUIET_BIT) == 0) {
      w[EXC] |= IE;
    }
    set(w, m | QUIET_BIT, se);
  }

  /**
   * The NaN result of a two-operand operation where at least one is a NaN (SDM Vol. 1, Table 4-7): a QNaN
   * beats an SNaN; between two of a kind the larger significand wins, then the positive one.
   */
  static void propagate(long[] w, long am, int ae, long bm, int be) {
    boolean aNaN = isNaN(am, ae);
    boolean bNaN = isNaN(bm, be);
    boolean aS = aNaN && (am & QUIET_BIT) == 0;
    boolean bS = bNaN && (bm & QUIET_BIT) == 0;
    if (aS || bS) {
      w[EXC] |= IE;
    }
    boolean pickA;
    if (aNaN && bNaN) {
      if (aS != bS) {
        pickA = bS;
      } else {
        int c = Long.compareUnsigned(am, bm);
        pickA = c > 0 || c == 0 && (ae & 0xFFFF) < (be & 0xFFFF);
      }
    } else {
      pickA = aNaN;
    }
    if (pickA) {
      set(w, am | QUIET_BIT, ae);
    } else {
      set(w, bm | QUIET_BIT, be);
    }
  }

  // ---- rounding ----

  /**
   * Rounds the significand {@code hi:lo} (normalized: top bit of hi set, or a denormal) to the precision
   * whose last kept bit is {@code lsb} in hi (1 for 64 bits). Leaves the kept bits in w[MANT] (0 after a
   * carry out of bit 63, which the caller turns into 1.0 at the next exponent) and returns INEXACT, UP and
   * CARRY bits.
   */
  private static int roundSig(long[] w, long hi, long lo, long lsb, int rc, boolean neg) {
    long mask = lsb - 1;
    long rest = hi & mask;
    long kept = hi & ~mask;
    if (rest == 0 && lo == 0) {
      w[MANT] = kept;
      return 0;
    }
    boolean up;
    switch (rc) {
      case RC_NEAREST: {
        boolean guard;
        boolean sticky;
        if (lsb == 1) {
          guard = lo < 0;
          sticky = (lo << 1) != 0;
        } else {
          long half = lsb >>> 1;
          guard = (rest & half) != 0;
          sticky = (rest & (half - 1)) != 0 || lo != 0;
        }
        up = guard && (sticky || (kept & lsb) != 0);
        break;
      }
      case RC_DOWN:
        up = neg;
        break;
      case RC_UP:
        up = !neg;
        break;
      default:
        up = false;
        break;
    }
    int r = INEXACT;
    if (up) {
      long n = kept + lsb;
      r |= UP;
      if (kept < 0 && n >= 0) {
        r |= CARRY;
      }
      kept = n;
    }
    w[MANT] = kept;
    return r;
  }

  /**
   * The one rounding step of every arithmetic result: {@code (-1)^sign * hi:lo * 2^(exp - BIAS - 127)},
   * i.e. with the top bit of {@code hi} worth {@code 2^(exp - BIAS)}, rounded to {@code prec} bits by the
   * FCW's rounding control, into the normal range {@code emin..emax} (biased, in the 80-bit bias) of the
   * destination. The result is left in w as an 80-bit register value (exactly representable in the
   * destination). {@code wrap} asks for the unmasked over/underflow responses of register destinations
   * (the exponent wrapped by 24576); memory destinations do not store on those, so they pass false.
   *
   * @param sign 0 or {@link #SIGN}
   */
  static void round(long[] w, int sign, int exp, long hi, long lo, int prec, int emin, int emax, int fcw,
      boolean wrap) {
    if ((hi | lo) == 0) {
      set(w, 0, sign);
      return;
    }
    int s = hi != 0 ? Long.numberOfLeadingZeros(hi) : 64 + Long.numberOfLeadingZeros(lo);
    if (s >= 64) {
      hi = lo << (s - 64);
      lo = 0;
    } else if (s > 0) {
      hi = hi << s | lo >>> (64 - s);
      lo <<= s;
    }
    exp -= s;
    int rc = rc(fcw);
    boolean neg = sign != 0;
    long lsb = prec >= 64 ? 1 : 1L << (64 - prec);
    if (exp >= emin) {
      normal(w, sign, exp, hi, lo, lsb, rc, emin, emax, fcw, wrap);
      return;
    }
    // Tiny before rounding; it is tiny after rounding unless rounding with an unbounded exponent carries
    // it up to 2^emin.
    boolean tiny = true;
    if (exp == emin - 1) {
      tiny = (roundSig(w, hi, lo, lsb, rc, neg) & CARRY) == 0;
    }
    boolean ueUnmasked = (fcw & UE) == 0;
    if (tiny && wrap && ueUnmasked && exp + WRAP < emin) {
      // Too small even for the wrapped response: the host answers with a zero.
      w[EXC] |= UE | PE;
      set(w, 0, sign);
      return;
    }
    if (!tiny || wrap && ueUnmasked) {
      int before = (int) w[EXC];
      normal(w, sign, tiny ? exp + WRAP : exp, hi, lo, lsb, rc, emin, emax, fcw, wrap);
      if (tiny) {
        w[EXC] |= UE;
      } else {
        w[EXC] = before | (w[EXC] & (PE | C1));
      }
      return;
    }
    // Denormalize to the destination's smallest exponent, then round at the same bit position.
    int sh = emin - exp;
    if (sh >= 128) {
      lo = 1;
      hi = 0;
    } else if (sh >= 64) {
      long sticky = (sh == 64 ? 0 : hi << (128 - sh)) | lo;
      lo = hi >>> (sh - 64) | (sticky != 0 ? 1 : 0);
      hi = 0;
    } else {
      long sticky = lo << (64 - sh);
      lo = hi << (64 - sh) | lo >>> sh | (sticky != 0 ? 1 : 0);
      hi >>>= sh;
    }
    int r = roundSig(w, hi, lo, lsb, rc, neg);
    long m = w[MANT];
    int flags = 0;
    if ((r & INEXACT) != 0) {
      flags |= PE;
    }
    if ((r & UP) != 0) {
      flags |= C1;
    }
    if ((r & INEXACT) != 0 || ueUnmasked) {
      flags |= UE;
    }
    w[EXC] |= flags;
    if (m == 0) {
      set(w, 0, sign);
    } else if (m < 0) {
      set(w, m, sign | emin); // rounded up to the smallest normal number
    } else if (emin == EXT_EMIN) {
      set(w, m, sign); // an 80-bit denormal
    } else {
      int z = Long.numberOfLeadingZeros(m); // a denormal of the destination, normal in 80 bits
      set(w, m << z, sign | (emin - z));
    }
  }

  private static void normal(long[] w, int sign, int exp, long hi, long lo, long lsb, int rc, int emin, int emax,
      int fcw, boolean wrap) {
    int r = roundSig(w, hi, lo, lsb, rc, sign != 0);
    long m = w[MANT];
    if ((r & CARRY) != 0) {
      m = INT_BIT;
      exp++;
    }
    int flags = 0;
    if ((r & INEXACT) != 0) {
      flags |= PE;
    }
    if ((r & UP) != 0) {
      flags |= C1;
    }
    if (exp > emax) {
      if (wrap && (fcw & OE) == 0) {
        if (exp - WRAP <= emax) {
          exp -= WRAP;
          flags |= OE;
        } else {
          // Too large even for the wrapped response: the host answers with infinity, whatever RC says.
          m = INT_BIT;
          exp = EXP_MASK;
          flags |= OE | PE | C1;
        }
      } else {
        flags |= OE | PE;
        boolean neg = sign != 0;
        boolean toInf = rc == RC_NEAREST || rc == RC_UP && !neg || rc == RC_DOWN && neg;
        if (toInf) {
          m = INT_BIT;
          exp = EXP_MASK;
          flags |= C1;
        } else {
          m = ~(lsb - 1);
          exp = emax;
          flags &= ~C1;
        }
      }
    }
    w[EXC] |= flags;
    set(w, m, sign | exp);
  }

  /** Rounds a finite or zero 80-bit value to the precision and range of a register (FSCALE, FXTRACT ...). */
  static void roundExt(long[] w, long m, int se, int prec, int fcw) {
    round(w, se & SIGN, exp(se), m, 0, prec, EXT_EMIN, EXT_EMAX, fcw, true);
  }

  // ---- add, subtract ----

  /** a + b, or a - b when {@code subtract}; {@code bDen} says b came from a denormal of a smaller format. */
  static void add(long[] w, long am, int ae, long bm, int be, boolean subtract, boolean bDen, int fcw) {
    if (isUnsupported(am, ae) || isUnsupported(bm, be)) {
      invalid(w);
      return;
    }
    if (isNaN(am, ae) || isNaN(bm, be)) {
      propagate(w, am, ae, bm, be);
      return;
    }
    if (subtract) {
      be ^= SIGN;
    }
    boolean aInf = isInf(am, ae);
    boolean bInf = isInf(bm, be);
    boolean den = isDenormal(am, ae) || isDenormal(bm, be) || bDen;
    if (aInf || bInf) {
      if (aInf && bInf && ((ae ^ be) & SIGN) != 0) {
        invalid(w);
        return;
      }
      if (den) {
        w[EXC] |= DE;
      }
      set(w, INT_BIT, (aInf ? ae : be) | EXP_MASK);
      return;
    }
    if (den) {
      w[EXC] |= DE;
    }
    int sa = ae & SIGN;
    int sb = be & SIGN;
    if (am == 0 && bm == 0) {
      // Exact zero sum: the sign of equal zeros, else +0 (-0 when rounding down).
      set(w, 0, sa == sb ? sa : rc(fcw) == RC_DOWN ? SIGN : 0);
      return;
    }
    int ea = exp(ae);
    int eb = exp(be);
    // Order by magnitude so that a is the larger.
    if (eb > ea || eb == ea && Long.compareUnsigned(bm, am) > 0) {
      long tm = am;
      am = bm;
      bm = tm;
      int te = ea;
      ea = eb;
      eb = te;
      int ts = sa;
      sa = sb;
      sb = ts;
    }
    int d = ea - eb;
    long bhi;
    long blo;
    if (bm == 0) {
      bhi = 0;
      blo = 0;
    } else if (d == 0) {
      bhi = bm;
      blo = 0;
    } else if (d < 64) {
      bhi = bm >>> d;
      blo = bm << (64 - d);
    } else if (d < 128) {
      bhi = 0;
      blo = bm >>> (d - 64) | (d > 64 && (bm << (128 - d)) != 0 ? 1 : 0);
    } else {
      bhi = 0;
      blo = 1;
    }
    long hi;
    long lo;
    int exp = ea;
    if (sa == sb) {
      lo = blo;
      hi = am + bhi;
      if (Long.compareUnsigned(hi, am) < 0) { // carry out
        lo = lo >>> 1 | hi << 63 | (lo & 1);
        hi = hi >>> 1 | INT_BIT;
        exp++;
      }
    } else {
      lo = -blo;
      hi = am - bhi - (blo != 0 ? 1 : 0);
      if ((hi | lo) == 0) {
        set(w, 0, rc(fcw) == RC_DOWN ? SIGN : 0);
        return;
      }
    }
    round(w, sa, exp, hi, lo, precision(fcw), EXT_EMIN, EXT_EMAX, fcw, true);
  }

  // ---- multiply ----

  /** The high 64 bits of the unsigned 128-bit product a * b. */
  static long mulHigh(long a, long b) {
    return Math.multiplyHigh(a, b) + ((a >> 63) & b) + ((b >> 63) & a);
  }

  static void mul(long[] w, long am, int ae, long bm, int be, boolean bDen, int fcw) {
    if (isUnsupported(am, ae) || isUnsupported(bm, be)) {
      invalid(w);
      return;
    }
    if (isNaN(am, ae) || isNaN(bm, be)) {
      propagate(w, am, ae, bm, be);
      return;
    }
    int sign = (ae ^ be) & SIGN;
    boolean aInf = isInf(am, ae);
    boolean bInf = isInf(bm, be);
    boolean den = isDenormal(am, ae) || isDenormal(bm, be) || bDen;
    if (aInf || bInf) {
      if (isZero(am, ae) || isZero(bm, be)) {
        invalid(w);
        return;
      }
      if (den) {
        w[EXC] |= DE;
      }
      set(w, INT_BIT, sign | EXP_MASK);
      return;
    }
    if (den) {
      w[EXC] |= DE;
    }
    if (am == 0 || bm == 0) {
      set(w, 0, sign);
      return;
    }
    long hi = mulHigh(am, bm);
    long lo = am * bm;
    // am/2^63 * bm/2^63 = (hi:lo)/2^126: the top bit of hi is worth 2^1.
    round(w, sign, exp(ae) + exp(be) - BIAS + 1, hi, lo, precision(fcw), EXT_EMIN, EXT_EMAX, fcw, true);
  }

  // ---- divide ----

  static void div(long[] w, long am, int ae, long bm, int be, boolean aDen, boolean bDen, int fcw) {
    if (isUnsupported(am, ae) || isUnsupported(bm, be)) {
      invalid(w);
      return;
    }
    if (isNaN(am, ae) || isNaN(bm, be)) {
      propagate(w, am, ae, bm, be);
      return;
    }
    int sign = (ae ^ be) & SIGN;
    boolean aInf = isInf(am, ae);
    boolean bInf = isInf(bm, be);
    boolean adn = isDenormal(am, ae) || aDen;
    boolean bdn = isDenormal(bm, be) || bDen;
    if (aInf) {
      if (bInf) {
        invalid(w);
        return;
      }
      if (bdn) {
        w[EXC] |= DE;
      }
      set(w, INT_BIT, sign | EXP_MASK);
      return;
    }
    if (bInf) {
      if (adn) {
        w[EXC] |= DE;
      }
      set(w, 0, sign);
      return;
    }
    if (bm == 0) {
      if (am == 0) {
        invalid(w);
        return;
      }
      w[EXC] |= ZE; // reported alone, even for a denormal dividend
      set(w, INT_BIT, sign | EXP_MASK);
      return;
    }
    if (adn || bdn) {
      w[EXC] |= DE;
    }
    if (am == 0) {
      set(w, 0, sign);
      return;
    }
    int ea = exp(ae);
    int eb = exp(be);
    int za = Long.numberOfLeadingZeros(am);
    int zb = Long.numberOfLeadingZeros(bm);
    am <<= za;
    bm <<= zb;
    ea -= za;
    eb -= zb;
    // 66 quotient bits, worth 2^0 down to 2^-65, by restoring division; the remainder is the sticky bit.
    long qh = 0;
    long ql = 0;
    long r = am;
    boolean carry = false;
    for (int k = 0; k < 66; k++) {
      int bit = 0;
      if (carry || Long.compareUnsigned(r, bm) >= 0) {
        r -= bm;
        bit = 1;
      }
      qh = qh << 1 | ql >>> 63;
      ql = ql << 1 | bit;
      carry = r < 0;
      r <<= 1;
    }
    // Put the 2^0 bit at bit 127.
    long hi = qh << 62 | ql >>> 2;
    long lo = ql << 62 | (r != 0 || carry ? 1 : 0);
    round(w, sign, ea - eb + BIAS, hi, lo, precision(fcw), EXT_EMIN, EXT_EMAX, fcw, true);
  }

  // ---- square root ----

  static void sqrt(long[] w, long m, int se, int fcw) {
    if (isUnsupported(m, se)) {
      invalid(w);
      return;
    }
    if (isNaN(m, se)) {
      propagate(w, m, se);
      return;
    }
    if (isZero(m, se)) {
      set(w, 0, se);
      return;
    }
    if ((se & SIGN) != 0) {
      invalid(w);
      return;
    }
    if (isInf(m, se)) {
      set(w, m, se);
      return;
    }
    if (isDenormal(m, se)) {
      w[EXC] |= DE;
    }
    int e = exp(se);
    int z = Long.numberOfLeadingZeros(m);
    m <<= z;
    e -= z;
    int ue = e - BIAS;
    // Radicand N = m * 2^sh with sqrt(N) = sqrt(value) * 2^65 * 2^(-ue/2): sh = 67 or 68 makes ue - 63 + sh
    // even and the root 66 bits long.
    int sh = (ue & 1) == 0 ? 67 : 68;
    long rootH = 0;
    long rootL = 0;
    long remH = 0;
    long remL = 0;
    for (int k = 65; k >= 0; k--) {
      int two = (int) ((bitOf(m, 2 * k + 1 - sh) << 1) | bitOf(m, 2 * k - sh));
      // rem = rem << 2 | two
      remH = remH << 2 | remL >>> 62;
      remL = remL << 2 | two;
      // trial = root << 2 | 1
      long tH = rootH << 2 | rootL >>> 62;
      long tL = rootL << 2 | 1;
      rootH = rootH << 1 | rootL >>> 63;
      rootL <<= 1;
      int c = Long.compareUnsigned(remH, tH);
      if (c > 0 || c == 0 && Long.compareUnsigned(remL, tL) >= 0) {
        long nl = remL - tL;
        remH = remH - tH - (Long.compareUnsigned(remL, tL) < 0 ? 1 : 0);
        remL = nl;
        rootL |= 1;
      }
    }
    // rootH:rootL is the 66-bit root with its 2^0 bit at bit 65.
    long hi = rootH << 62 | rootL >>> 2;
    long lo = rootL << 62 | ((remH | remL) != 0 ? 1 : 0);
    int half = (ue - (sh - 67)) >> 1; // exponent of the root
    round(w, 0, half + BIAS, hi, lo, precision(fcw), EXT_EMIN, EXT_EMAX, fcw, true);
  }

  private static long bitOf(long m, int pos) {
    return pos < 0 || pos > 63 ? 0 : (m >>> pos) & 1;
  }

  // ---- compare ----

  /** Compare results: C3, C2, C0 as FCOM sets them. */
  static final int CMP_GT = 0;
  static final int CMP_LT = C0;
  static final int CMP_EQ = C3;
  static final int CMP_UN = C3 | C2 | C0;

  /**
   * Compares a with b: {@link #CMP_GT}, {@link #CMP_LT}, {@link #CMP_EQ} or {@link #CMP_UN}. An ordered
   * compare (FCOM) raises IE on any NaN, an unordered one (FUCOM) on SNaNs only; unsupported formats are
   * always invalid.
   */
  static int compare(long[] w, long am, int ae, long bm, int be, boolean quiet, boolean bDen) {
    if (isUnsupported(am, ae) || isUnsupported(bm, be)) {
      w[EXC] |= IE;
      return CMP_UN;
    }
    if (isNaN(am, ae) || isNaN(bm, be)) {
      if (!quiet || isSNaN(am, ae) || isSNaN(bm, be)) {
        w[EXC] |= IE;
      }
      return CMP_UN;
    }
    if (isDenormal(am, ae) || isDenormal(bm, be) || bDen) {
      w[EXC] |= DE;
    }
    boolean aZero = am == 0;
    boolean bZero = bm == 0;
    if (aZero && bZero) {
      return CMP_EQ;
    }
    boolean aNeg = (ae & SIGN) != 0;
    boolean bNeg = (be & SIGN) != 0;
    if (aZero) {
      return bNeg ? CMP_GT : CMP_LT;
    }
    if (bZero) {
      return aNeg ? CMP_LT : CMP_GT;
    }
    if (aNeg != bNeg) {
      return aNeg ? CMP_LT : CMP_GT;
    }
    int c = compareMagnitude(am, ae, bm, be);
    if (c == 0) {
      return CMP_EQ;
    }
    return (c > 0) != aNeg ? CMP_GT : CMP_LT;
  }

  /** Compares |a| with |b| for finite or infinite values (denormals by value). */
  static int compareMagnitude(long am, int ae, long bm, int be) {
    int ea = exp(ae);
    int eb = exp(be);
    if (am >= 0 && am != 0) { // denormal: normalize for the comparison
      int z = Long.numberOfLeadingZeros(am);
      am <<= z;
      ea -= z;
    }
    if (bm >= 0 && bm != 0) {
      int z = Long.numberOfLeadingZeros(bm);
      bm <<= z;
      eb -= z;
    }
    if (ea != eb) {
      return ea > eb ? 1 : -1;
    }
    return Long.compareUnsigned(am, bm);
  }

  // ---- conversions from memory formats ----

  /**
   * Converts a single-precision value exactly; NaNs keep their signaling bit. Returns true if it was a
   * denormal of its format (so the operation that uses it reports DE).
   */
  static boolean fromF32(long[] w, int bits) {
    int sign = bits < 0 ? SIGN : 0;
    int e = (bits >>> 23) & 0xFF;
    long frac = bits & 0x7F_FFFFL;
    if (e == 0xFF) {
      set(w, INT_BIT | frac << 40, sign | EXP_MASK);
      return false;
    }
    if (e == 0) {
      if (frac == 0) {
        set(w, 0, sign);
        return false;
      }
      long m = frac << 40;
      int z = Long.numberOfLeadingZeros(m);
      set(w, m << z, sign | (F32_EMIN - z));
      return true;
    }
    set(w, INT_BIT | frac << 40, sign | (e - 127 + BIAS));
    return false;
  }

  static boolean fromF64(long[] w, long bits) {
    int sign = bits < 0 ? SIGN : 0;
    int e = (int) (bits >>> 52) & 0x7FF;
    long frac = bits & 0xF_FFFF_FFFF_FFFFL;
    if (e == 0x7FF) {
      set(w, INT_BIT | frac << 11, sign | EXP_MASK);
      return false;
    }
    if (e == 0) {
      if (frac == 0) {
        set(w, 0, sign);
        return false;
      }
      long m = frac << 11;
      int z = Long.numberOfLeadingZeros(m);
      set(w, m << z, sign | (F64_EMIN - z));
      return true;
    }
    set(w, INT_BIT | frac << 11, sign | (e - 1023 + BIAS));
    return false;
  }

  /** A signed integer, exactly. */
  static void fromInt(long[] w, long v) {
    if (v == 0) {
      set(w, 0, 0);
      return;
    }
    int sign = v < 0 ? SIGN : 0;
    long m = v < 0 ? -v : v; // -2^63 stays 2^63 as an unsigned magnitude
    int z = Long.numberOfLeadingZeros(m);
    set(w, m << z, sign | (BIAS + 63 - z));
  }

  // ---- conversions to memory formats ----

  /**
   * FST m32: the value rounded to single precision by RC (precision control does not apply). SNaNs are
   * quieted with IE, unsupported formats give the single-precision indefinite with IE.
   */
  static int toF32(long[] w, long m, int se, int fcw) {
    int sign = (se & SIGN) != 0 ? 0x8000_0000 : 0;
    if (isUnsupported(m, se)) {
      w[EXC] |= IE;
      return 0xFFC0_0000;
    }
    if ((se & EXP_MASK) == EXP_MASK) {
      if (m == INT_BIT) {
        return sign | 0x7F80_0000;
      }
      if ((m & QUIET_BIT) == 0) {
        w[EXC] |= IE;
      }
      return sign | 0x7FC0_0000 | (int) (m >>> 40) & 0x7F_FFFF;
    }
    if (m == 0) {
      return sign;
    }
    round(w, se & SIGN, exp(se), m, 0, 24, F32_EMIN, F32_EMAX, fcw, false);
    return packF32(w[MANT], (int) w[SE]);
  }

  /** Packs an 80-bit value that single precision represents exactly. */
  static int packF32(long m, int se) {
    int sign = (se & SIGN) != 0 ? 0x8000_0000 : 0;
    int e80 = se & EXP_MASK;
    if (e80 == EXP_MASK) {
      return sign | 0x7F80_0000 | (int) (m >>> 40) & 0x7F_FFFF;
    }
    if (m == 0) {
      return sign;
    }
    int e = e80 - BIAS + 127;
    if (e >= 1) {
      return sign | e << 23 | (int) (m >>> 40) & 0x7F_FFFF;
    }
    return sign | (int) (m >>> (41 - e));
  }

  static long toF64(long[] w, long m, int se, int fcw) {
    long sign = (se & SIGN) != 0 ? Long.MIN_VALUE : 0;
    if (isUnsupported(m, se)) {
      w[EXC] |= IE;
      return 0xFFF8_0000_0000_0000L;
    }
    if ((se & EXP_MASK) == EXP_MASK) {
      if (m == INT_BIT) {
        return sign | 0x7FF0_0000_0000_0000L;
      }
      if ((m & QUIET_BIT) == 0) {
        w[EXC] |= IE;
      }
      return sign | 0x7FF8_0000_0000_0000L | (m >>> 11) & 0xF_FFFF_FFFF_FFFFL;
    }
    if (m == 0) {
      return sign;
    }
    round(w, se & SIGN, exp(se), m, 0, 53, F64_EMIN, F64_EMAX, fcw, false);
    return packF64(w[MANT], (int) w[SE]);
  }

  static long packF64(long m, int se) {
    long sign = (se & SIGN) != 0 ? Long.MIN_VALUE : 0;
    int e80 = se & EXP_MASK;
    if (e80 == EXP_MASK) {
      return sign | 0x7FF0_0000_0000_0000L | (m >>> 11) & 0xF_FFFF_FFFF_FFFFL;
    }
    if (m == 0) {
      return sign;
    }
    int e = e80 - BIAS + 1023;
    if (e >= 1) {
      return sign | (long) e << 52 | (m >>> 11) & 0xF_FFFF_FFFF_FFFFL;
    }
    return sign | m >>> (12 - e);
  }

  /**
   * Rounds to an integer of {@code bits} bits (16, 32, 64) by {@code rc}: FIST, FISTTP (RC_ZERO) and
   * FBSTP (bits = 0: any magnitude below 10^18). NaNs, infinities, unsupported formats and values out of
   * range are invalid: the result is then the integer indefinite (the most negative value; FBSTP's caller
   * stores its own). PE and C1 report inexact and rounded-up results.
   */
  static long toInt(long[] w, long m, int se, int bits, int rc) {
    long indefinite = bits == 0 ? Long.MIN_VALUE : 1L << (bits - 1);
    if (isUnsupported(m, se) || (se & EXP_MASK) == EXP_MASK) {
      w[EXC] |= IE;
      return indefinite;
    }
    if (m == 0) {
      return 0;
    }
    boolean neg = (se & SIGN) != 0;
    int e = exp(se) - BIAS; // the top bit of m is worth 2^e
    long ipart;
    long frac; // the fraction, its top bit worth 1/2
    if (e >= 63) {
      if (e > 63) {
        w[EXC] |= IE;
        return indefinite;
      }
      ipart = m;
      frac = 0;
    } else if (e >= 0) {
      ipart = m >>> (63 - e);
      frac = m << (e + 1);
    } else if (e == -1) {
      ipart = 0;
      frac = m;
    } else {
      ipart = 0;
      frac = 1; // below one half, not zero: only the sticky bit matters
    }
    boolean up = false;
    if (frac != 0) {
      switch (rc) {
        case RC_NEAREST:
          up = frac < 0 && ((frac << 1) != 0 || (ipart & 1) != 0);
          break;
        case RC_DOWN:
          up = neg;
          break;
        case RC_UP:
          up = !neg;
          break;
        default:
          break;
      }
    }
    if (up) {
      ipart++;
      if (ipart == 0) { // 2^64: out of every range
        w[EXC] |= IE;
        return indefinite;
      }
    }
    // Range: [-2^(bits-1), 2^(bits-1) - 1], or |x| <= 10^18 - 1 for packed BCD.
    long maxPos = bits == 0 ? 999_999_999_999_999_999L : bits == 64 ? Long.MAX_VALUE : (1L << (bits - 1)) - 1;
    long maxNeg = bits == 0 ? maxPos : bits == 64 ? Long.MIN_VALUE : 1L << (bits - 1);
    if (Long.compareUnsigned(ipart, neg ? maxNeg : maxPos) > 0) {
      w[EXC] |= IE;
      return indefinite;
    }
    if (frac != 0) {
      w[EXC] |= PE | (up ? C1 : 0);
    }
    return neg ? -ipart : ipart;
  }

  // ---- round to integer, scale, extract, remainder ----

  /** FRNDINT: the value rounded to an integer by RC; precision control does not apply. */
  static void roundToInt(long[] w, long m, int se, int fcw) {
    if (isUnsupported(m, se)) {
      invalid(w);
      return;
    }
    if (isNaN(m, se)) {
      propagate(w, m, se);
      return;
    }
    if ((se & EXP_MASK) == EXP_MASK || m == 0) {
      set(w, m, se);
      return;
    }
    boolean den = isDenormal(m, se);
    if (den) {
      w[EXC] |= DE;
    }
    int sign = se & SIGN;
    int e = exp(se) - BIAS;
    if (e >= 63) {
      set(w, m, se);
      return;
    }
    if (den) {
      int z = Long.numberOfLeadingZeros(m);
      m <<= z;
      e -= z;
    }
    int rc = rc(fcw);
    boolean neg = sign != 0;
    if (e < 0) {
      // |x| < 1: 0 or 1.
      boolean up;
      switch (rc) {
        case RC_NEAREST:
          up = e == -1 && (m << 1) != 0; // above one half
          break;
        case RC_DOWN:
          up = neg;
          break;
        case RC_UP:
          up = !neg;
          break;
        default:
          up = false;
          break;
      }
      w[EXC] |= PE | (up ? C1 : 0);
      set(w, up ? INT_BIT : 0, up ? sign | BIAS : sign);
      return;
    }
    int r = roundSig(w, m, 0, 1L << (63 - e), rc, neg);
    long k = w[MANT];
    int exp = e + BIAS;
    if ((r & CARRY) != 0) {
      k = INT_BIT;
      exp++;
    }
    if ((r & INEXACT) != 0) {
      w[EXC] |= PE | ((r & UP) != 0 ? C1 : 0);
    }
    set(w, k, sign | exp);
  }

  /** FSCALE: ST(0) * 2^trunc(ST(1)), rounded to 64 bits. */
  static void scale(long[] w, long am, int ae, long bm, int be, int fcw) {
    if (isUnsupported(am, ae) || isUnsupported(bm, be)) {
      invalid(w);
      return;
    }
    if (isNaN(am, ae) || isNaN(bm, be)) {
      propagate(w, am, ae, bm, be);
      return;
    }
    boolean aDen = isDenormal(am, ae);
    boolean bDen = isDenormal(bm, be);
    int sign = ae & SIGN;
    if (isInf(bm, be)) {
      boolean bNeg = (be & SIGN) != 0;
      if (isZero(am, ae) && !bNeg || isInf(am, ae) && bNeg) {
        invalid(w);
        return;
      }
      if (aDen) {
        w[EXC] |= DE;
      }
      if (isInf(am, ae) || am == 0) {
        set(w, am, ae);
      } else if (bNeg) {
        set(w, 0, sign);
      } else {
        set(w, INT_BIT, sign | EXP_MASK);
      }
      return;
    }
    if (isInf(am, ae) || am == 0) {
      if (bDen) {
        w[EXC] |= DE;
      }
      set(w, am, ae);
      return;
    }
    if (aDen || bDen) {
      w[EXC] |= DE;
    }
    // trunc(ST(1)), clamped far beyond any exponent that can still be represented.
    int eb = exp(be) - BIAS;
    int n;
    if (bm == 0 || eb < 0) {
      n = 0;
    } else if (eb >= 30) {
      n = 1 << 30;
    } else {
      n = (int) (bm >>> (63 - eb));
    }
    if ((be & SIGN) != 0) {
      n = -n;
    }
    round(w, sign, exp(ae) + n, am, 0, 64, EXT_EMIN, EXT_EMAX, fcw, true);
  }

  /**
   * FXTRACT: the exponent (as a value, in w[MANT]/w[SE]) and the significand with exponent 0 (in
   * w[MANT2]/w[SE2]). Zero gives -infinity and ZE; infinity gives +infinity and itself.
   */
  static void extract(long[] w, long m, int se) {
    if (isUnsupported(m, se)) {
      invalid(w);
      w[MANT2] = INDEF_MANT;
      w[SE2] = INDEF_SE;
      return;
    }
    if (isNaN(m, se)) {
      propagate(w, m, se);
      w[MANT2] = w[MANT];
      w[SE2] = w[SE];
      return;
    }
    if (m == 0) {
      w[EXC] |= ZE;
      set(w, INT_BIT, SIGN | EXP_MASK);
      w[MANT2] = 0;
      w[SE2] = se & SIGN;
      return;
    }
    if (isInf(m, se)) {
      set(w, INT_BIT, EXP_MASK);
      w[MANT2] = m;
      w[SE2] = se & 0xFFFF;
      return;
    }
    int e = exp(se);
    if (isDenormal(m, se)) {
      w[EXC] |= DE;
      int z = Long.numberOfLeadingZeros(m);
      m <<= z;
      e -= z;
    }
    w[MANT2] = m;
    w[SE2] = (se & SIGN) | BIAS;
    fromInt(w, e - BIAS);
  }

  /**
   * FPREM (nearest = false: quotient truncated) and FPREM1 (IEEE remainder). Returns the condition codes:
   * C2 for an incomplete reduction (exponents 64 or more apart: the exponent drops by 32 to 63, as AMD
   * documents and the host shows), else the low three quotient bits in C0 (Q2), C3 (Q1) and C1 (Q0);
   * -1 when the result is a NaN (the condition codes other than C1 and C2 are then left alone).
   */
  static int rem(long[] w, long am, int ae, long bm, int be, boolean nearest, int fcw) {
    if (isUnsupported(am, ae) || isUnsupported(bm, be)) {
      invalid(w);
      return -1;
    }
    if (isNaN(am, ae) || isNaN(bm, be)) {
      propagate(w, am, ae, bm, be);
      return -1;
    }
    if (isInf(am, ae) || bm == 0 && !isInf(bm, be)) {
      invalid(w);
      return -1;
    }
    boolean aDen = isDenormal(am, ae);
    boolean bDen = isDenormal(bm, be);
    if (isInf(bm, be)) {
      if (aDen) {
        w[EXC] |= DE;
      }
      if (am == 0) {
        set(w, am, ae);
      } else {
        roundExt(w, am, ae, 64, fcw);
      }
      return 0;
    }
    if (aDen || bDen) {
      w[EXC] |= DE;
    }
    if (am == 0) {
      set(w, am, ae);
      return 0;
    }
    int sign = ae & SIGN;
    int ea = exp(ae);
    int eb = exp(be);
    int z = Long.numberOfLeadingZeros(am);
    am <<= z;
    ea -= z;
    z = Long.numberOfLeadingZeros(bm);
    bm <<= z;
    eb -= z;
    int d = ea - eb;
    if (d >= 64) {
      // Partial: divide am * 2^n by bm, n = 32..63; the result keeps exponent ea - n.
      int n = (d & 31) | 32;
      long r = am;
      boolean carry = false;
      if (Long.compareUnsigned(r, bm) >= 0) {
        r -= bm;
      }
      for (int k = 0; k < n; k++) {
        carry = r < 0;
        r <<= 1;
        if (carry || Long.compareUnsigned(r, bm) >= 0) {
          r -= bm;
        }
      }
      round(w, sign, ea - n, r, 0, 64, EXT_EMIN, EXT_EMAX, fcw, true);
      return C2;
    }
    long q = 0;
    long r;
    int rexp;
    if (d < 0) {
      if (!nearest || d < -1) {
        round(w, sign, ea, am, 0, 64, EXT_EMIN, EXT_EMAX, fcw, true); // a itself, normalized
        return 0;
      }
      // |a| / |b| in [1/4, 1): the nearest quotient is 1 above one half.
      if (Long.compareUnsigned(am, bm) > 0) {
        round(w, sign ^ SIGN, ea, bm - am + bm, 0, 64, EXT_EMIN, EXT_EMAX, fcw, true);
        return C1;
      }
      round(w, sign, ea, am, 0, 64, EXT_EMIN, EXT_EMAX, fcw, true);
      return 0;
    }
    r = am;
    if (Long.compareUnsigned(r, bm) >= 0) {
      r -= bm;
      q = 1;
    }
    for (int k = 0; k < d; k++) {
      boolean carry = r < 0;
      r <<= 1;
      q <<= 1;
      if (carry || Long.compareUnsigned(r, bm) >= 0) {
        r -= bm;
        q |= 1;
      }
    }
    rexp = eb;
    if (nearest) {
      // Round the quotient to nearest even: compare the remainder with half the divisor.
      int c = r < 0 ? 1 : Long.compareUnsigned(r << 1, bm);
      if (c > 0 || c == 0 && (q & 1) != 0) {
        r = bm - r;
        q++;
        sign ^= SIGN;
      }
    }
    int cc = ((q & 4) != 0 ? C0 : 0) | ((q & 2) != 0 ? C3 : 0) | ((q & 1) != 0 ? C1 : 0);
    if (r == 0) {
      set(w, 0, sign);
    } else {
      round(w, sign, rexp, r, 0, 64, EXT_EMIN, EXT_EMAX, fcw, true);
    }
    return cc;
  }
}
