package org.jkvm.translator;

import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.ExitReason;
import org.jkvm.runtime.Flags;
import org.jkvm.runtime.Hypervisor;
import org.jkvm.runtime.Vcpu;
import org.jkvm.runtime.Vm;

/**
 * A bare machine for engine tests: RAM, one vCPU, no devices. Code is placed in memory and run until HLT
 * (without an irqchip, HLT leaves {@link Vcpu#run()}).
 */
public final class TestMachine {
  public static final long RAM = 64L << 20;
  /** Page tables for 64-bit mode live here: identity map of the first 1 GiB with 2 MiB pages. */
  static final long PML4 = 0x1000;

  public final Vm vm;
  public final Vcpu vcpu;
  public final CpuState c;

  public TestMachine(TranslatorBackend.Engine engine) {
    this(new TranslatorBackend(engine));
  }

  /** With the translator compiling every block before it first runs, so that nothing is interpreted. */
  public static TestMachine translatingEverything(TranslatorBackend.Engine engine) {
    return new TestMachine(new TranslatorBackend(engine, 0));
  }

  /** With the translator's threshold at {@code n} executions. */
  public static TestMachine withThreshold(TranslatorBackend.Engine engine, int n) {
    return new TestMachine(new TranslatorBackend(engine, n));
  }

  private TestMachine(TranslatorBackend backend) {
    vm = new Hypervisor(backend).createVm();
    vm.addRam(0, RAM);
    vcpu = vm.createVcpu();
    c = vcpu.state();
  }

  public void write(long gpa, byte[] bytes) {
    vm.memory().writeBytes(gpa, bytes, 0, bytes.length);
  }

  /** Real mode with CS = DS = ES = SS = {@code seg}, IP = {@code ip}, SP = 0xFFFE. */
  public void realMode(int seg, int ip) {
    for (int s = 0; s < 6; s++) {
      c.loadRealSegment(s, seg);
    }
    c.rip = ip;
    c.gpr[CpuState.RSP] = 0xFFFE;
    c.setRflags(Flags.FIXED1);
    c.updateMode();
  }

  /** 64-bit mode at CPL {@code cpl}, flat segments, identity paging of the first GiB (user-accessible). */
  public void longMode(long rip, int cpl) {
    var mem = vm.memory();
    mem.write(PML4, 8, 0x2000 | 7);
    mem.write(0x2000, 8, 0x3000 | 7);
    for (int i = 0; i < 512; i++) {
      mem.write(0x3000 + 8L * i, 8, ((long) i << 21) | 0x87); // present, writable, user, 2 MiB
    }
    c.cr3 = PML4;
    c.cr4 = CpuState.CR4_PAE | CpuState.CR4_OSFXSR | CpuState.CR4_OSXMMEXCPT;
    c.efer = CpuState.EFER_LME | CpuState.EFER_LMA | CpuState.EFER_NXE | CpuState.EFER_SCE;
    c.cr0 = CpuState.CR0_PE | CpuState.CR0_PG | CpuState.CR0_WP | CpuState.CR0_ET | CpuState.CR0_NE
        | CpuState.CR0_MP;
    for (int s = 0; s < 6; s++) {
      c.segSel[s] = s == CpuState.CS ? (0x08 | cpl) : (0x10 | cpl);
      c.segBase[s] = 0;
      c.segLimit[s] = -1;
      c.segAttr[s] = CpuState.SEG_P | CpuState.SEG_S | (cpl << CpuState.SEG_DPL_SHIFT) | CpuState.SEG_G
          | (s == CpuState.CS ? 0xB | CpuState.SEG_L : 0x3 | CpuState.SEG_DB);
    }
    c.rip = rip;
    c.gpr[CpuState.RSP] = RAM - 0x1000;
    c.setRflags(Flags.FIXED1);
    c.tlb.flushAll();
    c.updateMode();
  }

  /** Runs until the guest halts; fails on any other exit. */
  public void runToHlt() {
    ExitReason r = vcpu.run();
    if (r != ExitReason.HLT) {
      throw new AssertionError("expected HLT, got " + r + " (" + vcpu.runState().internalError + ")");
    }
  }
}
