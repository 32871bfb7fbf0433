package org.jkvm.runtime.irqchip;

/**
 * The local APIC of one vCPU (Intel SDM Vol. 3A, chapter 11 "Advanced Programmable Interrupt Controller"
 * and chapter 11.12 "Extended XAPIC (x2APIC)"): xAPIC registers through MMIO at 0xFEE00000, x2APIC
 * registers through MSRs 0x800-0x8FF, the timer in one-shot, periodic and TSC-deadline modes, LINT0/LINT1,
 * IPIs, EOI with the IOAPIC broadcast for level-triggered vectors, TPR/PPR priorities.
 *
 * <p>The timer counts at 1 GHz divided by the divide configuration (KVM's APIC bus is 1 GHz too).
 *
 * <p>Ambiguities and choices: the APIC base cannot be relocated (the MMIO window stays at 0xFEE00000);
 * directed EOI and EOI-broadcast suppression are not offered (version register says so); ESR records
 * nothing; CMCI, thermal and performance LVTs are kept but never fire.
 */
final class LocalApic {
  // Register offsets (xAPIC MMIO), Linux's apicdef.h names.
  static final int APIC_ID = 0x20;
  static final int APIC_LVR = 0x30;
  static final int APIC_TASKPRI = 0x80;
  static final int APIC_ARBPRI = 0x90;
  static final int APIC_PROCPRI = 0xA0;
  static final int APIC_EOI = 0xB0;
  static final int APIC_RRR = 0xC0;
  static final int APIC_LDR = 0xD0;
  static final int APIC_DFR = 0xE0;
  static final int APIC_SPIV = 0xF0;
  static final int APIC_ISR = 0x100;
  static final int APIC_TMR = 0x180;
  static final int APIC_IRR = 0x200;
  static final int APIC_ESR = 0x280;
  static final int APIC_LVTCMCI = 0x2F0;
  static final int APIC_ICR = 0x300;
  static final int APIC_ICR2 = 0x310;
  static final int APIC_LVTT = 0x320;
  static final int APIC_LVTTHMR = 0x330;
  static final int APIC_LVTPC = 0x340;
  static final int APIC_LVT0 = 0x350;
  static final int APIC_LVT1 = 0x360;
  static final int APIC_LVTERR = 0x370;
  static final int APIC_TMICT = 0x380;
  static final int APIC_TMCCT = 0x390;
  static final int APIC_TDCR = 0x3E0;
  static final int APIC_SELF_IPI = 0x3F0;

  static final int APIC_LVT_MASKED = 1 << 16;
  static final int APIC_SPIV_APIC_ENABLED = 1 << 8;
  static final int APIC_MODE_FIXED = 0;
  static final int APIC_MODE_LOWEST = 1;
  static final int APIC_MODE_SMI = 2;
  static final int APIC_MODE_NMI = 4;
  static final int APIC_MODE_INIT = 5;
  static final int APIC_MODE_STARTUP = 6;
  static final int APIC_MODE_EXTINT = 7;
  static final int TIMER_ONESHOT = 0;
  static final int TIMER_PERIODIC = 1;
  static final int TIMER_TSCDEADLINE = 2;
  /** Version 0x14 (integrated APIC), max LVT entry 5 (timer, thermal, perf, LINT0, LINT1, error). */
  static final int VERSION = 0x0005_0014;

  final int id;
  boolean hwEnabled = true;
  boolean x2apic;
  int tpr;
  int ldr;
  int dfr = 0xFFFF_FFFF;
  int svr = 0xFF;
  final int[] isr = new int[8];
  final int[] tmr = new int[8];
  final int[] irr = new int[8];
  int icrLow;
  int icrHigh;
  int lvtTimer = APIC_LVT_MASKED;
  int lvtThermal = APIC_LVT_MASKED;
  int lvtPerf = APIC_LVT_MASKED;
  int lvtLint0 = APIC_LVT_MASKED;
  int lvtLint1 = APIC_LVT_MASKED;
  int lvtError = APIC_LVT_MASKED;
  int lvtCmci = APIC_LVT_MASKED;
  int esr;
  int tmict;
  int tdcr;
  /** One-shot/periodic: guest time the count was loaded, and when it next reaches zero. */
  long timerStart;
  long timerDeadline = Long.MAX_VALUE;
  /** TSC-deadline mode: the IA32_TSC_DEADLINE value (0 disarmed). */
  long tscDeadline;

  LocalApic(int id) {
    this.id = id;
  }

  /** kvmtool's kvm_cpu__set_lint: LINT0 ExtINT (the PIC), LINT1 NMI. */
  void setLintsLikeKvmtool() {
    lvtLint0 = APIC_MODE_EXTINT << 8;
    lvtLint1 = APIC_MODE_NMI << 8;
  }

  boolean swEnabled() {
    return (svr & APIC_SPIV_APIC_ENABLED) != 0;
  }

  int divide() {
    int d = (tdcr & 3) | ((tdcr & 8) >> 1);
    return d == 7 ? 1 : 2 << d;
  }

  int timerMode() {
    return (lvtTimer >> 17) & 3;
  }

  // ---- 256-bit vector sets ----

  static boolean test(int[] set, int v) {
    return (set[v >> 5] & (1 << (v & 31))) != 0;
  }

  static void set(int[] set, int v) {
    set[v >> 5] |= 1 << (v & 31);
  }

  static void clear(int[] set, int v) {
    set[v >> 5] &= ~(1 << (v & 31));
  }

  static int highest(int[] set) {
    for (int w = 7; w >= 0; w--) {
      if (set[w] != 0) {
        return w * 32 + 31 - Integer.numberOfLeadingZeros(set[w]);
      }
    }
    return -1;
  }

  int ppr() {
    int isrv = highest(isr);
    int isrClass = isrv < 0 ? 0 : isrv & 0xF0;
    return (tpr & 0xF0) >= isrClass ? tpr & 0xFF : isrClass;
  }

  /** The vector that would be taken now, or -1. */
  int deliverable() {
    if (!hwEnabled) {
      return -1;
    }
    int v = highest(irr);
    if (v < 0 || (v & 0xF0) <= (ppr() & 0xF0)) {
      return -1;
    }
    return v;
  }

  /** INTA: IRR to ISR. */
  int acknowledge() {
    int v = deliverable();
    if (v >= 0) {
      clear(irr, v);
      set(isr, v);
    }
    return v;
  }

  /** Accepts a fixed-mode interrupt; returns false for an illegal vector. */
  boolean accept(int vector, boolean level) {
    if (!hwEnabled) {
      return false;
    }
    if (vector < 16) {
      esr |= 1 << 6; // received illegal vector
      return false;
    }
    set(irr, vector);
    if (level) {
      set(tmr, vector);
    } else {
      clear(tmr, vector);
    }
    return true;
  }

  /** EOI: retires the highest in-service vector; returns it if it was level-triggered (for the IOAPIC). */
  int eoi() {
    int v = highest(isr);
    if (v < 0) {
      return -1;
    }
    clear(isr, v);
    return test(tmr, v) ? v : -1;
  }

  /** Logical destination match (SDM 11.6.2.2), flat and cluster models, x2APIC cluster format. */
  boolean matchLogical(int dest) {
    if (x2apic) {
      int cluster = id >>> 4;
      return (dest >>> 16) == cluster && (dest & 0xFFFF & (1 << (id & 0xF))) != 0 || dest == -1;
    }
    int d = dest & 0xFF;
    int l = ldr >>> 24;
    if ((dfr >>> 28) == 0xF) {
      return (d & l) != 0; // flat
    }
    return (d >>> 4) == (l >>> 4) && (d & l & 0xF) != 0 || d == 0xFF; // cluster
  }

  boolean matchPhysical(int dest) {
    return x2apic ? dest == id || dest == -1 : (dest & 0xFF) == id || (dest & 0xFF) == 0xFF;
  }

  // ---- timer ----

  void startTimer(long now) {
    if (timerMode() == TIMER_TSCDEADLINE) {
      timerDeadline = Long.MAX_VALUE;
      return;
    }
    timerStart = now;
    timerDeadline = tmict == 0 ? Long.MAX_VALUE : now + (long) (tmict & 0xFFFF_FFFFL) * divide();
  }

  int currentCount(long now) {
    if (timerMode() == TIMER_TSCDEADLINE || tmict == 0 || timerDeadline == Long.MAX_VALUE) {
      return 0;
    }
    long period = (long) (tmict & 0xFFFF_FFFFL) * divide();
    long elapsed = now - timerStart;
    if (timerMode() == TIMER_PERIODIC) {
      elapsed %= period;
    } else if (elapsed >= period) {
      return 0;
    }
    return (int) ((period - elapsed) / divide());
  }

  /** Register read at xAPIC offset {@code off} (also the x2APIC MSR's offset). */
  long read(int off, long now) {
    switch (off) {
      case APIC_ID: return x2apic ? id : (long) id << 24;
      case APIC_LVR: return VERSION;
      case APIC_TASKPRI: return tpr;
      case APIC_ARBPRI: return 0;
      case APIC_PROCPRI: return ppr();
      case APIC_LDR: return x2apic ? ((id >>> 4) << 16) | (1 << (id & 0xF)) : ldr;
      case APIC_DFR: return x2apic ? 0 : dfr;
      case APIC_SPIV: return svr;
      case APIC_ESR: return esr;
      case APIC_ICR: return icrLow;
      case APIC_ICR2: return icrHigh;
      case APIC_LVTT: return lvtTimer;
      case APIC_LVTTHMR: return lvtThermal;
      case APIC_LVTPC: return lvtPerf;
      case APIC_LVT0: return lvtLint0;
      case APIC_LVT1: return lvtLint1;
      case APIC_LVTERR: return lvtError;
      case APIC_LVTCMCI: return lvtCmci;
      case APIC_TMICT: return tmict & 0xFFFF_FFFFL;
      case APIC_TMCCT: return currentCount(now) & 0xFFFF_FFFFL;
      case APIC_TDCR: return tdcr;
      default:
        if (off >= APIC_ISR && off < APIC_ISR + 0x80) {
          return isr[(off - APIC_ISR) >> 4] & 0xFFFF_FFFFL;
        }
        if (off >= APIC_TMR && off < APIC_TMR + 0x80) {
          return tmr[(off - APIC_TMR) >> 4] & 0xFFFF_FFFFL;
        }
        if (off >= APIC_IRR && off < APIC_IRR + 0x80) {
          return irr[(off - APIC_IRR) >> 4] & 0xFFFF_FFFFL;
        }
        return 0;
    }
  }

  /** What a register write asks of the chip set beyond this APIC. */
  static final int W_NONE = 0;
  static final int W_EOI = 1;
  static final int W_IPI = 2;

  /** Register write; returns W_* for work the irqchip must do (EOI broadcast, IPI). */
  int write(int off, int v, long now) {
    switch (off) {
      case APIC_ID:
        if (!x2apic) {
          // The xAPIC ID is writable on some parts; KVM allows it. Keep it fixed: MP tables name it.
        }
        return W_NONE;
      case APIC_TASKPRI:
        tpr = v & 0xFF;
        return W_NONE;
      case APIC_EOI:
        return W_EOI;
      case APIC_LDR:
        if (!x2apic) {
          ldr = v & 0xFF00_0000;
        }
        return W_NONE;
      case APIC_DFR:
        if (!x2apic) {
          dfr = v | 0x0FFF_FFFF;
        }
        return W_NONE;
      case APIC_SPIV:
        svr = v & 0x13FF & ~(1 << 12); // no EOI-broadcast suppression
        if (!swEnabled()) {
          // Software disable masks every LVT (SDM 11.4.7.2).
          lvtTimer |= APIC_LVT_MASKED;
          lvtThermal |= APIC_LVT_MASKED;
          lvtPerf |= APIC_LVT_MASKED;
          lvtLint0 |= APIC_LVT_MASKED;
          lvtLint1 |= APIC_LVT_MASKED;
          lvtError |= APIC_LVT_MASKED;
          lvtCmci |= APIC_LVT_MASKED;
        }
        return W_NONE;
      case APIC_ESR:
        esr = 0;
        return W_NONE;
      case APIC_ICR:
        icrLow = v & ~(1 << 12); // delivery is instant: never "send pending"
        return W_IPI;
      case APIC_ICR2:
        icrHigh = v;
        return W_NONE;
      case APIC_LVTT: {
        int oldMode = timerMode();
        lvtTimer = lvt(v & (0x70000 | 0x10FF | 0x6_0000));
        if (timerMode() != oldMode) {
          timerDeadline = Long.MAX_VALUE;
          tscDeadline = 0;
        }
        return W_NONE;
      }
      case APIC_LVTTHMR: lvtThermal = lvt(v & 0x107FF); return W_NONE;
      case APIC_LVTPC: lvtPerf = lvt(v & 0x107FF); return W_NONE;
      case APIC_LVT0: lvtLint0 = lvt(v & 0x1A7FF); return W_NONE;
      case APIC_LVT1: lvtLint1 = lvt(v & 0x1A7FF); return W_NONE;
      case APIC_LVTERR: lvtError = lvt(v & 0x100FF); return W_NONE;
      case APIC_LVTCMCI: lvtCmci = lvt(v & 0x107FF); return W_NONE;
      case APIC_TMICT:
        tmict = v;
        startTimer(now);
        return W_NONE;
      case APIC_TDCR:
        tdcr = v & 0xB;
        return W_NONE;
      case APIC_SELF_IPI:
        if (x2apic) {
          icrLow = v & 0xFF | (1 << 18); // fixed, self
          return W_IPI;
        }
        return W_NONE;
      default:
        return W_NONE; // read-only or reserved
    }
  }

  /** An LVT write while the APIC is software-disabled keeps the mask set. */
  private int lvt(int v) {
    return swEnabled() ? v : v | APIC_LVT_MASKED;
  }
}
