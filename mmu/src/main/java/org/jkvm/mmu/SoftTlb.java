package org.jkvm.mmu;

import java.util.Arrays;

/**
 * The softmmu TLB of one vCPU: the shadow of the guest's page tables, as primitive arrays (DESIGN.md
 * rule 8). It is direct mapped, one partition per privilege view ({@link PageWalker#MMU_KSMAP} and
 * friends), with separate read, write and execute tags so that a single compare decides each kind of
 * access.
 *
 * <p>A tag is the page-aligned linear address when the fast path may be taken. Flag bits in the low
 * (page offset) bits make the compare fail and force the slow path while keeping the translation:
 * <ul>
 *   <li>{@link #TLB_INVALID}: the entry holds nothing;
 *   <li>{@link #TLB_MMIO}: the page is not RAM; accesses go to the bus;
 *   <li>{@link #TLB_CODE} (write tags only): the page holds code, so writes must tell the translator.
 * </ul>
 * Large pages are entered one 4 KiB page at a time; an INVLPG that falls inside a large page that was ever
 * entered flushes everything (QEMU does the same).
 *
 * <p>The arrays are public because translated code reads them inline; only the owning vCPU thread writes
 * them.
 */
public final class SoftTlb {
  public static final int BITS = 10;
  public static final int SIZE = 1 << BITS;
  public static final int MASK = SIZE - 1;

  /**
   * One partition per view, and one more for {@link PageWalker#MMU_USER_AC}, which stays invalid: the
   * fast paths index it like the others and always miss.
   */
  static final int ENTRIES = SIZE * (PageWalker.MMU_COUNT + 1);

  public static final long TLB_INVALID = 1;
  public static final long TLB_MMIO = 2;
  public static final long TLB_CODE = 4;
  public static final long TLB_FLAGS = 0xFFF;

  public final long[] readTag = new long[ENTRIES];
  public final long[] writeTag = new long[ENTRIES];
  public final long[] execTag = new long[ENTRIES];
  /** RAM chunk holding the page, or null for MMIO. */
  public final byte[][] chunk = new byte[ENTRIES][];
  /** Offset of the page inside its chunk. */
  public final int[] chunkOffset = new int[ENTRIES];
  /** Guest physical address of the page. */
  public final long[] gpaPage = new long[ENTRIES];
  private final boolean[] global = new boolean[ENTRIES];

  /** The range covered by large pages entered since the last full flush (QEMU's tlb_add_large_page). */
  private long largeAddr = -1;
  private long largeMask;

  /** Called after each flush, so that caches keyed by linear address (the jump cache) follow. */
  private Runnable flushListener = () -> { };

  /** Counts for statistics; read by the stats printer, written only by the owner. */
  public long flushes;
  public long fills;

  public SoftTlb() {
    flushAll();
  }

  public void setFlushListener(Runnable l) {
    flushListener = l;
  }

  /** Index of the entry for {@code la} in partition {@code mmuIdx}. */
  public static int index(int mmuIdx, long la) {
    return (mmuIdx << BITS) | ((int) (la >>> PhysicalMemory.PAGE_SHIFT) & MASK);
  }

  /**
   * Enters a translation. {@code chunk} is the RAM chunk of the page, null for MMIO or holes;
   * {@code code} says the physical page holds code.
   */
  public void fill(int mmuIdx, long la, PageWalker.Result r, byte[] chunk, boolean code) {
    int e = index(mmuIdx, la);
    long page = la & PhysicalMemory.PAGE_MASK;
    long slow = chunk == null ? TLB_MMIO : 0;
    readTag[e] = (r.prot & PageWalker.PROT_READ) != 0 ? page | slow : TLB_INVALID;
    writeTag[e] = (r.prot & PageWalker.PROT_WRITE) != 0 ? page | slow | (code ? TLB_CODE : 0) : TLB_INVALID;
    execTag[e] = (r.prot & PageWalker.PROT_EXEC) != 0 ? page | slow : TLB_INVALID;
    this.chunk[e] = chunk;
    chunkOffset[e] = PhysicalMemory.chunkOffset(r.gpaPage);
    gpaPage[e] = r.gpaPage;
    global[e] = r.global;
    if (r.pageSize > PhysicalMemory.PAGE_SIZE) {
      addLargePage(la, r.pageSize);
    }
    fills++;
  }

  private void addLargePage(long la, long size) {
    long mask = ~(size - 1);
    if (largeAddr == -1) {
      largeAddr = la & mask;
      largeMask = mask;
      return;
    }
    // Grow the tracked range until it covers both the old range and the new page.
    long m = largeMask & mask;
    while (((largeAddr ^ la) & m) != 0) {
      m <<= 1;
    }
    largeMask = m;
    largeAddr &= m;
  }

  /** Drops every translation (CR4 changes, CR0.PG/WP changes, or a CR3 write with no global pages). */
  public void flushAll() {
    Arrays.fill(readTag, TLB_INVALID);
    Arrays.fill(writeTag, TLB_INVALID);
    Arrays.fill(execTag, TLB_INVALID);
    Arrays.fill(chunk, null);
    Arrays.fill(global, false);
    largeAddr = -1;
    flushes++;
    flushListener.run();
  }

  /** Drops every translation but the global ones (a CR3 write with CR4.PGE set). */
  public void flushNonGlobal() {
    for (int e = 0; e < global.length; e++) {
      if (!global[e]) {
        readTag[e] = TLB_INVALID;
        writeTag[e] = TLB_INVALID;
        execTag[e] = TLB_INVALID;
        chunk[e] = null;
      }
    }
    flushes++;
    flushListener.run();
  }

  /** INVLPG: drops the translations of the page holding {@code la}, global or not, in every view. */
  public void flushPage(long la) {
    if (largeAddr != -1 && ((la ^ largeAddr) & largeMask) == 0) {
      flushAll();
      return;
    }
    long page = la & PhysicalMemory.PAGE_MASK;
    for (int idx = 0; idx < PageWalker.MMU_COUNT; idx++) {
      int e = index(idx, la);
      if ((readTag[e] & PhysicalMemory.PAGE_MASK) == page
          || (writeTag[e] & PhysicalMemory.PAGE_MASK) == page
          || (execTag[e] & PhysicalMemory.PAGE_MASK) == page) {
        readTag[e] = TLB_INVALID;
        writeTag[e] = TLB_INVALID;
        execTag[e] = TLB_INVALID;
        chunk[e] = null;
        global[e] = false;
      }
    }
    flushes++;
    flushListener.run();
  }

  /** The physical page {@code gpaPage} now holds code: make writes to it take the slow path. */
  public void protectCode(long gpaPage) {
    for (int e = 0; e < writeTag.length; e++) {
      if ((writeTag[e] & TLB_INVALID) == 0 && this.gpaPage[e] == gpaPage) {
        writeTag[e] |= TLB_CODE;
      }
    }
  }
}
