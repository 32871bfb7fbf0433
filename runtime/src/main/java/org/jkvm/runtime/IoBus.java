package org.jkvm.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * The 64 KiB x86 I/O port space. Devices register port ranges; a port maps straight to its device through
 * a 64K-entry table, so dispatch costs one array load. Overlapping registrations are refused.
 */
public final class IoBus {
  private record Range(int base, int length, PortIoDevice device, String name) {}

  private final Range[] byPort = new Range[0x10000];
  private final List<Range> ranges = new ArrayList<>();
  /** Called for accesses to ports nobody claimed (kvmtool's --debug-ioport); may be null. */
  private volatile UnclaimedPortListener unclaimed;
  /** Counts accesses to unclaimed ports. */
  public long unclaimedAccesses;

  /** Told about an access to a port no device claimed. */
  public interface UnclaimedPortListener {
    void accessed(boolean in, int port, int size, long value);
  }

  public synchronized void register(int base, int length, PortIoDevice device, String name) {
    if (base < 0 || length <= 0 || base + length > 0x10000) {
      throw new IllegalArgumentException("bad port range " + name);
    }
    for (int p = base; p < base + length; p++) {
      if (byPort[p] != null) {
        throw new IllegalArgumentException(String.format("ports of %s overlap %s at 0x%x", name,
            byPort[p].name, p));
      }
    }
    Range r = new Range(base, length, device, name);
    for (int p = base; p < base + length; p++) {
      byPort[p] = r;
    }
    ranges.add(r);
  }

  /** Removes the device registered at {@code base} (PCI I/O BARs move). */
  public synchronized void unregister(int base) {
    Range r = byPort[base & 0xFFFF];
    if (r != null && r.base == base) {
      for (int p = r.base; p < r.base + r.length; p++) {
        byPort[p] = null;
      }
      ranges.remove(r);
    }
  }

  public void setUnclaimedListener(UnclaimedPortListener l) {
    unclaimed = l;
  }

  public boolean isClaimed(int port) {
    return byPort[port & 0xFFFF] != null;
  }

  public long in(int port, int size) {
    port &= 0xFFFF;
    Range r = byPort[port];
    if (r == null) {
      unclaimedAccesses++;
      UnclaimedPortListener l = unclaimed;
      if (l != null) {
        l.accessed(true, port, size, 0);
      }
      return size == 4 ? 0xFFFF_FFFFL : (1L << (8 * size)) - 1;
    }
    return r.device.in(port - r.base, size);
  }

  public void out(int port, int size, long value) {
    port &= 0xFFFF;
    Range r = byPort[port];
    if (r == null) {
      unclaimedAccesses++;
      UnclaimedPortListener l = unclaimed;
      if (l != null) {
        l.accessed(false, port, size, value);
      }
      return;
    }
    r.device.out(port - r.base, size, value);
  }
}
