package org.jkvm.runtime;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.jkvm.mmu.PhysicalMemory;

/**
 * A virtual machine: guest physical memory, the port I/O bus, interrupt lines and its vCPUs
 * (KVM's VM file descriptor).
 */
public final class Vm {
  private final Hypervisor hypervisor;
  private final PhysicalMemory memory = new PhysicalMemory();
  private final IoBus ioBus = new IoBus();
  private final List<Vcpu> vcpus = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<Vcpu> vcpuView = Collections.unmodifiableList(vcpus);
  private volatile IrqChip irqChip;
  private volatile GuestClock clock = GuestClock.host();

  private volatile int systemEventType;
  private volatile int systemEventStatus;

  Vm(Hypervisor hypervisor) {
    this.hypervisor = hypervisor;
  }

  public PhysicalMemory memory() {
    return memory;
  }

  public IoBus ioBus() {
    return ioBus;
  }

  /** KVM_SET_USER_MEMORY_REGION for RAM. */
  public void addRam(long gpa, long size) {
    memory.addRam(gpa, size);
  }

  /** KVM_CREATE_VCPU. */
  public synchronized Vcpu createVcpu() {
    Vcpu v = new Vcpu(this, vcpus.size(), hypervisor.backend());
    vcpus.add(v);
    if (vcpus.size() > 1) {
      // From the second vCPU on, locked instructions must be atomic across threads.
      for (Vcpu each : vcpus) {
        each.state().atomics = true;
      }
    }
    return v;
  }

  /** The vCPUs, in id order; a live read-only view (vCPUs are only ever added). */
  public List<Vcpu> vcpus() {
    return vcpuView;
  }

  public GuestClock clock() {
    return clock;
  }

  /** Chooses the time base; before the vCPUs run. */
  public void setClock(GuestClock clock) {
    this.clock = clock;
  }

  /** KVM_CREATE_IRQCHIP: installs the in-kernel interrupt controllers. */
  public void setIrqChip(IrqChip chip) {
    this.irqChip = chip;
  }

  public IrqChip irqChip() {
    return irqChip;
  }

  /**
   * KVM_IRQ_LINE: sets the level of global system interrupt {@code gsi}. Without an irqchip the call is
   * ignored, as KVM refuses it.
   */
  public void irqLine(int gsi, boolean level) {
    IrqChip c = irqChip;
    if (c != null) {
      c.setIrqLine(gsi, level);
    }
  }

  /**
   * Ends the VM the way a KVM_EXIT_SYSTEM_EVENT does: every vCPU leaves {@link Vcpu#run()} with
   * {@link ExitReason#SYSTEM_EVENT}. {@code status} is the exit status the VMM should end with.
   */
  public void requestSystemEvent(int type, int status) {
    systemEventStatus = status;
    systemEventType = type;
    for (Vcpu v : vcpus()) {
      v.kick();
    }
  }

  /** The pending system event type (RunState.SYSTEM_EVENT_*), 0 if none. */
  public int systemEventType() {
    return systemEventType;
  }

  public int systemEventStatus() {
    return systemEventStatus;
  }

  /** The in-kernel interrupt controllers as the VM sees them (KVM_CREATE_IRQCHIP). */
  public interface IrqChip {
    /** Sets the level of a GSI; edge-triggered inputs act on the rising edge. */
    void setIrqLine(int gsi, boolean level);

    /** True if a maskable interrupt is pending for {@code vcpu}. */
    boolean interruptPending(Vcpu vcpu);

    /** INTA for {@code vcpu}: returns the vector, or -1 if none is pending any more. */
    int acknowledgeInterrupt(Vcpu vcpu);

    /** Reads or writes an MSR the chips own (x2APIC); returns false if it is not theirs. */
    default boolean rdmsr(Vcpu vcpu, int msr, long[] out) {
      return false;
    }

    default boolean wrmsr(Vcpu vcpu, int msr, long value) {
      return false;
    }

    /** Nanoseconds until the next timer of any chip fires, or Long.MAX_VALUE; lets HLT sleep exactly. */
    default long nanosToNextTimer() {
      return Long.MAX_VALUE;
    }

    /** Fires the timers that are due by the VM clock. Called by vCPUs between blocks and after HLT. */
    default void tick() {
    }
  }
}
