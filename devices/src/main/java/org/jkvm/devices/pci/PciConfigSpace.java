package org.jkvm.devices.pci;

import java.util.ArrayList;
import java.util.List;
import org.jkvm.runtime.PortIoDevice;

/**
 * PCI configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2) as kvmtool has it (pci.c):
 * the CONFIG_ADDRESS latch at 0xCF8 (byte and word writes merge into it; the enable bit is not checked,
 * like kvmtool) and CONFIG_DATA at 0xCFC-0xCFF (offset = register | port - 0xCFC, clipped to the dword).
 * One bus, function 0 only; device number = registration order; absent devices read as all-ones. There is
 * no host bridge, as in kvmtool.
 */
public final class PciConfigSpace implements PortIoDevice {
  /** A device's 256-byte configuration header. */
  public interface Device {
    long readConfig(int offset, int size);

    void writeConfig(int offset, int size, long value);
  }

  private final List<Device> devices = new ArrayList<>();
  private int address;

  /** Adds a device at the next device number; returns the number. */
  public synchronized int register(Device d) {
    devices.add(d);
    return devices.size() - 1;
  }

  /** Port offsets: 0-3 = 0xCF8-0xCFB (address), 4-7 = 0xCFC-0xCFF (data). */
  @Override
  public synchronized long in(int offset, int size) {
    if (offset < 4) {
      return (address >>> (8 * offset)) & mask(size);
    }
    return readConfig(address, (offset - 4) & 3, size);
  }

  @Override
  public synchronized void out(int offset, int size, long value) {
    if (offset < 4) {
      int shift = 8 * offset;
      int m = (int) (mask(size) << shift);
      address = (address & ~m) | ((int) (value << shift) & m);
      return;
    }
    writeConfig(address, (offset - 4) & 3, size, value);
  }

  private static long mask(int size) {
    return size == 4 ? 0xFFFF_FFFFL : (1L << (8 * size)) - 1;
  }

  private Device target(int addr) {
    int bus = (addr >>> 16) & 0xFF;
    int dev = (addr >>> 11) & 0x1F;
    int fn = (addr >>> 8) & 7;
    if (bus != 0 || fn != 0 || dev >= devices.size()) {
      return null;
    }
    return devices.get(dev);
  }

  private long readConfig(int addr, int byteOff, int size) {
    Device d = target(addr);
    int reg = (addr & 0xFC) | byteOff;
    if (d == null || byteOff + size > 4) {
      return mask(size);
    }
    return d.readConfig(reg, size) & mask(size);
  }

  private void writeConfig(int addr, int byteOff, int size, long value) {
    Device d = target(addr);
    if (d != null && byteOff + size <= 4) {
      d.writeConfig((addr & 0xFC) | byteOff, size, value & mask(size));
    }
  }
}
