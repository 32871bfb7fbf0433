package org.jkvm.runtime.irqchip;

/**
 * Intel 82093AA I/O APIC (datasheet 290566-001, "82093AA I/O Advanced Programmable Interrupt Controller
 * (IOAPIC)", May 1996), 24 inputs, at 0xFEC00000: IOREGSEL at offset 0x00, IOWIN at 0x10, and the EOI
 * register at 0x40 of later versions (KVM reports version 0x11).
 *
 * <p>Redirection table entry (64 bits):
 * <pre>
 *   63:56 destination | 16 mask | 15 trigger (1 level) | 14 remote IRR | 13 polarity (1 low)
 *   12 delivery status | 11 destination mode (1 logical) | 10:8 delivery mode | 7:0 vector
 * </pre>
 *
 * <p>Ambiguities and choices: polarity is taken as already applied by the board (GSIs are driven active
 * high, as KVM assumes); delivery status is never shown busy; a level interrupt is re-delivered at EOI while
 * its line is still asserted (remote IRR protocol).
 */
final class IoApic {
  static final int PINS = 24;
  static final int IOAPIC_REG_ID = 0x00;
  static final int IOAPIC_REG_VERSION = 0x01;
  static final int IOAPIC_REG_ARB = 0x02;
  static final int IOAPIC_REDIR_TABLE = 0x10;
  static final long RTE_MASK = 1L << 16;
  static final long RTE_LEVEL = 1L << 15;
  static final long RTE_REMOTE_IRR = 1L << 14;

  /** Delivers an interrupt message: vector, delivery mode, logical?, destination, level-triggered. */
  interface Sink {
    void deliver(int vector, int deliveryMode, boolean logical, int dest, boolean level);
  }

  int id;
  int ioregsel;
  final long[] rte = new long[PINS];
  int lines;

  IoApic() {
    for (int i = 0; i < PINS; i++) {
      rte[i] = RTE_MASK;
    }
  }

  /** Drives pin {@code pin}; edges are delivered on the rising edge, levels while high. */
  void setPin(int pin, boolean level, Sink sink) {
    int bit = 1 << pin;
    boolean was = (lines & bit) != 0;
    lines = level ? lines | bit : lines & ~bit;
    long e = rte[pin];
    if ((e & RTE_LEVEL) != 0) {
      if (level) {
        service(pin, sink);
      }
    } else if (level && !was) {
      service(pin, sink);
    }
  }

  private void service(int pin, Sink sink) {
    long e = rte[pin];
    if ((e & RTE_MASK) != 0) {
      return;
    }
    boolean lvl = (e & RTE_LEVEL) != 0;
    if (lvl) {
      if ((e & RTE_REMOTE_IRR) != 0) {
        return;
      }
      rte[pin] = e | RTE_REMOTE_IRR;
    }
    sink.deliver((int) e & 0xFF, (int) (e >> 8) & 7, (e & (1L << 11)) != 0, (int) (e >>> 56), lvl);
  }

  /** The local APIC's EOI broadcast for {@code vector}: clears remote IRR and re-delivers asserted levels. */
  void eoi(int vector, Sink sink) {
    for (int pin = 0; pin < PINS; pin++) {
      long e = rte[pin];
      if ((e & 0xFF) == vector && (e & RTE_REMOTE_IRR) != 0) {
        rte[pin] = e & ~RTE_REMOTE_IRR;
        if ((lines & (1 << pin)) != 0) {
          service(pin, sink);
        }
      }
    }
  }

  long read(long offset) {
    switch ((int) offset) {
      case 0x00:
        return ioregsel;
      case 0x10:
        return readReg(ioregsel);
      default:
        return 0;
    }
  }

  void write(long offset, long v, Sink sink) {
    switch ((int) offset) {
      case 0x00:
        ioregsel = (int) v & 0xFF;
        break;
      case 0x10:
        writeReg(ioregsel, (int) v, sink);
        break;
      case 0x40:
        eoi((int) v & 0xFF, sink);
        break;
      default:
        break; // writes elsewhere in the window are ignored
    }
  }

  private long readReg(int reg) {
    switch (reg) {
      case IOAPIC_REG_ID:
      case IOAPIC_REG_ARB:
        return (long) (id & 0xF) << 24;
      case IOAPIC_REG_VERSION:
        return (PINS - 1) << 16 | 0x11;
      default:
        int idx = (reg - IOAPIC_REDIR_TABLE) >> 1;
        if (reg >= IOAPIC_REDIR_TABLE && idx < PINS) {
          long e = rte[idx];
          return (reg & 1) == 0 ? e & 0xFFFF_FFFFL : e >>> 32;
        }
        return 0xFFFF_FFFFL;
    }
  }

  private void writeReg(int reg, int v, Sink sink) {
    if (reg == IOAPIC_REG_ID) {
      id = (v >>> 24) & 0xF;
      return;
    }
    int idx = (reg - IOAPIC_REDIR_TABLE) >> 1;
    if (reg < IOAPIC_REDIR_TABLE || idx >= PINS) {
      return;
    }
    long e = rte[idx];
    if ((reg & 1) == 0) {
      // Low half; delivery status (12) and remote IRR (14) are read-only.
      long ro = e & ((1L << 12) | RTE_REMOTE_IRR);
      e = (e & 0xFFFF_FFFF_0000_0000L) | (v & 0xFFFF_FFFFL & ~((1L << 12) | RTE_REMOTE_IRR)) | ro;
      if ((e & RTE_LEVEL) == 0) {
        e &= ~RTE_REMOTE_IRR;
      }
    } else {
      e = (e & 0xFFFF_FFFFL) | ((long) v << 32);
    }
    rte[idx] = e;
    // Unmasking an asserted level-triggered pin delivers it.
    if ((e & RTE_MASK) == 0 && (e & RTE_LEVEL) != 0 && (lines & (1 << idx)) != 0) {
      service(idx, sink);
    }
  }
}
