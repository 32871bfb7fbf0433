package org.jkvm.runtime.irqchip;

import java.util.ArrayList;
import java.util.List;
import org.jkvm.mmu.MmioHandler;
import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.GuestClock;
import org.jkvm.runtime.PortIoDevice;
import org.jkvm.runtime.Vcpu;
import org.jkvm.runtime.Vm;

/**
 * The interrupt controllers KVM keeps in the kernel for kvmtool (KVM_CREATE_IRQCHIP + KVM_CREATE_PIT2):
 * the PIC pair, the IOAPIC, one local APIC per vCPU and the PIT, with kvmtool's GSI routing (x86/irq.c):
 * GSI 0-15 go to the PIC inputs of the same number (but 2, the cascade), GSI 0-23 to the IOAPIC pins of the
 * same number, except GSI 0 → pin 2 and GSI 2 unrouted.
 *
 * <p>All state is guarded by one lock. Whenever an interrupt may have become deliverable, the vCPUs that
 * can take it get {@link CpuState#EVENT_INTR}, which also wakes them from HLT.
 */
public final class InKernelIrqChip implements Vm.IrqChip {
  public static final long IOAPIC_BASE = 0xFEC0_0000L;
  public static final long LAPIC_BASE = 0xFEE0_0000L;
  static final int MSR_IA32_APICBASE = 0x1B;
  static final int MSR_IA32_TSC_DEADLINE = 0x6E0;
  static final long APIC_BASE_BSP = 1L << 8;
  static final long APIC_BASE_EXTD = 1L << 10;
  static final long APIC_BASE_ENABLE = 1L << 11;

  private final Vm vm;
  private final GuestClock clock;
  private final long tscKhz;
  private final Object lock = new Object();
  final PicPair pic = new PicPair();
  final IoApic ioapic = new IoApic();
  final I8254Pit pit = new I8254Pit();
  private final List<LocalApic> lapics = new ArrayList<>();
  private final IoApic.Sink sink = this::deliverMessage;

  /** Creates the chips and registers their ports and MMIO windows on {@code vm}. */
  public InKernelIrqChip(Vm vm, GuestClock clock, long tscKhz) {
    this.vm = vm;
    this.clock = clock;
    this.tscKhz = tscKhz;
    vm.ioBus().register(0x20, 2, pic.masterPorts(lock, this::update), "pic-master");
    vm.ioBus().register(0xA0, 2, pic.slavePorts(lock, this::update), "pic-slave");
    vm.ioBus().register(0x4D0, 2, pic.elcrPorts(lock), "elcr");
    vm.ioBus().register(0x40, 4, new PitPorts(), "pit");
    vm.ioBus().register(0x61, 1, new Port61(), "pit-port61");
    vm.memory().addMmio(IOAPIC_BASE, 0x1000, new IoApicMmio());
    vm.memory().addMmio(LAPIC_BASE, 0x1000, new LapicMmio());
  }

  private LocalApic lapic(int vcpuId) {
    synchronized (lock) {
      while (lapics.size() <= vcpuId) {
        LocalApic a = new LocalApic(lapics.size());
        a.setLintsLikeKvmtool();
        lapics.add(a);
      }
      return lapics.get(vcpuId);
    }
  }

  public void setIrqLine(int gsi, boolean level) {
    synchronized (lock) {
      if (gsi < 16 && gsi != 2) {
        pic.setIrq(gsi, level);
      }
      int pin = gsi == 0 ? 2 : gsi == 2 ? -1 : gsi;
      if (pin >= 0 && pin < IoApic.PINS) {
        ioapic.setPin(pin, level, sink);
      }
    }
    update();
  }

  /** The PIC's INTR reaches vCPU 0 through LINT0 in ExtINT mode, or directly while its APIC is off. */
  private boolean acceptsPic(Vcpu v) {
    if (v.id() != 0) {
      return false;
    }
    LocalApic a = lapic(0);
    return !a.hwEnabled || ((a.lvtLint0 & LocalApic.APIC_LVT_MASKED) == 0
        && ((a.lvtLint0 >> 8) & 7) == LocalApic.APIC_MODE_EXTINT);
  }

  @Override
  public boolean interruptPending(Vcpu v) {
    synchronized (lock) {
      return (acceptsPic(v) && pic.output()) || lapic(v.id()).deliverable() >= 0;
    }
  }

  @Override
  public int acknowledgeInterrupt(Vcpu v) {
    synchronized (lock) {
      if (acceptsPic(v) && pic.output()) {
        return pic.acknowledge();
      }
      return lapic(v.id()).acknowledge();
    }
  }

  /** Raises EVENT_INTR on every vCPU that has something to take. */
  private void update() {
    for (Vcpu v : vm.vcpus()) {
      if (interruptPending(v)) {
        v.state().raiseEvent(CpuState.EVENT_INTR);
      }
    }
  }

  /** An interrupt message from the IOAPIC or an IPI. */
  private void deliverMessage(int vector, int mode, boolean logical, int dest, boolean level) {
    List<Vcpu> all = vm.vcpus();
    Vcpu lowest = null;
    for (Vcpu v : all) {
      LocalApic a = lapic(v.id());
      boolean match = logical ? a.matchLogical(dest) : a.matchPhysical(dest);
      if (!match) {
        continue;
      }
      if (mode == LocalApic.APIC_MODE_LOWEST) {
        if (lowest == null || a.ppr() < lapic(lowest.id()).ppr()) {
          lowest = v;
        }
        continue;
      }
      deliverTo(v, a, vector, mode, level);
    }
    if (lowest != null) {
      deliverTo(lowest, lapic(lowest.id()), vector, LocalApic.APIC_MODE_FIXED, level);
    }
  }

  private void deliverTo(Vcpu v, LocalApic a, int vector, int mode, boolean level) {
    CpuState c = v.state();
    switch (mode) {
      case LocalApic.APIC_MODE_FIXED:
      case LocalApic.APIC_MODE_LOWEST:
        if (a.accept(vector, level)) {
          c.raiseEvent(CpuState.EVENT_INTR);
        }
        break;
      case LocalApic.APIC_MODE_NMI:
        c.raiseEvent(CpuState.EVENT_NMI);
        break;
      case LocalApic.APIC_MODE_INIT:
        c.raiseEvent(CpuState.EVENT_INIT);
        break;
      case LocalApic.APIC_MODE_STARTUP:
        c.sipiVector = vector;
        c.raiseEvent(CpuState.EVENT_SIPI);
        break;
      case LocalApic.APIC_MODE_EXTINT:
        c.raiseEvent(CpuState.EVENT_INTR);
        break;
      default:
        break; // SMI: there is no SMM
    }
  }

  /** An ICR write: shorthand, destination, mode (SDM 11.6.1). */
  private void sendIpi(Vcpu from, LocalApic a) {
    int low = a.icrLow;
    int mode = (low >> 8) & 7;
    int vector = low & 0xFF;
    boolean logical = (low & (1 << 11)) != 0;
    boolean assert_ = (low & (1 << 14)) != 0;
    boolean levelTrig = (low & (1 << 15)) != 0;
    if (mode == LocalApic.APIC_MODE_INIT && levelTrig && !assert_) {
      return; // INIT level de-assert: nothing to do on modern processors
    }
    int dest = a.x2apic ? a.icrHigh : a.icrHigh >>> 24;
    int shorthand = (low >> 18) & 3;
    for (Vcpu v : vm.vcpus()) {
      LocalApic t = lapic(v.id());
      boolean hit;
      switch (shorthand) {
        case 1: hit = v == from; break;
        case 2: hit = true; break;
        case 3: hit = v != from; break;
        default: hit = logical ? t.matchLogical(a.x2apic ? dest : dest << 24 >>> 24) : t.matchPhysical(dest); break;
      }
      if (hit) {
        deliverTo(v, t, vector, mode == LocalApic.APIC_MODE_LOWEST ? LocalApic.APIC_MODE_FIXED : mode, false);
      }
    }
  }

  private void doWrite(Vcpu v, LocalApic a, int off, int value) {
    int w = a.write(off, value, clock.nanos());
    if (w == LocalApic.W_EOI) {
      int level = a.eoi();
      if (level >= 0) {
        ioapic.eoi(level, sink);
      }
      pic.output(); // nothing to re-evaluate on the PIC: EOIs to it go through its own ports
    } else if (w == LocalApic.W_IPI) {
      sendIpi(v, a);
    }
  }

  // ---- timers ----

  @Override
  public void tick() {
    long now = clock.nanos();
    synchronized (lock) {
      I8254Pit.Counter c0 = pit.counters[0];
      if (now >= c0.nextEdge) {
        pic.setIrq(0, true);
        pic.setIrq(0, false);
        ioapic.setPin(2, true, sink);
        ioapic.setPin(2, false, sink);
        pit.planEdge(c0, now);
      }
      for (int i = 0; i < lapics.size(); i++) {
        LocalApic a = lapics.get(i);
        fireApicTimer(a, now);
      }
    }
    update();
  }

  private void fireApicTimer(LocalApic a, long now) {
    long deadline = apicDeadline(a);
    if (now < deadline) {
      return;
    }
    if ((a.lvtTimer & LocalApic.APIC_LVT_MASKED) == 0) {
      a.accept(a.lvtTimer & 0xFF, false);
    }
    if (a.timerMode() == LocalApic.TIMER_TSCDEADLINE) {
      a.tscDeadline = 0;
    } else if (a.timerMode() == LocalApic.TIMER_PERIODIC && a.tmict != 0) {
      long period = (a.tmict & 0xFFFF_FFFFL) * a.divide();
      long periods = (now - a.timerStart) / period + 1;
      a.timerStart += (periods - 1) * period;
      a.timerDeadline = a.timerStart + period; // missed periods are coalesced
      a.timerStart = a.timerDeadline - period;
    } else {
      a.timerDeadline = Long.MAX_VALUE;
    }
  }

  /** The guest time at which the APIC timer fires next. */
  private long apicDeadline(LocalApic a) {
    if (a.timerMode() == LocalApic.TIMER_TSCDEADLINE) {
      if (a.tscDeadline == 0) {
        return Long.MAX_VALUE;
      }
      // TSC ticks to guest nanoseconds: ticks * 1e6 / kHz.
      long t = a.tscDeadline;
      return t / tscKhz * 1_000_000L + (t % tscKhz) * 1_000_000L / tscKhz;
    }
    return a.timerDeadline;
  }

  @Override
  public long nanosToNextTimer() {
    long now = clock.nanos();
    long next;
    synchronized (lock) {
      next = pit.counters[0].nextEdge;
      for (LocalApic a : lapics) {
        next = Math.min(next, apicDeadline(a));
      }
    }
    return next == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(0, next - now);
  }

  // ---- CR8: the TPR's priority class ----

  @Override
  public long readCr8(Vcpu v) {
    LocalApic a = lapic(v.id());
    synchronized (lock) {
      return (a.tpr >>> 4) & 0xF;
    }
  }

  @Override
  public void writeCr8(Vcpu v, long value) {
    LocalApic a = lapic(v.id());
    synchronized (lock) {
      a.tpr = (int) (value & 0xF) << 4;
    }
    v.state().cr8 = value & 0xF;
    update();
  }

  // ---- MSRs: x2APIC, TSC deadline, APIC base ----

  @Override
  public boolean rdmsr(Vcpu v, int msr, long[] out) {
    LocalApic a = lapic(v.id());
    synchronized (lock) {
      if (msr == MSR_IA32_APICBASE) {
        out[0] = v.state().apicBase;
        return true;
      }
      if (msr == MSR_IA32_TSC_DEADLINE) {
        out[0] = a.tscDeadline;
        return true;
      }
      if (msr >= 0x800 && msr <= 0x8FF) {
        if (!a.x2apic) {
          return false;
        }
        int off = (msr - 0x800) << 4;
        if (off == LocalApic.APIC_ICR) {
          out[0] = (a.icrLow & 0xFFFF_FFFFL) | ((long) a.icrHigh << 32);
          return true;
        }
        if (off == LocalApic.APIC_EOI || off == LocalApic.APIC_DFR || off == LocalApic.APIC_ICR2
            || off == LocalApic.APIC_SELF_IPI || off == LocalApic.APIC_ARBPRI || off == LocalApic.APIC_RRR) {
          return false; // write-only or absent in x2APIC mode: #GP
        }
        out[0] = a.read(off, clock.nanos());
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean wrmsr(Vcpu v, int msr, long value) {
    LocalApic a = lapic(v.id());
    synchronized (lock) {
      if (msr == MSR_IA32_APICBASE) {
        return writeApicBase(v, a, value);
      }
      if (msr == MSR_IA32_TSC_DEADLINE) {
        if (a.timerMode() == LocalApic.TIMER_TSCDEADLINE) {
          a.tscDeadline = value;
        }
      } else if (msr >= 0x800 && msr <= 0x8FF) {
        if (!a.x2apic) {
          return false;
        }
        int off = (msr - 0x800) << 4;
        if (off == LocalApic.APIC_ICR) {
          a.icrHigh = (int) (value >>> 32);
          doWrite(v, a, off, (int) value);
        } else if (off == LocalApic.APIC_ID || off == LocalApic.APIC_LDR || off == LocalApic.APIC_LVR
            || off == LocalApic.APIC_PROCPRI || off == LocalApic.APIC_TMCCT || off == LocalApic.APIC_ICR2
            || off == LocalApic.APIC_DFR || (off >= LocalApic.APIC_ISR && off < LocalApic.APIC_ESR)) {
          return false; // read-only in x2APIC mode: #GP
        } else if ((value >>> 32) != 0 || (off == LocalApic.APIC_EOI && value != 0)) {
          return false; // reserved bits
        } else {
          doWrite(v, a, off, (int) value);
        }
      } else {
        return false;
      }
    }
    update();
    return true;
  }

  /** IA32_APIC_BASE (SDM 11.12.5): enable/disable and the xAPIC to x2APIC transitions. */
  private boolean writeApicBase(Vcpu v, LocalApic a, long value) {
    long reserved = ~(0xF_FFFF_F000L | APIC_BASE_BSP | APIC_BASE_EXTD | APIC_BASE_ENABLE);
    if ((value & reserved) != 0) {
      return false;
    }
    boolean en = (value & APIC_BASE_ENABLE) != 0;
    boolean extd = (value & APIC_BASE_EXTD) != 0;
    if (extd && !en) {
      return false; // x2APIC without the APIC enabled is invalid
    }
    if (a.x2apic && en && !extd) {
      return false; // x2APIC back to xAPIC must go through disabled
    }
    if ((value & ~0xFFFL) != (v.state().apicBase & ~0xFFFL)) {
      // Relocating the APIC is not supported (the MMIO window stays put): refuse as #GP.
      return false;
    }
    a.hwEnabled = en;
    a.x2apic = extd;
    v.state().apicBase = value;
    return true;
  }

  // ---- port and MMIO front ends ----

  private final class PitPorts implements PortIoDevice {
    @Override
    public long in(int offset, int size) {
      synchronized (lock) {
        return pit.read(offset, clock.nanos());
      }
    }

    @Override
    public void out(int offset, int size, long value) {
      synchronized (lock) {
        pit.write(offset, (int) value, clock.nanos());
      }
    }
  }

  private final class Port61 implements PortIoDevice {
    @Override
    public long in(int offset, int size) {
      synchronized (lock) {
        return pit.readPort61(clock.nanos());
      }
    }

    @Override
    public void out(int offset, int size, long value) {
      synchronized (lock) {
        pit.writePort61((int) value, clock.nanos());
      }
    }
  }

  private final class IoApicMmio implements MmioHandler {
    @Override
    public long read(long offset, int size) {
      synchronized (lock) {
        return ioapic.read(offset);
      }
    }

    @Override
    public void write(long offset, int size, long value) {
      synchronized (lock) {
        ioapic.write(offset, value, sink);
      }
      update();
    }
  }

  /** xAPIC registers of the accessing vCPU's own APIC; 32-bit accesses to 16-byte aligned registers. */
  private final class LapicMmio implements MmioHandler {
    @Override
    public long read(long offset, int size) {
      Vcpu v = Vcpu.current();
      if (v == null) {
        return 0;
      }
      LocalApic a = lapic(v.id());
      synchronized (lock) {
        if (a.x2apic || !a.hwEnabled) {
          return 0xFFFF_FFFFL; // the MMIO interface is off in x2APIC mode and when disabled
        }
        long r = a.read((int) offset & 0xFF0, clock.nanos());
        return size < 4 ? r >>> (8 * (offset & 3)) : r;
      }
    }

    @Override
    public void write(long offset, int size, long value) {
      Vcpu v = Vcpu.current();
      if (v == null || (offset & 0xF) != 0) {
        return;
      }
      LocalApic a = lapic(v.id());
      synchronized (lock) {
        if (a.x2apic || !a.hwEnabled) {
          return;
        }
        doWrite(v, a, (int) offset & 0xFF0, (int) value);
      }
      update();
    }
  }
}
