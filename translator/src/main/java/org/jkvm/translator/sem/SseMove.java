package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.translator.isa.Insn;

/**
 * SSE/SSE2/SSE3 data movement: MOVAPS/MOVUPS/MOVAPD/MOVUPD/MOVDQA/MOVDQU/LDDQU/MOVNT*, MOVSS/MOVSD,
 * MOVLPS/MOVHPS/MOVLPD/MOVHPD/MOVHLPS/MOVLHPS, MOVSLDUP/MOVSHDUP/MOVDDUP, MOVD/MOVQ in every encoding,
 * MOVQ2DQ/MOVDQ2Q, MOVMSKPS/PD, MASKMOVQ/MASKMOVDQU, EMMS.
 */
public final class SseMove {
  private SseMove() {}

  /** 16-byte moves that require alignment (MOVAPS, MOVAPD, MOVDQA, MOVNTPS/PD/DQ): either direction. */
  public static void movAligned(CpuState c, Insn i) {
    Sse.check(c);
    Sse.load(c, i, 1, true);
    Sse.store(c, i, c.scratch[0], c.scratch[1], true);
  }

  /** 16-byte moves without alignment (MOVUPS, MOVUPD, MOVDQU, LDDQU). */
  public static void movUnaligned(CpuState c, Insn i) {
    Sse.check(c);
    Sse.load(c, i, 1, false);
    Sse.store(c, i, c.scratch[0], c.scratch[1], false);
  }

  /** MOVSS: register to register moves the low single; a load zeroes the rest; a store writes 4 bytes. */
  public static void movss(CpuState c, Insn i) {
    Sse.check(c);
    if (i.k0 == Insn.K_MEM) {
      Mem.writeLa(c, Ops.la(c, i, 4, true), 4, c.xmm[2 * i.r1]);
    } else if (i.k1 == Insn.K_MEM) {
      Sse.setXmm(c, i.r0, Sse.low(c, i, 1) & 0xFFFF_FFFFL, 0);
    } else {
      c.xmm[2 * i.r0] = (c.xmm[2 * i.r0] & 0xFFFF_FFFF_0000_0000L) | (c.xmm[2 * i.r1] & 0xFFFF_FFFFL);
    }
  }

  /** MOVSD (SSE2, F2 0F 10/11). */
  public static void movsd(CpuState c, Insn i) {
    Sse.check(c);
    if (i.k0 == Insn.K_MEM) {
      Mem.writeLa(c, Ops.la(c, i, 8, true), 8, c.xmm[2 * i.r1]);
    } else if (i.k1 == Insn.K_MEM) {
      Sse.setXmm(c, i.r0, Sse.low(c, i, 1), 0);
    } else {
      c.xmm[2 * i.r0] = c.xmm[2 * i.r1];
    }
  }

  /** MOVLPS/MOVLPD load (Vq, Mq), or MOVHLPS (register form of 0F 12): into the low quadword. */
  public static void movlpsLoad(CpuState c, Insn i) {
    Sse.check(c);
    c.xmm[2 * i.r0] = i.k1 == Insn.K_MEM ? Sse.low(c, i, 1) : c.xmm[2 * i.r1 + 1];
  }

  /** MOVLPS/MOVLPD store (Mq, Vq). */
  public static void movlpsStore(CpuState c, Insn i) {
    Sse.check(c);
    Mem.writeLa(c, Ops.la(c, i, 8, true), 8, c.xmm[2 * i.r1]);
  }

  /** MOVHPS/MOVHPD load (Vq, Mq), or MOVLHPS (register form of 0F 16): into the high quadword. */
  public static void movhpsLoad(CpuState c, Insn i) {
    Sse.check(c);
    c.xmm[2 * i.r0 + 1] = i.k1 == Insn.K_MEM ? Sse.low(c, i, 1) : c.xmm[2 * i.r1];
  }

  public static void movhpsStore(CpuState c, Insn i) {
    Sse.check(c);
    Mem.writeLa(c, Ops.la(c, i, 8, true), 8, c.xmm[2 * i.r1 + 1]);
  }

  public static void movsldup(CpuState c, Insn i) {
    Sse.check(c);
    Sse.load(c, i, 1, true);
    long s0 = c.scratch[0] & 0xFFFF_FFFFL;
    long s2 = c.scratch[1] & 0xFFFF_FFFFL;
    Sse.setXmm(c, i.r0, s0 | s0 << 32, s2 | s2 << 32);
  }

  public static void movshdup(CpuState c, Insn i) {
    Sse.check(c);
    Sse.load(c, i, 1, true);
    long s1 = c.scratch[0] >>> 32;
    long s3 = c.scratch[1] >>> 32;
    Sse.setXmm(c, i.r0, s1 | s1 << 32, s3 | s3 << 32);
  }

  /** MOVDDUP Vx, Wq: the low double twice (8 bytes of memory, no alignment). */
  public static void movddup(CpuState c, Insn i) {
    Sse.check(c);
    long v = Sse.low(c, i, 1);
    Sse.setXmm(c, i.r0, v, v);
  }

  /** MOVD/MOVQ into an MMX register from a general register or memory (0F 6E), zero-extended. */
  public static void movdToMmx(CpuState c, Insn i) {
    Sse.checkMmx(c);
    Sse.setMmx(c, i.r0, Sse.low(c, i, 1));
  }

  /** MOVD/MOVQ into an XMM register from a general register or memory (66 0F 6E), zero-extended. */
  public static void movdToXmm(CpuState c, Insn i) {
    Sse.check(c);
    Sse.setXmm(c, i.r0, Sse.low(c, i, 1), 0);
  }

  /** MOVD/MOVQ from an MMX register to a general register or memory (0F 7E). */
  public static void movdFromMmx(CpuState c, Insn i) {
    Sse.checkMmx(c);
    long v = c.fpMant[i.r1];
    if (i.k0 == Insn.K_MEM) {
      Mem.writeLa(c, Ops.la(c, i, i.s0, true), i.s0, v);
    } else {
      Ops.setReg(c, i.r0, i.s0, v);
    }
    Sse.enterMmx(c); // after the store: a faulting store leaves the x87 state alone (the host does)
  }

  /** MOVD/MOVQ from an XMM register to a general register or memory (66 0F 7E). */
  public static void movdFromXmm(CpuState c, Insn i) {
    Sse.check(c);
    long v = c.xmm[2 * i.r1];
    if (i.k0 == Insn.K_MEM) {
      Mem.writeLa(c, Ops.la(c, i, i.s0, true), i.s0, v);
    } else {
      Ops.setReg(c, i.r0, i.s0, v);
    }
  }

  /** MOVQ Pq, Qq (0F 6F) and MOVQ Qq, Pq (0F 7F). */
  public static void movqMmx(CpuState c, Insn i) {
    Sse.checkMmx(c);
    long v = Sse.low(c, i, 1);
    if (i.k0 == Insn.K_MEM) {
      Mem.writeLa(c, Ops.la(c, i, 8, true), 8, v);
      Sse.enterMmx(c); // as for MOVD: only a store that completes switches to MMX
    } else {
      Sse.setMmx(c, i.r0, v);
    }
  }

  /** MOVQ Vq, Wq (F3 0F 7E): the low quadword, upper zeroed. */
  public static void movqToXmm(CpuState c, Insn i) {
    Sse.check(c);
    Sse.setXmm(c, i.r0, Sse.low(c, i, 1), 0);
  }

  /** MOVQ Wq, Vq (66 0F D6): a register destination gets the upper quadword zeroed. */
  public static void movqFromXmm(CpuState c, Insn i) {
    Sse.check(c);
    long v = c.xmm[2 * i.r1];
    if (i.k0 == Insn.K_MEM) {
      Mem.writeLa(c, Ops.la(c, i, 8, true), 8, v);
    } else {
      Sse.setXmm(c, i.r0, v, 0);
    }
  }

  /** MOVQ2DQ Vdq, Nq. */
  public static void movq2dq(CpuState c, Insn i) {
    Sse.check(c);
    Sse.checkMmx(c);
    Sse.setXmm(c, i.r0, c.fpMant[i.r1], 0);
    Sse.enterMmx(c);
  }

  /** MOVDQ2Q Pq, Uq. */
  public static void movdq2q(CpuState c, Insn i) {
    Sse.check(c);
    Sse.checkMmx(c);
    Sse.setMmx(c, i.r0, c.xmm[2 * i.r1]);
  }

  public static void movmskps(CpuState c, Insn i) {
    Sse.check(c);
    long lo = c.xmm[2 * i.r1];
    long hi = c.xmm[2 * i.r1 + 1];
    long m = (lo >>> 31 & 1) | (lo >>> 62 & 2) | (hi >>> 29 & 4) | (hi >>> 60 & 8);
    Ops.setReg(c, i.r0, i.s0, m);
  }

  public static void movmskpd(CpuState c, Insn i) {
    Sse.check(c);
    long m = (c.xmm[2 * i.r1] >>> 63) | (c.xmm[2 * i.r1 + 1] >>> 63) << 1;
    Ops.setReg(c, i.r0, i.s0, m);
  }

  /** MASKMOVQ/MASKMOVDQU: stores the bytes whose mask byte has its top bit set, at DS:rDI. */
  public static void maskmov(CpuState c, Insn i) {
    boolean mmx = i.k0 == Insn.K_MMX;
    if (mmx) {
      Sse.checkMmx(c);
      Sse.enterMmx(c); // both operands are registers: the switch precedes the store's faults (host)
    } else {
      Sse.check(c);
    }
    int n = mmx ? 8 : 16;
    long off = Ops.getReg(c, CpuState.RDI, i.addrSize);
    long la = Mem.linear(c, i.seg, off, n, true);
    long[] data = mmx ? new long[] {c.fpMant[i.r0]} : new long[] {c.xmm[2 * i.r0], c.xmm[2 * i.r0 + 1]};
    long[] mask = mmx ? new long[] {c.fpMant[i.r1]} : new long[] {c.xmm[2 * i.r1], c.xmm[2 * i.r1 + 1]};
    // The whole destination is checked from its start, even with an all-zero mask, as the host does
    // (whether masked-out bytes fault is implementation-specific); then the selected bytes are written.
    for (int k = 0; k < n; k += 8) {
      Mem.readLaForWrite(c, la + k, 8);
    }
    for (int k = 0; k < n; k++) {
      if (((mask[k >> 3] >>> (8 * (k & 7) + 7)) & 1) != 0) {
        Mem.writeLa(c, la + k, 1, data[k >> 3] >>> (8 * (k & 7)));
      }
    }
  }

  /**
   * EMMS: every x87 register becomes empty, and TOP = 0 (SDM Vol. 1, Table 9-2; the host agrees). Like
   * the other MMX instructions it first raises #MF for a pending x87 exception.
   */
  public static void emms(CpuState c, Insn i) {
    Sse.checkMmx(c);
    c.fpTag = 0xFFFF;
    c.fpTop = 0;
  }
}
