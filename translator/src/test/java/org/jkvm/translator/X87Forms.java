package org.jkvm.translator;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The x87 forms {@link X87HostTest} runs, and the random states it runs them in: 80-bit values from every
 * class (normals around 1 and at both ends of the range, denormals, pseudo-denormals, zeros, infinities,
 * QNaNs, SNaNs, the indefinite, unnormals, pseudo-NaNs), values on rounding boundaries of every precision,
 * near integers and near the limits of single and double precision; memory operands of every format; every
 * rounding and precision control, exceptions masked and unmasked; empty and full stacks.
 */
final class X87Forms {
  private X87Forms() {}

  /** What the form needs from its input state. */
  enum Kind {
    /** Operates on ST(0) and ST(i): fill the stack. */
    REG,
    /** Pushes: keep ST(7) empty most of the time. */
    PUSH,
    /** Memory operand of this many bytes: single (4), double (8), extended (10). */
    MEM_F32, MEM_F64, MEM_F80,
    /** Integer memory operand. */
    MEM_I16, MEM_I32, MEM_I64,
    /** Packed BCD memory operand. */
    MEM_BCD,
    /** Stores into memory. */
    STORE,
    /** An environment or save image in memory. */
    MEM_ENV, MEM_SAVE,
    /** F2XM1's domain, FYL2XP1's domain, trigonometric arguments. */
    TRANS_X1, TRANS_XP1, TRANS_TRIG, TRANS_LOG
  }

  static final class Form {
    final String name;
    final byte[] insn;
    final Kind kind;
    /** Transcendental: the result may differ from the host's in the last place. */
    final boolean approx;
    /** Cases to run (0: the default). */
    int cases;
    /** Pushes onto the stack: ST(7) is kept empty most of the time. */
    boolean push;
    /** Stores an environment image whose pointer fields (bytes 12-27) are not compared. */
    boolean envPointers;
    /** A two-register arithmetic form (ModRM.reg: 0 add, 1 mul, 4-5 subtract, 6-7 divide; -1: none). */
    int binop = -1;

    Form(String name, byte[] insn, Kind kind, boolean approx) {
      this.name = name;
      this.insn = insn;
      this.kind = kind;
      this.approx = approx;
    }
  }

  static String hex(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (byte x : b) {
      sb.append(String.format("%02x", x & 0xFF));
    }
    return sb.toString();
  }

  private static byte[] b(int... v) {
    return X87HostTest.bytes(v);
  }

  private static void add(List<Form> l, String name, Kind k, int... insn) {
    l.add(new Form(name, b(insn), k, false));
  }

  private static void approx(List<Form> l, String name, Kind k, int... insn) {
    l.add(new Form(name, b(insn), k, true));
  }

  /** ModRM for [rbx] with reg field r. */
  private static int m(int r) {
    return r << 3 | 3;
  }

  private static void pushes(List<Form> l) {
    l.get(l.size() - 1).push = true;
  }

  static List<Form> all() {
    List<Form> l = new ArrayList<>();
    String[] ar = {"FADD", "FMUL", "FCOM", "FCOMP", "FSUB", "FSUBR", "FDIV", "FDIVR"};
    for (int r = 0; r < 8; r++) {
      add(l, ar[r] + " m32fp", Kind.MEM_F32, 0xD8, m(r));
      add(l, ar[r] + " m64fp", Kind.MEM_F64, 0xDC, m(r));
      add(l, ar[r].charAt(0) + "I" + ar[r].substring(1) + " m32int", Kind.MEM_I32, 0xDA, m(r));
      add(l, ar[r].charAt(0) + "I" + ar[r].substring(1) + " m16int", Kind.MEM_I16, 0xDE, m(r));
      add(l, ar[r] + " st0,st1", Kind.REG, 0xD8, 0xC0 | r << 3 | 1);
      l.get(l.size() - 1).binop = r;
      add(l, ar[r] + " st0,st5", Kind.REG, 0xD8, 0xC0 | r << 3 | 5);
      l.get(l.size() - 1).binop = r;
      add(l, "DC/" + r + " st3", Kind.REG, 0xDC, 0xC0 | r << 3 | 3);
      l.get(l.size() - 1).binop = r;
      if (r != 3) {
        add(l, "DE/" + r + " st2", Kind.REG, 0xDE, 0xC0 | r << 3 | 2);
        l.get(l.size() - 1).binop = r;
      }
    }
    add(l, "FCOMPP", Kind.REG, 0xDE, 0xD9);
    add(l, "FUCOMPP", Kind.REG, 0xDA, 0xE9);
    add(l, "FUCOM st2", Kind.REG, 0xDD, 0xE2);
    add(l, "FUCOMP st1", Kind.REG, 0xDD, 0xE9);
    add(l, "FUCOMI st1", Kind.REG, 0xDB, 0xE9);
    add(l, "FCOMI st4", Kind.REG, 0xDB, 0xF4);
    add(l, "FUCOMIP st1", Kind.REG, 0xDF, 0xE9);
    add(l, "FCOMIP st2", Kind.REG, 0xDF, 0xF2);
    add(l, "FTST", Kind.REG, 0xD9, 0xE4);
    add(l, "FXAM", Kind.REG, 0xD9, 0xE5);
    // Loads and stores.
    add(l, "FLD m32fp", Kind.MEM_F32, 0xD9, m(0));
    pushes(l);
    add(l, "FLD m64fp", Kind.MEM_F64, 0xDD, m(0));
    pushes(l);
    add(l, "FLD m80fp", Kind.MEM_F80, 0xDB, m(5));
    pushes(l);
    add(l, "FLD st3", Kind.PUSH, 0xD9, 0xC3);
    add(l, "FLD st0", Kind.PUSH, 0xD9, 0xC0);
    add(l, "FST m32fp", Kind.STORE, 0xD9, m(2));
    add(l, "FSTP m32fp", Kind.STORE, 0xD9, m(3));
    add(l, "FST m64fp", Kind.STORE, 0xDD, m(2));
    add(l, "FSTP m64fp", Kind.STORE, 0xDD, m(3));
    add(l, "FSTP m80fp", Kind.STORE, 0xDB, m(7));
    add(l, "FST st3", Kind.REG, 0xDD, 0xD3);
    add(l, "FSTP st1", Kind.REG, 0xDD, 0xD9);
    add(l, "FSTP1 st2", Kind.REG, 0xD9, 0xDA);
    add(l, "FSTP8 st4", Kind.REG, 0xDF, 0xD4);
    add(l, "FSTP9 st0", Kind.REG, 0xDF, 0xD8);
    add(l, "FILD m16int", Kind.MEM_I16, 0xDF, m(0));
    pushes(l);
    add(l, "FILD m32int", Kind.MEM_I32, 0xDB, m(0));
    pushes(l);
    add(l, "FILD m64int", Kind.MEM_I64, 0xDF, m(5));
    pushes(l);
    add(l, "FIST m16int", Kind.STORE, 0xDF, m(2));
    add(l, "FISTP m16int", Kind.STORE, 0xDF, m(3));
    add(l, "FIST m32int", Kind.STORE, 0xDB, m(2));
    add(l, "FISTP m32int", Kind.STORE, 0xDB, m(3));
    add(l, "FISTP m64int", Kind.STORE, 0xDF, m(7));
    add(l, "FISTTP m16int", Kind.STORE, 0xDF, m(1));
    add(l, "FISTTP m32int", Kind.STORE, 0xDB, m(1));
    add(l, "FISTTP m64int", Kind.STORE, 0xDD, m(1));
    add(l, "FBLD", Kind.MEM_BCD, 0xDF, m(4));
    pushes(l);
    add(l, "FBSTP", Kind.STORE, 0xDF, m(6));
    String[] consts = {"FLD1", "FLDL2T", "FLDL2E", "FLDPI", "FLDLG2", "FLDLN2", "FLDZ"};
    for (int k = 0; k < consts.length; k++) {
      add(l, consts[k], Kind.PUSH, 0xD9, 0xE8 + k);
    }
    add(l, "FXCH st1", Kind.REG, 0xD9, 0xC9);
    add(l, "FXCH st6", Kind.REG, 0xD9, 0xCE);
    add(l, "FXCH4 st2", Kind.REG, 0xDD, 0xCA);
    add(l, "FXCH7 st3", Kind.REG, 0xDF, 0xCB);
    String[] cmov = {"FCMOVB", "FCMOVE", "FCMOVBE", "FCMOVU", "FCMOVNB", "FCMOVNE", "FCMOVNBE", "FCMOVNU"};
    for (int k = 0; k < 8; k++) {
      add(l, cmov[k] + " st2", Kind.REG, k < 4 ? 0xDA : 0xDB, 0xC0 | (k & 3) << 3 | 2);
    }
    // Arithmetic on ST(0).
    add(l, "FCHS", Kind.REG, 0xD9, 0xE0);
    add(l, "FABS", Kind.REG, 0xD9, 0xE1);
    add(l, "FSQRT", Kind.REG, 0xD9, 0xFA);
    add(l, "FRNDINT", Kind.REG, 0xD9, 0xFC);
    add(l, "FSCALE", Kind.REG, 0xD9, 0xFD);
    l.get(l.size() - 1).binop = 8;
    add(l, "FXTRACT", Kind.PUSH, 0xD9, 0xF4);
    add(l, "FPREM", Kind.REG, 0xD9, 0xF8);
    l.get(l.size() - 1).binop = 6;
    add(l, "FPREM1", Kind.REG, 0xD9, 0xF5);
    l.get(l.size() - 1).binop = 6;
    // Control.
    add(l, "FNOP", Kind.REG, 0xD9, 0xD0);
    add(l, "FNENI", Kind.REG, 0xDB, 0xE0);
    add(l, "FNDISI", Kind.REG, 0xDB, 0xE1);
    add(l, "FNSETPM", Kind.REG, 0xDB, 0xE4);
    add(l, "FNCLEX", Kind.REG, 0xDB, 0xE2);
    add(l, "FNINIT", Kind.REG, 0xDB, 0xE3);
    add(l, "FINCSTP", Kind.REG, 0xD9, 0xF7);
    add(l, "FDECSTP", Kind.REG, 0xD9, 0xF6);
    add(l, "FFREE st2", Kind.REG, 0xDD, 0xC2);
    add(l, "FFREEP st1", Kind.REG, 0xDF, 0xC1);
    add(l, "FNSTSW ax", Kind.REG, 0xDF, 0xE0);
    add(l, "FNSTSW m16", Kind.REG, 0xDD, m(7));
    add(l, "FNSTCW m16", Kind.REG, 0xD9, m(7));
    add(l, "FLDCW m16", Kind.MEM_I16, 0xD9, m(5));
    add(l, "FNSTENV", Kind.REG, 0xD9, m(6));
    l.get(l.size() - 1).envPointers = true;
    add(l, "FLDENV", Kind.MEM_ENV, 0xD9, m(4));
    add(l, "FNSAVE", Kind.REG, 0xDD, m(6));
    l.get(l.size() - 1).envPointers = true;
    add(l, "FRSTOR", Kind.MEM_SAVE, 0xDD, m(4));
    // Transcendental.
    approx(l, "F2XM1", Kind.TRANS_X1, 0xD9, 0xF0);
    approx(l, "FYL2X", Kind.TRANS_LOG, 0xD9, 0xF1);
    approx(l, "FYL2XP1", Kind.TRANS_XP1, 0xD9, 0xF9);
    approx(l, "FPATAN", Kind.REG, 0xD9, 0xF3);
    approx(l, "FSIN", Kind.TRANS_TRIG, 0xD9, 0xFE);
    approx(l, "FCOS", Kind.TRANS_TRIG, 0xD9, 0xFF);
    approx(l, "FSINCOS", Kind.TRANS_TRIG, 0xD9, 0xFB);
    approx(l, "FPTAN", Kind.TRANS_TRIG, 0xD9, 0xF2);
    return l;
  }

  // ---- random states ----

  /** An 80-bit value: [0] significand, [1] sign|exponent. */
  static long[] value(Random r) {
    int sign = r.nextInt(4) == 0 ? 0 : r.nextBoolean() ? 0x8000 : 0;
    if (r.nextInt(20) == 0) {
      long[] v = EDGES[r.nextInt(EDGES.length)];
      return new long[] {v[0], v[1] | sign};
    }
    long m = mantissa(r);
    int k = r.nextInt(100);
    int e;
    if (k < 30) {
      e = 0x3FFF + r.nextInt(141) - 70;
    } else if (k < 40) {
      e = 1 + r.nextInt(0x7FFE);
    } else if (k < 45) {
      e = r.nextBoolean() ? 1 + r.nextInt(70) : 0x7FFE - r.nextInt(70);
    } else if (k < 50) {
      return new long[] {(m >>> 1) >>> r.nextInt(64), sign}; // denormal (maybe zero)
    } else if (k < 52) {
      return new long[] {m | Long.MIN_VALUE, sign}; // pseudo-denormal
    } else if (k < 57) {
      return new long[] {0, sign};
    } else if (k < 61) {
      return new long[] {Long.MIN_VALUE, sign | 0x7FFF};
    } else if (k < 65) {
      return new long[] {m | 0xC000_0000_0000_0000L, sign | 0x7FFF}; // QNaN
    } else if (k < 68) {
      long s = m & 0x3FFF_FFFF_FFFF_FFFFL;
      return new long[] {Long.MIN_VALUE | (s == 0 ? 1 : s), sign | 0x7FFF}; // SNaN
    } else if (k < 70) {
      return new long[] {0xC000_0000_0000_0000L, 0xFFFF}; // indefinite
    } else if (k < 73) {
      return new long[] {m & Long.MAX_VALUE, sign | (1 + r.nextInt(0x7FFF))}; // unnormal, pseudo-NaN/inf
    } else if (k < 85) {
      // Near an integer, or a small integer or half.
      e = 0x3FFF + r.nextInt(66) - 1;
      if (r.nextBoolean()) {
        int keep = Math.max(0, Math.min(64, e - 0x3FFF + 1 + r.nextInt(3) - 1));
        m = keep == 0 ? Long.MIN_VALUE : m & (-1L << (64 - keep)) | Long.MIN_VALUE;
      }
    } else {
      // Near the limits of single and double precision.
      int[] pivots = {0x3FFF - 126, 0x3FFF + 127, 0x3FFF - 1022, 0x3FFF + 1023, 0x3FFF - 149, 0x3FFF - 1074};
      e = pivots[r.nextInt(pivots.length)] + r.nextInt(9) - 4;
    }
    return new long[] {m | Long.MIN_VALUE, sign | e};
  }

  /**
   * A second operand chosen against the first so that the result lands where rounding is delicate: on
   * the edge of the denormal range or of overflow, or (add, subtract) in a cancellation.
   */
  static long[] partner(int op, long[] a, Random r) {
    int ea = (int) a[1] & 0x7FFF;
    if (ea == 0 || ea == 0x7FFF) {
      ea = 1;
    }
    int sign = r.nextBoolean() ? 0x8000 : 0;
    int target = r.nextBoolean() ? 1 + r.nextInt(80) - 70 : 0x7FFE + r.nextInt(8) - 4;
    int e;
    long m = mantissa(r) | Long.MIN_VALUE;
    switch (op) {
      case 1: // product exponent = ea + eb - bias
        e = target - ea + 0x3FFF;
        break;
      case 6:
      case 7: // quotient exponent = ea - eb + bias (FPREM: exponent difference)
        e = op == 6 && r.nextBoolean() ? ea - r.nextInt(130) : ea - target + 0x3FFF;
        break;
      case 8: // FSCALE: a scale that reaches the edges
        return new long[] {Long.MIN_VALUE | r.nextLong() >>> 1, (target < 100 ? 0x8000 : 0) | (0x3FFF + 14)};
      default: // add and subtract: nearly equal magnitudes
        e = ea - r.nextInt(3);
        m = a[0] ^ (r.nextLong() >>> (1 + r.nextInt(63)));
        m |= Long.MIN_VALUE;
        sign = (int) a[1] & 0x8000 ^ (r.nextBoolean() ? 0x8000 : 0);
        if (r.nextInt(4) == 0) {
          return new long[] {a[0], (int) a[1] ^ 0x8000}; // exact cancellation
        }
        break;
    }
    if (e <= 0 || e >= 0x7FFF) {
      return value(r);
    }
    return new long[] {m, sign | e};
  }

  /** Hand-picked 80-bit operands: the limits of every format and of the integer and BCD ranges. */
  static final long[][] EDGES = {
      {Long.MIN_VALUE, 0x3FFF}, {Long.MIN_VALUE, 0x3FFE}, {0xC000_0000_0000_0000L, 0x3FFF},
      {0xA000_0000_0000_0000L, 0x4000}, {-1L, 0x7FFE}, {Long.MIN_VALUE, 1}, {1, 0}, {Long.MAX_VALUE, 0},
      {Long.MIN_VALUE, 0x3FFF + 63}, {-1L, 0x3FFF + 62}, {Long.MIN_VALUE, 0x3FFF + 31}, {-1L, 0x3FFF + 30},
      {Long.MIN_VALUE, 0x3FFF + 15}, {0xFFFF_0000_0000_0000L, 0x3FFF + 14}, {0xFFFF_8000_0000_0000L, 0x3FFF + 15},
      {0xDE0B_6B3A_763F_FFF0L, 0x3FFF + 59}, {0xDE0B_6B3A_7640_0000L, 0x3FFF + 59},
      {0xDE0B_6B3A_763F_FFF8L, 0x3FFF + 59}, {Long.MIN_VALUE, 0x3FFF - 126}, {Long.MIN_VALUE, 0x3FFF - 149},
      {-1L, 0x3FFF + 127}, {0xFFFF_FF80_0000_0000L, 0x3FFF + 127}, {Long.MIN_VALUE, 0x3FFF - 1022},
      {Long.MIN_VALUE, 0x3FFF - 1074}, {0xFFFF_FFFF_FFFF_F800L, 0x3FFF + 1023}, {-1L, 0x3FFF + 1023},
      {Long.MIN_VALUE, 0x3FFF - 150}, {0xC000_0000_0000_0000L, 0x3FFF - 150}, {Long.MIN_VALUE, 0x3FFF - 1075}};

  /** Significands with interesting low bits: rounding points of 24, 53 and 64 bits. */
  static long mantissa(Random r) {
    long m = r.nextLong();
    switch (r.nextInt(10)) {
      case 0: return -1L;
      case 1: return Long.MIN_VALUE;
      case 2: return Long.MIN_VALUE | 1;
      case 3: {
        int p = r.nextBoolean() ? 40 : 11; // below 24 or 53 bits
        long tail = new long[] {1L << (p - 1), (1L << (p - 1)) - 1, (1L << (p - 1)) + 1, 0, (1L << p) - 1}[r.nextInt(5)];
        return (m & (-1L << p)) | tail;
      }
      case 4: return m & (-1L << (1 + r.nextInt(63)));
      default: return m;
    }
  }

  static int fcw(Random r) {
    int masks = r.nextInt(10) < 7 ? 0x3F : r.nextInt(64);
    int pc = r.nextInt(10) < 5 ? 3 : r.nextInt(4);
    return masks | 0x40 | pc << 8 | r.nextInt(4) << 10;
  }

  static void fill(X87HostTest.Case c, Form f, Random r) {
    ByteBuffer fx = ByteBuffer.wrap(c.fx).order(ByteOrder.LITTLE_ENDIAN);
    int fcw = fcw(r);
    // FSW: random condition codes and TOP, sticky flags only where masked (nothing pending).
    int top = r.nextInt(8);
    int fsw = (r.nextInt() & 0x4700) | top << 11 | (r.nextInt(4) == 0 ? r.nextInt(64) & fcw & 0x3F : 0);
    int tags = 0xFF;
    if (r.nextInt(8) == 0) {
      tags = r.nextInt(256) | r.nextInt(256);
    } else if (r.nextInt(16) == 0) {
      tags = r.nextInt(256);
    }
    if (f.push || f.kind == Kind.PUSH || f.kind == Kind.TRANS_TRIG) {
      if (r.nextInt(10) != 0) {
        tags &= ~(1 << ((top + 7) & 7)); // room to push
      }
    }
    long[][] st = new long[8][];
    for (int s = 0; s < 8; s++) {
      st[s] = value(r);
      if (s <= 1) {
        st[s] = special(f.kind, s, st[s], r);
      }
    }
    if (f.binop >= 0 && r.nextInt(10) < 3) {
      int other = f.binop == 8 || f.name.startsWith("FPREM") ? 1 : f.insn[1] & 7;
      if (other != 0) {
        st[other] = partner(f.binop, st[0], r);
      }
    }
    fx.putShort(0, (short) fcw);
    fx.putShort(2, (short) fsw);
    fx.put(4, (byte) tags);
    fx.putInt(24, 0x1F80);
    fx.putInt(28, 0xFFFF);
    for (int s = 0; s < 8; s++) {
      fx.putLong(32 + 16 * s, st[s][0]);
      fx.putShort(40 + 16 * s, (short) st[s][1]);
    }
    c.rflags = 2 | (r.nextInt() & 0x8D5);
    c.rax = r.nextLong();
    r.nextBytes(c.mem);
    ByteBuffer mem = ByteBuffer.wrap(c.mem).order(ByteOrder.LITTLE_ENDIAN);
    switch (f.kind) {
      case MEM_F32:
        mem.putInt(0, f32(r));
        break;
      case MEM_F64:
        mem.putLong(0, f64(r));
        break;
      case MEM_F80: {
        long[] v = value(r);
        mem.putLong(0, v[0]);
        mem.putShort(8, (short) v[1]);
        break;
      }
      case MEM_I16:
        if (f.insn[0] == (byte) 0xD9) {
          mem.putShort(0, (short) fcw(r)); // FLDCW
        } else {
          mem.putShort(0, (short) integer(r, 16));
        }
        break;
      case MEM_I32:
        mem.putInt(0, (int) integer(r, 32));
        break;
      case MEM_I64:
        mem.putLong(0, integer(r, 64));
        break;
      case MEM_BCD: {
        long lo = 0;
        for (int k = 0; k < 16; k++) {
          lo |= (long) (r.nextInt(50) == 0 ? 10 + r.nextInt(6) : r.nextInt(10)) << (4 * k);
        }
        mem.putLong(0, lo);
        mem.putShort(8, (short) (r.nextInt(10) | r.nextInt(10) << 4 | (r.nextBoolean() ? 0x8000 : 0)
            | (r.nextInt(20) == 0 ? r.nextInt(0x80) << 8 : 0)));
        break;
      }
      case MEM_ENV:
      case MEM_SAVE: {
        // A plausible image: control word, status word without pending exceptions, tags, pointers.
        int ecw = fcw(r);
        mem.putInt(0, ecw | (r.nextBoolean() ? 0xFFFF0000 : 0));
        mem.putInt(4, (r.nextInt() & 0x7F00) | (r.nextInt(64) & ecw & 0x3F));
        mem.putInt(8, r.nextInt(0x10000));
        if (f.kind == Kind.MEM_SAVE) {
          for (int s = 0; s < 8; s++) {
            long[] v = value(r);
            mem.putLong(28 + 10 * s, v[0]);
            mem.putShort(36 + 10 * s, (short) v[1]);
          }
        }
        break;
      }
      default:
        break;
    }
  }

  /** Operands shaped for the instruction: ST(0) (s = 0) and ST(1) (s = 1). */
  static long[] special(Kind k, int s, long[] v, Random r) {
    if (k == Kind.TRANS_XP1 && s == 0 && (v[1] & 0x7FFF) >= 0x3FFD && (v[1] & 0x7FFF) != 0x7FFF && v[0] < 0) {
      // FYL2XP1 is undefined beyond |x| < 1 - sqrt(2)/2 (SDM): the host returns garbage there.
      return ranged(r, 0x3FFD - r.nextInt(70), false);
    }
    if (r.nextInt(5) == 0) {
      return v; // keep some of everything
    }
    switch (k) {
      case TRANS_X1:
        if (s == 0) {
          return ranged(r, 0x3FFF - r.nextInt(70), r.nextInt(8) == 0);
        }
        return v;
      case TRANS_XP1:
        if (s == 0) {
          return ranged(r, 0x3FFD - r.nextInt(70), false); // |x| < 0.25
        }
        return v;
      case TRANS_LOG:
        if (s == 0) {
          long[] x = ranged(r, 0x3FFF + r.nextInt(200) - 100, false);
          x[1] &= 0x7FFF;
          if (r.nextInt(8) == 0) {
            x[0] = Long.MIN_VALUE; // a power of two
          }
          return x;
        }
        return v;
      case TRANS_TRIG:
        if (s == 0) {
          int e = r.nextInt(4) == 0 ? 0x3FFF + r.nextInt(64) : 0x3FFF + r.nextInt(24) - 12;
          return ranged(r, e, false);
        }
        return v;
      default:
        return v;
    }
  }

  private static long[] ranged(Random r, int e, boolean one) {
    long m = one ? Long.MIN_VALUE : mantissa(r) | Long.MIN_VALUE;
    return new long[] {m, (r.nextBoolean() ? 0x8000 : 0) | e};
  }

  static int f32(Random r) {
    switch (r.nextInt(10)) {
      case 0: return r.nextInt() & 0x807F_FFFF; // denormal or zero
      case 1: return (r.nextInt() & 0x8000_0000) | 0x7F80_0000 | (r.nextInt(3) == 0 ? 0 : r.nextInt() & 0x7F_FFFF);
      case 2: return Float.floatToRawIntBits((float) (r.nextInt(2000) - 1000) / 8);
      case 3: return Float.floatToRawIntBits((float) r.nextGaussian());
      default: return r.nextInt();
    }
  }

  static long f64(Random r) {
    switch (r.nextInt(10)) {
      case 0: return r.nextLong() & 0x800F_FFFF_FFFF_FFFFL;
      case 1: return (r.nextLong() & Long.MIN_VALUE) | 0x7FF0_0000_0000_0000L
          | (r.nextInt(3) == 0 ? 0 : r.nextLong() & 0xF_FFFF_FFFF_FFFFL);
      case 2: return Double.doubleToRawLongBits((double) (r.nextInt(2000) - 1000) / 8);
      case 3: return Double.doubleToRawLongBits(r.nextGaussian());
      default: return r.nextLong();
    }
  }

  static long integer(Random r, int bits) {
    switch (r.nextInt(6)) {
      case 0: return 0;
      case 1: return -1L << (bits - 1);
      case 2: return r.nextInt(200) - 100;
      case 3: return (1L << (bits - 1)) - 1;
      default: return r.nextLong();
    }
  }

  static String describeInput(X87HostTest.Case c) {
    ByteBuffer fx = ByteBuffer.wrap(c.fx).order(ByteOrder.LITTLE_ENDIAN);
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("fcw=%04x fsw=%04x ftw=%02x eflags=%03x%n", fx.getShort(0) & 0xFFFF,
        fx.getShort(2) & 0xFFFF, fx.get(4) & 0xFF, c.rflags));
    for (int s = 0; s < 8; s++) {
      sb.append(String.format("      st%d=%04x:%016x%n", s, fx.getShort(40 + 16 * s) & 0xFFFF, fx.getLong(32 + 16 * s)));
    }
    sb.append("      mem=");
    for (int i = 0; i < 32; i++) {
      sb.append(String.format("%02x", c.mem[i]));
    }
    return sb.toString();
  }
}
