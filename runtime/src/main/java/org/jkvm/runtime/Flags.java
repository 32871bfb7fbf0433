package org.jkvm.runtime;

/**
 * RFLAGS bits and the lazy computation of the six arithmetic flags (DESIGN.md rule 7).
 *
 * <p>An instruction that sets flags records what it did in {@link CpuState#ccOp} (operation and operand
 * size), {@link CpuState#ccDst} (the result, zero-extended to 64 bits), {@link CpuState#ccSrc} (the second
 * operand, or a value specific to the operation) and {@link CpuState#ccSrc2} (the carry in of ADC/SBB).
 * A flag is computed only when somebody reads it. The encoding follows QEMU's CC_OP_* (target/i386/cpu.h):
 * <pre>
 *   op        ccDst      ccSrc                     ccSrc2
 *   ADD       result     second operand            -
 *   ADC       result     second operand            carry in (0/1)
 *   SUB       result     second operand            -        (NEG is SUB from 0, CMP is SUB)
 *   SBB       result     second operand            borrow in (0/1)
 *   LOGIC     result     -                         -
 *   INC, DEC  result     CF before (0/1)           -
 *   SHL       result     value << (count - 1)      -
 *   SAR       result     value >> (count - 1)      -        (also SHR, with a logical shift)
 *   MUL       low result 0 if the product fits     -        (CF = OF = ccSrc != 0)
 * </pre>
 */
public final class Flags {
  private Flags() {}

  public static final long CF = 1L;
  public static final long FIXED1 = 1L << 1;
  public static final long PF = 1L << 2;
  public static final long AF = 1L << 4;
  public static final long ZF = 1L << 6;
  public static final long SF = 1L << 7;
  public static final long TF = 1L << 8;
  public static final long IF = 1L << 9;
  public static final long DF = 1L << 10;
  public static final long OF = 1L << 11;
  public static final long IOPL = 3L << 12;
  public static final long NT = 1L << 14;
  public static final long RF = 1L << 16;
  public static final long VM = 1L << 17;
  public static final long AC = 1L << 18;
  public static final long VIF = 1L << 19;
  public static final long VIP = 1L << 20;
  public static final long ID = 1L << 21;
  public static final long ARITH = CF | PF | AF | ZF | SF | OF;
  /** Bits software can ever see set. */
  public static final long VALID = ARITH | FIXED1 | TF | IF | DF | IOPL | NT | RF | VM | AC | VIF | VIP | ID;

  // Operation kinds; ccOp = kind << 2 | size index (0: 8, 1: 16, 2: 32, 3: 64 bits).
  public static final int EFLAGS = 0;
  public static final int ADD = 1;
  public static final int ADC = 2;
  public static final int SUB = 3;
  public static final int SBB = 4;
  public static final int LOGIC = 5;
  public static final int INC = 6;
  public static final int DEC = 7;
  public static final int SHL = 8;
  public static final int SAR = 9;
  public static final int MUL = 10;

  /** Size index of an operand of {@code bytes} bytes: 0, 1, 2, 3 for 1, 2, 4, 8. */
  public static int sizeIndex(int bytes) {
    return Integer.numberOfTrailingZeros(bytes);
  }

  public static int ccOp(int kind, int bytes) {
    return kind << 2 | sizeIndex(bytes);
  }

  static long mask(int sizeIdx) {
    return sizeIdx == 3 ? -1L : (1L << (8 << sizeIdx)) - 1;
  }

  static long signBit(int sizeIdx) {
    return 1L << ((8 << sizeIdx) - 1);
  }

  static boolean parity(long v) {
    return (Integer.bitCount((int) v & 0xFF) & 1) == 0;
  }

  /** The six arithmetic flags, computed from the lazy state. */
  public static long arith(CpuState c) {
    int op = c.ccOp;
    int kind = op >>> 2;
    if (kind == EFLAGS) {
      return c.rflags & ARITH;
    }
    int sz = op & 3;
    long m = mask(sz);
    long sign = signBit(sz);
    long dst = c.ccDst & m;
    long src = c.ccSrc & m;
    long f = 0;
    long src1;
    switch (kind) {
      case ADD:
        src1 = (dst - src) & m;
        if (Long.compareUnsigned(dst, src1) < 0) {
          f |= CF;
        }
        if ((~(src1 ^ src) & (src1 ^ dst) & sign) != 0) {
          f |= OF;
        }
        f |= (src1 ^ src ^ dst) & AF;
        break;
      case ADC:
        src1 = (dst - src - c.ccSrc2) & m;
        if (c.ccSrc2 != 0 ? Long.compareUnsigned(dst, src1) <= 0 : Long.compareUnsigned(dst, src1) < 0) {
          f |= CF;
        }
        if ((~(src1 ^ src) & (src1 ^ dst) & sign) != 0) {
          f |= OF;
        }
        f |= (src1 ^ src ^ dst) & AF;
        break;
      case SUB:
        src1 = (dst + src) & m;
        if (Long.compareUnsigned(src1, src) < 0) {
          f |= CF;
        }
        if (((src1 ^ src) & (src1 ^ dst) & sign) != 0) {
          f |= OF;
        }
        f |= (src1 ^ src ^ dst) & AF;
        break;
      case SBB:
        src1 = (dst + src + c.ccSrc2) & m;
        if (c.ccSrc2 != 0 ? Long.compareUnsigned(src1, src) <= 0 : Long.compareUnsigned(src1, src) < 0) {
          f |= CF;
        }
        if (((src1 ^ src) & (src1 ^ dst) & sign) != 0) {
          f |= OF;
        }
        f |= (src1 ^ src ^ dst) & AF;
        break;
      case LOGIC:
        break;
      case INC:
        f |= c.ccSrc & CF;
        if (dst == sign) {
          f |= OF;
        }
        f |= ((dst - 1) ^ 1 ^ dst) & AF;
        break;
      case DEC:
        f |= c.ccSrc & CF;
        if (dst == sign - 1) {
          f |= OF;
        }
        f |= ((dst + 1) ^ 1 ^ dst) & AF;
        break;
      case SHL:
        if ((src & sign) != 0) {
          f |= CF;
        }
        if (((src ^ dst) & sign) != 0) {
          f |= OF;
        }
        break;
      case SAR:
        f |= src & CF;
        if (((src ^ dst) & sign) != 0) {
          f |= OF;
        }
        break;
      case MUL:
        if (c.ccSrc != 0) {
          f |= CF | OF;
        }
        break;
      default:
        throw new IllegalStateException("bad ccOp " + op);
    }
    if (dst == 0) {
      f |= ZF;
    }
    if ((dst & sign) != 0) {
      f |= SF;
    }
    if (parity(dst)) {
      f |= PF;
    }
    return f;
  }

  /** CF alone; cheaper than {@link #arith} for the common operations. */
  public static boolean cf(CpuState c) {
    int op = c.ccOp;
    int sz = op & 3;
    long m = mask(sz);
    switch (op >>> 2) {
      case ADD:
        return Long.compareUnsigned(c.ccDst & m, c.ccSrc & m) < 0;
      case SUB: {
        long src = c.ccSrc & m;
        return Long.compareUnsigned((c.ccDst + src) & m, src) < 0;
      }
      case LOGIC:
        return false;
      case INC:
      case DEC:
        return (c.ccSrc & 1) != 0;
      default:
        return (arith(c) & CF) != 0;
    }
  }

  /** ZF alone. */
  public static boolean zf(CpuState c) {
    int op = c.ccOp;
    if (op >>> 2 == EFLAGS) {
      return (c.rflags & ZF) != 0;
    }
    return (c.ccDst & mask(op & 3)) == 0;
  }

  /** SF alone. */
  public static boolean sf(CpuState c) {
    int op = c.ccOp;
    if (op >>> 2 == EFLAGS) {
      return (c.rflags & SF) != 0;
    }
    return (c.ccDst & signBit(op & 3)) != 0;
  }

  /** OF alone. */
  public static boolean of(CpuState c) {
    int op = c.ccOp;
    if (op >>> 2 == LOGIC) {
      return false;
    }
    return (arith(c) & OF) != 0;
  }

  /** PF alone. */
  public static boolean pf(CpuState c) {
    if (c.ccOp >>> 2 == EFLAGS) {
      return (c.rflags & PF) != 0;
    }
    return parity(c.ccDst);
  }

  /**
   * Evaluates condition code {@code cc} (the low nibble of Jcc/SETcc/CMOVcc): O, NO, B, AE, E, NE, BE, A,
   * S, NS, P, NP, L, GE, LE, G.
   */
  public static boolean cond(CpuState c, int cc) {
    boolean r;
    switch (cc >>> 1) {
      case 0:
        r = of(c);
        break;
      case 1:
        r = cf(c);
        break;
      case 2:
        r = zf(c);
        break;
      case 3:
        r = cf(c) || zf(c);
        break;
      case 4:
        r = sf(c);
        break;
      case 5:
        r = pf(c);
        break;
      case 6:
        r = sf(c) != of(c);
        break;
      default:
        r = zf(c) || sf(c) != of(c);
        break;
    }
    return r ^ ((cc & 1) != 0);
  }
}
