package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Flags;
import org.jkvm.translator.isa.Insn;

/** The BCD adjustments DAA, DAS, AAA, AAS, AAM and AAD (invalid in 64-bit mode), after the SDM pseudo-code. */
public final class Bcd {
  private Bcd() {}

  private static long al(CpuState c) {
    return c.gpr[CpuState.RAX] & 0xFF;
  }

  private static void setFlagsFromAl(CpuState c, long f) {
    long al = al(c);
    f &= ~(Flags.SF | Flags.ZF | Flags.PF);
    if (al == 0) {
      f |= Flags.ZF;
    }
    if ((al & 0x80) != 0) {
      f |= Flags.SF;
    }
    if ((Integer.bitCount((int) al) & 1) == 0) {
      f |= Flags.PF;
    }
    c.rflags = f;
  }

  public static void daa(CpuState c, Insn i) {
    c.materializeFlags();
    long f = c.rflags;
    long oldAl = al(c);
    boolean oldCf = (f & Flags.CF) != 0;
    long al = oldAl;
    f &= ~(Flags.CF | Flags.AF | Flags.OF);
    if ((al & 0xF) > 9 || (c.rflags & Flags.AF) != 0) {
      al = (al + 6) & 0xFF;
      f |= Flags.AF;
    }
    if (oldAl > 0x99 || oldCf) {
      al = (al + 0x60) & 0xFF;
      f |= Flags.CF;
    }
    Ops.setReg(c, CpuState.RAX, 1, al);
    setFlagsFromAl(c, f);
  }

  public static void das(CpuState c, Insn i) {
    c.materializeFlags();
    long f = c.rflags;
    long oldAl = al(c);
    boolean oldCf = (f & Flags.CF) != 0;
    long al = oldAl;
    f &= ~(Flags.CF | Flags.AF | Flags.OF);
    if ((al & 0xF) > 9 || (c.rflags & Flags.AF) != 0) {
      if (al < 6) {
        f |= Flags.CF; // CF = old CF or the borrow of AL - 6 (SDM DAS; the host agrees)
      }
      al = (al - 6) & 0xFF;
      f |= Flags.AF;
    }
    if (oldAl > 0x99 || oldCf) {
      al = (al - 0x60) & 0xFF;
      f |= Flags.CF;
    }
    Ops.setReg(c, CpuState.RAX, 1, al);
    setFlagsFromAl(c, f);
  }

  public static void aaa(CpuState c, Insn i) {
    c.materializeFlags();
    long f = c.rflags;
    long ax = c.gpr[CpuState.RAX] & 0xFFFF;
    if ((ax & 0xF) > 9 || (f & Flags.AF) != 0) {
      ax = (ax + 0x106) & 0xFFFF;
      f |= Flags.AF | Flags.CF;
    } else {
      f &= ~(Flags.AF | Flags.CF);
    }
    ax &= 0xFF0F;
    Ops.setReg(c, CpuState.RAX, 2, ax);
    c.rflags = f;
  }

  public static void aas(CpuState c, Insn i) {
    c.materializeFlags();
    long f = c.rflags;
    long ax = c.gpr[CpuState.RAX] & 0xFFFF;
    if ((ax & 0xF) > 9 || (f & Flags.AF) != 0) {
      ax = (ax - 6) & 0xFFFF;
      ax = (ax & 0xFF) | ((((ax >>> 8) - 1) & 0xFF) << 8);
      f |= Flags.AF | Flags.CF;
    } else {
      f &= ~(Flags.AF | Flags.CF);
    }
    ax &= 0xFF0F;
    Ops.setReg(c, CpuState.RAX, 2, ax);
    c.rflags = f;
  }

  /** AAM imm8: AH = AL / imm8, AL = AL mod imm8; #DE for a zero base. */
  public static void aam(CpuState c, Insn i) {
    long base = i.imm & 0xFF;
    if (base == 0) {
      throw GuestFault.of(GuestFault.DE);
    }
    long al = al(c);
    Ops.setReg(c, CpuState.RAX, 2, ((al / base) << 8) | (al % base));
    c.materializeFlags();
    setFlagsFromAl(c, c.rflags);
  }

  /** AAD imm8: AL = (AL + AH * imm8) & 0xFF, AH = 0. */
  public static void aad(CpuState c, Insn i) {
    long base = i.imm & 0xFF;
    long ax = c.gpr[CpuState.RAX];
    long al = ((ax & 0xFF) + ((ax >>> 8) & 0xFF) * base) & 0xFF;
    Ops.setReg(c, CpuState.RAX, 2, al);
    c.materializeFlags();
    setFlagsFromAl(c, c.rflags);
  }
}
