package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Flags;
import org.jkvm.translator.isa.Insn;

/** CLC, STC, CMC, CLD, STD, CLI and STI. */
public final class FlagOps {
  private FlagOps() {}

  public static void clc(CpuState c, Insn i) {
    c.materializeFlags();
    c.rflags &= ~Flags.CF;
  }

  public static void stc(CpuState c, Insn i) {
    c.materializeFlags();
    c.rflags |= Flags.CF;
  }

  public static void cmc(CpuState c, Insn i) {
    c.materializeFlags();
    c.rflags ^= Flags.CF;
  }

  public static void cld(CpuState c, Insn i) {
    c.rflags &= ~Flags.DF;
  }

  public static void std(CpuState c, Insn i) {
    c.rflags |= Flags.DF;
  }

  /** CLI and STI need IOPL >= CPL in protected mode (VME/PVI are not advertised), else #GP(0). */
  private static void checkIopl(CpuState c) {
    if (c.protectedMode() && ((c.rflags & Flags.IOPL) >>> 12) < c.cpl) {
      throw GuestFault.gp0();
    }
  }

  public static void cli(CpuState c, Insn i) {
    checkIopl(c);
    c.rflags &= ~Flags.IF;
  }

  /** STI: interrupts are recognised only after the next instruction, if IF was clear. */
  public static void sti(CpuState c, Insn i) {
    checkIopl(c);
    if ((c.rflags & Flags.IF) == 0) {
      c.rflags |= Flags.IF;
      c.interruptShadow = true;
    }
  }
}
