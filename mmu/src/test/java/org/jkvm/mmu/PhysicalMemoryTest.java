package org.jkvm.mmu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PhysicalMemoryTest {
  @Test
  void readWrite_littleEndianAllWidths() {
    PhysicalMemory m = new PhysicalMemory();
    m.addRam(0, 1 << 20);
    m.write(0x100, 8, 0x1122_3344_5566_7788L);
    assertEquals(0x88, m.read(0x100, 1));
    assertEquals(0x7788, m.read(0x100, 2));
    assertEquals(0x5566_7788L, m.read(0x100, 4));
    assertEquals(0x1122_3344_5566_7788L, m.read(0x100, 8));
    assertEquals(0x3344_5566L, m.read(0x102, 4));
  }

  @Test
  void read_holeIsAllOnes_writeIsDropped() {
    PhysicalMemory m = new PhysicalMemory();
    m.addRam(0, 1 << 20);
    assertEquals(0xFFFF_FFFFL, m.read(0x20_0000, 4));
    m.write(0x20_0000, 4, 0);
    assertEquals(0xFF, m.read(0x20_0000, 1));
    assertFalse(m.isRam(0x10_0000));
    assertTrue(m.isRam(0xF_FFFF));
  }

  @Test
  void access_straddlingRamEnd_splitsPerByte() {
    PhysicalMemory m = new PhysicalMemory();
    m.addRam(0, 1 << 20);
    m.write(0xF_FFFE, 4, 0x1234_5678L);
    assertEquals(0x5678, m.read(0xF_FFFE, 2));
    assertEquals(0xFFFF_5678L, m.read(0xF_FFFE, 4)); // the two bytes past RAM read as all-ones
  }

  @Test
  void chunks_areAllocatedOnFirstTouchOnly() {
    PhysicalMemory m = new PhysicalMemory();
    m.addRam(0, 64L << 20);
    assertEquals(0, m.read(0x300_0000, 8));
    assertTrue(m.chunkOf(0x300_0000) != null);
    assertNull(m.chunkOf(0x400_0000 + (64L << 20)));
  }

  @Test
  void mmio_dispatchesOffsetsAndRejectsOverlap() {
    PhysicalMemory m = new PhysicalMemory();
    m.addRam(0, 1 << 20);
    List<String> log = new ArrayList<>();
    m.addMmio(0xFEC0_0000L, 0x1000, new MmioHandler() {
      @Override
      public long read(long offset, int size) {
        log.add("r" + offset + "/" + size);
        return 0xAB;
      }

      @Override
      public void write(long offset, int size, long value) {
        log.add("w" + offset + "/" + size + "=" + value);
      }
    });
    assertEquals(0xAB, m.read(0xFEC0_0010L, 4));
    m.write(0xFEC0_0004L, 1, 7);
    assertEquals(List.of("r16/4", "w4/1=7"), log);
    assertThrows(IllegalArgumentException.class, () -> m.addMmio(0xFEC0_0800L, 0x1000, null));
    assertThrows(IllegalArgumentException.class, () -> m.addMmio(0x1000, 0x1000, null));
  }

  @Test
  void bulkCopies_roundTripAcrossChunks() {
    PhysicalMemory m = new PhysicalMemory();
    m.addRam(0, 8L << 20);
    byte[] data = new byte[3 << 20];
    new Random(1).nextBytes(data);
    m.writeBytes(0x10_0000, data, 0, data.length);
    byte[] back = new byte[data.length];
    m.readBytes(0x10_0000, back, 0, back.length);
    assertArrayEquals(data, back);
  }

  @Test
  void codeWrite_notifiesOnceAndClearsTheMark() {
    PhysicalMemory m = new PhysicalMemory();
    m.addRam(0, 1 << 20);
    List<Long> pages = new ArrayList<>();
    m.addCodeWriteListener(pages::add);
    m.markCode(0x5123);
    assertTrue(m.isCode(0x5000));
    m.write(0x5800, 4, 1);
    m.write(0x5800, 4, 2);
    assertEquals(List.of(0x5000L), pages);
    assertFalse(m.isCode(0x5000));
  }

  @Test
  void compareAndExchange_succeedsOnlyOnMatch() {
    PhysicalMemory m = new PhysicalMemory();
    m.addRam(0, 1 << 20);
    m.write(0x40, 8, 5);
    assertEquals(5, m.compareAndExchange(0x40, 8, 5, 9));
    assertEquals(9, m.read(0x40, 8));
    assertEquals(9, m.compareAndExchange(0x40, 8, 5, 11));
    assertEquals(9, m.read(0x40, 8));
  }

  /** Compare-and-swap of every size, inside a quadword and straddling one; neighbours untouched. */
  @Test
  void casChunk_everySize_leavesNeighboursAlone() {
    byte[] c = new byte[64];
    PhysicalMemory.writeChunk(c, 8, 8, 0x1_0000_0005L);
    assertTrue(PhysicalMemory.casChunk(c, 8, 8, 0x1_0000_0005L, 9));
    assertEquals(9, PhysicalMemory.readChunk(c, 8, 8));
    assertFalse(PhysicalMemory.casChunk(c, 8, 8, 5, 11));
    assertEquals(9, PhysicalMemory.readChunk(c, 8, 8));
    PhysicalMemory.writeChunk(c, 4, 4, 0xFFFF_FFF0L);
    assertTrue(PhysicalMemory.casChunk(c, 4, 4, 0xFFFF_FFF0L, 0x12));
    assertEquals(0x12, PhysicalMemory.readChunk(c, 4, 4));
    assertTrue(PhysicalMemory.casChunk(c, 9, 1, 0, 0xAB));
    assertTrue(PhysicalMemory.casChunk(c, 13, 2, 0, 0xBEEF)); // bytes 13-14 of the quadword at 8
    assertEquals(0x00BE_EF00_0000_AB09L, PhysicalMemory.readChunk(c, 8, 8));
    assertTrue(PhysicalMemory.casChunk(c, 22, 4, 0, 0x1122_3344)); // straddles 24: the split-lock path
    assertEquals(0x1122_3344L, PhysicalMemory.readChunk(c, 22, 4));
    assertEquals(0x12, PhysicalMemory.readChunk(c, 4, 4), "the quadword before is untouched");
    assertTrue(java.util.Set.of("VarHandle", "Unsafe").contains(PhysicalMemory.atomicMechanism()),
        "this JDK has a real compare-and-swap: " + PhysicalMemory.atomicMechanism());
  }

  /** Two threads incrementing neighbouring bytes of one quadword with compare-and-swap lose nothing. */
  @Test
  void casChunk_isAtomicAcrossThreads() throws Exception {
    byte[] c = new byte[16];
    int n = 200_000;
    Thread[] t = new Thread[2];
    for (int k = 0; k < 2; k++) {
      int off = 2 + 2 * k; // 16-bit counters at 2 and 4, inside the first quadword
      t[k] = new Thread(() -> {
        for (int i = 0; i < n; i++) {
          long v;
          do {
            v = PhysicalMemory.readChunk(c, off, 2);
          } while (!PhysicalMemory.casChunk(c, off, 2, v, v + 1));
        }
      });
      t[k].start();
    }
    for (Thread x : t) {
      x.join();
    }
    assertEquals(n & 0xFFFF, PhysicalMemory.readChunk(c, 2, 2));
    assertEquals(n & 0xFFFF, PhysicalMemory.readChunk(c, 4, 2));
  }
}
