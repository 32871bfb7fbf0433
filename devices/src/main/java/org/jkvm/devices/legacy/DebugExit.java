package org.jkvm.devices.legacy;

import org.jkvm.runtime.PortIoDevice;
import org.jkvm.runtime.RunState;
import org.jkvm.runtime.Vm;

/**
 * QEMU's isa-debug-exit device (hw/misc/debugexit.c), which test guests use to end the VM with a status:
 * a write of value v makes the VMM exit with status (v << 1) | 1, so that no guest value can look like a
 * clean exit 0. Reads return all-ones.
 */
public final class DebugExit implements PortIoDevice {
  /** The port kvm-unit-tests and QEMU's tests use. */
  public static final int PORT = 0xF4;

  private final Vm vm;

  public DebugExit(Vm vm) {
    this.vm = vm;
  }

  @Override
  public long in(int offset, int size) {
    return size == 4 ? 0xFFFF_FFFFL : (1L << (8 * size)) - 1;
  }

  @Override
  public void out(int offset, int size, long value) {
    vm.requestSystemEvent(RunState.SYSTEM_EVENT_SHUTDOWN, (int) ((value << 1) | 1));
  }
}
