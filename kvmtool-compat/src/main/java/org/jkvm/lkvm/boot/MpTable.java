package org.jkvm.lkvm.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.jkvm.mmu.PhysicalMemory;

/**
 * The Intel MultiProcessor Specification 1.4 tables kvmtool writes (x86/mptable.c mptable__init): a
 * configuration table after the BIOS (16-byte aligned) with one processor entry per vCPU, buses PCI (0)
 * and ISA (1), one IOAPIC (id = vCPUs + 1) at 0xFEC00000, one I/O interrupt entry per PCI device, LINT0
 * and LINT1 local interrupt entries, and the "_MP_" floating pointer right after it. There is no ACPI.
 */
public final class MpTable {
  private MpTable() {}

  static final int MP_PROCESSOR = 0;
  static final int MP_BUS = 1;
  static final int MP_IOAPIC = 2;
  static final int MP_INTSRC = 3;
  static final int MP_LINTSRC = 4;
  static final int MP_APIC_VERSION = 0x14;
  static final int CPU_ENABLED = 1;
  static final int CPU_BOOTPROCESSOR = 2;
  static final int MP_IOAPIC_USABLE = 1;
  static final int MP_INT = 0;
  static final int MP_NMI = 1;
  static final int MP_APIC_ALL = 0xFF;
  static final int PCI_BUS_ID = 0;
  static final int ISA_BUS_ID = 1;

  /** A PCI device's interrupt, for an I/O interrupt entry: kvmtool's (subsystem id, pin, line). */
  public record PciIrq(int subsystemId, int pin, int line) {}

  /** Writes the tables at the first 16-byte boundary at or after {@code start}; returns their end. */
  public static long write(PhysicalMemory mem, long start, int cpus, java.util.List<PciIrq> pciIrqs) {
    long at = (start + 15) & ~15L;
    int entries = cpus + 2 + 1 + pciIrqs.size() + 2;
    ByteBuffer b = ByteBuffer.allocate(44 + 20 * cpus + 8 * (entries - cpus)).order(ByteOrder.LITTLE_ENDIAN);
    b.put("PCMP".getBytes(StandardCharsets.US_ASCII));
    b.putShort((short) 0); // length, filled below
    b.put((byte) 4); // spec revision 1.4
    b.put((byte) 0); // checksum, filled below
    b.put("KVMCPU00".getBytes(StandardCharsets.US_ASCII));
    b.put("0.1         ".getBytes(StandardCharsets.US_ASCII));
    b.putInt(0); // OEM table pointer
    b.putShort((short) 0); // OEM table size
    b.putShort((short) entries);
    b.putInt((int) GuestLayout.LAPIC_BASE);
    b.putShort((short) 0); // extended table length
    b.put((byte) 0); // extended table checksum
    b.put((byte) 0);
    for (int c = 0; c < cpus; c++) {
      b.put((byte) MP_PROCESSOR).put((byte) c).put((byte) MP_APIC_VERSION);
      b.put((byte) (CPU_ENABLED | (c == 0 ? CPU_BOOTPROCESSOR : 0)));
      b.putInt(0x600); // signature: family 6
      b.putInt(0x201); // features: FPU, APIC
      b.putLong(0);
    }
    b.put((byte) MP_BUS).put((byte) PCI_BUS_ID).put("PCI   ".getBytes(StandardCharsets.US_ASCII));
    b.put((byte) MP_BUS).put((byte) ISA_BUS_ID).put("ISA   ".getBytes(StandardCharsets.US_ASCII));
    int ioapicId = cpus + 1;
    b.put((byte) MP_IOAPIC).put((byte) ioapicId).put((byte) MP_APIC_VERSION).put((byte) MP_IOAPIC_USABLE);
    b.putInt((int) GuestLayout.IOAPIC_BASE);
    for (PciIrq p : pciIrqs) {
      b.put((byte) MP_INTSRC).put((byte) MP_INT).putShort((short) 0);
      b.put((byte) PCI_BUS_ID).put((byte) ((p.subsystemId() << 2) | (p.pin() - 1)));
      b.put((byte) ioapicId).put((byte) p.line());
    }
    b.put((byte) MP_LINTSRC).put((byte) MP_INT).putShort((short) 0).put((byte) ISA_BUS_ID).put((byte) 0)
        .put((byte) MP_APIC_ALL).put((byte) 0);
    b.put((byte) MP_LINTSRC).put((byte) MP_NMI).putShort((short) 0).put((byte) ISA_BUS_ID).put((byte) 0)
        .put((byte) MP_APIC_ALL).put((byte) 1);
    byte[] table = b.array();
    ByteBuffer.wrap(table).order(ByteOrder.LITTLE_ENDIAN).putShort(4, (short) table.length);
    table[7] = checksum(table);
    mem.writeBytes(at, table, 0, table.length);
    long fp = (at + table.length + 15) & ~15L;
    ByteBuffer f = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    f.put("_MP_".getBytes(StandardCharsets.US_ASCII));
    f.putInt((int) at);
    f.put((byte) 1); // length in 16-byte units
    f.put((byte) 4); // spec revision 1.4
    f.put((byte) 0); // checksum
    f.put(new byte[5]); // feature bytes: 0 = a configuration table is present
    byte[] fps = f.array();
    fps[10] = checksum(fps);
    mem.writeBytes(fp, fps, 0, 16);
    return fp + 16;
  }

  static byte checksum(byte[] b) {
    int sum = 0;
    for (byte x : b) {
      sum += x;
    }
    return (byte) -sum;
  }
}
