package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.translator.isa.Insn;

/**
 * What every x87 instruction shares (SDM Vol. 1, chapter 8): the register stack addressed relative to TOP
 * with its tags, the entry checks (#NM, a pending unmasked exception raising #MF), the last-instruction
 * pointers (FOP, FIP/FCS, FDP/FDS) and the exception responses: stack faults, and the masked and unmasked
 * responses to the flags an {@link F80} operation raised (8.5, 8.7).
 */
final class X87 {
  private X87() {}

  static final int C0 = F80.C0;
  static final int C1 = F80.C1;
  static final int C2 = F80.C2;
  static final int C3 = F80.C3;
  static final int CC = C0 | C1 | C2 | C3;
  static final int ES = 0x80;
  static final int B = 0x8000;
  static final int FLAGS = 0x3F;

  // ---- entry ----

  /**
   * The start of a waiting x87 instruction: #NM if CR0.EM or CR0.TS, then #MF if an unmasked exception
   * is pending (FSW.ES) and CR0.NE selects native error reporting. With CR0.NE clear the PC's FERR#
   * line would raise IRQ 13; jkvm has no such line, so the error is left pending (it stays visible in the
   * FSW). Returns the work array, cleared.
   */
  static long[] begin(CpuState c) {
    X87Control.checkDevice(c);
    checkPending(c);
    long[] w = c.fpWork;
    w[F80.EXC] = 0;
    return w;
  }

  static void checkPending(CpuState c) {
    if ((c.fsw & ES) != 0 && (c.cr0 & CpuState.CR0_NE) != 0) {
      throw GuestFault.of(GuestFault.MF);
    }
  }

  /** FOP and FIP/FCS of a non-control instruction (SDM Vol. 1, 8.1.8-8.1.9); FDP/FDS for a memory operand. */
  static void lastInsn(CpuState c, Insn i) {
    c.fop = (i.opcode & 7) << 8 | i.modrm;
    long ip = c.rip - i.len;
    c.fip = c.codeSize == 8 ? ip : ip & 0xFFFF_FFFFL;
    c.fcs = c.segSel[CpuState.CS];
  }

  static void lastInsn(CpuState c, Insn i, long ea) {
    lastInsn(c, i);
    c.fdp = ea;
    c.fds = c.segSel[i.seg];
  }

  // ---- the register stack ----

  static int phys(CpuState c, int st) {
    return (c.fpTop + st) & 7;
  }

  static boolean empty(CpuState c, int st) {
    return ((c.fpTag >> (2 * phys(c, st))) & 3) == X87Control.TAG_EMPTY;
  }

  static long mant(CpuState c, int st) {
    return c.fpMant[phys(c, st)];
  }

  static int se(CpuState c, int st) {
    return c.fpExp[phys(c, st)];
  }

  static void write(CpuState c, int st, long m, int se) {
    int p = phys(c, st);
    c.fpMant[p] = m;
    c.fpExp[p] = se & 0xFFFF;
    c.fpTag = (c.fpTag & ~(3 << (2 * p))) | X87Control.classify(m, se) << (2 * p);
  }

  /** Writes the result in w to ST(st). */
  static void writeResult(CpuState c, int st, long[] w) {
    write(c, st, w[F80.MANT], (int) w[F80.SE]);
  }

  static void push(CpuState c, long m, int se) {
    c.fpTop = (c.fpTop - 1) & 7;
    write(c, 0, m, se);
  }

  static void pop(CpuState c) {
    c.fpTag |= X87Control.TAG_EMPTY << (2 * c.fpTop);
    c.fpTop = (c.fpTop + 1) & 7;
  }

  /** A push needs ST(7), the register below TOP, to be empty. */
  static boolean full(CpuState c) {
    return !empty(c, 7);
  }

  // ---- exceptions ----

  static boolean masked(CpuState c, int flag) {
    return (c.fcw & flag) != 0;
  }

  private static void raise(CpuState c) {
    c.fsw |= ES | B;
  }

  /**
   * Stack underflow (IE, SF, C1 = 0): the masked response writes the indefinite to ST(dest) (none if
   * dest < 0) and pops if the instruction pops; unmasked, nothing changes but the status word.
   */
  static void stackUnderflow(CpuState c, int dest, boolean pop) {
    c.fsw = (c.fsw & ~C1) | F80.IE | F80.SF;
    if (masked(c, F80.IE)) {
      if (dest >= 0) {
        write(c, dest, F80.INDEF_MANT, F80.INDEF_SE);
      }
      if (pop) {
        pop(c);
      }
    } else {
      raise(c);
    }
  }

  /** Stack overflow on a push (IE, SF, C1 = 1): the masked response pushes the indefinite. */
  static void stackOverflow(CpuState c) {
    c.fsw |= F80.IE | F80.SF | C1;
    if (masked(c, F80.IE)) {
      push(c, F80.INDEF_MANT, F80.INDEF_SE);
    } else {
      raise(c);
    }
  }

  /**
   * Records the exceptions an operation raised (w[EXC]) and tells whether its result may be stored
   * (SDM Vol. 1, 4.9.2, 8.5, 8.7): an invalid operation or a division by zero is reported alone; an
   * unmasked IE, ZE or DE leaves destination and stack unchanged; overflow, underflow and precision come
   * after the result: unmasked, a register destination still receives the (wrapped) result, but a memory
   * destination receives nothing and the store reports neither PE nor C1. C1 is set from w's "rounded up".
   * ES and B are set when an unmasked exception is flagged.
   */
  static boolean commit(CpuState c, long[] w, boolean memDest) {
    int exc = (int) w[F80.EXC];
    int flags = exc & FLAGS;
    int unmasked = flags & ~c.fcw & FLAGS;
    if ((flags & F80.IE) != 0) {
      c.fsw = (c.fsw & ~C1) | F80.IE;
      if ((unmasked & F80.IE) != 0) {
        raise(c);
        return false;
      }
      return true;
    }
    if ((flags & F80.ZE) != 0) {
      c.fsw = (c.fsw & ~C1) | F80.ZE;
      if ((unmasked & F80.ZE) != 0) {
        raise(c);
        return false;
      }
      return true;
    }
    if ((flags & F80.DE) != 0) {
      c.fsw |= F80.DE;
      if ((unmasked & F80.DE) != 0) {
        c.fsw &= ~C1;
        raise(c);
        return false;
      }
    }
    if (memDest && (unmasked & (F80.OE | F80.UE)) != 0) {
      c.fsw = (c.fsw & ~C1) | (flags & (F80.OE | F80.UE));
      raise(c);
      return false;
    }
    c.fsw = (c.fsw & ~C1) | (flags & (F80.OE | F80.UE | F80.PE)) | (exc & C1);
    if ((unmasked & (F80.OE | F80.UE | F80.PE)) != 0) {
      raise(c);
    }
    return true;
  }

  /** Sets the condition codes in {@code mask} to {@code cc}. */
  static void setCc(CpuState c, int mask, int cc) {
    c.fsw = (c.fsw & ~mask) | (cc & mask);
  }
}
