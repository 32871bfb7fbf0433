package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Flags;
import org.jkvm.translator.isa.Insn;

/**
 * SSE/SSE2/SSE3 floating-point arithmetic, logic and comparison: ADD, SUB, MUL, DIV, SQRT, MIN, MAX in PS,
 * PD, SS and SD forms, RCP/RSQRT, ADDSUB, HADD, HSUB, AND/ANDN/OR/XOR PS/PD, CMPPS/PD/SS/SD, (U)COMISS/SD.
 * Packed forms with a memory source require 16-byte alignment; scalar forms leave the upper part of the
 * destination unchanged. The element arithmetic is in {@link SseFp}.
 */
public final class SseArith {
  private SseArith() {}

  interface FloatOp {
    int apply(CpuState c, int a, int b);
  }

  interface DoubleOp {
    long apply(CpuState c, long a, long b);
  }

  static int lo32(long v) {
    return (int) v;
  }

  static int hi32(long v) {
    return (int) (v >>> 32);
  }

  static long pack(int lo, int hi) {
    return (lo & 0xFFFF_FFFFL) | ((long) hi << 32);
  }

  static void ps(CpuState c, Insn i, FloatOp op) {
    Sse.check(c);
    Sse.load(c, i, 1, true);
    long s0 = c.scratch[0];
    long s1 = c.scratch[1];
    long d0 = c.xmm[2 * i.r0];
    long d1 = c.xmm[2 * i.r0 + 1];
    int a = op.apply(c, lo32(d0), lo32(s0));
    int b = op.apply(c, hi32(d0), hi32(s0));
    int e = op.apply(c, lo32(d1), lo32(s1));
    int f = op.apply(c, hi32(d1), hi32(s1));
    Sse.commitFlags(c);
    Sse.setXmm(c, i.r0, pack(a, b), pack(e, f));
  }

  static void pd(CpuState c, Insn i, DoubleOp op) {
    Sse.check(c);
    Sse.load(c, i, 1, true);
    long s0 = c.scratch[0];
    long s1 = c.scratch[1];
    long a = op.apply(c, c.xmm[2 * i.r0], s0);
    long b = op.apply(c, c.xmm[2 * i.r0 + 1], s1);
    Sse.commitFlags(c);
    Sse.setXmm(c, i.r0, a, b);
  }

  /*
   * ADD, SUB, MUL and DIV SS/SD are written out rather than passed through ss()/sd(): HotSpot compiles
   * those templates on their own, finds them too big to inline into each handler afterwards ("already
   * compiled into a big method"), and then calls the operation through a megamorphic lambda. Written out,
   * the interpreter's SSE2 loop ran 99M instead of 84M guest instructions/s (JDK 17, A/B runs).
   */
  static void ss(CpuState c, Insn i, FloatOp op) {
    Sse.check(c);
    int s = (int) Sse.low(c, i, 1);
    long d0 = c.xmm[2 * i.r0];
    int r = op.apply(c, lo32(d0), s);
    Sse.commitFlags(c);
    c.xmm[2 * i.r0] = (d0 & 0xFFFF_FFFF_0000_0000L) | (r & 0xFFFF_FFFFL);
  }

  static void sd(CpuState c, Insn i, DoubleOp op) {
    Sse.check(c);
    long s = Sse.low(c, i, 1);
    long r = op.apply(c, c.xmm[2 * i.r0], s);
    Sse.commitFlags(c);
    c.xmm[2 * i.r0] = r;
  }

  static int sqrtF(CpuState c, int a, int b) {
    return SseFp.sqrtF(c, b);
  }

  static long sqrtD(CpuState c, long a, long b) {
    return SseFp.sqrtD(c, b);
  }

  static int minF(CpuState c, int a, int b) {
    return SseFp.minMaxF(c, a, b, false);
  }

  static int maxF(CpuState c, int a, int b) {
    return SseFp.minMaxF(c, a, b, true);
  }

  static long minD(CpuState c, long a, long b) {
    return SseFp.minMaxD(c, a, b, false);
  }

  static long maxD(CpuState c, long a, long b) {
    return SseFp.minMaxD(c, a, b, true);
  }

  public static void addps(CpuState c, Insn i) {
    ps(c, i, SseFp::addF);
  }

  public static void addpd(CpuState c, Insn i) {
    pd(c, i, SseFp::addD);
  }

  public static void addss(CpuState c, Insn i) {
    Sse.check(c);
    long d0 = c.xmm[2 * i.r0];
    int r = SseFp.addF(c, lo32(d0), (int) Sse.low(c, i, 1));
    Sse.commitFlags(c);
    c.xmm[2 * i.r0] = (d0 & 0xFFFF_FFFF_0000_0000L) | (r & 0xFFFF_FFFFL);
  }

  public static void addsd(CpuState c, Insn i) {
    Sse.check(c);
    long s = Sse.low(c, i, 1);
    long r = SseFp.addD(c, c.xmm[2 * i.r0], s);
    Sse.commitFlags(c);
    c.xmm[2 * i.r0] = r;
  }

  public static void subps(CpuState c, Insn i) {
    ps(c, i, SseFp::subF);
  }

  public static void subpd(CpuState c, Insn i) {
    pd(c, i, SseFp::subD);
  }

  public static void subss(CpuState c, Insn i) {
    Sse.check(c);
    long d0 = c.xmm[2 * i.r0];
    int r = SseFp.subF(c, lo32(d0), (int) Sse.low(c, i, 1));
    Sse.commitFlags(c);
    c.xmm[2 * i.r0] = (d0 & 0xFFFF_FFFF_0000_0000L) | (r & 0xFFFF_FFFFL);
  }

  public static void subsd(CpuState c, Insn i) {
    Sse.check(c);
    long s = Sse.low(c, i, 1);
    long r = SseFp.subD(c, c.xmm[2 * i.r0], s);
    Sse.commitFlags(c);
    c.xmm[2 * i.r0] = r;
  }

  public static void mulps(CpuState c, Insn i) {
    ps(c, i, SseFp::mulF);
  }

  public static void mulpd(CpuState c, Insn i) {
    pd(c, i, SseFp::mulD);
  }

  public static void mulss(CpuState c, Insn i) {
    Sse.check(c);
    long d0 = c.xmm[2 * i.r0];
    int r = SseFp.mulF(c, lo32(d0), (int) Sse.low(c, i, 1));
    Sse.commitFlags(c);
    c.xmm[2 * i.r0] = (d0 & 0xFFFF_FFFF_0000_0000L) | (r & 0xFFFF_FFFFL);
  }

  public static void mulsd(CpuState c, Insn i) {
    Sse.check(c);
    long s = Sse.low(c, i, 1);
    long r = SseFp.mulD(c, c.xmm[2 * i.r0], s);
    Sse.commitFlags(c);
    c.xmm[2 * i.r0] = r;
  }

  public static void divps(CpuState c, Insn i) {
    ps(c, i, SseFp::divF);
  }

  public static void divpd(CpuState c, Insn i) {
    pd(c, i, SseFp::divD);
  }

  public static void divss(CpuState c, Insn i) {
    Sse.check(c);
    long d0 = c.xmm[2 * i.r0];
    int r = SseFp.divF(c, lo32(d0), (int) Sse.low(c, i, 1));
    Sse.commitFlags(c);
    c.xmm[2 * i.r0] = (d0 & 0xFFFF_FFFF_0000_0000L) | (r & 0xFFFF_FFFFL);
  }

  public static void divsd(CpuState c, Insn i) {
    Sse.check(c);
    long s = Sse.low(c, i, 1);
    long r = SseFp.divD(c, c.xmm[2 * i.r0], s);
    Sse.commitFlags(c);
    c.xmm[2 * i.r0] = r;
  }

  public static void sqrtps(CpuState c, Insn i) {
    ps(c, i, SseArith::sqrtF);
  }

  public static void sqrtpd(CpuState c, Insn i) {
    pd(c, i, SseArith::sqrtD);
  }

  public static void sqrtss(CpuState c, Insn i) {
    ss(c, i, SseArith::sqrtF);
  }

  public static void sqrtsd(CpuState c, Insn i) {
    sd(c, i, SseArith::sqrtD);
  }

  public static void minps(CpuState c, Insn i) {
    ps(c, i, SseArith::minF);
  }

  public static void minpd(CpuState c, Insn i) {
    pd(c, i, SseArith::minD);
  }

  public static void minss(CpuState c, Insn i) {
    ss(c, i, SseArith::minF);
  }

  public static void minsd(CpuState c, Insn i) {
    sd(c, i, SseArith::minD);
  }

  public static void maxps(CpuState c, Insn i) {
    ps(c, i, SseArith::maxF);
  }

  public static void maxpd(CpuState c, Insn i) {
    pd(c, i, SseArith::maxD);
  }

  public static void maxss(CpuState c, Insn i) {
    ss(c, i, SseArith::maxF);
  }

  public static void maxsd(CpuState c, Insn i) {
    sd(c, i, SseArith::maxD);
  }

  /**
   * RCP and RSQRT approximations. The architecture bounds their relative error by 1.5 * 2^-12 without
   * fixing the bits; jkvm returns the correctly rounded reciprocal (square root), which is within the
   * bound (hardware tables differ between vendors too). Denormal inputs count as zero; no MXCSR flags.
   */
  static int rcp(CpuState c, int a, int b) {
    float x = Float.intBitsToFloat(b);
    if (SseFp.nanF(b)) {
      return b | SseFp.QUIET_F;
    }
    if (SseFp.denormF(b) || x == 0) {
      return (b & Integer.MIN_VALUE) | SseFp.EXP_F;
    }
    float r = 1.0f / x;
    if (Math.abs(r) < Float.MIN_NORMAL) {
      r = Math.copySign(0f, r); // results that would be denormal are flushed
    }
    return Float.floatToRawIntBits(r);
  }

  static int rsqrt(CpuState c, int a, int b) {
    float x = Float.intBitsToFloat(b);
    if (SseFp.nanF(b)) {
      return b | SseFp.QUIET_F;
    }
    if (SseFp.denormF(b) || x == 0) {
      return (b & Integer.MIN_VALUE) | SseFp.EXP_F;
    }
    if (x < 0) {
      return SseFp.QNAN_F;
    }
    return Float.floatToRawIntBits((float) (1.0 / Math.sqrt(x)));
  }

  public static void rcpps(CpuState c, Insn i) {
    ps(c, i, SseArith::rcp);
  }

  public static void rcpss(CpuState c, Insn i) {
    ss(c, i, SseArith::rcp);
  }

  public static void rsqrtps(CpuState c, Insn i) {
    ps(c, i, SseArith::rsqrt);
  }

  public static void rsqrtss(CpuState c, Insn i) {
    ss(c, i, SseArith::rsqrt);
  }

  /** ADDSUBPS: subtract in even elements, add in odd ones (SSE3). */
  public static void addsubps(CpuState c, Insn i) {
    Sse.check(c);
    Sse.load(c, i, 1, true);
    long s0 = c.scratch[0];
    long s1 = c.scratch[1];
    long d0 = c.xmm[2 * i.r0];
    long d1 = c.xmm[2 * i.r0 + 1];
    int a = SseFp.subF(c, lo32(d0), lo32(s0));
    int b = SseFp.addF(c, hi32(d0), hi32(s0));
    int e = SseFp.subF(c, lo32(d1), lo32(s1));
    int f = SseFp.addF(c, hi32(d1), hi32(s1));
    Sse.commitFlags(c);
    Sse.setXmm(c, i.r0, pack(a, b), pack(e, f));
  }

  public static void addsubpd(CpuState c, Insn i) {
    Sse.check(c);
    Sse.load(c, i, 1, true);
    long s0 = c.scratch[0];
    long s1 = c.scratch[1];
    long a = SseFp.subD(c, c.xmm[2 * i.r0], s0);
    long b = SseFp.addD(c, c.xmm[2 * i.r0 + 1], s1);
    Sse.commitFlags(c);
    Sse.setXmm(c, i.r0, a, b);
  }

  /** HADDPS/HSUBPS: pairs within the destination, then within the source (SSE3). */
  static void hps(CpuState c, Insn i, FloatOp op) {
    Sse.check(c);
    Sse.load(c, i, 1, true);
    long s0 = c.scratch[0];
    long s1 = c.scratch[1];
    long d0 = c.xmm[2 * i.r0];
    long d1 = c.xmm[2 * i.r0 + 1];
    int a = op.apply(c, lo32(d0), hi32(d0));
    int b = op.apply(c, lo32(d1), hi32(d1));
    int e = op.apply(c, lo32(s0), hi32(s0));
    int f = op.apply(c, lo32(s1), hi32(s1));
    Sse.commitFlags(c);
    Sse.setXmm(c, i.r0, pack(a, b), pack(e, f));
  }

  static void hpd(CpuState c, Insn i, DoubleOp op) {
    Sse.check(c);
    Sse.load(c, i, 1, true);
    long s0 = c.scratch[0];
    long s1 = c.scratch[1];
    long a = op.apply(c, c.xmm[2 * i.r0], c.xmm[2 * i.r0 + 1]);
    long b = op.apply(c, s0, s1);
    Sse.commitFlags(c);
    Sse.setXmm(c, i.r0, a, b);
  }

  public static void haddps(CpuState c, Insn i) {
    hps(c, i, SseFp::addF);
  }

  public static void hsubps(CpuState c, Insn i) {
    hps(c, i, SseFp::subF);
  }

  public static void haddpd(CpuState c, Insn i) {
    hpd(c, i, SseFp::addD);
  }

  public static void hsubpd(CpuState c, Insn i) {
    hpd(c, i, SseFp::subD);
  }

  // ---- bitwise logic: no floating-point exceptions ----

  static void logic(CpuState c, Insn i, int op) {
    Sse.check(c);
    Sse.load(c, i, 1, true);
    long s0 = c.scratch[0];
    long s1 = c.scratch[1];
    long d0 = c.xmm[2 * i.r0];
    long d1 = c.xmm[2 * i.r0 + 1];
    switch (op) {
      case 0: Sse.setXmm(c, i.r0, d0 & s0, d1 & s1); break;
      case 1: Sse.setXmm(c, i.r0, ~d0 & s0, ~d1 & s1); break;
      case 2: Sse.setXmm(c, i.r0, d0 | s0, d1 | s1); break;
      default: Sse.setXmm(c, i.r0, d0 ^ s0, d1 ^ s1); break;
    }
  }

  public static void andps(CpuState c, Insn i) {
    logic(c, i, 0);
  }

  public static void andnps(CpuState c, Insn i) {
    logic(c, i, 1);
  }

  public static void orps(CpuState c, Insn i) {
    logic(c, i, 2);
  }

  public static void xorps(CpuState c, Insn i) {
    logic(c, i, 3);
  }

  // ---- comparisons ----

  public static void cmpps(CpuState c, Insn i) {
    int pred = (int) i.imm & 7;
    ps(c, i, (cc, a, b) -> SseFp.cmpF(cc, a, b, pred) ? -1 : 0);
  }

  public static void cmppd(CpuState c, Insn i) {
    int pred = (int) i.imm & 7;
    pd(c, i, (cc, a, b) -> SseFp.cmpD(cc, a, b, pred) ? -1L : 0L);
  }

  public static void cmpss(CpuState c, Insn i) {
    int pred = (int) i.imm & 7;
    ss(c, i, (cc, a, b) -> SseFp.cmpF(cc, a, b, pred) ? -1 : 0);
  }

  public static void cmpsd(CpuState c, Insn i) {
    int pred = (int) i.imm & 7;
    sd(c, i, (cc, a, b) -> SseFp.cmpD(cc, a, b, pred) ? -1L : 0L);
  }

  private static void setComisFlags(CpuState c, long zpc) {
    c.materializeFlags();
    c.rflags = (c.rflags & ~Flags.ARITH) | zpc;
  }

  public static void comiss(CpuState c, Insn i) {
    Sse.check(c);
    long r = SseFp.comisF(c, lo32(c.xmm[2 * i.r0]), (int) Sse.low(c, i, 1), true);
    Sse.commitFlags(c);
    setComisFlags(c, r);
  }

  public static void ucomiss(CpuState c, Insn i) {
    Sse.check(c);
    long r = SseFp.comisF(c, lo32(c.xmm[2 * i.r0]), (int) Sse.low(c, i, 1), false);
    Sse.commitFlags(c);
    setComisFlags(c, r);
  }

  public static void comisd(CpuState c, Insn i) {
    Sse.check(c);
    long r = SseFp.comisD(c, c.xmm[2 * i.r0], Sse.low(c, i, 1), true);
    Sse.commitFlags(c);
    setComisFlags(c, r);
  }

  public static void ucomisd(CpuState c, Insn i) {
    Sse.check(c);
    long r = SseFp.comisD(c, c.xmm[2 * i.r0], Sse.low(c, i, 1), false);
    Sse.commitFlags(c);
    setComisFlags(c, r);
  }
}
