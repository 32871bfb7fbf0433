package org.jkvm.lkvm.boot;

/**
 * Every fixed guest physical address of kvmtool's x86 machine, in one place (x86/include/kvm/kvm-arch.h,
 * x86/include/kvm/bios.h, include/kvm/apic.h).
 */
public final class GuestLayout {
  private GuestLayout() {}

  /** RAM stops here and resumes at 4 GiB: the 32-bit MMIO gap of 768 MiB (KVM_32BIT_GAP_START). */
  public static final long GAP_START = 0xD000_0000L;
  public static final long GAP_END = 0x1_0000_0000L;
  /** PCI memory-mapped configuration window (KVM_PCI_CFG_AREA), legacy non-ECAM layout. */
  public static final long PCI_CFG_AREA = 0xD100_0000L;
  /** PCI BAR allocator start (KVM_PCI_MMIO_AREA). */
  public static final long PCI_MMIO_AREA = 0xD200_0000L;
  public static final long IOAPIC_BASE = 0xFEC0_0000L;
  public static final long LAPIC_BASE = 0xFEE0_0000L;

  /** Real-mode load segment of flat binaries and bzImage setup code (BOOT_LOADER_SELECTOR). */
  public static final int BOOT_LOADER_SELECTOR = 0x1000;
  public static final long BOOT_LOADER_ADDR = (long) BOOT_LOADER_SELECTOR << 4;
  /** Initial SP of every boot path (BOOT_LOADER_SP, BIOS_SP). */
  public static final int BOOT_SP = 0x8000;
  /** Firmware images (-f) are copied here (MB_FIRMWARE_BIOS_BEGIN), at most 128 KiB. */
  public static final long FIRMWARE_BEGIN = 0xE0000;
  public static final long FIRMWARE_MAX = 128 << 10;
  public static final int FIRMWARE_SELECTOR = 0xF000;
  public static final int FIRMWARE_IP = 0xFFF0;
}
