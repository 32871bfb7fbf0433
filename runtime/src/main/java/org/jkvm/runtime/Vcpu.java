package org.jkvm.runtime;

import org.jkvm.mmu.PageWalker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A virtual CPU (KVM's vCPU file descriptor): register access and {@link #run()}, which runs guest code
 * until an exit that user space must see. Exits that KVM handles in the kernel (port I/O to registered
 * devices, CPUID, MSRs, HLT with the in-kernel irqchip) are handled here and counted, without returning.
 * Only the thread that calls {@link #run()} may touch the CPU state while it runs.
 */
public final class Vcpu implements ExitHooks {
  private static final Logger LOG = LoggerFactory.getLogger(Vcpu.class);
  private static final ThreadLocal<Vcpu> CURRENT = new ThreadLocal<>();

  private final Vm vm;
  private final int id;
  private final CpuState state;
  private final Backend.VcpuBackend backend;
  private final RunState runState = new RunState();
  private final Cpuid cpuid;
  private final int[] cpuidOut = new int[4];
  /** Exit counts by VMX basic exit reason. */
  private final long[] exitCounts = new long[VmxExitReason.COUNT];
  private final long startNanos = System.nanoTime();
  /** MSR_KVM_SYSTEM_TIME_NEW as the guest last wrote it. */
  private long kvmclockSystemTime;
  /** Set by {@link #requestStop()}: run() returns INTR at the next chance. */
  private volatile boolean stopRequested;
  /** TSC frequency the guest sees, in kHz; the TSC advances with host time. */
  public static final long TSC_KHZ = 2_000_000;

  Vcpu(Vm vm, int id, Backend backend) {
    this.vm = vm;
    this.id = id;
    this.state = new CpuState(id, vm.memory());
    this.state.hooks = this;
    if (id != 0) {
      // An application processor: not the BSP, and asleep until INIT and a startup IPI (with the
      // in-kernel irqchip KVM starts APs in KVM_MP_STATE_UNINITIALIZED).
      this.state.apicBase &= ~(1L << 8);
      this.state.waitSipi = true;
      this.state.halted = true;
    }
    this.cpuid = new Cpuid(id, () -> vm.vcpus().size());
    this.backend = backend.createVcpu(state);
  }

  public int id() {
    return id;
  }

  /** The vCPU whose {@link #run()} is executing on this thread (per-vCPU devices such as the local APIC). */
  public static Vcpu current() {
    return CURRENT.get();
  }

  public Vm vm() {
    return vm;
  }

  /** The live CPU state, for the backend, the irqchip and tests. */
  public CpuState state() {
    return state;
  }

  public RunState runState() {
    return runState;
  }

  /** KVM_GET_REGS. */
  public Regs getRegs() {
    Regs r = new Regs();
    System.arraycopy(state.gpr, 0, r.gpr, 0, 16);
    r.rip = state.rip;
    r.rflags = state.getRflags();
    return r;
  }

  /** KVM_SET_REGS. */
  public void setRegs(Regs r) {
    System.arraycopy(r.gpr, 0, state.gpr, 0, 16);
    state.rip = r.rip;
    state.setRflags(r.rflags);
    state.updateMode();
  }

  /** KVM_GET_SREGS. */
  public Sregs getSregs() {
    Sregs s = new Sregs();
    for (int i = 0; i < 6; i++) {
      Segment g = s.seg[i];
      g.base = state.segBase[i];
      g.limit = state.segLimit[i];
      g.selector = state.segSel[i];
      g.setAttributes(state.segAttr[i]);
    }
    s.tr.base = state.trBase;
    s.tr.limit = state.trLimit;
    s.tr.selector = state.trSel;
    s.tr.setAttributes(state.trAttr);
    s.ldt.base = state.ldtBase;
    s.ldt.limit = state.ldtLimit;
    s.ldt.selector = state.ldtSel;
    s.ldt.setAttributes(state.ldtAttr);
    s.gdtBase = state.gdtBase;
    s.gdtLimit = state.gdtLimit;
    s.idtBase = state.idtBase;
    s.idtLimit = state.idtLimit;
    s.cr0 = state.cr0;
    s.cr2 = state.cr2;
    s.cr3 = state.cr3;
    s.cr4 = state.cr4;
    s.cr8 = state.cr8;
    s.efer = state.efer;
    s.apicBase = state.apicBase;
    return s;
  }

  /** KVM_SET_SREGS. */
  public void setSregs(Sregs s) {
    for (int i = 0; i < 6; i++) {
      Segment g = s.seg[i];
      state.segBase[i] = g.base;
      state.segLimit[i] = g.limit;
      state.segSel[i] = g.selector & 0xFFFF;
      state.segAttr[i] = g.attributes();
    }
    state.trBase = s.tr.base;
    state.trLimit = s.tr.limit;
    state.trSel = s.tr.selector;
    state.trAttr = s.tr.attributes();
    state.ldtBase = s.ldt.base;
    state.ldtLimit = s.ldt.limit;
    state.ldtSel = s.ldt.selector;
    state.ldtAttr = s.ldt.attributes();
    state.gdtBase = s.gdtBase;
    state.gdtLimit = s.gdtLimit;
    state.idtBase = s.idtBase;
    state.idtLimit = s.idtLimit;
    state.cr0 = s.cr0;
    state.cr2 = s.cr2;
    state.cr3 = s.cr3;
    state.cr4 = s.cr4;
    state.cr8 = s.cr8;
    state.efer = s.efer;
    state.apicBase = s.apicBase;
    state.tlb.flushAll();
    state.updateMode();
  }

  /**
   * KVM_RUN: runs the guest until an exit user space must handle, and returns its reason; details are in
   * {@link #runState()}.
   */
  public ExitReason run() {
    CURRENT.set(this);
    RunState run = runState;
    for (;;) {
      if (vm.systemEventType() != 0) {
        run.systemEventType = vm.systemEventType();
        return exit(ExitReason.SYSTEM_EVENT, 0);
      }
      if (stopRequested) {
        stopRequested = false;
        return exit(ExitReason.INTR, VmxExitReason.EXTERNAL_INTERRUPT);
      }
      int r;
      try {
        r = backend.run(run);
      } catch (RuntimeException | StackOverflowError e) {
        // An emulator bug: stop this vCPU with an internal error and a state dump, never crash the VMM.
        LOG.error("vCPU {} internal error at rip={}: {}", id, Long.toHexString(state.rip), e.toString(), e);
        run.internalError = e.toString();
        return exit(ExitReason.INTERNAL_ERROR, -1);
      }
      if (r >= 0 && r < exitCounts.length) {
        exitCounts[r]++;
      }
      switch (r) {
        case VmxExitReason.HLT:
          if (vm.irqChip() != null) {
            waitForEvent();
            continue;
          }
          return exit(ExitReason.HLT, r);
        case VmxExitReason.TRIPLE_FAULT:
          return exit(ExitReason.SHUTDOWN, r);
        case VmxExitReason.IO_INSTRUCTION:
          return exit(ExitReason.IO, r);
        case VmxExitReason.EXTERNAL_INTERRUPT:
          continue; // a kick: the checks at the top decide
        case -1:
          return exit(ExitReason.INTERNAL_ERROR, r);
        default:
          run.internalError = "backend returned unexpected exit " + VmxExitReason.name(r);
          return exit(ExitReason.INTERNAL_ERROR, r);
      }
    }
  }

  private ExitReason exit(ExitReason reason, int vmx) {
    runState.exitReason = reason;
    runState.vmxReason = vmx;
    return reason;
  }

  /**
   * Sleeps in HLT until an interrupt, NMI, INIT/SIPI or kick arrives, firing chip timers as they fall due.
   * With the virtual clock the vCPU does not sleep: guest time jumps to the next timer.
   */
  private void waitForEvent() {
    Vm.IrqChip chip = vm.irqChip();
    GuestClock clock = vm.clock();
    for (;;) {
      chip.tick();
      synchronized (state) {
        int wake = state.waitSipi
            ? CpuState.EVENT_INIT | CpuState.EVENT_SIPI | CpuState.EVENT_KICK
            : (state.rflags & Flags.IF) != 0 ? -1 : ~CpuState.EVENT_INTR;
        if ((state.events & wake) != 0 || stopRequested || vm.systemEventType() != 0) {
          return;
        }
        if (!state.waitSipi && (state.rflags & Flags.IF) != 0 && chip.interruptPending(this)) {
          state.events |= CpuState.EVENT_INTR;
          return;
        }
        long nanos = chip.nanosToNextTimer();
        if (clock.isVirtual()) {
          if (nanos == Long.MAX_VALUE) {
            // Nothing will ever wake this vCPU by itself: wait for a device or another vCPU.
            waitOn(100_000_000L);
          } else {
            clock.skipIdle(nanos);
          }
          continue;
        }
        if (nanos > 0) {
          waitOn(Math.min(nanos, 100_000_000L));
        }
      }
    }
  }

  private void waitOn(long nanos) {
    try {
      state.wait(nanos / 1_000_000, (int) (nanos % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Makes the vCPU leave guest code soon (a signal to the vCPU thread, in KVM). */
  public void kick() {
    state.raiseEvent(CpuState.EVENT_KICK);
  }

  /** Makes the next or current {@link #run()} return {@link ExitReason#INTR}. */
  public void requestStop() {
    stopRequested = true;
    kick();
  }

  public long instructionsRetired() {
    return backend.instructionsRetired();
  }

  /**
   * Reads guest virtual memory for debugging (dumps), translating through the guest's page tables without
   * side effects; returns the number of bytes read before an unmapped page.
   */
  public int debugRead(long la, byte[] buf) {
    PageWalker.Result r = new PageWalker.Result();
    PageWalker w = new PageWalker(vm.memory());
    int done = 0;
    while (done < buf.length) {
      long a = la + done;
      if (w.probe(a, PageWalker.ACC_READ, PageWalker.MMU_KSMAP, state.cr0, state.cr3, state.cr4, state.efer, r)
          != PageWalker.OK) {
        return done;
      }
      int n = (int) Math.min(buf.length - done, 4096 - (a & 4095));
      vm.memory().readBytes(r.gpaPage | (a & 4095), buf, done, n);
      done += n;
    }
    return done;
  }

  /** The engine's recent-instruction trace (empty unless enabled). */
  public String trace() {
    StringBuilder sb = new StringBuilder();
    backend.appendTrace(sb);
    return sb.toString();
  }

  /** Exit counts by VMX basic exit reason. */
  public long[] exitCounts() {
    return exitCounts.clone();
  }

  /** Statistics lines for {@code --stats}. */
  public String stats() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("vCPU %d: %d instructions in %.3f s%n", id, instructionsRetired(),
        (System.nanoTime() - startNanos) / 1e9));
    for (int i = 0; i < exitCounts.length; i++) {
      if (exitCounts[i] != 0) {
        sb.append(String.format("  %-22s %12d%n", VmxExitReason.name(i), exitCounts[i]));
      }
    }
    backend.appendStats(sb);
    return sb.toString();
  }

  // ---- ExitHooks: exits handled "in the kernel" ----

  @Override
  public long portIn(int port, int size) {
    exitCounts[VmxExitReason.IO_INSTRUCTION]++;
    return vm.ioBus().in(port, size);
  }

  @Override
  public void portOut(int port, int size, long value) {
    exitCounts[VmxExitReason.IO_INSTRUCTION]++;
    vm.ioBus().out(port, size, value);
  }

  @Override
  public void cpuid(CpuState c) {
    exitCounts[VmxExitReason.CPUID]++;
    cpuid.query((int) c.gpr[CpuState.RAX], (int) c.gpr[CpuState.RCX], cpuidOut);
    c.gpr[CpuState.RAX] = cpuidOut[0] & 0xFFFF_FFFFL;
    c.gpr[CpuState.RBX] = cpuidOut[1] & 0xFFFF_FFFFL;
    c.gpr[CpuState.RCX] = cpuidOut[2] & 0xFFFF_FFFFL;
    c.gpr[CpuState.RDX] = cpuidOut[3] & 0xFFFF_FFFFL;
  }

  @Override
  public boolean rdmsr(CpuState c, int msr, long[] out) {
    exitCounts[VmxExitReason.MSR_READ]++;
    Vm.IrqChip chip = vm.irqChip();
    if (chip != null && chip.rdmsr(this, msr, out)) {
      return true;
    }
    if (msr == KvmClock.MSR_KVM_SYSTEM_TIME_NEW) {
      out[0] = kvmclockSystemTime;
      return true;
    }
    if (msr == KvmClock.MSR_KVM_WALL_CLOCK_NEW) {
      out[0] = 0;
      return true;
    }
    boolean ok = Msrs.read(c, msr, tsc(), out);
    if (!ok && LOG.isDebugEnabled()) {
      LOG.debug("vCPU {}: rdmsr 0x{} unknown: #GP", id, Integer.toHexString(msr));
    }
    return ok;
  }

  @Override
  public boolean wrmsr(CpuState c, int msr, long value) {
    exitCounts[VmxExitReason.MSR_WRITE]++;
    Vm.IrqChip chip = vm.irqChip();
    if (chip != null && chip.wrmsr(this, msr, value)) {
      return true;
    }
    if (msr == KvmClock.MSR_KVM_SYSTEM_TIME_NEW) {
      kvmclockSystemTime = value;
      if ((value & 1) != 0) {
        KvmClock.writeSystemTime(vm.memory(), value & ~1L, tsc() + c.tscOffset, vm.clock().nanos(), TSC_KHZ);
      }
      return true;
    }
    if (msr == KvmClock.MSR_KVM_WALL_CLOCK_NEW) {
      KvmClock.writeWallClock(vm.memory(), value, vm.clock().nanos());
      return true;
    }
    boolean ok = Msrs.write(c, msr, value, tsc());
    if (!ok && LOG.isDebugEnabled()) {
      LOG.debug("vCPU {}: wrmsr 0x{} = 0x{} refused: #GP", id, Integer.toHexString(msr), Long.toHexString(value));
    }
    return ok;
  }

  @Override
  public long tsc() {
    long ns = vm.clock().nanos();
    // TSC_KHZ ticks per millisecond, split so that the product cannot overflow.
    return ns / 1_000_000 * TSC_KHZ + (ns % 1_000_000) * TSC_KHZ / 1_000_000;
  }

  @Override
  public void pollTimers() {
    Vm.IrqChip chip = vm.irqChip();
    if (chip != null) {
      chip.tick();
    }
  }

  @Override
  public int acknowledgeInterrupt() {
    Vm.IrqChip chip = vm.irqChip();
    return chip == null ? -1 : chip.acknowledgeInterrupt(this);
  }

  @Override
  public boolean interruptPending() {
    Vm.IrqChip chip = vm.irqChip();
    return chip != null && chip.interruptPending(this);
  }

  @Override
  public void countExit(int vmxReason) {
    if (vmxReason >= 0 && vmxReason < exitCounts.length) {
      exitCounts[vmxReason]++;
    }
  }
}
