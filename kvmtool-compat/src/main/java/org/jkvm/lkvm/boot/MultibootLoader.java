package org.jkvm.lkvm.boot;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jkvm.lkvm.Report;
import org.jkvm.mmu.PhysicalMemory;

/**
 * A Multiboot (version 1, specification 0.6.96) loader, so that {@code lkvm run -k} starts the standard
 * bare-metal test kernels the way QEMU's {@code -kernel} does (hw/i386/multiboot.c):
 * <ul>
 *   <li>the header is a 32-bit aligned {magic 0x1BADB002, flags, checksum} in the first 8 KiB whose three
 *       words add up to zero; a magic with a bad checksum is not a header and the search goes on;
 *   <li>with flag 16 (the "a.out kludge") the header's address fields say what to load where; without it
 *       the file must be a 32-bit x86 ELF executable, loaded by its PT_LOAD program headers at their
 *       physical addresses, entered at {@code e_entry} translated to a physical address;
 *   <li>the boot information (memory sizes and the memory map from jkvm's E820 table, the command line
 *       {@code "FILE ARGS"}, the modules, the boot loader name) goes to 0x9000 as in QEMU, with a flat GDT
 *       beside it; modules follow the kernel, page aligned;
 *   <li>the vCPU starts in 32-bit protected mode with flat segments (CS = 0x08, data = 0x10), paging off,
 *       interrupts off, EAX = 0x2BADB002 and EBX = the boot information address.
 * </ul>
 * A header the loader cannot honour (reserved required flags, addresses that contradict each other or the
 * file, segments outside RAM or over the BIOS areas) is a one-line fatal error naming the file.
 */
public final class MultibootLoader {
  private MultibootLoader() {}

  public static final int HEADER_MAGIC = 0x1BADB002;
  /** EAX on entry: the kernel was loaded by a Multiboot-compliant boot loader. */
  public static final int BOOTLOADER_MAGIC = 0x2BADB002;
  /** The header must lie entirely within the first 8192 bytes; it is 48 bytes with every field. */
  static final int SEARCH_BYTES = 8192;
  static final int HEADER_BYTES = 48;

  // Header flags: bits 0-15 are requirements the loader must meet or refuse to boot.
  static final int MB_PAGE_ALIGN = 1;
  static final int MB_MEMORY_INFO = 1 << 1;
  static final int MB_VIDEO_MODE = 1 << 2;
  static final int MB_REQUIRED_MASK = 0xFFFF;
  static final int MB_AOUT_KLUDGE = 1 << 16;

  // Boot information flags (what jkvm fills in).
  static final int INFO_MEMORY = 1;
  static final int INFO_CMDLINE = 1 << 2;
  static final int INFO_MODS = 1 << 3;
  static final int INFO_MEM_MAP = 1 << 6;
  static final int INFO_BOOT_LOADER_NAME = 1 << 9;

  // Offsets in the boot information structure.
  static final int MBI_FLAGS = 0;
  static final int MBI_MEM_LOWER = 4;
  static final int MBI_MEM_UPPER = 8;
  static final int MBI_CMDLINE = 16;
  static final int MBI_MODS_COUNT = 20;
  static final int MBI_MODS_ADDR = 24;
  static final int MBI_MMAP_LENGTH = 44;
  static final int MBI_MMAP_ADDR = 48;
  static final int MBI_BOOT_LOADER_NAME = 64;
  /** The structure with the framebuffer fields of 0.6.96, all zero here. */
  static final int MBI_SIZE = 116;

  /** Where the boot information goes: QEMU's MULTIBOOT_STRUCT_ADDR, free RAM below the EBDA. */
  public static final long INFO_ADDR = 0x9000;
  public static final int CODE_SELECTOR = 0x08;
  public static final int DATA_SELECTOR = 0x10;
  public static final String BOOT_LOADER_NAME = "jkvm";
  /** The IVT and the BIOS data area, which the BIOS set-up writes after loading. */
  static final long LOW_RESERVED_END = 0x500;

  // ELF constants (System V ABI, i386 supplement).
  static final int EM_386 = 3;
  static final int EM_X86_64 = 62;
  static final int ET_EXEC = 2;
  static final int PT_LOAD = 1;
  static final int ELF_HEADER_BYTES = 52;
  static final int ELF_PHDR_BYTES = 32;

  /** How the kernel starts: EIP, EBX (the boot information) and the GDT the loader wrote. */
  public record Entry(long eip, long ebx, long gdtBase, int gdtLimit) {}

  /** One range of guest physical memory the loader fills. */
  private record Segment(long addr, byte[] src, int offset, int fileBytes, long memBytes) {
    long end() {
      return addr + memBytes;
    }
  }

  /** True if {@code file} has a valid Multiboot header in its first 8 KiB. */
  public static boolean isMultiboot(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return findHeader(in.readNBytes(SEARCH_BYTES)) >= 0;
    } catch (IOException e) {
      return false;
    }
  }

  /** Offset of the first valid header (magic, flags and checksum summing to 0) in {@code image}, or -1. */
  static int findHeader(byte[] image) {
    ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
    int limit = Math.min(image.length, SEARCH_BYTES) - 12;
    for (int at = 0; at <= limit; at += 4) {
      if (b.getInt(at) == HEADER_MAGIC && HEADER_MAGIC + b.getInt(at + 4) + b.getInt(at + 8) == 0) {
        return at;
      }
    }
    return -1;
  }

  /**
   * Loads {@code kernel} (a file with a Multiboot header), the module {@code module} (may be null) and the
   * boot information; returns the entry state. {@code args} is the kernel's argument string (may be null).
   */
  public static Entry load(PhysicalMemory mem, Path kernel, Path module, String args, long ramBytes) {
    byte[] image = FlatLoader.read(kernel, "Unable to open kernel %s");
    int at = findHeader(image);
    if (at < 0) {
      throw Report.die("%s has no multiboot header", kernel);
    }
    ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
    int flags = b.getInt(at + 4);
    int unsupported = flags & MB_REQUIRED_MASK & ~(MB_PAGE_ALIGN | MB_MEMORY_INFO | MB_VIDEO_MODE);
    if (unsupported != 0) {
      throw Report.die("multiboot kernel %s requires features jkvm does not have (header flags 0x%x)", kernel,
          unsupported);
    }
    if ((flags & MB_VIDEO_MODE) != 0) {
      Report.warning("multiboot kernel %s asks for a video mode; it gets none (text console only)", kernel);
    }
    long[][] e820 = Bios.e820(ramBytes);
    List<Segment> segments = new ArrayList<>();
    long entry;
    if ((flags & MB_AOUT_KLUDGE) != 0) {
      entry = aoutKludge(kernel, image, b, at, segments);
    } else {
      entry = elf(kernel, image, b, segments);
    }
    long kernelEnd = 0;
    for (Segment s : segments) {
      kernelEnd = Math.max(kernelEnd, s.end());
    }

    // The boot information, in a scratch buffer laid out as it will be at INFO_ADDR.
    Info info = new Info();
    long gdt = info.reserve(24, 8);
    long mbi = info.reserve(MBI_SIZE, 8);
    long mmap = info.reserve(24 * e820.length, 8);
    long mods = info.reserve(16, 8);
    String kernelName = kernel.toString();
    long cmdline = info.string(kernelName + " " + (args == null ? "" : args));
    long loaderName = info.string(BOOT_LOADER_NAME);
    long moduleName = module == null ? 0 : info.string(module.toString());
    long infoEnd = info.end();

    for (Segment s : segments) {
      checkPlace(kernel, "segment", s.addr, s.end(), e820, infoEnd);
    }
    if (!segments.stream().anyMatch(s -> s.addr <= entry && entry < s.end())) {
      throw Report.die("multiboot kernel %s: entry point 0x%x is outside the loaded image", kernel, entry);
    }
    int modsCount = 0;
    byte[] moduleData = null;
    long moduleAddr = 0;
    if (module != null) {
      moduleData = FlatLoader.read(module, "Unable to open initrd %s");
      moduleAddr = (kernelEnd + PhysicalMemory.PAGE_SIZE - 1) & PhysicalMemory.PAGE_MASK;
      if (!insideRam(moduleAddr, moduleAddr + moduleData.length, e820)) {
        throw Report.die("Not enough memory for the multiboot module %s", module);
      }
      modsCount = 1;
    }

    // Everything checked: write the guest's memory.
    for (Segment s : segments) {
      mem.writeBytes(s.addr, s.src, s.offset, s.fileBytes);
      zero(mem, s.addr + s.fileBytes, s.memBytes - s.fileBytes);
    }
    if (moduleData != null) {
      mem.writeBytes(moduleAddr, moduleData, 0, moduleData.length);
      info.putInt(mods, (int) moduleAddr);
      info.putInt(mods + 4, (int) (moduleAddr + moduleData.length));
      info.putInt(mods + 8, (int) moduleName);
    }
    // A flat 4 GiB code segment (0x08) and data segment (0x10), as QEMU's multiboot option ROM has.
    info.putLong(gdt + 8, 0x00CF_9B00_0000_FFFFL);
    info.putLong(gdt + 16, 0x00CF_9300_0000_FFFFL);
    long memLower = 0;
    long memUpper = 0;
    for (int i = 0; i < e820.length; i++) {
      long[] e = e820[i];
      long m = mmap + 24L * i;
      info.putInt(m, 20); // size of the rest of the entry
      info.putLong(m + 4, e[0]);
      info.putLong(m + 12, e[1]);
      info.putInt(m + 20, (int) e[2]);
      if (e[2] == Bios.E820_RAM && e[0] == 0) {
        memLower = e[1] >>> 10;
      } else if (e[2] == Bios.E820_RAM && e[0] == 0x10_0000) {
        memUpper = e[1] >>> 10;
      }
    }
    info.putInt(mbi + MBI_FLAGS, INFO_MEMORY | INFO_CMDLINE | INFO_MODS | INFO_MEM_MAP | INFO_BOOT_LOADER_NAME);
    info.putInt(mbi + MBI_MEM_LOWER, (int) memLower);
    info.putInt(mbi + MBI_MEM_UPPER, (int) Math.min(memUpper, 0xFFFF_FFFFL));
    info.putInt(mbi + MBI_CMDLINE, (int) cmdline);
    info.putInt(mbi + MBI_MODS_COUNT, modsCount);
    info.putInt(mbi + MBI_MODS_ADDR, (int) mods);
    info.putInt(mbi + MBI_MMAP_LENGTH, 24 * e820.length);
    info.putInt(mbi + MBI_MMAP_ADDR, (int) mmap);
    info.putInt(mbi + MBI_BOOT_LOADER_NAME, (int) loaderName);
    mem.writeBytes(INFO_ADDR, info.buf, 0, (int) (infoEnd - INFO_ADDR));
    return new Entry(entry, mbi, gdt, 23);
  }

  /** The a.out kludge: header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr after the checksum. */
  private static long aoutKludge(Path kernel, byte[] image, ByteBuffer b, int at, List<Segment> out) {
    if (at + 32 > image.length) {
      throw Report.die("multiboot kernel %s: the header's address fields are cut off", kernel);
    }
    long headerAddr = b.getInt(at + 12) & 0xFFFF_FFFFL;
    long loadAddr = b.getInt(at + 16) & 0xFFFF_FFFFL;
    long loadEndAddr = b.getInt(at + 20) & 0xFFFF_FFFFL;
    long bssEndAddr = b.getInt(at + 24) & 0xFFFF_FFFFL;
    long entry = b.getInt(at + 28) & 0xFFFF_FFFFL;
    if (headerAddr < loadAddr || headerAddr - loadAddr > at) {
      throw Report.die("multiboot kernel %s: header_addr 0x%x and load_addr 0x%x do not match the header's "
          + "place in the file", kernel, headerAddr, loadAddr);
    }
    int fileOffset = (int) (at - (headerAddr - loadAddr));
    long loadBytes;
    if (loadEndAddr == 0) {
      loadBytes = image.length - fileOffset;
    } else {
      if (loadEndAddr < loadAddr) {
        throw Report.die("multiboot kernel %s: load_end_addr 0x%x is below load_addr 0x%x", kernel, loadEndAddr,
            loadAddr);
      }
      loadBytes = loadEndAddr - loadAddr;
      if (loadBytes > image.length - fileOffset) {
        throw Report.die("multiboot kernel %s: load_end_addr 0x%x is beyond the end of the file", kernel,
            loadEndAddr);
      }
    }
    long memBytes = loadBytes;
    if (bssEndAddr != 0) {
      if (bssEndAddr < loadAddr + loadBytes) {
        throw Report.die("multiboot kernel %s: bss_end_addr 0x%x is below the end of the loaded image 0x%x",
            kernel, bssEndAddr, loadAddr + loadBytes);
      }
      memBytes = bssEndAddr - loadAddr;
    }
    out.add(new Segment(loadAddr, image, fileOffset, (int) loadBytes, memBytes));
    return entry;
  }

  /** A 32-bit x86 ELF executable: its PT_LOAD program headers, at their physical addresses. */
  private static long elf(Path kernel, byte[] image, ByteBuffer b, List<Segment> out) {
    boolean elfMagic = image.length >= 16 && image[0] == 0x7F && image[1] == 'E' && image[2] == 'L'
        && image[3] == 'F';
    if (!elfMagic) {
      throw Report.die("multiboot kernel %s: no address fields in the header (flag 16) and not an ELF file",
          kernel);
    }
    if (image[4] == 2 || (image.length >= 20 && b.getShort(18) == EM_X86_64)) {
      throw Report.die("multiboot kernel %s: cannot load an x86-64 ELF image; give a 32-bit one", kernel);
    }
    if (image[4] != 1 || image[5] != 1 || image.length < ELF_HEADER_BYTES) {
      throw Report.die("multiboot kernel %s: not a little-endian 32-bit ELF file", kernel);
    }
    if (b.getShort(16) != ET_EXEC || b.getShort(18) != EM_386) {
      throw Report.die("multiboot kernel %s: not an i386 ELF executable (type %d, machine %d)", kernel,
          b.getShort(16), b.getShort(18));
    }
    long entry = b.getInt(24) & 0xFFFF_FFFFL;
    long phoff = b.getInt(28) & 0xFFFF_FFFFL;
    int phentsize = b.getShort(42) & 0xFFFF;
    int phnum = b.getShort(44) & 0xFFFF;
    if (phentsize < ELF_PHDR_BYTES || phoff + (long) phnum * phentsize > image.length) {
      throw Report.die("multiboot kernel %s: the ELF program headers are outside the file", kernel);
    }
    long entryPhys = -1;
    for (int n = 0; n < phnum; n++) {
      int ph = (int) (phoff + (long) n * phentsize);
      if (b.getInt(ph) != PT_LOAD) {
        continue;
      }
      long offset = b.getInt(ph + 4) & 0xFFFF_FFFFL;
      long vaddr = b.getInt(ph + 8) & 0xFFFF_FFFFL;
      long paddr = b.getInt(ph + 12) & 0xFFFF_FFFFL;
      long filesz = b.getInt(ph + 16) & 0xFFFF_FFFFL;
      long memsz = b.getInt(ph + 20) & 0xFFFF_FFFFL;
      if (memsz == 0) {
        continue;
      }
      if (filesz > memsz) {
        throw Report.die("multiboot kernel %s: ELF segment %d has p_filesz 0x%x above p_memsz 0x%x", kernel, n,
            filesz, memsz);
      }
      if (offset + filesz > image.length) {
        throw Report.die("multiboot kernel %s: ELF segment %d lies beyond the end of the file", kernel, n);
      }
      if (paddr + memsz > 0x1_0000_0000L) {
        throw Report.die("multiboot kernel %s: ELF segment %d ends above 4 GiB", kernel, n);
      }
      out.add(new Segment(paddr, image, (int) offset, (int) filesz, memsz));
      // GRUB's rule: an entry point inside a segment's virtual range moves with the segment.
      if (entryPhys < 0 && vaddr <= entry && entry < vaddr + memsz) {
        entryPhys = entry - vaddr + paddr;
      }
    }
    if (out.isEmpty()) {
      throw Report.die("multiboot kernel %s: the ELF file has nothing to load", kernel);
    }
    return entryPhys >= 0 ? entryPhys : entry;
  }

  /** A loaded range must be RAM in the E820 map and must not cover the IVT, BDA or the boot information. */
  private static void checkPlace(Path kernel, String what, long from, long to, long[][] e820, long infoEnd) {
    if (!insideRam(from, to, e820)) {
      throw Report.die("multiboot kernel %s: %s 0x%x-0x%x is not in guest RAM", kernel, what, from, to - 1);
    }
    if (from < LOW_RESERVED_END || (from < infoEnd && to > INFO_ADDR)) {
      throw Report.die("multiboot kernel %s: %s 0x%x-0x%x overlaps the BIOS data or the boot information "
          + "(0x%x-0x%x)", kernel, what, from, to - 1, INFO_ADDR, infoEnd - 1);
    }
  }

  private static boolean insideRam(long from, long to, long[][] e820) {
    for (long[] e : e820) {
      if (e[2] == Bios.E820_RAM && from >= e[0] && to <= e[0] + e[1]) {
        return true;
      }
    }
    return false;
  }

  private static void zero(PhysicalMemory mem, long at, long n) {
    byte[] z = new byte[(int) Math.min(n, 1 << 16)];
    while (n > 0) {
      int k = (int) Math.min(n, z.length);
      mem.writeBytes(at, z, 0, k);
      at += k;
      n -= k;
    }
  }

  /** The boot information area being built: a cursor from {@link #INFO_ADDR} over a scratch buffer. */
  private static final class Info {
    final byte[] buf = new byte[0x1_0000];
    private final ByteBuffer bb = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
    private int used;

    long reserve(int bytes, int align) {
      used = (used + align - 1) & -align;
      if (used + bytes > buf.length) {
        throw Report.die("multiboot: the command line and module names do not fit in %d KiB", buf.length >> 10);
      }
      long at = INFO_ADDR + used;
      used += bytes;
      return at;
    }

    long string(String s) {
      byte[] text = s.getBytes(StandardCharsets.UTF_8);
      long at = reserve(text.length + 1, 1);
      System.arraycopy(text, 0, buf, (int) (at - INFO_ADDR), text.length);
      return at;
    }

    long end() {
      return INFO_ADDR + ((used + 15) & -16);
    }

    void putInt(long at, int v) {
      bb.putInt((int) (at - INFO_ADDR), v);
    }

    void putLong(long at, long v) {
      bb.putLong((int) (at - INFO_ADDR), v);
    }
  }
}
