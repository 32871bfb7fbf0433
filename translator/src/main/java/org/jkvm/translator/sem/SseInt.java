package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.translator.isa.Insn;

/**
 * Packed integer instructions of MMX, SSE2 and SSSE3 in both forms: 64-bit MMX registers (no prefix) and
 * 128-bit XMM registers (66 prefix, 16-byte aligned memory). Lane arithmetic works on 64-bit words so that
 * one method serves both forms: an XMM operation is two word operations (shuffles, packs, unpacks and
 * byte shifts that cross words are written for 128 bits and for 64).
 */
public final class SseInt {
  private SseInt() {}

  interface WordOp {
    long apply(long a, long b);
  }

  // ---- lanes ----

  static long lane(long v, int k, int w) {
    return w == 8 ? v : (v >>> (8 * w * k)) & ((1L << (8 * w)) - 1);
  }

  static long slane(long v, int k, int w) {
    int s = 64 - 8 * w;
    return (v >>> (8 * w * k)) << s >> s;
  }

  static long put(long v, int k, int w, long x) {
    if (w == 8) {
      return x;
    }
    long m = ((1L << (8 * w)) - 1) << (8 * w * k);
    return (v & ~m) | ((x << (8 * w * k)) & m);
  }

  /** Applies {@code op} to destination and source: one word for MMX, two for XMM. */
  static void binary(CpuState c, Insn i, WordOp op) {
    if (i.k0 == Insn.K_MMX) {
      Sse.checkMmx(c);
      long s = Sse.low(c, i, 1);
      Sse.setMmx(c, i.r0, op.apply(c.fpMant[i.r0], s));
    } else {
      Sse.check(c);
      Sse.load(c, i, 1, true);
      long s0 = c.scratch[0];
      long s1 = c.scratch[1];
      Sse.setXmm(c, i.r0, op.apply(c.xmm[2 * i.r0], s0), op.apply(c.xmm[2 * i.r0 + 1], s1));
    }
  }

  static long add(long a, long b, int w) {
    if (w == 8) {
      return a + b;
    }
    long h = highBits(w);
    return ((a & ~h) + (b & ~h)) ^ ((a ^ b) & h);
  }

  static long sub(long a, long b, int w) {
    if (w == 8) {
      return a - b;
    }
    long h = highBits(w);
    return ((a | h) - (b & ~h)) ^ ((a ^ ~b) & h);
  }

  /** The top bit of every lane of width {@code w}. */
  static long highBits(int w) {
    switch (w) {
      case 1: return 0x8080_8080_8080_8080L;
      case 2: return 0x8000_8000_8000_8000L;
      default: return 0x8000_0000_8000_0000L;
    }
  }

  static long sat(long v, long lo, long hi) {
    return v < lo ? lo : v > hi ? hi : v;
  }

  /** Lane-wise op with saturation: signed or unsigned lanes of width {@code w}. */
  static long satOp(long a, long b, int w, boolean signed, boolean subtract) {
    long r = 0;
    int n = 8 / w;
    long max = signed ? (1L << (8 * w - 1)) - 1 : (1L << (8 * w)) - 1;
    long min = signed ? -(1L << (8 * w - 1)) : 0;
    for (int k = 0; k < n; k++) {
      long x = signed ? slane(a, k, w) : lane(a, k, w);
      long y = signed ? slane(b, k, w) : lane(b, k, w);
      r = put(r, k, w, sat(subtract ? x - y : x + y, min, max));
    }
    return r;
  }

  static long lanes(long a, long b, int w, java.util.function.LongBinaryOperator f, boolean signed) {
    long r = 0;
    for (int k = 0; k < 8 / w; k++) {
      long x = signed ? slane(a, k, w) : lane(a, k, w);
      long y = signed ? slane(b, k, w) : lane(b, k, w);
      r = put(r, k, w, f.applyAsLong(x, y));
    }
    return r;
  }

  public static void paddb(CpuState c, Insn i) {
    binary(c, i, (a, b) -> add(a, b, 1));
  }

  public static void paddw(CpuState c, Insn i) {
    binary(c, i, (a, b) -> add(a, b, 2));
  }

  public static void paddd(CpuState c, Insn i) {
    binary(c, i, (a, b) -> add(a, b, 4));
  }

  public static void paddq(CpuState c, Insn i) {
    binary(c, i, (a, b) -> a + b);
  }

  public static void psubb(CpuState c, Insn i) {
    binary(c, i, (a, b) -> sub(a, b, 1));
  }

  public static void psubw(CpuState c, Insn i) {
    binary(c, i, (a, b) -> sub(a, b, 2));
  }

  public static void psubd(CpuState c, Insn i) {
    binary(c, i, (a, b) -> sub(a, b, 4));
  }

  public static void psubq(CpuState c, Insn i) {
    binary(c, i, (a, b) -> a - b);
  }

  public static void paddsb(CpuState c, Insn i) {
    binary(c, i, (a, b) -> satOp(a, b, 1, true, false));
  }

  public static void paddsw(CpuState c, Insn i) {
    binary(c, i, (a, b) -> satOp(a, b, 2, true, false));
  }

  public static void paddusb(CpuState c, Insn i) {
    binary(c, i, (a, b) -> satOp(a, b, 1, false, false));
  }

  public static void paddusw(CpuState c, Insn i) {
    binary(c, i, (a, b) -> satOp(a, b, 2, false, false));
  }

  public static void psubsb(CpuState c, Insn i) {
    binary(c, i, (a, b) -> satOp(a, b, 1, true, true));
  }

  public static void psubsw(CpuState c, Insn i) {
    binary(c, i, (a, b) -> satOp(a, b, 2, true, true));
  }

  public static void psubusb(CpuState c, Insn i) {
    binary(c, i, (a, b) -> satOp(a, b, 1, false, true));
  }

  public static void psubusw(CpuState c, Insn i) {
    binary(c, i, (a, b) -> satOp(a, b, 2, false, true));
  }

  public static void pand(CpuState c, Insn i) {
    binary(c, i, (a, b) -> a & b);
  }

  public static void pandn(CpuState c, Insn i) {
    binary(c, i, (a, b) -> ~a & b);
  }

  public static void por(CpuState c, Insn i) {
    binary(c, i, (a, b) -> a | b);
  }

  public static void pxor(CpuState c, Insn i) {
    binary(c, i, (a, b) -> a ^ b);
  }

  public static void pcmpeqb(CpuState c, Insn i) {
    binary(c, i, (a, b) -> lanes(a, b, 1, (x, y) -> x == y ? -1 : 0, false));
  }

  public static void pcmpeqw(CpuState c, Insn i) {
    binary(c, i, (a, b) -> lanes(a, b, 2, (x, y) -> x == y ? -1 : 0, false));
  }

  public static void pcmpeqd(CpuState c, Insn i) {
    binary(c, i, (a, b) -> lanes(a, b, 4, (x, y) -> x == y ? -1 : 0, false));
  }

  public static void pcmpgtb(CpuState c, Insn i) {
    binary(c, i, (a, b) -> lanes(a, b, 1, (x, y) -> x > y ? -1 : 0, true));
  }

  public static void pcmpgtw(CpuState c, Insn i) {
    binary(c, i, (a, b) -> lanes(a, b, 2, (x, y) -> x > y ? -1 : 0, true));
  }

  public static void pcmpgtd(CpuState c, Insn i) {
    binary(c, i, (a, b) -> lanes(a, b, 4, (x, y) -> x > y ? -1 : 0, true));
  }

  public static void pminub(CpuState c, Insn i) {
    binary(c, i, (a, b) -> lanes(a, b, 1, Math::min, false));
  }

  public static void pmaxub(CpuState c, Insn i) {
    binary(c, i, (a, b) -> lanes(a, b, 1, Math::max, false));
  }

  public static void pminsw(CpuState c, Insn i) {
    binary(c, i, (a, b) -> lanes(a, b, 2, Math::min, true));
  }

  public static void pmaxsw(CpuState c, Insn i) {
    binary(c, i, (a, b) -> lanes(a, b, 2, Math::max, true));
  }

  public static void pavgb(CpuState c, Insn i) {
    binary(c, i, (a, b) -> lanes(a, b, 1, (x, y) -> (x + y + 1) >> 1, false));
  }

  public static void pavgw(CpuState c, Insn i) {
    binary(c, i, (a, b) -> lanes(a, b, 2, (x, y) -> (x + y + 1) >> 1, false));
  }

  public static void pmullw(CpuState c, Insn i) {
    binary(c, i, (a, b) -> lanes(a, b, 2, (x, y) -> x * y, true));
  }

  public static void pmulhw(CpuState c, Insn i) {
    binary(c, i, (a, b) -> lanes(a, b, 2, (x, y) -> (x * y) >> 16, true));
  }

  public static void pmulhuw(CpuState c, Insn i) {
    binary(c, i, (a, b) -> lanes(a, b, 2, (x, y) -> (x * y) >>> 16, false));
  }

  /** PMULUDQ: the low unsigned doubleword of each quadword, multiplied to 64 bits. */
  public static void pmuludq(CpuState c, Insn i) {
    binary(c, i, (a, b) -> (a & 0xFFFF_FFFFL) * (b & 0xFFFF_FFFFL));
  }

  /** PMADDWD: signed word products added in pairs into doublewords. */
  public static void pmaddwd(CpuState c, Insn i) {
    binary(c, i, (a, b) -> {
      long r = 0;
      for (int k = 0; k < 2; k++) {
        long p = slane(a, 2 * k, 2) * slane(b, 2 * k, 2) + slane(a, 2 * k + 1, 2) * slane(b, 2 * k + 1, 2);
        r = put(r, k, 4, p);
      }
      return r;
    });
  }

  /** PSADBW: the sum of absolute byte differences, in the low word of each quadword. */
  public static void psadbw(CpuState c, Insn i) {
    binary(c, i, (a, b) -> {
      long s = 0;
      for (int k = 0; k < 8; k++) {
        s += Math.abs(lane(a, k, 1) - lane(b, k, 1));
      }
      return s;
    });
  }

  // ---- shifts ----

  /** The count operand of PSLL/PSRL/PSRA by register or memory: its whole low quadword. */
  static long count(CpuState c, Insn i) {
    return Sse.low(c, i, 1);
  }

  static long shiftLanes(long v, int w, long n, int kind) {
    int bits = 8 * w;
    if (Long.compareUnsigned(n, bits - 1) > 0) {
      if (kind == 2) {
        n = bits - 1; // arithmetic shifts fill with the sign
      } else {
        return 0;
      }
    }
    int s = (int) n;
    if (w == 8) {
      return kind == 0 ? v << s : kind == 1 ? v >>> s : v >> s;
    }
    long r = 0;
    for (int k = 0; k < 8 / w; k++) {
      long x = kind == 2 ? slane(v, k, w) : lane(v, k, w);
      r = put(r, k, w, kind == 0 ? x << s : kind == 1 ? x >>> s : x >> s);
    }
    return r;
  }

  static void shift(CpuState c, Insn i, int w, int kind, boolean byImmediate) {
    boolean mmx = i.k0 == Insn.K_MMX;
    if (mmx) {
      Sse.checkMmx(c);
    } else {
      Sse.check(c);
    }
    long n;
    if (byImmediate) {
      n = i.imm & 0xFF;
    } else if (!mmx && i.k1 == Insn.K_MEM) {
      Sse.load(c, i, 1, true); // the 16-byte memory count must be aligned: #GP before any #PF
      n = c.scratch[0];
    } else {
      n = count(c, i);
    }
    if (mmx) {
      Sse.setMmx(c, i.r0, shiftLanes(c.fpMant[i.r0], w, n, kind));
    } else {
      Sse.setXmm(c, i.r0, shiftLanes(c.xmm[2 * i.r0], w, n, kind), shiftLanes(c.xmm[2 * i.r0 + 1], w, n, kind));
    }
  }

  public static void psllw(CpuState c, Insn i) {
    shift(c, i, 2, 0, i.k1 == Insn.K_IMM);
  }

  public static void pslld(CpuState c, Insn i) {
    shift(c, i, 4, 0, i.k1 == Insn.K_IMM);
  }

  public static void psllq(CpuState c, Insn i) {
    shift(c, i, 8, 0, i.k1 == Insn.K_IMM);
  }

  public static void psrlw(CpuState c, Insn i) {
    shift(c, i, 2, 1, i.k1 == Insn.K_IMM);
  }

  public static void psrld(CpuState c, Insn i) {
    shift(c, i, 4, 1, i.k1 == Insn.K_IMM);
  }

  public static void psrlq(CpuState c, Insn i) {
    shift(c, i, 8, 1, i.k1 == Insn.K_IMM);
  }

  public static void psraw(CpuState c, Insn i) {
    shift(c, i, 2, 2, i.k1 == Insn.K_IMM);
  }

  public static void psrad(CpuState c, Insn i) {
    shift(c, i, 4, 2, i.k1 == Insn.K_IMM);
  }

  /** PSLLDQ/PSRLDQ: the whole 128-bit register shifted by imm8 bytes (16 or more clears it). */
  public static void pslldq(CpuState c, Insn i) {
    Sse.check(c);
    int n = (int) (i.imm & 0xFF);
    long lo = c.xmm[2 * i.r0];
    long hi = c.xmm[2 * i.r0 + 1];
    long[] r = shiftBytes128(lo, hi, n, true);
    Sse.setXmm(c, i.r0, r[0], r[1]);
  }

  public static void psrldq(CpuState c, Insn i) {
    Sse.check(c);
    int n = (int) (i.imm & 0xFF);
    long lo = c.xmm[2 * i.r0];
    long hi = c.xmm[2 * i.r0 + 1];
    long[] r = shiftBytes128(lo, hi, n, false);
    Sse.setXmm(c, i.r0, r[0], r[1]);
  }

  static long[] shiftBytes128(long lo, long hi, int n, boolean left) {
    if (n >= 16) {
      return new long[] {0, 0};
    }
    int s = 8 * n;
    if (left) {
      if (s == 0) {
        return new long[] {lo, hi};
      }
      return s >= 64 ? new long[] {0, lo << (s - 64)} : new long[] {lo << s, hi << s | lo >>> (64 - s)};
    }
    if (s == 0) {
      return new long[] {lo, hi};
    }
    return s >= 64 ? new long[] {hi >>> (s - 64), 0} : new long[] {lo >>> s | hi << (64 - s), hi >>> s};
  }

  // ---- packs and unpacks ----

  /** Packs the lanes of destination then source, each saturated to half width. */
  static void pack(CpuState c, Insn i, int w, boolean unsignedResult) {
    boolean mmx = i.k0 == Insn.K_MMX;
    long[] d;
    long[] s;
    if (mmx) {
      Sse.checkMmx(c);
      d = new long[] {c.fpMant[i.r0]};
      s = new long[] {Sse.low(c, i, 1)};
    } else {
      Sse.check(c);
      Sse.load(c, i, 1, true);
      d = new long[] {c.xmm[2 * i.r0], c.xmm[2 * i.r0 + 1]};
      s = new long[] {c.scratch[0], c.scratch[1]};
    }
    int hw = w / 2;
    long min = unsignedResult ? 0 : -(1L << (8 * hw - 1));
    long max = unsignedResult ? (1L << (8 * hw)) - 1 : (1L << (8 * hw - 1)) - 1;
    int perWord = 8 / w;
    long[] out = new long[d.length];
    int k = 0;
    for (long[] src : new long[][] {d, s}) {
      for (long word : src) {
        for (int e = 0; e < perWord; e++, k++) {
          long v = sat(slane(word, e, w), min, max);
          out[k / (8 / hw)] = put(out[k / (8 / hw)], k % (8 / hw), hw, v);
        }
      }
    }
    if (mmx) {
      Sse.setMmx(c, i.r0, out[0]);
    } else {
      Sse.setXmm(c, i.r0, out[0], out[1]);
    }
  }

  public static void packsswb(CpuState c, Insn i) {
    pack(c, i, 2, false);
  }

  public static void packssdw(CpuState c, Insn i) {
    pack(c, i, 4, false);
  }

  public static void packuswb(CpuState c, Insn i) {
    pack(c, i, 2, true);
  }

  /** Interleaves the low (or high) halves of destination and source, lanes of width {@code w}. */
  static void unpack(CpuState c, Insn i, int w, boolean high) {
    boolean mmx = i.k0 == Insn.K_MMX;
    if (mmx) {
      Sse.checkMmx(c);
      long s = Sse.low(c, i, 1);
      long d = c.fpMant[i.r0];
      long r = 0;
      int n = 4 / w; // lanes per 32-bit half
      for (int k = 0; k < n; k++) {
        int from = high ? n + k : k;
        r = put(r, 2 * k, w, lane(d, from, w));
        r = put(r, 2 * k + 1, w, lane(s, from, w));
      }
      Sse.setMmx(c, i.r0, r);
      return;
    }
    Sse.check(c);
    Sse.load(c, i, 1, true);
    long s = high ? c.scratch[1] : c.scratch[0];
    long d = high ? c.xmm[2 * i.r0 + 1] : c.xmm[2 * i.r0];
    long lo = 0;
    long hi = 0;
    int n = 8 / w; // lanes per 64-bit half
    for (int k = 0; k < n; k++) {
      long dv = lane(d, k, w);
      long sv = lane(s, k, w);
      // Result lane 2k takes the destination's lane k, lane 2k+1 the source's; lanes n.. go high.
      for (int j = 0; j < 2; j++) {
        int pos = 2 * k + j;
        long v = j == 0 ? dv : sv;
        if (pos < n) {
          lo = put(lo, pos, w, v);
        } else {
          hi = put(hi, pos - n, w, v);
        }
      }
    }
    Sse.setXmm(c, i.r0, lo, hi);
  }

  public static void punpcklbw(CpuState c, Insn i) {
    unpack(c, i, 1, false);
  }

  public static void punpcklwd(CpuState c, Insn i) {
    unpack(c, i, 2, false);
  }

  public static void punpckldq(CpuState c, Insn i) {
    unpack(c, i, 4, false);
  }

  public static void punpcklqdq(CpuState c, Insn i) {
    unpack(c, i, 8, false);
  }

  public static void punpckhbw(CpuState c, Insn i) {
    unpack(c, i, 1, true);
  }

  public static void punpckhwd(CpuState c, Insn i) {
    unpack(c, i, 2, true);
  }

  public static void punpckhdq(CpuState c, Insn i) {
    unpack(c, i, 4, true);
  }

  public static void punpckhqdq(CpuState c, Insn i) {
    unpack(c, i, 8, true);
  }

  /** UNPCKLPS/UNPCKHPS/UNPCKLPD/UNPCKHPD are the doubleword and quadword unpacks of the FP domain. */
  public static void unpcklps(CpuState c, Insn i) {
    unpack(c, i, 4, false);
  }

  public static void unpckhps(CpuState c, Insn i) {
    unpack(c, i, 4, true);
  }

  public static void unpcklpd(CpuState c, Insn i) {
    unpack(c, i, 8, false);
  }

  public static void unpckhpd(CpuState c, Insn i) {
    unpack(c, i, 8, true);
  }

  // ---- shuffles, word insert/extract, byte masks ----

  static long dword(long lo, long hi, int k) {
    return ((k < 2 ? lo : hi) >>> (32 * (k & 1))) & 0xFFFF_FFFFL;
  }

  public static void pshufd(CpuState c, Insn i) {
    Sse.check(c);
    Sse.load(c, i, 1, true);
    long lo = c.scratch[0];
    long hi = c.scratch[1];
    int m = (int) i.imm;
    long a = dword(lo, hi, m & 3) | dword(lo, hi, (m >> 2) & 3) << 32;
    long b = dword(lo, hi, (m >> 4) & 3) | dword(lo, hi, (m >> 6) & 3) << 32;
    Sse.setXmm(c, i.r0, a, b);
  }

  static long shufWords(long v, int m) {
    long r = 0;
    for (int k = 0; k < 4; k++) {
      r = put(r, k, 2, lane(v, (m >> (2 * k)) & 3, 2));
    }
    return r;
  }

  public static void pshufhw(CpuState c, Insn i) {
    Sse.check(c);
    Sse.load(c, i, 1, true);
    Sse.setXmm(c, i.r0, c.scratch[0], shufWords(c.scratch[1], (int) i.imm));
  }

  public static void pshuflw(CpuState c, Insn i) {
    Sse.check(c);
    Sse.load(c, i, 1, true);
    Sse.setXmm(c, i.r0, shufWords(c.scratch[0], (int) i.imm), c.scratch[1]);
  }

  public static void pshufw(CpuState c, Insn i) {
    Sse.checkMmx(c);
    Sse.setMmx(c, i.r0, shufWords(Sse.low(c, i, 1), (int) i.imm));
  }

  /** SHUFPS: two singles from the destination, two from the source, by imm8. */
  public static void shufps(CpuState c, Insn i) {
    Sse.check(c);
    Sse.load(c, i, 1, true);
    long slo = c.scratch[0];
    long shi = c.scratch[1];
    long dlo = c.xmm[2 * i.r0];
    long dhi = c.xmm[2 * i.r0 + 1];
    int m = (int) i.imm;
    long a = dword(dlo, dhi, m & 3) | dword(dlo, dhi, (m >> 2) & 3) << 32;
    long b = dword(slo, shi, (m >> 4) & 3) | dword(slo, shi, (m >> 6) & 3) << 32;
    Sse.setXmm(c, i.r0, a, b);
  }

  public static void shufpd(CpuState c, Insn i) {
    Sse.check(c);
    Sse.load(c, i, 1, true);
    long slo = c.scratch[0];
    long shi = c.scratch[1];
    long d = (i.imm & 1) == 0 ? c.xmm[2 * i.r0] : c.xmm[2 * i.r0 + 1];
    long s = (i.imm & 2) == 0 ? slo : shi;
    Sse.setXmm(c, i.r0, d, s);
  }

  /** PEXTRW Gd, Nq/Udq, Ib. */
  public static void pextrw(CpuState c, Insn i) {
    long v;
    if (i.k1 == Insn.K_MMX) {
      Sse.checkMmx(c);
      Sse.enterMmx(c);
      v = lane(c.fpMant[i.r1], (int) i.imm & 3, 2);
    } else {
      Sse.check(c);
      int k = (int) i.imm & 7;
      v = lane(c.xmm[2 * i.r1 + (k >> 2)], k & 3, 2);
    }
    Ops.setReg(c, i.r0, i.s0, v);
  }

  /** PINSRW Pq/Vdq, Ry/Mw, Ib. */
  public static void pinsrw(CpuState c, Insn i) {
    boolean mmx = i.k0 == Insn.K_MMX;
    if (mmx) {
      Sse.checkMmx(c);
    } else {
      Sse.check(c);
    }
    long w = (i.k1 == Insn.K_MEM ? Mem.readLa(c, Ops.la(c, i, 2, false), 2) : c.gpr[i.r1]) & 0xFFFF;
    if (mmx) {
      Sse.setMmx(c, i.r0, put(c.fpMant[i.r0], (int) i.imm & 3, 2, w));
    } else {
      int k = (int) i.imm & 7;
      int q = 2 * i.r0 + (k >> 2);
      c.xmm[q] = put(c.xmm[q], k & 3, 2, w);
    }
  }

  static long byteSigns(long v) {
    long m = 0;
    for (int k = 0; k < 8; k++) {
      m |= ((v >>> (8 * k + 7)) & 1) << k;
    }
    return m;
  }

  /** PMOVMSKB Gd, Nq/Ux: the top bit of every byte. */
  public static void pmovmskb(CpuState c, Insn i) {
    long m;
    if (i.k1 == Insn.K_MMX) {
      Sse.checkMmx(c);
      Sse.enterMmx(c);
      m = byteSigns(c.fpMant[i.r1]);
    } else {
      Sse.check(c);
      m = byteSigns(c.xmm[2 * i.r1]) | byteSigns(c.xmm[2 * i.r1 + 1]) << 8;
    }
    Ops.setReg(c, i.r0, i.s0, m);
  }

  // ---- SSSE3 ----

  /** PSHUFB: each result byte is the destination byte selected by the source byte, or zero if its top bit is set. */
  public static void pshufb(CpuState c, Insn i) {
    if (i.k0 == Insn.K_MMX) {
      Sse.checkMmx(c);
      long ctl = Sse.low(c, i, 1);
      long d = c.fpMant[i.r0];
      long r = 0;
      for (int k = 0; k < 8; k++) {
        long sel = lane(ctl, k, 1);
        r = put(r, k, 1, (sel & 0x80) != 0 ? 0 : lane(d, (int) sel & 7, 1));
      }
      Sse.setMmx(c, i.r0, r);
      return;
    }
    Sse.check(c);
    Sse.load(c, i, 1, true);
    long[] ctl = {c.scratch[0], c.scratch[1]};
    long[] d = {c.xmm[2 * i.r0], c.xmm[2 * i.r0 + 1]};
    long[] r = new long[2];
    for (int k = 0; k < 16; k++) {
      long sel = lane(ctl[k >> 3], k & 7, 1);
      int from = (int) sel & 15;
      long v = (sel & 0x80) != 0 ? 0 : lane(d[from >> 3], from & 7, 1);
      r[k >> 3] = put(r[k >> 3], k & 7, 1, v);
    }
    Sse.setXmm(c, i.r0, r[0], r[1]);
  }

  /** The lanes of an operand as a flat signed array (destination or source, MMX or XMM). */
  static long[] lanesOf(long[] words, int w, boolean signed) {
    long[] out = new long[words.length * 8 / w];
    for (int k = 0; k < out.length; k++) {
      long word = words[k / (8 / w)];
      out[k] = signed ? slane(word, k % (8 / w), w) : lane(word, k % (8 / w), w);
    }
    return out;
  }

  static long[] wordsOf(long[] lanes, int w) {
    long[] out = new long[lanes.length * w / 8];
    for (int k = 0; k < lanes.length; k++) {
      out[k / (8 / w)] = put(out[k / (8 / w)], k % (8 / w), w, lanes[k]);
    }
    return out;
  }

  /** Reads destination and source of an MMX/XMM instruction as word arrays (check done). */
  static long[][] operands(CpuState c, Insn i) {
    if (i.k0 == Insn.K_MMX) {
      Sse.checkMmx(c);
      return new long[][] {{c.fpMant[i.r0]}, {Sse.low(c, i, 1)}};
    }
    Sse.check(c);
    Sse.load(c, i, 1, true);
    return new long[][] {{c.xmm[2 * i.r0], c.xmm[2 * i.r0 + 1]}, {c.scratch[0], c.scratch[1]}};
  }

  static void result(CpuState c, Insn i, long[] words) {
    if (i.k0 == Insn.K_MMX) {
      Sse.setMmx(c, i.r0, words[0]);
    } else {
      Sse.setXmm(c, i.r0, words[0], words[1]);
    }
  }

  /** PHADD/PHSUB (W, D, SW): pairs of the destination, then pairs of the source. */
  static void horizontal(CpuState c, Insn i, int w, boolean subtract, boolean saturate) {
    long[][] ops = operands(c, i);
    long[] d = lanesOf(ops[0], w, true);
    long[] s = lanesOf(ops[1], w, true);
    long[] r = new long[d.length];
    int half = d.length / 2;
    for (int k = 0; k < half; k++) {
      long x = subtract ? d[2 * k] - d[2 * k + 1] : d[2 * k] + d[2 * k + 1];
      long y = subtract ? s[2 * k] - s[2 * k + 1] : s[2 * k] + s[2 * k + 1];
      r[k] = saturate ? sat(x, -32768, 32767) : x;
      r[half + k] = saturate ? sat(y, -32768, 32767) : y;
    }
    result(c, i, wordsOf(r, w));
  }

  public static void phaddw(CpuState c, Insn i) {
    horizontal(c, i, 2, false, false);
  }

  public static void phaddd(CpuState c, Insn i) {
    horizontal(c, i, 4, false, false);
  }

  public static void phaddsw(CpuState c, Insn i) {
    horizontal(c, i, 2, false, true);
  }

  public static void phsubw(CpuState c, Insn i) {
    horizontal(c, i, 2, true, false);
  }

  public static void phsubd(CpuState c, Insn i) {
    horizontal(c, i, 4, true, false);
  }

  public static void phsubsw(CpuState c, Insn i) {
    horizontal(c, i, 2, true, true);
  }

  /** PMADDUBSW: unsigned destination bytes times signed source bytes, pairs added with saturation. */
  public static void pmaddubsw(CpuState c, Insn i) {
    long[][] ops = operands(c, i);
    long[] d = lanesOf(ops[0], 1, false);
    long[] s = lanesOf(ops[1], 1, true);
    long[] r = new long[d.length / 2];
    for (int k = 0; k < r.length; k++) {
      r[k] = sat(d[2 * k] * s[2 * k] + d[2 * k + 1] * s[2 * k + 1], -32768, 32767);
    }
    result(c, i, wordsOf(r, 2));
  }

  /** PMULHRSW: signed products, rounded and scaled: ((a * b >> 14) + 1) >> 1. */
  public static void pmulhrsw(CpuState c, Insn i) {
    long[][] ops = operands(c, i);
    long[] d = lanesOf(ops[0], 2, true);
    long[] s = lanesOf(ops[1], 2, true);
    for (int k = 0; k < d.length; k++) {
      d[k] = (((d[k] * s[k]) >> 14) + 1) >> 1;
    }
    result(c, i, wordsOf(d, 2));
  }

  /** PSIGN: each destination lane negated, zeroed or kept by the sign of the source lane. */
  static void psign(CpuState c, Insn i, int w) {
    long[][] ops = operands(c, i);
    long[] d = lanesOf(ops[0], w, true);
    long[] s = lanesOf(ops[1], w, true);
    for (int k = 0; k < d.length; k++) {
      d[k] = s[k] < 0 ? -d[k] : s[k] == 0 ? 0 : d[k];
    }
    result(c, i, wordsOf(d, w));
  }

  public static void psignb(CpuState c, Insn i) {
    psign(c, i, 1);
  }

  public static void psignw(CpuState c, Insn i) {
    psign(c, i, 2);
  }

  public static void psignd(CpuState c, Insn i) {
    psign(c, i, 4);
  }

  /** PABS: absolute values of the source lanes (the most negative value stays, as unsigned). */
  static void pabs(CpuState c, Insn i, int w) {
    long[][] ops = operands(c, i);
    long[] s = lanesOf(ops[1], w, true);
    for (int k = 0; k < s.length; k++) {
      s[k] = Math.abs(s[k]);
    }
    result(c, i, wordsOf(s, w));
  }

  public static void pabsb(CpuState c, Insn i) {
    pabs(c, i, 1);
  }

  public static void pabsw(CpuState c, Insn i) {
    pabs(c, i, 2);
  }

  public static void pabsd(CpuState c, Insn i) {
    pabs(c, i, 4);
  }

  /** PALIGNR: destination:source concatenated, shifted right by imm8 bytes, low half kept. */
  public static void palignr(CpuState c, Insn i) {
    long[][] ops = operands(c, i);
    int n = (int) (i.imm & 0xFF);
    int bytes = ops[0].length * 8;
    long[] cat = new long[2 * ops[0].length];
    System.arraycopy(ops[1], 0, cat, 0, ops[1].length);
    System.arraycopy(ops[0], 0, cat, ops[1].length, ops[0].length);
    long[] r = new long[ops[0].length];
    for (int k = 0; k < bytes; k++) {
      int from = k + n;
      long v = from < 2 * bytes ? lane(cat[from >> 3], from & 7, 1) : 0;
      r[k >> 3] = put(r[k >> 3], k & 7, 1, v);
    }
    result(c, i, r);
  }
}
