package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.translator.isa.Insn;

/**
 * Shared machinery of the SSE and MMX families: availability checks, operand access for XMM, MMX,
 * general registers and 4-, 8- or 16-byte memory operands, the MMX side effects on the x87 state, and the
 * MXCSR exception protocol (SDM Vol. 1, 11.5): an instruction collects the flags of all its elements in
 * {@link CpuState#simdFlags}; if any collected exception is unmasked, #XM (or #UD without CR4.OSXMMEXCPT)
 * is raised and nothing is written; otherwise the flags are ORed into MXCSR and the result is written.
 */
public final class Sse {
  private Sse() {}

  // MXCSR bits.
  public static final int IE = 0x01;
  public static final int DE = 0x02;
  public static final int ZE = 0x04;
  public static final int OE = 0x08;
  public static final int UE = 0x10;
  public static final int PE = 0x20;
  public static final int DAZ = 0x40;
  public static final int MASK_SHIFT = 7;
  public static final int RC_SHIFT = 13;
  public static final int FTZ = 0x8000;
  public static final int RC_NEAREST = 0;
  public static final int RC_DOWN = 1;
  public static final int RC_UP = 2;
  public static final int RC_ZERO = 3;

  /** SSE instruction gate: #UD with CR0.EM or without CR4.OSFXSR, #NM with CR0.TS. */
  public static void check(CpuState c) {
    if ((c.cr0 & CpuState.CR0_EM) != 0 || (c.cr4 & CpuState.CR4_OSFXSR) == 0) {
      throw GuestFault.ud();
    }
    if ((c.cr0 & CpuState.CR0_TS) != 0) {
      throw GuestFault.of(GuestFault.NM);
    }
    c.simdFlags = 0;
  }

  /**
   * MMX instruction gate: #UD with CR0.EM, #NM with CR0.TS, #MF with a pending unmasked x87 exception.
   * The switch to the MMX register file comes later ({@link #enterMmx}), once the operands are read: an
   * instruction whose memory operand faults leaves the x87 state alone (found by the difftest).
   */
  public static void checkMmx(CpuState c) {
    if ((c.cr0 & CpuState.CR0_EM) != 0) {
      throw GuestFault.ud();
    }
    if ((c.cr0 & CpuState.CR0_TS) != 0) {
      throw GuestFault.of(GuestFault.NM);
    }
    if ((c.fsw & 0x80) != 0 && (c.cr0 & CpuState.CR0_NE) != 0) {
      throw GuestFault.of(GuestFault.MF);
    }
  }

  /**
   * The x87 stack becomes the MMX register file: TOP = 0, all tags valid. Done once an MMX instruction's
   * operands are read; a later #XM (CVTPS2PI and friends) does not undo it, as on the host CPU.
   */
  static void enterMmx(CpuState c) {
    c.fpTop = 0;
    c.fpTag = 0;
  }

  /** Whether the instruction works on MMX registers (no mandatory 66/F2/F3 prefix selected it). */
  static boolean isMmx(Insn i) {
    return i.k0 == Insn.K_MMX || i.k1 == Insn.K_MMX;
  }

  /** The gate for an instruction that exists in MMX and XMM forms. */
  static void checkEither(CpuState c, Insn i) {
    if (isMmx(i)) {
      checkMmx(c);
    } else {
      check(c);
    }
  }

  // ---- operand access ----

  private static int kind(Insn i, int n) {
    return n == 0 ? i.k0 : n == 1 ? i.k1 : i.k2;
  }

  private static int reg(Insn i, int n) {
    return n == 0 ? i.r0 : n == 1 ? i.r1 : i.r2;
  }

  private static int size(Insn i, int n) {
    return n == 0 ? i.s0 : n == 1 ? i.s1 : i.s2;
  }

  /** Linear address of a 16-byte memory operand that must be aligned (#GP(0) otherwise). */
  static long aligned16(CpuState c, Insn i, boolean write) {
    long la = Ops.la(c, i, 16, write);
    if ((la & 15) != 0) {
      throw GuestFault.gp0();
    }
    return la;
  }

  /**
   * Linear address of a 16-byte operand without the alignment requirement (MOVUPS, MOVDQU, LDDQU …). With
   * alignment checks on, it must still be aligned to 16 or #AC: so the host (an AMD) behaves; jkvm reads
   * it as two quadwords, which would check only 8.
   */
  static long unaligned16(CpuState c, Insn i, boolean write) {
    long la = Ops.la(c, i, 16, write);
    Mem.checkAligned(c, la, 16);
    return la;
  }

  /**
   * Reads operand {@code n} into {@code c.scratch[0]} (low quadword) and {@code c.scratch[1]} (high):
   * XMM registers whole, MMX registers as a low quadword, memory as its size (16 bytes checked for
   * alignment when {@code aligned}), general registers zero-extended.
   */
  static void load(CpuState c, Insn i, int n, boolean aligned) {
    long[] t = c.scratch;
    switch (kind(i, n)) {
      case Insn.K_XMM: {
        int r = reg(i, n);
        t[0] = c.xmm[2 * r];
        t[1] = c.xmm[2 * r + 1];
        return;
      }
      case Insn.K_MMX:
        t[0] = c.fpMant[reg(i, n)];
        t[1] = 0;
        return;
      case Insn.K_REG:
        t[0] = Ops.getReg(c, reg(i, n), size(i, n));
        t[1] = 0;
        return;
      case Insn.K_MEM: {
        int s = size(i, n);
        if (s == 16) {
          long la = aligned ? aligned16(c, i, false) : unaligned16(c, i, false);
          long lo = Mem.readLa(c, la, 8);
          long hi = Mem.readLa(c, la + 8, 8);
          t[0] = lo;
          t[1] = hi;
        } else {
          t[0] = Mem.readLa(c, Ops.la(c, i, s, false), s);
          t[1] = 0;
        }
        return;
      }
      default:
        throw new IllegalStateException("SSE operand kind " + kind(i, n) + " in " + i);
    }
  }

  /** The low quadword of operand {@code n} (registers, or 4/8 bytes of memory). */
  static long low(CpuState c, Insn i, int n) {
    switch (kind(i, n)) {
      case Insn.K_XMM: return c.xmm[2 * reg(i, n)];
      case Insn.K_MMX: return c.fpMant[reg(i, n)];
      case Insn.K_REG: return Ops.getReg(c, reg(i, n), size(i, n));
      case Insn.K_MEM: {
        int s = Math.min(size(i, n), 8);
        return Mem.readLa(c, Ops.la(c, i, s, false), s);
      }
      default: throw new IllegalStateException("SSE operand kind " + kind(i, n) + " in " + i);
    }
  }

  /** Writes a whole XMM register. */
  static void setXmm(CpuState c, int r, long lo, long hi) {
    c.xmm[2 * r] = lo;
    c.xmm[2 * r + 1] = hi;
  }

  /** Writes an MMX register: the significand of x87 R(r), with the exponent field set to all ones. */
  static void setMmx(CpuState c, int r, long v) {
    enterMmx(c);
    c.fpMant[r] = v;
    c.fpExp[r] = 0xFFFF;
  }

  /**
   * Writes operand 0: an XMM register whole, an MMX register, or memory of the operand's size (16 bytes
   * checked for alignment when {@code aligned}).
   */
  static void store(CpuState c, Insn i, long lo, long hi, boolean aligned) {
    switch (i.k0) {
      case Insn.K_XMM:
        setXmm(c, i.r0, lo, hi);
        return;
      case Insn.K_MMX:
        setMmx(c, i.r0, lo);
        return;
      case Insn.K_REG:
        Ops.setReg(c, i.r0, i.s0, lo);
        return;
      case Insn.K_MEM:
        if (i.s0 == 16) {
          long la = aligned ? aligned16(c, i, true) : unaligned16(c, i, true);
          // Both halves must be writable before either is written; the low one is checked first, so that
          // CR2 is the lowest faulting address (found by the difftest).
          Mem.readLaForWrite(c, la, 8);
          Mem.readLaForWrite(c, la + 8, 8);
          Mem.writeLa(c, la, 8, lo);
          Mem.writeLa(c, la + 8, 8, hi);
        } else {
          Mem.writeLa(c, Ops.la(c, i, i.s0, true), i.s0, lo);
        }
        return;
      default:
        throw new IllegalStateException("SSE destination kind " + i.k0 + " in " + i);
    }
  }

  // ---- MXCSR exception protocol ----

  static int rc(CpuState c) {
    return (c.mxcsr >>> RC_SHIFT) & 3;
  }

  /**
   * Ends the floating-point part of an instruction: raises #XM/#UD for unmasked exceptions collected in
   * {@code c.simdFlags} (before anything is written), else records them in MXCSR.
   */
  public static void commitFlags(CpuState c) {
    int f = c.simdFlags;
    if (f == 0) {
      return;
    }
    int unmasked = f & ~(c.mxcsr >>> MASK_SHIFT) & 0x3F;
    if (unmasked != 0) {
      // SDM 11.5.2: with an unmasked exception the destination is unchanged; the flags are still set. An
      // unmasked pre-computation exception (IE, DE, ZE) stops the instruction before the post-computation
      // ones (OE, UE, PE) are detected in any element, so only the former are recorded (as on the host).
      c.mxcsr |= (unmasked & (IE | DE | ZE)) != 0 ? f & (IE | DE | ZE) : f & 0x3F;
      throw (c.cr4 & CpuState.CR4_OSXMMEXCPT) != 0 ? GuestFault.of(GuestFault.XM) : GuestFault.ud();
    }
    c.mxcsr |= f;
  }
}
