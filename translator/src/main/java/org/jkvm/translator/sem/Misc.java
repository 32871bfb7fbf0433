package org.jkvm.translator.sem;

import java.lang.invoke.VarHandle;
import org.jkvm.mmu.PageWalker;
import org.jkvm.runtime.CpuState;
import org.jkvm.translator.isa.Insn;

/** HLT, CPUID, RDTSC, RDTSCP, PAUSE, NOP forms, fences, CLFLUSH, UD0/UD1/UD2 and FWAIT. */
public final class Misc {
  private Misc() {}

  public static void nop(CpuState c, Insn i) {
  }

  /**
   * CLFLUSH m8: no cache to flush, but the address is checked like a read (segment limits, #PF), as on
   * hardware (found by the difftest: a CLFLUSH of an unmapped page faults).
   */
  public static void clflush(CpuState c, Insn i) {
    long la = Mem.linear(c, i.seg, Ops.ea(c, i), 1, false);
    Mem.translate(c, c.longMode() ? la : la & 0xFFFF_FFFFL, c.mmuIdx, PageWalker.ACC_READ);
  }

  public static void ud(CpuState c, Insn i) {
    throw GuestFault.ud();
  }

  /** HLT stops the vCPU until an interrupt; the execution loop sees {@code halted} and exits. */
  public static void hlt(CpuState c, Insn i) {
    if (c.cpl != 0) {
      throw GuestFault.gp0();
    }
    c.halted = true;
  }

  public static void cpuid(CpuState c, Insn i) {
    c.hooks.cpuid(c);
  }

  private static void checkTsd(CpuState c) {
    if ((c.cr4 & CpuState.CR4_TSD) != 0 && c.cpl != 0 && c.protectedMode()) {
      throw GuestFault.gp0();
    }
  }

  public static void rdtsc(CpuState c, Insn i) {
    checkTsd(c);
    long t = c.hooks.tsc() + c.tscOffset;
    c.gpr[CpuState.RAX] = t & 0xFFFF_FFFFL;
    c.gpr[CpuState.RDX] = t >>> 32;
  }

  public static void rdtscp(CpuState c, Insn i) {
    checkTsd(c);
    long t = c.hooks.tsc() + c.tscOffset;
    c.gpr[CpuState.RAX] = t & 0xFFFF_FFFFL;
    c.gpr[CpuState.RDX] = t >>> 32;
    c.gpr[CpuState.RCX] = c.tscAux & 0xFFFF_FFFFL;
  }

  /** PAUSE is a spin-wait hint; it ends the block so another vCPU gets the chance to release a lock. */
  public static void pause(CpuState c, Insn i) {
    Thread.onSpinWait();
  }

  public static void mfence(CpuState c, Insn i) {
    VarHandle.fullFence();
  }

  /** FWAIT: #NM if CR0.MP and CR0.TS; #MF if an unmasked x87 exception is pending (FSW.ES). */
  public static void fwait(CpuState c, Insn i) {
    if ((c.cr0 & (CpuState.CR0_MP | CpuState.CR0_TS)) == (CpuState.CR0_MP | CpuState.CR0_TS)) {
      throw GuestFault.of(GuestFault.NM);
    }
    if ((c.fsw & 0x80) != 0 && (c.cr0 & CpuState.CR0_NE) != 0) {
      throw GuestFault.of(GuestFault.MF);
    }
  }
}
