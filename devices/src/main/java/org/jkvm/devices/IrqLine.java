package org.jkvm.devices;

import org.jkvm.runtime.Vm;

/** An interrupt output of a device, wired by the composition root to a GSI of the VM. */
@FunctionalInterface
public interface IrqLine {
  /** Drives the line to {@code level}. */
  void set(boolean level);

  /** A line that goes nowhere. */
  IrqLine NONE = level -> { };

  /** The line wired to {@code gsi} of {@code vm} (KVM_IRQ_LINE). */
  static IrqLine gsi(Vm vm, int gsi) {
    return level -> vm.irqLine(gsi, level);
  }
}
