package org.jkvm.devices.legacy;

import java.io.IOException;
import java.io.OutputStream;
import org.jkvm.runtime.IoBus;
import org.jkvm.runtime.PortIoDevice;

/**
 * kvmtool's placeholder ports (x86/ioport.c ioport__setup_arch): ranges that real PCs have and guests
 * touch (DMA controllers, the parallel ports, the CRT controller index/data, the QEMU fw_cfg ports), whose
 * writes are ignored and whose reads return nothing (0xFF here); port 0x92 ("fast A20", reads 0x02) and
 * port 0x402 (SeaBIOS's debug console: every byte written goes to the host output).
 */
public final class DummyPorts {
  private DummyPorts() {}

  /** {start, length} of each ignored range. */
  static final int[][] RANGES = {
      {0x00, 0x20}, {0xC0, 0x20}, {0xED, 1}, {0xF0, 2}, {0x278, 3}, {0x378, 3}, {0x3D4, 1}, {0x3D5, 1},
      {0x510, 2}};

  static final PortIoDevice IGNORE = new PortIoDevice() {
    @Override
    public long in(int offset, int size) {
      return size == 4 ? 0xFFFF_FFFFL : (1L << (8 * size)) - 1;
    }

    @Override
    public void out(int offset, int size, long value) {
    }
  };

  /** Registers every range on {@code bus}; {@code debugOut} receives bytes written to port 0x402. */
  public static void register(IoBus bus, OutputStream debugOut) {
    for (int[] r : RANGES) {
      bus.register(r[0], r[1], IGNORE, "dummy");
    }
    bus.register(0x92, 1, new PortIoDevice() {
      @Override
      public long in(int offset, int size) {
        return 0x02; // A20 enabled
      }

      @Override
      public void out(int offset, int size, long value) {
      }
    }, "port92");
    bus.register(0x402, 1, new PortIoDevice() {
      @Override
      public long in(int offset, int size) {
        return 0xFF;
      }

      @Override
      public void out(int offset, int size, long value) {
        try {
          debugOut.write((int) value);
          debugOut.flush();
        } catch (IOException e) {
          // the host console went away: nothing to do for the guest
        }
      }
    }, "seabios-debug");
  }
}
