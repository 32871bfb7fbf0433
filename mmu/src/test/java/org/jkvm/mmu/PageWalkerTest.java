package org.jkvm.mmu;

import static org.jkvm.mmu.PageWalker.ACC_FETCH;
import static org.jkvm.mmu.PageWalker.ACC_READ;
import static org.jkvm.mmu.PageWalker.ACC_WRITE;
import static org.jkvm.mmu.PageWalker.MMU_KSMAP;
import static org.jkvm.mmu.PageWalker.MMU_USER;
import static org.jkvm.mmu.PageWalker.OK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** 4-level walks over hand-built tables: the SDM's permission and error-code rules, A/D write-back. */
class PageWalkerTest {
  static final long CR0 = (1L << 31) | (1L << 16) | 1; // PG, WP, PE
  static final long CR4 = 1L << 5; // PAE
  static final long EFER = (1L << 10) | (1L << 11); // LMA, NXE
  static final long P = 1;
  static final long RW = 2;
  static final long US = 4;
  PhysicalMemory m;
  PageWalker w;
  PageWalker.Result r;

  @BeforeEach
  void setUp() {
    m = new PhysicalMemory();
    m.addRam(0, 4 << 20);
    w = new PageWalker(m);
    r = new PageWalker.Result();
    // PML4 at 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000; la 0 maps to 0x10_0000.
    m.write(0x1000, 8, 0x2000 | P | RW | US);
    m.write(0x2000, 8, 0x3000 | P | RW | US);
    m.write(0x3000, 8, 0x4000 | P | RW | US);
  }

  int walk(long la, int acc, int idx) {
    return w.walk(la, acc, idx, CR0, 0x1000, CR4, EFER, r);
  }

  @Test
  void walk_present_setsAccessedAndDirtyOnWrite() {
    m.write(0x4000, 8, 0x10_0000 | P | RW);
    assertEquals(OK, walk(0x123, ACC_READ, MMU_KSMAP));
    assertEquals(0x10_0000, r.gpaPage);
    assertEquals(0, r.prot & PageWalker.PROT_WRITE, "not dirty yet: no write permission cached");
    assertEquals(0x20, m.read(0x4000, 8) & 0x60);
    assertEquals(OK, walk(0x123, ACC_WRITE, MMU_KSMAP));
    assertEquals(0x60, m.read(0x4000, 8) & 0x60);
    assertTrue((r.prot & PageWalker.PROT_WRITE) != 0);
  }

  @Test
  void walk_notPresent_errorCodeHasNoPBit() {
    assertEquals(PageWalker.PF_W | PageWalker.PF_U, walk(0x5000, ACC_WRITE, MMU_USER));
  }

  @Test
  void walk_userOnSupervisorPage_isProtectionFault() {
    m.write(0x4000, 8, 0x10_0000 | P | RW);
    assertEquals(PageWalker.PF_P | PageWalker.PF_U, walk(0, ACC_READ, MMU_USER));
  }

  @Test
  void walk_writeToReadOnlyWithWp_faults() {
    m.write(0x4000, 8, 0x10_0000 | P);
    assertEquals(PageWalker.PF_P | PageWalker.PF_W, walk(0, ACC_WRITE, MMU_KSMAP));
  }

  @Test
  void walk_fetchFromNxPage_setsInstructionBit() {
    m.write(0x4000, 8, 0x10_0000 | P | (1L << 63));
    assertEquals(PageWalker.PF_P | PageWalker.PF_I, walk(0, ACC_FETCH, MMU_KSMAP));
  }

  @Test
  void walk_reservedBit_setsRsvd() {
    m.write(0x4000, 8, 0x10_0000 | P | (1L << 45));
    assertEquals(PageWalker.PF_P | PageWalker.PF_RSVD, walk(0, ACC_READ, MMU_KSMAP));
  }

  @Test
  void walk_twoMegabytePage_mapsOffsetWithinIt() {
    m.write(0x3008, 8, 0x20_0000 | P | RW | 0x80);
    assertEquals(OK, walk(0x20_0000 + 0x1_2345, ACC_READ, MMU_KSMAP));
    assertEquals(0x21_2000, r.gpaPage);
    assertEquals(2 << 20, r.pageSize);
  }
}
