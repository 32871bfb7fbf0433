package org.jkvm.translator.difftest;

import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.ExitHooks;
import org.jkvm.runtime.Vcpu;

/**
 * The vCPU's exit hooks with an instruction budget per case: every engine calls {@link #pollTimers} every
 * few thousand guest instructions, and once a case has retired more than its budget the vCPU is asked to
 * stop, so a case that loops ends with {@code INTR} instead of hanging the tester. Everything else goes
 * to the vCPU unchanged.
 */
final class BudgetHooks implements ExitHooks {
  private final Vcpu vcpu;
  private long limit = Long.MAX_VALUE;
  private boolean exhausted;

  BudgetHooks(Vcpu vcpu) {
    this.vcpu = vcpu;
  }

  /** Starts a case that may retire {@code budget} instructions. */
  void start(long budget) {
    limit = vcpu.instructionsRetired() + budget;
    exhausted = false;
  }

  /** Whether the last case ran out of its budget. */
  boolean exhausted() {
    return exhausted;
  }

  @Override
  public void pollTimers() {
    if (vcpu.instructionsRetired() > limit) {
      exhausted = true;
      vcpu.requestStop();
    }
    vcpu.pollTimers();
  }

  @Override
  public long portIn(int port, int size) {
    return vcpu.portIn(port, size);
  }

  @Override
  public void portOut(int port, int size, long value) {
    vcpu.portOut(port, size, value);
  }

  @Override
  public void cpuid(CpuState c) {
    vcpu.cpuid(c);
  }

  @Override
  public boolean rdmsr(CpuState c, int msr, long[] out) {
    return vcpu.rdmsr(c, msr, out);
  }

  @Override
  public boolean wrmsr(CpuState c, int msr, long value) {
    return vcpu.wrmsr(c, msr, value);
  }

  @Override
  public long tsc() {
    return vcpu.tsc();
  }

  @Override
  public int acknowledgeInterrupt() {
    return vcpu.acknowledgeInterrupt();
  }

  @Override
  public boolean interruptPending() {
    return vcpu.interruptPending();
  }

  @Override
  public long readCr8(CpuState c) {
    return vcpu.readCr8(c);
  }

  @Override
  public void writeCr8(CpuState c, long value) {
    vcpu.writeCr8(c, value);
  }

  @Override
  public void countExit(int vmxReason) {
    vcpu.countExit(vmxReason);
  }
}
