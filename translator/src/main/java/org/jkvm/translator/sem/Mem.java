package org.jkvm.translator.sem;

import org.jkvm.mmu.PageWalker;
import org.jkvm.mmu.PhysicalMemory;
import org.jkvm.mmu.SoftTlb;
import org.jkvm.runtime.CpuState;

/**
 * Guest virtual memory as instructions see it: segmentation (base, limit, type, canonical checks), then
 * the softmmu TLB fast path (a mask, a compare and an array load, DESIGN.md rule 8), then the slow path
 * (page walk, TLB fill, MMIO, page-crossing accesses, writes to pages holding code).
 *
 * <p>Faults are thrown as {@link GuestFault}; before a #PF is thrown CR2 is set.
 */
public final class Mem {
  private Mem() {}

  static final int PAGE = 4096;
  static final long PAGE_MASK = PhysicalMemory.PAGE_MASK;

  // ---- segmentation ----

  /**
   * The linear address of {@code size} bytes at offset {@code off} in segment {@code seg}, after the
   * checks the SDM requires (Vol. 3A, 5.3 limit checking, 5.4 type checking; in 64-bit mode only the
   * canonical check, 3.3.7.1). {@code off} is already truncated to the address size.
   */
  public static long linear(CpuState c, int seg, long off, int size, boolean write) {
    if (c.codeSize == 8) {
      long la = seg >= CpuState.FS ? c.segBase[seg] + off : off;
      if ((la << 16 >> 16) != la) {
        throw seg == CpuState.SS ? GuestFault.withCode(GuestFault.SS, 0) : GuestFault.gp0();
      }
      return la;
    }
    int limit = c.segLimit[seg];
    int attr = c.segAttr[seg];
    // A flat writable data segment needs no check unless the access runs past 4 GiB (past its limit).
    if (limit != -1 || (attr & 0x1E) != 0x12 || off + size > 0x1_0000_0000L) {
      checkSegment(c, seg, off, size, write, limit, attr);
    }
    return (c.segBase[seg] + off) & 0xFFFF_FFFFL;
  }

  private static void checkSegment(CpuState c, int seg, long off, int size, boolean write, int limit,
      int attr) {
    boolean pm = c.protectedMode() && !c.v86Mode();
    if (pm) {
      if ((attr & CpuState.SEG_UNUSABLE) != 0 || (attr & CpuState.SEG_P) == 0) {
        throw segFault(seg);
      }
      boolean code = (attr & 8) != 0;
      if (write && (code || (attr & 2) == 0)) {
        throw segFault(seg);
      }
      if (!write && code && (attr & 2) == 0) {
        throw segFault(seg);
      }
    }
    long last = off + size - 1;
    long lim = limit & 0xFFFF_FFFFL;
    boolean expandDown = pm && (attr & 0xC) == 4; // data segment with E set
    if (expandDown) {
      long upper = (attr & CpuState.SEG_DB) != 0 ? 0xFFFF_FFFFL : 0xFFFFL;
      if (off <= lim || last > upper) {
        throw segFault(seg);
      }
    } else if (last > lim) {
      throw segFault(seg);
    }
  }

  private static GuestFault segFault(int seg) {
    return seg == CpuState.SS ? GuestFault.withCode(GuestFault.SS, 0) : GuestFault.gp0();
  }

  // ---- segment:offset access ----

  public static long read(CpuState c, int seg, long off, int size) {
    return readLa(c, linear(c, seg, off, size, false), size);
  }

  public static void write(CpuState c, int seg, long off, int size, long v) {
    writeLa(c, linear(c, seg, off, size, true), size, v);
  }

  /** Reads for a read-modify-write: checks write permission now, so the write cannot fault afterwards. */
  public static long readForWrite(CpuState c, int seg, long off, int size) {
    long la = linear(c, seg, off, size, true);
    return readLaForWrite(c, la, size);
  }

  // ---- linear access: the TLB fast paths ----

  public static long readLa(CpuState c, long la, int size) {
    SoftTlb t = c.tlb;
    int e = (c.mmuIdx << SoftTlb.BITS) | ((int) (la >>> 12) & SoftTlb.MASK);
    int po = (int) la & (PAGE - 1);
    if (t.readTag[e] == (la & PAGE_MASK) && po <= PAGE - size) {
      return PhysicalMemory.readChunk(t.chunk[e], t.chunkOffset[e] + po, size);
    }
    return readSlow(c, la, size, c.mmuIdx, PageWalker.ACC_READ);
  }

  public static int read8(CpuState c, long la) {
    SoftTlb t = c.tlb;
    int e = (c.mmuIdx << SoftTlb.BITS) | ((int) (la >>> 12) & SoftTlb.MASK);
    if (t.readTag[e] == (la & PAGE_MASK)) {
      return t.chunk[e][t.chunkOffset[e] + ((int) la & (PAGE - 1))] & 0xFF;
    }
    return (int) readSlow(c, la, 1, c.mmuIdx, PageWalker.ACC_READ);
  }

  public static void writeLa(CpuState c, long la, int size, long v) {
    if (c.lockArmed) {
      lockedWrite(c, la, size, v);
      return;
    }
    SoftTlb t = c.tlb;
    int e = (c.mmuIdx << SoftTlb.BITS) | ((int) (la >>> 12) & SoftTlb.MASK);
    int po = (int) la & (PAGE - 1);
    if (t.writeTag[e] == (la & PAGE_MASK) && po <= PAGE - size) {
      PhysicalMemory.writeChunk(t.chunk[e], t.chunkOffset[e] + po, size, v);
      return;
    }
    writeSlow(c, la, size, v, c.mmuIdx);
  }

  /** Reads with a write-permission check: the first half of a read-modify-write. */
  public static long readLaForWrite(CpuState c, long la, int size) {
    SoftTlb t = c.tlb;
    int e = (c.mmuIdx << SoftTlb.BITS) | ((int) (la >>> 12) & SoftTlb.MASK);
    int po = (int) la & (PAGE - 1);
    long v;
    if (t.writeTag[e] == (la & PAGE_MASK) && po <= PAGE - size) {
      v = PhysicalMemory.readChunk(t.chunk[e], t.chunkOffset[e] + po, size);
    } else {
      // Check (and fault) for write first, then read; the write that follows will hit or go slow again.
      probeWrite(c, la, size, c.mmuIdx);
      v = readSlow(c, la, size, c.mmuIdx, PageWalker.ACC_READ);
    }
    if (c.lockArmed) {
      Locked.remember(c, la, size, v);
    }
    return v;
  }

  /**
   * The write of a locked instruction on an SMP guest: a compare-and-swap against the value its read for
   * write saw, so that no other vCPU's access can fall between the two ({@link Locked}).
   */
  private static void lockedWrite(CpuState c, long la, int size, long v) {
    int k = Locked.slot(c, la, size);
    long a = c.longMode() ? la : la & 0xFFFF_FFFFL;
    int po = (int) a & (PAGE - 1);
    if (k < 0 || po + size > PAGE) {
      // Not the location read (none of the lockable instructions does this) or a page-straddling split
      // lock: a plain write.
      c.lockArmed = false;
      try {
        writeLa(c, la, size, v);
      } finally {
        c.lockArmed = true;
      }
      return;
    }
    int e = translate(c, a, c.mmuIdx, PageWalker.ACC_WRITE);
    SoftTlb t = c.tlb;
    byte[] chunk = t.chunk[e];
    if (chunk == null) {
      c.mem.write(t.gpaPage[e] | po, size, v); // MMIO: the device sees one write, as with a bus lock
      return;
    }
    if (!PhysicalMemory.casChunk(chunk, t.chunkOffset[e] + po, size, c.lockOld[k], v)) {
      throw Locked.Retry.INSTANCE;
    }
    if ((t.writeTag[e] & SoftTlb.TLB_CODE) != 0) {
      t.writeTag[e] &= ~SoftTlb.TLB_CODE;
      c.mem.noteWritePage(t.gpaPage[e]);
    }
  }

  /** Supervisor ("implicit") reads of system structures: GDT, LDT, IDT, TSS. */
  public static long readSys(CpuState c, long la, int size) {
    return readSlow(c, la, size, PageWalker.MMU_KSMAP, PageWalker.ACC_READ);
  }

  /** Supervisor ("implicit") writes of system structures (descriptor accessed/busy bits). */
  public static void writeSys(CpuState c, long la, int size, long v) {
    writeSlow(c, la, size, v, PageWalker.MMU_KSMAP);
  }

  /** One byte of instruction fetch at linear address {@code la}, with execute permission. */
  public static int fetch8(CpuState c, long la) {
    SoftTlb t = c.tlb;
    int e = (fetchIdx(c) << SoftTlb.BITS) | ((int) (la >>> 12) & SoftTlb.MASK);
    if (t.execTag[e] == (la & PAGE_MASK)) {
      return t.chunk[e][t.chunkOffset[e] + ((int) la & (PAGE - 1))] & 0xFF;
    }
    return (int) readSlow(c, la, 1, fetchIdx(c), PageWalker.ACC_FETCH);
  }

  /**
   * Translates {@code la} for execution and returns the guest physical address, filling the TLB;
   * throws #PF if it may not be executed.
   */
  public static long translateFetch(CpuState c, long la) {
    int e = translate(c, la, fetchIdx(c), PageWalker.ACC_FETCH);
    return c.tlb.gpaPage[e] | (la & (PAGE - 1));
  }

  /** Instruction fetches use the user view at CPL 3, else the supervisor view (SMAP does not apply). */
  static int fetchIdx(CpuState c) {
    return c.cpl == 3 ? PageWalker.MMU_USER : PageWalker.MMU_KSMAP;
  }

  // ---- slow paths ----

  /**
   * #AC(0) if data accesses are alignment checked now (CPL 3, CR0.AM, EFLAGS.AC) and {@code la} is not
   * aligned to {@code align}: for operands whose alignment is checked as a whole rather than access by
   * access (see {@link #beginStructure}, {@code Sse.unaligned16}, FXSAVE's area).
   */
  public static void checkAligned(CpuState c, long la, int align) {
    if (c.mmuIdx == PageWalker.MMU_USER_AC && (la & (align - 1)) != 0) {
      throw GuestFault.withCode(GuestFault.AC, 0);
    }
  }

  /**
   * For a structure whose alignment is checked as a whole (FNSAVE/FRSTOR, whose 80-bit registers lie at
   * 10-byte strides): #AC if {@code la} is not aligned to {@code align} while checks are on; then switches
   * to the unchecked user view for the structure's fields. Returns the view to restore afterwards.
   */
  public static int beginStructure(CpuState c, long la, int align) {
    int view = c.mmuIdx;
    checkAligned(c, la, align);
    if (view == PageWalker.MMU_USER_AC) {
      c.mmuIdx = PageWalker.MMU_USER;
    }
    return view;
  }

  /**
   * The alignment check of the user view with CR0.AM and EFLAGS.AC (SDM Vol. 3A, 6.15, #AC): an access of
   * 2, 4 or 8 bytes must be aligned to its size. Wider operands reach here as such accesses (an 80-bit
   * x87 value as 8 + 2 bytes, aligned to 8 as the SDM requires; a 16-byte SSE operand as 8 + 8). Returns
   * the view to translate with.
   */
  private static int checkAlignment(long la, int size, int mmuIdx) {
    if (mmuIdx != PageWalker.MMU_USER_AC) {
      return mmuIdx;
    }
    if ((la & (size - 1)) != 0 && (size == 2 || size == 4 || size == 8)) {
      throw GuestFault.withCode(GuestFault.AC, 0);
    }
    return PageWalker.MMU_USER;
  }

  private static long readSlow(CpuState c, long la, int size, int mmuIdx, int access) {
    mmuIdx = checkAlignment(la, size, mmuIdx);
    if (!c.longMode()) {
      la &= 0xFFFF_FFFFL; // linear addresses are 32-bit outside long mode
    }
    int po = (int) la & (PAGE - 1);
    if (po + size > PAGE) {
      // Crosses a page: each byte on its own, in order, so a fault reports the first bad page.
      long v = 0;
      for (int i = 0; i < size; i++) {
        long a = c.longMode() ? la + i : (la + i) & 0xFFFF_FFFFL;
        v |= readSlow(c, a, 1, mmuIdx, access) << (8 * i);
      }
      return v;
    }
    int e = translate(c, la, mmuIdx, access);
    SoftTlb t = c.tlb;
    byte[] chunk = t.chunk[e];
    if (chunk != null) {
      return PhysicalMemory.readChunk(chunk, t.chunkOffset[e] + po, size);
    }
    return c.mem.read(t.gpaPage[e] | po, size);
  }

  private static void writeSlow(CpuState c, long la, int size, long v, int mmuIdx) {
    mmuIdx = checkAlignment(la, size, mmuIdx);
    if (!c.longMode()) {
      la &= 0xFFFF_FFFFL; // linear addresses are 32-bit outside long mode
    }
    int po = (int) la & (PAGE - 1);
    if (po + size > PAGE) {
      // Both pages must be writable before any byte is written (an instruction is all or nothing).
      long second = c.longMode() ? (la & PAGE_MASK) + PAGE : ((la & PAGE_MASK) + PAGE) & 0xFFFF_FFFFL;
      translate(c, la, mmuIdx, PageWalker.ACC_WRITE);
      translate(c, second, mmuIdx, PageWalker.ACC_WRITE);
      for (int i = 0; i < size; i++) {
        long a = c.longMode() ? la + i : (la + i) & 0xFFFF_FFFFL;
        writeSlow(c, a, 1, v >>> (8 * i), mmuIdx);
      }
      return;
    }
    int e = translate(c, la, mmuIdx, PageWalker.ACC_WRITE);
    SoftTlb t = c.tlb;
    byte[] chunk = t.chunk[e];
    if (chunk == null) {
      c.mem.write(t.gpaPage[e] | po, size, v);
      return;
    }
    PhysicalMemory.writeChunk(chunk, t.chunkOffset[e] + po, size, v);
    if ((t.writeTag[e] & SoftTlb.TLB_CODE) != 0) {
      t.writeTag[e] &= ~SoftTlb.TLB_CODE; // the page is no longer code once its blocks are dropped
      c.mem.noteWritePage(t.gpaPage[e]);
    }
  }

  private static void probeWrite(CpuState c, long la, int size, int mmuIdx) {
    mmuIdx = checkAlignment(la, size, mmuIdx);
    long a = c.longMode() ? la : la & 0xFFFF_FFFFL;
    translate(c, a, mmuIdx, PageWalker.ACC_WRITE);
    if (((int) a & (PAGE - 1)) + size > PAGE) {
      long second = c.longMode() ? (a & PAGE_MASK) + PAGE : ((a & PAGE_MASK) + PAGE) & 0xFFFF_FFFFL;
      translate(c, second, mmuIdx, PageWalker.ACC_WRITE);
    }
  }

  /**
   * Makes sure the TLB holds a translation of {@code la} that permits {@code access}, walking the page
   * tables if needed; returns the entry index. Throws #PF (with CR2) if the walk fails.
   */
  static int translate(CpuState c, long la, int mmuIdx, int access) {
    if (mmuIdx == PageWalker.MMU_USER_AC) {
      mmuIdx = PageWalker.MMU_USER; // the alignment was checked by the caller (a locked write's read)
    }
    SoftTlb t = c.tlb;
    int e = SoftTlb.index(mmuIdx, la);
    long page = la & PAGE_MASK;
    long tag = access == PageWalker.ACC_READ ? t.readTag[e]
        : access == PageWalker.ACC_WRITE ? t.writeTag[e] : t.execTag[e];
    if ((tag & SoftTlb.TLB_INVALID) == 0 && (tag & PAGE_MASK) == page) {
      return e;
    }
    PageWalker.Result r = c.walk;
    int err = c.walker.walk(la, access, mmuIdx, c.cr0, c.cr3, c.cr4, c.efer, r);
    if (err != PageWalker.OK) {
      c.cr2 = la;
      throw GuestFault.withCode(GuestFault.PF, err);
    }
    byte[] chunk = c.mem.chunkOf(r.gpaPage);
    t.fill(mmuIdx, la, r, chunk, chunk != null && c.mem.isCode(r.gpaPage));
    return e;
  }
}
