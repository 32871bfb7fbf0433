package org.jkvm.runtime;

/**
 * What the backend calls for the instructions that leave the guest on VMX hardware and that KVM handles
 * in the kernel (port I/O to registered devices, CPUID, MSRs, TSC, interrupt acknowledge). Each call counts
 * as an exit of its VMX reason in the statistics. Implemented by {@link Vcpu}; calls come only from the
 * vCPU's own thread.
 */
public interface ExitHooks {
  /** IN: reads {@code size} bytes from {@code port}. Unclaimed ports read as all-ones. */
  long portIn(int port, int size);

  /** OUT: writes the low {@code size} bytes of {@code value} to {@code port}. */
  void portOut(int port, int size, long value);

  /** CPUID: replaces EAX, EBX, ECX, EDX with the leaf selected by EAX and ECX. */
  void cpuid(CpuState c);

  /** RDMSR: returns false if the MSR does not exist, which the caller turns into #GP(0). */
  boolean rdmsr(CpuState c, int msr, long[] out);

  /** WRMSR: returns false for an unknown MSR or a reserved value, which the caller turns into #GP(0). */
  boolean wrmsr(CpuState c, int msr, long value);

  /** The guest's time-stamp counter, before {@link CpuState#tscOffset} is added. */
  long tsc();

  /**
   * Acknowledges the highest-priority pending maskable interrupt, as the INTA cycle does, and returns its
   * vector; -1 if there is none any more (it was withdrawn).
   */
  int acknowledgeInterrupt();

  /** True if a maskable interrupt is pending for this vCPU (does not acknowledge it). */
  boolean interruptPending();

  /** Fires due timers (PIT, local APIC); the backend calls it every few thousand instructions. */
  void pollTimers();

  /** MOV from CR8 (64-bit mode): the task priority, kept by the local APIC when there is one. */
  default long readCr8(CpuState c) {
    return c.cr8;
  }

  /** MOV to CR8: already checked for reserved bits. */
  default void writeCr8(CpuState c, long value) {
    c.cr8 = value;
  }

  /** Counts an exit that the backend handled itself (e.g. INVLPG, CR access), by VMX basic exit reason. */
  void countExit(int vmxReason);
}
