package org.jkvm.lkvm.boot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.jkvm.lkvm.Report;
import org.jkvm.mmu.PhysicalMemory;

/**
 * kvmtool's bzImage loader (x86/kvm.c load_bzimage; the boot protocol in Linux's
 * Documentation/arch/x86/boot.rst): real-mode setup code at 0x10000, the protected-mode kernel at
 * 0x100000, the command line at 0x20000, the initrd as high as initrd_addr_max allows, and only the header
 * fields kvmtool writes. The kernel starts in real mode at 1000:0200 with SS:SP = 1000:8000.
 */
public final class BzImageLoader {
  private BzImageLoader() {}

  // Offsets of setup header fields from the start of the image (= of struct boot_params).
  static final int HDR_SETUP_SECTS = 0x1F1;
  static final int HDR_VID_MODE = 0x1FA;
  static final int HDR_HEADER = 0x202; // "HdrS"
  static final int HDR_VERSION = 0x206;
  static final int HDR_TYPE_OF_LOADER = 0x210;
  static final int HDR_LOADFLAGS = 0x211;
  static final int HDR_RAMDISK_IMAGE = 0x218;
  static final int HDR_RAMDISK_SIZE = 0x21C;
  static final int HDR_HEAP_END_PTR = 0x224;
  static final int HDR_CMD_LINE_PTR = 0x228;
  static final int HDR_INITRD_ADDR_MAX = 0x22C;
  static final int HDR_CMDLINE_SIZE = 0x238;
  static final int HDR_MAGIC = 0x53726448; // "HdrS"
  static final int CAN_USE_HEAP = 0x80;
  static final int BZ_DEFAULT_SETUP_SECTS = 4;
  static final long BZ_KERNEL_START = 0x100000;
  static final long BOOT_CMDLINE_OFFSET = 0x20000;
  static final int BOOT_PROTOCOL_REQUIRED = 0x206;
  /** Used by boot protocols before 2.06, which have no cmdline_size field. */
  static final int COMMAND_LINE_SIZE = 2048;

  /** True if {@code file} has a bzImage setup header ("HdrS" at 0x202). */
  public static boolean isBzImage(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
      return ch.read(b, HDR_HEADER) == 4 && b.getInt(0) == HDR_MAGIC;
    } catch (IOException e) {
      return false;
    }
  }

  /** Loads kernel, command line and initrd; returns the real-mode entry. */
  public static FlatLoader.Entry load(PhysicalMemory mem, Path kernel, Path initrd, String cmdline,
      long ramBytes) {
    byte[] image = FlatLoader.read(kernel, "Unable to open kernel %s");
    ByteBuffer hdr = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
    if (image.length < 0x1000 || hdr.getInt(HDR_HEADER) != HDR_MAGIC) {
      throw Report.die("%s is not a bzImage", kernel);
    }
    int version = hdr.getShort(HDR_VERSION) & 0xFFFF;
    if (version < BOOT_PROTOCOL_REQUIRED) {
      throw Report.die("Too old kernel");
    }
    int setupSects = image[HDR_SETUP_SECTS] & 0xFF;
    if (setupSects == 0) {
      setupSects = BZ_DEFAULT_SETUP_SECTS;
    }
    int setupSize = (setupSects + 1) * 512;
    if (setupSize >= image.length) {
      throw Report.die("%s is not a bzImage", kernel);
    }
    // Header fields kvmtool sets, in the copy the kernel will read at 0x10000.
    hdr.putInt(HDR_CMD_LINE_PTR, (int) BOOT_CMDLINE_OFFSET);
    image[HDR_TYPE_OF_LOADER] = (byte) 0xFF;
    hdr.putShort(HDR_HEAP_END_PTR, (short) 0xFE00);
    image[HDR_LOADFLAGS] |= (byte) CAN_USE_HEAP;
    hdr.putShort(HDR_VID_MODE, (short) 0);
    long kernelRoom = ramBytes - BZ_KERNEL_START;
    int kernelSize = image.length - setupSize;
    if (kernelSize > kernelRoom) {
      throw Report.die("Not enough memory for the kernel %s", kernel);
    }
    // The command line: cmdline_size bytes zeroed, at most cmdline_size - 1 characters.
    int cmdlineSize = hdr.getInt(HDR_CMDLINE_SIZE);
    if (cmdlineSize <= 0 || cmdlineSize > 0x10000) {
      cmdlineSize = COMMAND_LINE_SIZE;
    }
    byte[] cl = new byte[cmdlineSize];
    if (cmdline != null) {
      byte[] text = cmdline.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      System.arraycopy(text, 0, cl, 0, Math.min(text.length, cmdlineSize - 1));
    }
    if (initrd != null) {
      placeInitrd(mem, hdr, initrd, ramBytes);
    }
    mem.writeBytes(GuestLayout.BOOT_LOADER_ADDR, image, 0, setupSize);
    mem.writeBytes(BZ_KERNEL_START, image, setupSize, kernelSize);
    mem.writeBytes(BOOT_CMDLINE_OFFSET, cl, 0, cl.length);
    return new FlatLoader.Entry(GuestLayout.BOOT_LOADER_SELECTOR, 0x200, GuestLayout.BOOT_SP);
  }

  /**
   * kvmtool: start at initrd_addr_max rounded down to 1 MiB and step down by 1 MiB until the initrd fits
   * below the end of RAM; below 1 MiB there is no room.
   */
  private static void placeInitrd(PhysicalMemory mem, ByteBuffer hdr, Path initrd, long ramBytes) {
    long size;
    try {
      size = Files.size(initrd);
    } catch (IOException e) {
      throw Report.die("Unable to open initrd %s", initrd);
    }
    long ramTop = Math.min(ramBytes, GuestLayout.GAP_START);
    long addr = (hdr.getInt(HDR_INITRD_ADDR_MAX) & 0xFFFF_FFFFL) & ~0xF_FFFFL;
    while (addr + size > ramTop || addr >= ramTop) {
      addr -= 0x10_0000;
      if (addr < 0x10_0000) {
        throw Report.die("Not enough memory for initrd");
      }
    }
    byte[] data = FlatLoader.read(initrd, "Unable to open initrd %s");
    mem.writeBytes(addr, data, 0, data.length);
    hdr.putInt(HDR_RAMDISK_IMAGE, (int) addr);
    hdr.putInt(HDR_RAMDISK_SIZE, (int) size);
  }
}
