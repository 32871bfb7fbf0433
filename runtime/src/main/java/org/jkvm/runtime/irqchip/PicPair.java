package org.jkvm.runtime.irqchip;

import org.jkvm.runtime.PortIoDevice;

/**
 * The PC's two 8259A PICs: the slave's output cascades into the master's IR2. Ports 0x20-0x21 (master),
 * 0xA0-0xA1 (slave) and 0x4D0-0x4D1 (ELCR, master then slave). The master's INT output goes to LINT0 of the
 * boot CPU's local APIC (ExtINT), or straight to the CPU while that APIC is disabled. Callers hold the
 * irqchip lock.
 */
final class PicPair {
  /** IRQ 0, 1, 2 are edge-only on the master; IRQ 8 and 13 on the slave (KVM's elcr masks). */
  final I8259Pic master = new I8259Pic(0xF8);
  final I8259Pic slave = new I8259Pic(0xDE);

  /** Drives ISA IRQ {@code irq} (0-15). */
  void setIrq(int irq, boolean level) {
    if (irq < 8) {
      master.setLine(irq, level);
    } else {
      slave.setLine(irq - 8, level);
    }
    cascade();
  }

  /** The slave's pending output reaches the master as an edge on IR2 (what KVM's pic_update_irq does). */
  private void cascade() {
    if (slave.pendingIrq() >= 0) {
      master.setLine(2, true);
      master.setLine(2, false);
    }
  }

  /** The master's INT output. */
  boolean output() {
    return master.pendingIrq() >= 0;
  }

  /** The two INTA cycles: returns the vector; a request that vanished yields the spurious IR7 vector. */
  int acknowledge() {
    int irq = master.pendingIrq();
    int vector;
    if (irq < 0) {
      vector = master.vectorBase + 7;
    } else {
      master.acknowledge(irq);
      if (irq == 2) {
        int irq2 = slave.pendingIrq();
        if (irq2 >= 0) {
          slave.acknowledge(irq2);
        } else {
          irq2 = 7;
        }
        vector = slave.vectorBase + irq2;
      } else {
        vector = master.vectorBase + irq;
      }
    }
    cascade();
    return vector;
  }

  /** The port devices: command/data of each chip and the ELCR pair. */
  PortIoDevice masterPorts(Object lock, Runnable changed) {
    return chipPorts(master, lock, changed);
  }

  PortIoDevice slavePorts(Object lock, Runnable changed) {
    return chipPorts(slave, lock, changed);
  }

  private PortIoDevice chipPorts(I8259Pic pic, Object lock, Runnable changed) {
    return new PortIoDevice() {
      @Override
      public long in(int offset, int size) {
        synchronized (lock) {
          return pic.read(offset & 1);
        }
      }

      @Override
      public void out(int offset, int size, long value) {
        synchronized (lock) {
          pic.write(offset & 1, (int) value);
          cascade();
        }
        changed.run();
      }
    };
  }

  PortIoDevice elcrPorts(Object lock) {
    return new PortIoDevice() {
      @Override
      public long in(int offset, int size) {
        synchronized (lock) {
          return (offset & 1) == 0 ? master.elcr : slave.elcr;
        }
      }

      @Override
      public void out(int offset, int size, long value) {
        synchronized (lock) {
          I8259Pic p = (offset & 1) == 0 ? master : slave;
          p.elcr = (int) value & p.elcrMask;
        }
      }
    };
  }
}
