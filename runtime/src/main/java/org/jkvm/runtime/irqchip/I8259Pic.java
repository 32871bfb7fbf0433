package org.jkvm.runtime.irqchip;

/**
 * One Intel 8259A programmable interrupt controller (datasheet 231468-003, "8259A Programmable Interrupt
 * Controller", December 1988), plus the edge/level control register (ELCR) that PC chipsets add (Intel
 * 82371AB PIIX4, 12.1.2). {@link PicPair} cascades a master and a slave on IR2, as in every PC.
 *
 * <p>Implemented: ICW1-ICW4 initialization, OCW1 (mask), OCW2 (non-specific/specific EOI, rotation,
 * priority set), OCW3 (read IRR/ISR, poll, special mask mode), automatic EOI (with rotation), edge and
 * level triggering via the ELCR, priority resolution, spurious IR7, INTA.
 *
 * <p>Ambiguities and choices:
 * <ul>
 *   <li>Edge triggering latches a rising edge into IRR; the request stays until acknowledged even if the
 *       line falls again (the datasheet requires the line to stay high until the first INTA; KVM keeps it,
 *       and guests rely on short pulses).
 *   <li>Level-triggered IRR follows the line. Buffered mode, 8080 mode and call-address intervals are
 *       ignored (the PC uses x86 mode).
 * </ul>
 */
final class I8259Pic {
  int irr;
  int isr;
  int imr;
  /** Last level seen on each input, for edge detection. */
  int lines;
  int elcr;
  int elcrMask;
  /** Vector base (ICW2 & 0xF8). */
  int vectorBase;
  /** Bottom priority: IR(priorityAdd) has the highest priority (rotation). */
  int priorityAdd;
  boolean readIsr;
  boolean poll;
  boolean specialMask;
  boolean autoEoi;
  boolean rotateOnAutoEoi;
  boolean specialFullyNested;
  /** Initialization sequence: 0 = done; 1 = expect ICW2; 2 = ICW3; 3 = ICW4. */
  int initState;
  boolean icw4Needed;
  boolean single;

  I8259Pic(int elcrMask) {
    this.elcrMask = elcrMask;
    reset();
  }

  void reset() {
    irr = 0;
    isr = 0;
    imr = 0;
    lines = 0;
    vectorBase = 0;
    priorityAdd = 0;
    readIsr = false;
    poll = false;
    specialMask = false;
    autoEoi = false;
    rotateOnAutoEoi = false;
    specialFullyNested = false;
    initState = 0;
    icw4Needed = false;
    single = false;
  }

  /** Drives input {@code irq} (0-7). */
  void setLine(int irq, boolean level) {
    int bit = 1 << irq;
    if ((elcr & bit) != 0) {
      // Level triggered: IRR follows the line.
      if (level) {
        irr |= bit;
        lines |= bit;
      } else {
        irr &= ~bit;
        lines &= ~bit;
      }
    } else {
      if (level) {
        if ((lines & bit) == 0) {
          irr |= bit;
        }
        lines |= bit;
      } else {
        lines &= ~bit;
      }
    }
  }

  /** The highest priority bit of {@code mask} under the current rotation, as an IR number, or 8. */
  private int highest(int mask) {
    if (mask == 0) {
      return 8;
    }
    int p = 0;
    while ((mask & (1 << ((p + priorityAdd) & 7))) == 0) {
      p++;
    }
    return p;
  }

  /** The IR that would be acknowledged next, or -1: highest unmasked request above what is in service. */
  int pendingIrq() {
    int req = highest(irr & ~imr);
    if (req == 8) {
      return -1;
    }
    int inService = isr;
    if (specialMask) {
      inService &= ~imr; // special mask mode: masked in-service levels do not block
    }
    if (specialFullyNested) {
      inService &= ~(1 << 2); // the cascade input may interrupt its own service (SFNM, master only)
    }
    int cur = highest(inService);
    return req < cur ? (req + priorityAdd) & 7 : -1;
  }

  /** INTA for {@code irq}: moves it to ISR (unless auto-EOI) and clears an edge request. */
  void acknowledge(int irq) {
    int bit = 1 << irq;
    if ((elcr & bit) == 0) {
      irr &= ~bit;
    }
    if (autoEoi) {
      if (rotateOnAutoEoi) {
        priorityAdd = (irq + 1) & 7;
      }
    } else {
      isr |= bit;
    }
  }

  /** Port A0/20 (command) and A1/21 (data) writes. */
  void write(int port, int v) {
    v &= 0xFF;
    if (port == 0) {
      if ((v & 0x10) != 0) {
        // ICW1: start initialization. IMR and ISR are cleared, IR7 gets lowest priority, slave address 7.
        reset();
        initState = 1;
        icw4Needed = (v & 1) != 0;
        single = (v & 2) != 0;
        if ((v & 0x08) != 0) {
          elcr = 0xFF & elcrMask; // ICW1.LTIM: level mode for all inputs (the ELCR overrides on PCs)
        }
      } else if ((v & 0x08) != 0) {
        // OCW3.
        if ((v & 0x04) != 0) {
          poll = true;
        }
        if ((v & 0x02) != 0) {
          readIsr = (v & 1) != 0;
        }
        if ((v & 0x40) != 0) {
          specialMask = (v & 0x20) != 0;
        }
      } else {
        // OCW2: EOI and rotation commands in bits 7:5, level in 2:0.
        int cmd = v >> 5;
        switch (cmd) {
          case 0: // rotate in automatic EOI mode: clear
          case 4: // ... set
            rotateOnAutoEoi = cmd == 4;
            break;
          case 1: // non-specific EOI
          case 5: { // rotate on non-specific EOI
            int p = highest(isr);
            if (p != 8) {
              int irq = (p + priorityAdd) & 7;
              isr &= ~(1 << irq);
              if (cmd == 5) {
                priorityAdd = (irq + 1) & 7;
              }
            }
            break;
          }
          case 3: // specific EOI
            isr &= ~(1 << (v & 7));
            break;
          case 6: // set priority: IR(level) lowest
            priorityAdd = ((v & 7) + 1) & 7;
            break;
          case 7: // rotate on specific EOI
            isr &= ~(1 << (v & 7));
            priorityAdd = ((v & 7) + 1) & 7;
            break;
          default: // 2: no operation
            break;
        }
      }
      return;
    }
    switch (initState) {
      case 1:
        vectorBase = v & 0xF8;
        initState = single ? (icw4Needed ? 3 : 0) : 2;
        break;
      case 2:
        initState = icw4Needed ? 3 : 0; // ICW3: cascade wiring is fixed on a PC
        break;
      case 3:
        autoEoi = (v & 2) != 0;
        specialFullyNested = (v & 0x10) != 0;
        initState = 0;
        break;
      default:
        imr = v; // OCW1
        break;
    }
  }

  /** Port reads: the data port reads IMR; the command port IRR or ISR (OCW3), or a poll result. */
  int read(int port) {
    if (poll) {
      poll = false;
      int irq = pendingIrq();
      if (irq >= 0) {
        acknowledge(irq);
        return 0x80 | irq;
      }
      return 0;
    }
    if (port == 0) {
      return readIsr ? isr : irr;
    }
    return imr;
  }
}
