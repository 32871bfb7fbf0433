package org.jkvm.lkvm.boot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.jkvm.lkvm.LkvmExit;
import org.jkvm.lkvm.Report;
import org.jkvm.mmu.PhysicalMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Multiboot v1 loader on hand-made kernels: what lands where, the boot information, and bad headers. */
class MultibootLoaderTest {
  static final long RAM = 64L << 20;

  @TempDir Path dir;
  private final ByteArrayOutputStream messages = new ByteArrayOutputStream();
  private PhysicalMemory mem;

  @BeforeEach
  void setUp() {
    Report.setStream(new PrintStream(messages, true, StandardCharsets.UTF_8));
    mem = new PhysicalMemory();
    mem.addRam(0, RAM);
  }

  @AfterEach
  void tearDown() {
    Report.setStream(System.err);
  }

  // ---- image builders ----

  /** A file of {@code size} bytes (pattern-filled) with a header at {@code at}: magic, flags, checksum, more. */
  static ByteBuffer image(int size, int at, int flags, int... fields) {
    ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < size; i++) {
      b.put(i, (byte) (i * 7 + 3));
    }
    b.putInt(at, MultibootLoader.HEADER_MAGIC);
    b.putInt(at + 4, flags);
    b.putInt(at + 8, -(MultibootLoader.HEADER_MAGIC + flags));
    for (int i = 0; i < fields.length; i++) {
      b.putInt(at + 12 + 4 * i, fields[i]);
    }
    return b;
  }

  /** The a.out-kludge kernel: 0x200 bytes loaded at 1 MiB, header at 0x40, 4 KiB of bss, entry at 0x80. */
  static ByteBuffer aout() {
    return image(0x200, 0x40, 0x10003, 0x100040, 0x100000, 0x100200, 0x101000, 0x100080);
  }

  /**
   * An i386 ELF executable with two PT_LOAD segments: 0x100 file bytes at 0x200000 (vaddr 0xC0200000,
   * memsz 0x1000) and 0x80 bytes at 0x300000, entry at virtual 0xC0200010. The multiboot header without
   * flag 16 sits at file offset 0x100, inside the first segment.
   */
  static ByteBuffer elf() {
    ByteBuffer b = image(0x400, 0x100, 0x3);
    for (int i = 0; i < 0x74; i++) {
      b.put(i, (byte) 0);
    }
    b.put(0, (byte) 0x7F).put(1, (byte) 'E').put(2, (byte) 'L').put(3, (byte) 'F');
    b.put(4, (byte) 1).put(5, (byte) 1).put(6, (byte) 1);
    b.putShort(16, (short) 2).putShort(18, (short) 3).putInt(20, 1);
    b.putInt(24, 0xC020_0010).putInt(28, 0x34).putShort(40, (short) 0x34);
    b.putShort(42, (short) 32).putShort(44, (short) 2);
    phdr(b, 0x34, 1, 0x100, 0xC020_0000, 0x20_0000, 0x100, 0x1000);
    phdr(b, 0x54, 1, 0x200, 0x30_0000, 0x30_0000, 0x80, 0x80);
    return b;
  }

  static void phdr(ByteBuffer b, int at, int type, int offset, int vaddr, int paddr, int filesz, int memsz) {
    b.putInt(at, type).putInt(at + 4, offset).putInt(at + 8, vaddr).putInt(at + 12, paddr);
    b.putInt(at + 16, filesz).putInt(at + 20, memsz).putInt(at + 24, 7).putInt(at + 28, 0x1000);
  }

  Path write(String name, ByteBuffer b) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, b.array());
    return p;
  }

  long u32(long gpa) {
    return mem.read(gpa, 4);
  }

  String cString(long gpa) {
    StringBuilder sb = new StringBuilder();
    for (long a = gpa; mem.read(a, 1) != 0; a++) {
      sb.append((char) mem.read(a, 1));
    }
    return sb.toString();
  }

  byte[] bytes(long gpa, int n) {
    byte[] out = new byte[n];
    mem.readBytes(gpa, out, 0, n);
    return out;
  }

  // ---- loading ----

  @Test
  void aoutKludge_loadsTheFileAtLoadAddr_zeroesBss_andEntersAtEntryAddr() throws IOException {
    ByteBuffer img = aout();
    Path k = write("k.bin", img);
    assertTrue(MultibootLoader.isMultiboot(k));
    mem.write(0x100400, 8, -1L); // stale bytes where the bss goes
    MultibootLoader.Entry e = MultibootLoader.load(mem, k, null, "console=ttyS0 x=1", RAM);
    assertEquals(0x100080, e.eip());
    assertArrayEquals(img.array(), bytes(0x100000, 0x200));
    assertEquals(0, mem.read(0x100400, 8));
    assertEquals(0, mem.read(0x100FF8, 8));
    assertEquals(k + " console=ttyS0 x=1", cString(u32(e.ebx() + 16)));
  }

  @Test
  void bootInformation_hasMemory_memoryMap_loaderName_andModule() throws IOException {
    Path k = write("k.bin", aout());
    byte[] modData = "module zero's contents".getBytes(StandardCharsets.US_ASCII);
    Path mod = dir.resolve("initrd.img");
    Files.write(mod, modData);
    MultibootLoader.Entry e = MultibootLoader.load(mem, k, mod, null, RAM);
    long mbi = e.ebx();
    assertTrue(mbi < 0x10_0000, "the boot information is in low memory");
    long flags = u32(mbi);
    for (int bit : new int[] {0, 2, 3, 6, 9}) {
      assertTrue((flags & (1L << bit)) != 0, "info flag " + bit);
    }
    assertEquals(0x9FC00 >> 10, u32(mbi + 4), "mem_lower: RAM below the EBDA");
    assertEquals((RAM - 0x10_0000) >> 10, u32(mbi + 8), "mem_upper: RAM from 1 MiB");
    assertEquals(k + " ", cString(u32(mbi + 16)), "cmdline is \"FILE ARGS\" even without ARGS");
    assertEquals("jkvm", cString(u32(mbi + 64)));
    // The memory map is jkvm's E820 table, as {size = 20, base, length, type} entries.
    long[][] e820 = Bios.e820(RAM);
    assertEquals(24L * e820.length, u32(mbi + 44));
    long at = u32(mbi + 48);
    for (long[] row : e820) {
      assertEquals(20, u32(at));
      assertEquals(row[0], mem.read(at + 4, 8));
      assertEquals(row[1], mem.read(at + 12, 8));
      assertEquals(row[2], u32(at + 20));
      at += 24;
    }
    // Module 0: page aligned after the kernel's bss, with its file name as command line.
    assertEquals(1, u32(mbi + 20));
    long mods = u32(mbi + 24);
    long start = u32(mods);
    assertEquals(0x101000, start);
    assertEquals(start + modData.length, u32(mods + 4));
    assertArrayEquals(modData, bytes(start, modData.length));
    assertEquals(mod.toString(), cString(u32(mods + 8)));
    // The GDT the entry state uses: flat 32-bit code at 0x08 and data at 0x10.
    assertEquals(0x00CF_9B00_0000_FFFFL, mem.read(e.gdtBase() + 8, 8));
    assertEquals(0x00CF_9300_0000_FFFFL, mem.read(e.gdtBase() + 16, 8));
  }

  @Test
  void elf_loadsProgramHeadersAtPhysicalAddresses_andTranslatesTheEntry() throws IOException {
    ByteBuffer img = elf();
    Path k = write("k.elf", img);
    assertTrue(MultibootLoader.isMultiboot(k));
    mem.write(0x200800, 8, -1L);
    MultibootLoader.Entry e = MultibootLoader.load(mem, k, null, "a b", RAM);
    assertEquals(0x200010, e.eip(), "e_entry moved from the segment's vaddr to its paddr");
    byte[] seg1 = new byte[0x100];
    System.arraycopy(img.array(), 0x100, seg1, 0, 0x100);
    assertArrayEquals(seg1, bytes(0x200000, 0x100));
    assertEquals(0, mem.read(0x200800, 8), "p_memsz beyond p_filesz is zeroed");
    byte[] seg2 = new byte[0x80];
    System.arraycopy(img.array(), 0x200, seg2, 0, 0x80);
    assertArrayEquals(seg2, bytes(0x300000, 0x80));
    assertEquals(0, u32(e.ebx() + 20), "no module");
  }

  @Test
  void badChecksum_orHeaderBeyond8KiB_isNotMultiboot() throws IOException {
    ByteBuffer bad = aout();
    bad.putInt(0x48, bad.getInt(0x48) + 1);
    assertFalse(MultibootLoader.isMultiboot(write("bad.bin", bad)));
    ByteBuffer late = image(0x3000, 0x2000, 0x10003, 0x102000, 0x100000, 0, 0, 0x100000);
    assertFalse(MultibootLoader.isMultiboot(write("late.bin", late)));
    ByteBuffer tooLate = image(0x3000, 8192 - 8, 0x3);
    assertFalse(MultibootLoader.isMultiboot(write("toolate.bin", tooLate)));
    ByteBuffer lastSlot = image(0x3000, 8192 - 12, 0x3);
    assertTrue(MultibootLoader.isMultiboot(write("last.bin", lastSlot)));
  }

  // ---- malformed kernels: one fatal line naming the file, kvmtool's status 128 ----

  void assertOneLineFatal(String name, ByteBuffer img, String expect) throws IOException {
    Path k = write(name, img);
    messages.reset();
    LkvmExit x = assertThrows(LkvmExit.class, () -> MultibootLoader.load(mem, k, null, null, RAM));
    assertEquals(128, x.status);
    String text = messages.toString(StandardCharsets.UTF_8);
    List<String> lines = text.lines().toList();
    assertEquals(1, lines.size(), text);
    assertTrue(lines.get(0).startsWith("  Fatal: "), text);
    assertTrue(lines.get(0).contains(k.toString()), text);
    assertTrue(lines.get(0).contains(expect), text);
  }

  ByteBuffer with(ByteBuffer b, Consumer<ByteBuffer> edit) {
    edit.accept(b);
    return b;
  }

  @Test
  void unsupportedRequiredFlag_isFatal() throws IOException {
    assertOneLineFatal("f.bin", image(0x200, 0x40, 0x10008, 0x100040, 0x100000, 0, 0, 0x100080),
        "requires features");
  }

  @Test
  void aoutAddressesThatContradictTheFile_areFatal() throws IOException {
    assertOneLineFatal("a1.bin", image(0x200, 0x40, 0x10003, 0xFFFFF, 0x100000, 0, 0, 0x100080), "header_addr");
    assertOneLineFatal("a2.bin", image(0x200, 0x40, 0x10003, 0x100100, 0x100000, 0, 0, 0x100080), "header_addr");
    assertOneLineFatal("a3.bin", image(0x200, 0x40, 0x10003, 0x100040, 0x100000, 0xFFFF0, 0, 0x100080),
        "load_end_addr");
    assertOneLineFatal("a4.bin", image(0x200, 0x40, 0x10003, 0x100040, 0x100000, 0x100400, 0, 0x100080),
        "beyond the end of the file");
    assertOneLineFatal("a5.bin", image(0x200, 0x40, 0x10003, 0x100040, 0x100000, 0x100200, 0x100100, 0x100080),
        "bss_end_addr");
    assertOneLineFatal("a6.bin", image(0x200, 0x40, 0x10003, 0x100040, 0x100000, 0, 0, 0x200000), "entry point");
    assertOneLineFatal("a7.bin", image(0x4C, 0x40, 0x10003), "cut off");
  }

  @Test
  void segmentsOutsideRam_orOverTheBiosAndBootInformation_areFatal() throws IOException {
    assertOneLineFatal("r1.bin", image(0x200, 0x40, 0x10003, 0xE000_0040, 0xE000_0000, 0, 0, 0xE000_0080),
        "not in guest RAM");
    assertOneLineFatal("r2.bin", image(0x200, 0x40, 0x10003, 0xF0040, 0xF0000, 0, 0, 0xF0080), "not in guest RAM");
    assertOneLineFatal("r3.bin", image(0x200, 0x40, 0x10003, 0x9040, 0x9000, 0, 0, 0x9080), "boot information");
    assertOneLineFatal("r4.bin", image(0x200, 0x40, 0x10003, 0x440, 0x400, 0, 0, 0x480), "BIOS data");
    assertOneLineFatal("r5.bin", image(0x200, 0x40, 0x10003, 0x100040, 0x100000, 0, 0x7FFF_0000, 0x100080),
        "not in guest RAM");
  }

  @Test
  void badElfFiles_areFatal() throws IOException {
    assertOneLineFatal("e1.elf", image(0x200, 0x40, 0x3), "not an ELF file");
    assertOneLineFatal("e2.elf", with(elf(), b -> b.put(4, (byte) 2)), "x86-64");
    assertOneLineFatal("e3.elf", with(elf(), b -> b.putShort(18, (short) 62)), "x86-64");
    assertOneLineFatal("e4.elf", with(elf(), b -> b.putShort(18, (short) 40)), "not an i386 ELF executable");
    assertOneLineFatal("e5.elf", with(elf(), b -> b.putShort(44, (short) 200)), "program headers");
    assertOneLineFatal("e6.elf", with(elf(), b -> b.putInt(0x34 + 16, 0x2000)), "p_filesz");
    assertOneLineFatal("e7.elf", with(elf(), b -> b.putInt(0x34 + 4, 0x380)), "beyond the end of the file");
    assertOneLineFatal("e8.elf", with(elf(), b -> {
      b.putInt(0x34, 0);
      b.putInt(0x54, 0);
    }), "nothing to load");
    assertOneLineFatal("e9.elf", with(elf(), b -> b.putInt(0x54 + 12, 0xFFFF_FFC0)), "above 4 GiB");
    assertOneLineFatal("e10.elf", with(elf(), b -> b.putInt(24, 0x0050_0000)), "entry point");
  }
}
