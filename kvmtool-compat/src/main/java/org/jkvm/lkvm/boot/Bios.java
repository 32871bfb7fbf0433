package org.jkvm.lkvm.boot;

import java.io.IOException;
import java.io.InputStream;
import org.jkvm.mmu.PhysicalMemory;

/**
 * kvmtool's BIOS area set-up (x86/bios.c setup_bios): zeroes the BDA, the EBDA and the BIOS segment,
 * copies jkvm's BIOS (guests/bios/bios.S) to 0xF0000, points every IVT vector at its "not supported"
 * handler and vectors 0x10 and 0x15 at the real ones, and stores the E820 map where int 15h reads it
 * (e820_setup). Returns the end of the BIOS image, where the MP table goes.
 */
public final class Bios {
  private Bios() {}

  static final long BDA_START = 0x400;
  static final long BDA_END = 0x500;
  static final long EBDA_START = 0x9FC00;
  static final long EBDA_END = 0xA0000;
  static final long BIOS_START = 0xF0000;
  static final long BIOS_END = 0x100000;
  static final long VGA_ROM_BEGIN = 0xC0000;
  static final long VGA_ROM_END = 0xC8000;
  static final int BIOS_SELECTOR = 0xF000;

  public static final int E820_RAM = 1;
  static final int E820_RESERVED = 2;

  /** Writes everything; returns the guest physical end of the BIOS code. */
  public static long setup(PhysicalMemory mem, long ramBytes) {
    zero(mem, BDA_START, BDA_END);
    zero(mem, EBDA_START, EBDA_END);
    zero(mem, BIOS_START, BIOS_END);
    zero(mem, VGA_ROM_BEGIN, VGA_ROM_END);
    byte[] rom = rom();
    mem.writeBytes(BIOS_START, rom, 0, rom.length);
    int intfake = (rom[0] & 0xFF) | (rom[1] & 0xFF) << 8;
    int int10 = (rom[2] & 0xFF) | (rom[3] & 0xFF) << 8;
    int int15 = (rom[4] & 0xFF) | (rom[5] & 0xFF) << 8;
    for (int v = 0; v < 256; v++) {
      int off = v == 0x10 ? int10 : v == 0x15 ? int15 : intfake;
      mem.write(v * 4L, 2, off);
      mem.write(v * 4L + 2, 2, BIOS_SELECTOR);
    }
    writeE820(mem, ramBytes);
    return BIOS_START + rom.length;
  }

  private static void zero(PhysicalMemory mem, long from, long to) {
    mem.writeBytes(from, new byte[(int) (to - from)], 0, (int) (to - from));
  }

  static byte[] rom() {
    try (InputStream in = Bios.class.getResourceAsStream("bios.bin")) {
      if (in == null) {
        throw new IllegalStateException("bios.bin missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read bios.bin", e);
    }
  }

  /**
   * kvmtool's E820 map for {@code ramBytes} of RAM: rows of {address, size, type}. The int 15h table and
   * the multiboot memory map are both made from it.
   */
  public static long[][] e820(long ramBytes) {
    long[][] map;
    if (ramBytes < GuestLayout.GAP_START) {
      map = new long[][] {
          {0, EBDA_START, E820_RAM},
          {EBDA_START, EBDA_END - EBDA_START, E820_RESERVED},
          {BIOS_START, BIOS_END - BIOS_START, E820_RESERVED},
          {BzImageLoader.BZ_KERNEL_START, ramBytes - BzImageLoader.BZ_KERNEL_START, E820_RAM}};
    } else {
      map = new long[][] {
          {0, EBDA_START, E820_RAM},
          {EBDA_START, EBDA_END - EBDA_START, E820_RESERVED},
          {BIOS_START, BIOS_END - BIOS_START, E820_RESERVED},
          {BzImageLoader.BZ_KERNEL_START, GuestLayout.GAP_START - BzImageLoader.BZ_KERNEL_START, E820_RAM},
          {GuestLayout.GAP_END, ramBytes - GuestLayout.GAP_START, E820_RAM}};
    }
    return map;
  }

  /** kvmtool's e820_setup: the map at 0x9FC00 as { u32 nr_map; { u64 addr, size; u32 type; } [] }. */
  static void writeE820(PhysicalMemory mem, long ramBytes) {
    long[][] map = e820(ramBytes);
    mem.write(EBDA_START, 4, map.length);
    long at = EBDA_START + 4;
    for (long[] e : map) {
      mem.write(at, 8, e[0]);
      mem.write(at + 8, 8, e[1]);
      mem.write(at + 16, 4, e[2]);
      at += 20;
    }
  }
}
