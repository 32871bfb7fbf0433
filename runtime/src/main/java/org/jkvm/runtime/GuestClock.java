package org.jkvm.runtime;

import java.util.function.LongSupplier;

/**
 * The time base of a VM, in nanoseconds since the VM started. The TSC, the PIT, the local APIC timers and
 * kvmclock all read it, so they agree with each other.
 *
 * <p>{@link #host()} follows host time. {@link #virtual(LongSupplier)} follows the guest's retired
 * instruction count (one nanosecond per instruction) plus the time skipped while every vCPU was halted, so
 * that a run is repeatable: the same guest instructions see the same times.
 */
public abstract class GuestClock {
  /** Guest nanoseconds since the VM started. */
  public abstract long nanos();

  /** True for the deterministic clock: a halted vCPU jumps to the next timer instead of sleeping. */
  public abstract boolean isVirtual();

  /** Called by a vCPU that would sleep {@code nanos} in HLT; the virtual clock skips that time at once. */
  public void skipIdle(long nanos) {
  }

  public static GuestClock host() {
    return new Host();
  }

  public static GuestClock virtual(LongSupplier instructions) {
    return new Virtual(instructions);
  }

  private static final class Host extends GuestClock {
    private final long start = System.nanoTime();

    @Override
    public long nanos() {
      return System.nanoTime() - start;
    }

    @Override
    public boolean isVirtual() {
      return false;
    }
  }

  private static final class Virtual extends GuestClock {
    private final LongSupplier instructions;
    private volatile long skipped;

    Virtual(LongSupplier instructions) {
      this.instructions = instructions;
    }

    @Override
    public long nanos() {
      return instructions.getAsLong() + skipped;
    }

    @Override
    public boolean isVirtual() {
      return true;
    }

    @Override
    public synchronized void skipIdle(long nanos) {
      if (nanos > 0 && nanos != Long.MAX_VALUE) {
        skipped += nanos;
      }
    }
  }
}
