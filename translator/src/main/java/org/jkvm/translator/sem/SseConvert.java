package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.translator.isa.Insn;

/**
 * SSE/SSE2 conversions between integers (general, MMX and XMM registers), singles and doubles, rounded
 * by MXCSR.RC or truncated (the CVTT forms); out-of-range and NaN inputs give the integer indefinite with IE.
 * An MMX register operand switches the x87 unit to MMX state.
 */
public final class SseConvert {
  private SseConvert() {}

  private static long pack(long lo32, long hi32) {
    return (lo32 & 0xFFFF_FFFFL) | (hi32 << 32);
  }

  /** Source of a conversion that reads MMX: the MMX gate applies when the operand is an MMX register. */
  private static long mmxSource(CpuState c, Insn i) {
    if (i.k1 == Insn.K_MMX) {
      Sse.checkMmx(c);
      Sse.enterMmx(c);
    }
    return Sse.low(c, i, 1);
  }

  /** CVTPI2PS: two int32 to the low two singles; the upper half of the destination is kept. */
  public static void cvtpi2ps(CpuState c, Insn i) {
    Sse.check(c);
    long s = mmxSource(c, i);
    int a = SseFp.i2f(c, (int) s);
    int b = SseFp.i2f(c, (int) (s >> 32));
    Sse.commitFlags(c);
    c.xmm[2 * i.r0] = pack(a, b);
  }

  /** CVTPI2PD: two int32 to two doubles (exact). */
  public static void cvtpi2pd(CpuState c, Insn i) {
    Sse.check(c);
    long s = mmxSource(c, i);
    Sse.setXmm(c, i.r0, Double.doubleToRawLongBits((int) s), Double.doubleToRawLongBits((int) (s >> 32)));
  }

  /** CVTSI2SS Vss, Ey. */
  public static void cvtsi2ss(CpuState c, Insn i) {
    Sse.check(c);
    long v = Ops.sext(Sse.low(c, i, 1), i.s1);
    int r = SseFp.i2f(c, v);
    Sse.commitFlags(c);
    c.xmm[2 * i.r0] = (c.xmm[2 * i.r0] & 0xFFFF_FFFF_0000_0000L) | (r & 0xFFFF_FFFFL);
  }

  /** CVTSI2SD Vsd, Ey: exact for 32-bit sources, rounded for 64-bit ones. */
  public static void cvtsi2sd(CpuState c, Insn i) {
    Sse.check(c);
    long v = Ops.sext(Sse.low(c, i, 1), i.s1);
    long r = SseFp.i2d(c, v);
    Sse.commitFlags(c);
    c.xmm[2 * i.r0] = r;
  }

  private static void toMmx(CpuState c, Insn i, long a, long b) {
    Sse.enterMmx(c); // the operands are read: the switch to MMX happens even if #XM follows
    Sse.commitFlags(c);
    Sse.setMmx(c, i.r0, pack(a, b));
  }

  public static void cvtps2pi(CpuState c, Insn i) {
    Sse.check(c);
    Sse.checkMmx(c);
    long s = Sse.low(c, i, 1);
    toMmx(c, i, SseFp.f2i(c, (int) s, 32, false), SseFp.f2i(c, (int) (s >>> 32), 32, false));
  }

  public static void cvttps2pi(CpuState c, Insn i) {
    Sse.check(c);
    Sse.checkMmx(c);
    long s = Sse.low(c, i, 1);
    toMmx(c, i, SseFp.f2i(c, (int) s, 32, true), SseFp.f2i(c, (int) (s >>> 32), 32, true));
  }

  public static void cvtpd2pi(CpuState c, Insn i) {
    Sse.check(c);
    Sse.checkMmx(c);
    Sse.load(c, i, 1, true);
    long s0 = c.scratch[0];
    long s1 = c.scratch[1];
    toMmx(c, i, SseFp.d2i(c, s0, 32, false), SseFp.d2i(c, s1, 32, false));
  }

  public static void cvttpd2pi(CpuState c, Insn i) {
    Sse.check(c);
    Sse.checkMmx(c);
    Sse.load(c, i, 1, true);
    long s0 = c.scratch[0];
    long s1 = c.scratch[1];
    toMmx(c, i, SseFp.d2i(c, s0, 32, true), SseFp.d2i(c, s1, 32, true));
  }

  private static void toGpr(CpuState c, Insn i, long v) {
    Sse.commitFlags(c);
    Ops.setReg(c, i.r0, i.s0, v);
  }

  public static void cvtss2si(CpuState c, Insn i) {
    Sse.check(c);
    toGpr(c, i, SseFp.f2i(c, (int) Sse.low(c, i, 1), i.s0 * 8, false));
  }

  public static void cvttss2si(CpuState c, Insn i) {
    Sse.check(c);
    toGpr(c, i, SseFp.f2i(c, (int) Sse.low(c, i, 1), i.s0 * 8, true));
  }

  public static void cvtsd2si(CpuState c, Insn i) {
    Sse.check(c);
    toGpr(c, i, SseFp.d2i(c, Sse.low(c, i, 1), i.s0 * 8, false));
  }

  public static void cvttsd2si(CpuState c, Insn i) {
    Sse.check(c);
    toGpr(c, i, SseFp.d2i(c, Sse.low(c, i, 1), i.s0 * 8, true));
  }

  /** CVTPS2PD: the low two singles (8 bytes of memory) to two doubles. */
  public static void cvtps2pd(CpuState c, Insn i) {
    Sse.check(c);
    long s = Sse.low(c, i, 1);
    long a = SseFp.f2d(c, (int) s);
    long b = SseFp.f2d(c, (int) (s >>> 32));
    Sse.commitFlags(c);
    Sse.setXmm(c, i.r0, a, b);
  }

  /** CVTPD2PS: two doubles to the low two singles; the upper half becomes zero. */
  public static void cvtpd2ps(CpuState c, Insn i) {
    Sse.check(c);
    Sse.load(c, i, 1, true);
    long s0 = c.scratch[0];
    long s1 = c.scratch[1];
    int a = SseFp.d2f(c, s0);
    int b = SseFp.d2f(c, s1);
    Sse.commitFlags(c);
    Sse.setXmm(c, i.r0, pack(a, b), 0);
  }

  public static void cvtss2sd(CpuState c, Insn i) {
    Sse.check(c);
    long r = SseFp.f2d(c, (int) Sse.low(c, i, 1));
    Sse.commitFlags(c);
    c.xmm[2 * i.r0] = r;
  }

  public static void cvtsd2ss(CpuState c, Insn i) {
    Sse.check(c);
    int r = SseFp.d2f(c, Sse.low(c, i, 1));
    Sse.commitFlags(c);
    c.xmm[2 * i.r0] = (c.xmm[2 * i.r0] & 0xFFFF_FFFF_0000_0000L) | (r & 0xFFFF_FFFFL);
  }

  public static void cvtdq2ps(CpuState c, Insn i) {
    Sse.check(c);
    Sse.load(c, i, 1, true);
    long s0 = c.scratch[0];
    long s1 = c.scratch[1];
    int a = SseFp.i2f(c, (int) s0);
    int b = SseFp.i2f(c, (int) (s0 >> 32));
    int e = SseFp.i2f(c, (int) s1);
    int f = SseFp.i2f(c, (int) (s1 >> 32));
    Sse.commitFlags(c);
    Sse.setXmm(c, i.r0, pack(a, b), pack(e, f));
  }

  private static void ps2dq(CpuState c, Insn i, boolean truncate) {
    Sse.check(c);
    Sse.load(c, i, 1, true);
    long s0 = c.scratch[0];
    long s1 = c.scratch[1];
    long a = SseFp.f2i(c, (int) s0, 32, truncate);
    long b = SseFp.f2i(c, (int) (s0 >>> 32), 32, truncate);
    long e = SseFp.f2i(c, (int) s1, 32, truncate);
    long f = SseFp.f2i(c, (int) (s1 >>> 32), 32, truncate);
    Sse.commitFlags(c);
    Sse.setXmm(c, i.r0, pack(a, b), pack(e, f));
  }

  public static void cvtps2dq(CpuState c, Insn i) {
    ps2dq(c, i, false);
  }

  public static void cvttps2dq(CpuState c, Insn i) {
    ps2dq(c, i, true);
  }

  /** CVTDQ2PD: the low two int32 (8 bytes of memory) to two doubles. */
  public static void cvtdq2pd(CpuState c, Insn i) {
    Sse.check(c);
    long s = Sse.low(c, i, 1);
    Sse.setXmm(c, i.r0, Double.doubleToRawLongBits((int) s), Double.doubleToRawLongBits((int) (s >> 32)));
  }

  private static void pd2dq(CpuState c, Insn i, boolean truncate) {
    Sse.check(c);
    Sse.load(c, i, 1, true);
    long s0 = c.scratch[0];
    long s1 = c.scratch[1];
    long a = SseFp.d2i(c, s0, 32, truncate);
    long b = SseFp.d2i(c, s1, 32, truncate);
    Sse.commitFlags(c);
    Sse.setXmm(c, i.r0, pack(a, b), 0);
  }

  public static void cvtpd2dq(CpuState c, Insn i) {
    pd2dq(c, i, false);
  }

  public static void cvttpd2dq(CpuState c, Insn i) {
    pd2dq(c, i, true);
  }
}
