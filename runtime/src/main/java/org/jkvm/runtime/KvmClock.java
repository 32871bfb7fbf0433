package org.jkvm.runtime;

import org.jkvm.mmu.PhysicalMemory;

/**
 * KVM's paravirtual clock (Documentation/virt/kvm/x86/msr.rst, "kvmclock"): the guest gives the addresses of
 * a {@code pvclock_wall_clock} (MSR_KVM_WALL_CLOCK_NEW) and of a per-vCPU {@code pvclock_vcpu_time_info}
 * (MSR_KVM_SYSTEM_TIME_NEW, bit 0 = enable), and reads time from them plus the TSC. This is how a Linux guest
 * on KVM learns the TSC frequency without calibrating it. jkvm's TSC runs at a fixed rate from the VM clock,
 * so one update at enable time stays valid (PVCLOCK_TSC_STABLE_BIT).
 */
public final class KvmClock {
  private KvmClock() {}

  public static final int MSR_KVM_WALL_CLOCK_NEW = 0x4b56_4d00;
  public static final int MSR_KVM_SYSTEM_TIME_NEW = 0x4b56_4d01;
  /** CPUID 0x40000001 EAX bits. */
  public static final int KVM_FEATURE_CLOCKSOURCE2 = 1 << 3;
  public static final int KVM_FEATURE_CLOCKSOURCE_STABLE_BIT = 1 << 24;
  static final int PVCLOCK_TSC_STABLE_BIT = 1;

  /**
   * The multiplier and shift that turn TSC ticks into nanoseconds as the guest computes them:
   * ns = ((ticks shifted by shift) * mul) >> 32 (Linux's pvclock_scale_delta; KVM's kvm_get_time_scale).
   */
  static long[] scale(long tscKhz) {
    // ns per tick = 1e6 / kHz = (num / den) * 2^shift with num / den in [0.5, 1).
    long num = 1_000_000L;
    long den = tscKhz;
    int shift = 0;
    while (num >= den) {
      den <<= 1;
      shift++;
    }
    while (num * 2 < den) {
      num <<= 1;
      shift--;
    }
    return new long[] {(num << 32) / den, shift};
  }

  /** Writes the vCPU time info at {@code gpa}: version, tsc_timestamp, system_time, mul, shift, flags. */
  static void writeSystemTime(PhysicalMemory mem, long gpa, long tsc, long nanos, long tscKhz) {
    long[] s = scale(tscKhz);
    long version = mem.read(gpa, 4);
    version = (version | 1) + 1; // odd while updating, even (and changed) when done
    mem.write(gpa, 4, version - 1);
    mem.write(gpa + 8, 8, tsc);
    mem.write(gpa + 16, 8, nanos);
    mem.write(gpa + 24, 4, s[0]);
    mem.write(gpa + 28, 1, s[1]);
    mem.write(gpa + 29, 1, PVCLOCK_TSC_STABLE_BIT);
    mem.write(gpa, 4, version);
  }

  /** Writes the wall clock at {@code gpa}: the host's real time when the guest's clock read zero. */
  static void writeWallClock(PhysicalMemory mem, long gpa, long guestNanos) {
    long nowNs = System.currentTimeMillis() * 1_000_000L;
    long bootNs = nowNs - guestNanos;
    long version = (mem.read(gpa, 4) | 1) + 1;
    mem.write(gpa, 4, version - 1);
    mem.write(gpa + 4, 4, bootNs / 1_000_000_000L);
    mem.write(gpa + 8, 4, bootNs % 1_000_000_000L);
    mem.write(gpa, 4, version);
  }
}
