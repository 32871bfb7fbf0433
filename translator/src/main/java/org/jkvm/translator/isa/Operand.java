package org.jkvm.translator.isa;

/**
 * Operand specifications in the notation of the Intel SDM, Vol. 2, Appendix A.2 ("Eb", "Gv", "Iz" …),
 * packed into an int: {@code type << 8 | size}, plus a fixed register number in bits 16-23.
 */
public final class Operand {
  private Operand() {}

  // Addressing methods (SDM A.2.1), plus the implicit kinds the maps need.
  public static final int T_NONE = 0;
  public static final int T_E = 1; // ModRM r/m: general register or memory
  public static final int T_G = 2; // ModRM reg: general register
  public static final int T_I = 3; // immediate
  public static final int T_J = 4; // relative offset
  public static final int T_M = 5; // ModRM r/m: memory only
  public static final int T_O = 6; // moffs: absolute offset, no ModRM
  public static final int T_S = 7; // ModRM reg: segment register
  public static final int T_C = 8; // ModRM reg: control register
  public static final int T_D = 9; // ModRM reg: debug register
  public static final int T_R = 10; // ModRM r/m: general register only
  public static final int T_V = 11; // ModRM reg: XMM
  public static final int T_W = 12; // ModRM r/m: XMM or memory
  public static final int T_U = 13; // ModRM r/m: XMM only
  public static final int T_P = 14; // ModRM reg: MMX
  public static final int T_Q = 15; // ModRM r/m: MMX or memory
  public static final int T_N = 16; // ModRM r/m: MMX only
  public static final int T_Z = 17; // general register in the low three opcode bits (+ REX.B)
  public static final int T_A = 18; // far pointer immediate (seg:off)
  public static final int T_REG = 19; // a fixed general register (number in bits 16-23)
  public static final int T_SEG = 20; // a fixed segment register
  public static final int T_ONE = 21; // the constant 1 (shift by one)
  public static final int T_ST0 = 22; // x87 ST(0)
  public static final int T_STI = 23; // x87 ST(i), i = ModRM r/m
  /** VEX.vvvv: a general register (SDM A.2.1 "B"; BMI1's second source or destination). VEX rows only. */
  public static final int T_B = 24;

  // Operand sizes (SDM A.2.2).
  public static final int S_NONE = 0;
  public static final int S_B = 1; // byte
  public static final int S_W = 2; // word
  public static final int S_D = 3; // doubleword
  public static final int S_Q = 4; // quadword
  public static final int S_V = 5; // word, doubleword or quadword by operand size
  public static final int S_Z = 6; // word for 16-bit operand size, else doubleword
  public static final int S_Y = 7; // doubleword, or quadword with 64-bit operand size
  public static final int S_DQ = 8; // 128 bits
  public static final int S_P = 9; // far pointer: 16-bit selector + offset of operand size
  public static final int S_S = 10; // 6-byte (10 in 64-bit mode) pseudo-descriptor
  public static final int S_A = 11; // two operands of operand size in memory (BOUND)
  public static final int S_T = 12; // 80-bit x87 extended real (10 bytes)
  public static final int S_X = 13; // unsized memory (LEA, INVLPG, prefetch, CLFLUSH)
  public static final int S_E = 14; // x87 environment / FXSAVE area: size given by the handler

  static int op(int type, int size) {
    return type << 8 | size;
  }

  static int reg(int size, int number) {
    return op(T_REG, size) | number << 16;
  }

  public static int type(int spec) {
    return (spec >>> 8) & 0xFF;
  }

  public static int size(int spec) {
    return spec & 0xFF;
  }

  public static int fixedReg(int spec) {
    return (spec >>> 16) & 0xFF;
  }

  public static final int Eb = op(T_E, S_B);
  public static final int Ew = op(T_E, S_W);
  public static final int Ed = op(T_E, S_D);
  public static final int Eq = op(T_E, S_Q);
  public static final int Ev = op(T_E, S_V);
  public static final int Ey = op(T_E, S_Y);
  public static final int Gb = op(T_G, S_B);
  public static final int Gw = op(T_G, S_W);
  public static final int Gd = op(T_G, S_D);
  public static final int Gq = op(T_G, S_Q);
  public static final int Gv = op(T_G, S_V);
  public static final int Gy = op(T_G, S_Y);
  public static final int Gz = op(T_G, S_Z);
  public static final int Ib = op(T_I, S_B);
  public static final int Iw = op(T_I, S_W);
  public static final int Iz = op(T_I, S_Z);
  public static final int Iv = op(T_I, S_V);
  public static final int Jb = op(T_J, S_B);
  public static final int Jz = op(T_J, S_Z);
  public static final int M = op(T_M, S_X);
  public static final int Mb = op(T_M, S_B);
  public static final int Mw = op(T_M, S_W);
  public static final int Md = op(T_M, S_D);
  public static final int Mq = op(T_M, S_Q);
  public static final int Mv = op(T_M, S_V);
  public static final int My = op(T_M, S_Y);
  public static final int Mp = op(T_M, S_P);
  public static final int Ms = op(T_M, S_S);
  public static final int Ma = op(T_M, S_A);
  public static final int Mt = op(T_M, S_T);
  public static final int Mdq = op(T_M, S_DQ);
  public static final int Me = op(T_M, S_E);
  public static final int Ob = op(T_O, S_B);
  public static final int Ov = op(T_O, S_V);
  public static final int Sw = op(T_S, S_W);
  public static final int Cy = op(T_C, S_Y);
  public static final int Dy = op(T_D, S_Y);
  public static final int Ry = op(T_R, S_Y);
  public static final int Rv = op(T_R, S_V);
  public static final int Zb = op(T_Z, S_B);
  public static final int Zv = op(T_Z, S_V);
  public static final int Zy = op(T_Z, S_Y);
  public static final int Ap = op(T_A, S_P);
  public static final int By = op(T_B, S_Y);
  public static final int Vx = op(T_V, S_DQ);
  public static final int Vd = op(T_V, S_D);
  public static final int Vq = op(T_V, S_Q);
  public static final int Wx = op(T_W, S_DQ);
  public static final int Wd = op(T_W, S_D);
  public static final int Wq = op(T_W, S_Q);
  public static final int Ux = op(T_U, S_DQ);
  public static final int Pq = op(T_P, S_Q);
  public static final int Qq = op(T_Q, S_Q);
  public static final int Qd = op(T_Q, S_D);
  public static final int Nq = op(T_N, S_Q);
  public static final int ONE = op(T_ONE, S_B);
  public static final int ST0 = op(T_ST0, S_T);
  public static final int STi = op(T_STI, S_T);

  public static final int AL = reg(S_B, 0);
  public static final int CL = reg(S_B, 1);
  public static final int DX = reg(S_W, 2);
  public static final int AX = reg(S_W, 0);
  public static final int eAX = reg(S_Z, 0);
  public static final int rAX = reg(S_V, 0);

  public static final int ES = op(T_SEG, S_W) | 0 << 16;
  public static final int CS = op(T_SEG, S_W) | 1 << 16;
  public static final int SS = op(T_SEG, S_W) | 2 << 16;
  public static final int DS = op(T_SEG, S_W) | 3 << 16;
  public static final int FS = op(T_SEG, S_W) | 4 << 16;
  public static final int GS = op(T_SEG, S_W) | 5 << 16;

  /** True if an operand of this spec is encoded in a ModRM byte. */
  static boolean usesModrm(int spec) {
    switch (type(spec)) {
      case T_E: case T_G: case T_M: case T_S: case T_C: case T_D: case T_R: case T_V: case T_W: case T_U:
      case T_P: case T_Q: case T_N: case T_STI:
        return true;
      default:
        return false;
    }
  }

  /** Disassembly name of a spec, e.g. "Ev". */
  public static String name(int spec) {
    int t = type(spec);
    if (t == T_REG) {
      return "r" + fixedReg(spec);
    }
    String[] tn = {"", "E", "G", "I", "J", "M", "O", "S", "C", "D", "R", "V", "W", "U", "P", "Q", "N", "Z", "A",
        "reg", "seg", "1", "ST", "ST(i)", "B"};
    String[] sn = {"", "b", "w", "d", "q", "v", "z", "y", "dq", "p", "s", "a", "t", "", ""};
    return tn[t] + sn[size(spec)];
  }
}
