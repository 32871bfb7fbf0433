package org.jkvm.mmu;

/**
 * The x86 page-table walker: 32-bit, PAE and 4-level paging (Intel SDM Vol. 3A, chapter 4), with 4 KiB,
 * 2 MiB, 4 MiB and 1 GiB pages, NX, WP, SMEP and SMAP, and accessed/dirty bits written back atomically as
 * hardware does. It returns faults as values (never throws): the caller decides whether a fault becomes a
 * guest #PF or is only a probe.
 *
 * <p>Ambiguities and choices:
 * <ul>
 *   <li>PAE PDPTEs live in registers, as on hardware (SDM Vol. 3A, 4.4.1): {@link #loadPaePdptes} reads them
 *       when the CPU loads CR3 or switches paging modes, and refuses reserved bits (the caller's #GP);
 *       walks use the loaded copies, and no accessed bit is ever written to a PDPTE (bit 5 is reserved
 *       there). A walker whose PDPTEs were never loaded (debug probes) reads them from memory.
 *   <li>Accessed bits are set only when the whole walk succeeds; the SDM allows either.
 *   <li>MAXPHYADDR is 40 (CPUID 0x80000008 says so); bits 51:40 of an entry are reserved.
 * </ul>
 */
public final class PageWalker {
  /** Kinds of access. */
  public static final int ACC_READ = 0;
  public static final int ACC_WRITE = 1;
  public static final int ACC_FETCH = 2;

  /** Privilege views of the address space, one TLB partition each (QEMU's mmu_idx). */
  public static final int MMU_KSMAP = 0; // supervisor, SMAP enforced when CR4.SMAP=1 (EFLAGS.AC=0 or implicit)
  public static final int MMU_KNOSMAP = 1; // supervisor with EFLAGS.AC=1
  public static final int MMU_USER = 2; // CPL 3
  public static final int MMU_COUNT = 3;
  /**
   * CPL 3 with CR0.AM and EFLAGS.AC set: the user view with alignment checks (#AC). It has no TLB partition
   * of its own: its entries in {@link SoftTlb} are never filled, so every access takes the slow path, which
   * checks alignment and then uses {@link #MMU_USER}. Outside {@code 0 .. MMU_COUNT - 1} on purpose.
   */
  public static final int MMU_USER_AC = MMU_COUNT;

  /** Protection bits of a translation, for the privilege view it was walked for. */
  public static final int PROT_READ = 1;
  public static final int PROT_WRITE = 2;
  public static final int PROT_EXEC = 4;

  /** #PF error code bits (SDM Vol. 3A, 4.7). */
  public static final int PF_P = 1;
  public static final int PF_W = 2;
  public static final int PF_U = 4;
  public static final int PF_RSVD = 8;
  public static final int PF_I = 16;

  /** Page-table entry bits. */
  public static final long PG_PRESENT = 1;
  public static final long PG_RW = 2;
  public static final long PG_USER = 4;
  public static final long PG_ACCESSED = 0x20;
  public static final long PG_DIRTY = 0x40;
  public static final long PG_PSE = 0x80;
  public static final long PG_GLOBAL = 0x100;
  public static final long PG_NX = 1L << 63;

  public static final int MAXPHYADDR = 40;
  static final long ADDR_MASK = ((1L << MAXPHYADDR) - 1) & ~0xFFFL;
  /** Bits 51:MAXPHYADDR, reserved in PAE and 4-level entries. */
  static final long RSVD_HIGH = ((1L << 52) - 1) & ~((1L << MAXPHYADDR) - 1);

  static final long CR0_WP = 1L << 16;
  static final long CR0_PG = 1L << 31;
  static final long CR4_PSE = 1L << 4;
  static final long CR4_PAE = 1L << 5;
  static final long CR4_PGE = 1L << 7;
  static final long CR4_SMEP = 1L << 20;
  static final long CR4_SMAP = 1L << 21;
  static final long EFER_LMA = 1L << 10;
  static final long EFER_NXE = 1L << 11;

  /** A successful translation; reused by its owner to keep walks allocation-free. */
  public static final class Result {
    /** Guest physical address of the 4 KiB page holding the linear address. */
    public long gpaPage;
    /** PROT_* bits for the privilege view of the walk. */
    public int prot;
    public boolean global;
    /** Size of the page that mapped the address: 4 KiB, 2 MiB, 4 MiB or 1 GiB. */
    public long pageSize;
  }

  /** The four PAE PDPTE registers, valid after {@link #loadPaePdptes} succeeded. */
  private final long[] paePdpte = new long[4];
  private boolean paePdpteLoaded;

  /**
   * Loads the PDPTE registers from the 32-byte PDPT at {@code cr3} (PAE paging outside IA-32e mode).
   * Returns false, loading nothing, if a present entry has a reserved bit set: the MOV to CR0, CR3 or CR4
   * that asked must then raise #GP(0).
   */
  public boolean loadPaePdptes(long cr3) {
    long base = cr3 & 0xFFFF_FFE0L;
    long[] e = new long[4];
    for (int i = 0; i < 4; i++) {
      e[i] = mem.read(base + 8L * i, 8);
      if ((e[i] & PG_PRESENT) != 0 && ((e[i] & RSVD_HIGH) != 0 || (e[i] & (0x1E6L | PG_NX)) != 0)) {
        return false;
      }
    }
    System.arraycopy(e, 0, paePdpte, 0, 4);
    paePdpteLoaded = true;
    return true;
  }

  /** Forgets the PDPTE registers: walks read the PDPT from memory again (a state set from outside). */
  public void unloadPaePdptes() {
    paePdpteLoaded = false;
  }

  /** Walk success; any other return value is a #PF error code. */
  public static final int OK = -1;

  private final PhysicalMemory mem;
  /** Up to four entries visited by the current walk, for the accessed-bit write back. */
  private final long[] visitedAddr = new long[4];
  private final long[] visitedVal = new long[4];
  private final int[] visitedSize = new int[4];

  public PageWalker(PhysicalMemory mem) {
    this.mem = mem;
  }

  /**
   * Translates the linear address {@code la} for an access of kind {@code access} in privilege view
   * {@code mmuIdx}. Returns {@link #OK} with {@code out} filled, or a #PF error code.
   */
  public int walk(long la, int access, int mmuIdx, long cr0, long cr3, long cr4, long efer, Result out) {
    if ((cr0 & CR0_PG) == 0) {
      out.gpaPage = la & PhysicalMemory.PAGE_MASK;
      out.prot = PROT_READ | PROT_WRITE | PROT_EXEC;
      out.global = false;
      out.pageSize = PhysicalMemory.PAGE_SIZE;
      return OK;
    }
    // Another vCPU may change an entry between our read and our A/D write; retry a few times, as hardware
    // re-walks after a failed locked update.
    for (int attempt = 0; ; attempt++) {
      int r = walkOnce(la, access, mmuIdx, cr0, cr3, cr4, efer, out);
      if (r != RETRY || attempt > 8) {
        return r == RETRY ? PF_P : r;
      }
    }
  }

  private static final int RETRY = -2;

  /**
   * Translates like {@link #walk} but writes nothing back (no accessed or dirty bits): for debuggers and
   * dumps, which must not change what the guest sees (KVM_TRANSLATE).
   */
  public int probe(long la, int access, int mmuIdx, long cr0, long cr3, long cr4, long efer, Result out) {
    if ((cr0 & CR0_PG) == 0) {
      return walk(la, access, mmuIdx, cr0, cr3, cr4, efer, out);
    }
    probing = true;
    try {
      return walkOnce(la, access, mmuIdx, cr0, cr3, cr4, efer, out);
    } finally {
      probing = false;
    }
  }

  private boolean probing;

  private int walkOnce(long la, int access, int mmuIdx, long cr0, long cr3, long cr4, long efer,
      Result out) {
    boolean nxe = (efer & EFER_NXE) != 0;
    int errBase = (access == ACC_WRITE ? PF_W : 0) | (mmuIdx == MMU_USER ? PF_U : 0)
        | (access == ACC_FETCH && ((cr4 & CR4_SMEP) != 0 || (nxe && (cr4 & CR4_PAE) != 0)) ? PF_I : 0);
    int levels;
    long table;
    int entrySize;
    if ((efer & EFER_LMA) != 0) {
      levels = 4;
      table = cr3 & ADDR_MASK;
      entrySize = 8;
    } else if ((cr4 & CR4_PAE) != 0) {
      levels = 3;
      table = cr3 & 0xFFFF_FFE0L;
      entrySize = 8;
    } else {
      levels = 2;
      table = cr3 & 0xFFFF_F000L;
      entrySize = 4;
    }
    boolean writable = true;
    boolean user = true;
    boolean nx = false;
    int n = 0;
    long pte = 0;
    long pageSize = PhysicalMemory.PAGE_SIZE;
    long base = 0;
    for (int level = levels; level >= 1; level--) {
      int shift;
      long idxMask;
      if (entrySize == 4) {
        shift = level == 2 ? 22 : 12;
        idxMask = 0x3FF;
      } else {
        shift = 12 + 9 * (level - 1);
        idxMask = (levels == 3 && level == 3) ? 3 : 0x1FF;
      }
      long entryAddr = table + ((la >>> shift) & idxMask) * entrySize;
      boolean paePdpt = levels == 3 && level == 3;
      pte = paePdpt && paePdpteLoaded ? paePdpte[(int) (la >>> 30) & 3] : mem.read(entryAddr, entrySize);
      if ((pte & PG_PRESENT) == 0) {
        return errBase;
      }
      if (reservedBitsSet(pte, level, levels, entrySize, nxe, cr4)) {
        return errBase | PF_P | PF_RSVD;
      }
      if (!paePdpt) { // PDPTEs are registers: no accessed bit is written back to them
        visitedAddr[n] = entryAddr;
        visitedVal[n] = pte;
        visitedSize[n] = entrySize;
        n++;
      }
      if (!paePdpt) { // PAE PDPTEs carry no R/W, U/S or NX bits
        writable &= (pte & PG_RW) != 0;
        user &= (pte & PG_USER) != 0;
        if (nxe && entrySize == 8) {
          nx |= (pte & PG_NX) != 0;
        }
      }
      boolean leaf = level == 1;
      if (!leaf && (pte & PG_PSE) != 0 && !paePdpt) {
        if (entrySize == 4) {
          if ((cr4 & CR4_PSE) != 0) { // 4 MiB page; PSE-36 supplies bits 39:32 from PDE bits 20:13
            pageSize = 1L << 22;
            base = (pte & 0xFFC0_0000L) | ((pte & 0x1FE000L) << 19);
            leaf = true;
          }
        } else if (level == 2 || (level == 3 && levels == 4)) {
          pageSize = 1L << shift;
          base = pte & ADDR_MASK & ~(pageSize - 1);
          leaf = true;
        }
      }
      if (leaf) {
        if (level == 1) {
          base = entrySize == 4 ? pte & 0xFFFF_F000L : pte & ADDR_MASK;
        }
        break;
      }
      table = entrySize == 4 ? pte & 0xFFFF_F000L : pte & ADDR_MASK;
    }
    boolean smap = (cr4 & CR4_SMAP) != 0 && mmuIdx == MMU_KSMAP;
    boolean wp = (cr0 & CR0_WP) != 0;
    int prot;
    if (mmuIdx == MMU_USER) {
      prot = user ? (PROT_READ | (writable ? PROT_WRITE : 0) | (nx ? 0 : PROT_EXEC)) : 0;
    } else {
      boolean userPage = user;
      prot = 0;
      if (!(userPage && smap)) {
        prot |= PROT_READ;
        if (writable || !wp) {
          prot |= PROT_WRITE;
        }
      }
      if (!nx && !(userPage && (cr4 & CR4_SMEP) != 0)) {
        prot |= PROT_EXEC;
      }
    }
    int need = access == ACC_WRITE ? PROT_WRITE : access == ACC_FETCH ? PROT_EXEC : PROT_READ;
    if ((prot & need) == 0) {
      return errBase | PF_P;
    }
    // Write back accessed bits on every level, and the dirty bit on the leaf for a write.
    for (int i = 0; i < n && !probing; i++) {
      long v = visitedVal[i];
      long nv = v | PG_ACCESSED;
      if (i == n - 1 && access == ACC_WRITE) {
        nv |= PG_DIRTY;
      }
      if (nv != v) {
        long seen = mem.compareAndExchange(visitedAddr[i], visitedSize[i], v, nv);
        if (seen != (v & PhysicalMemory.sizeMask(visitedSize[i]))) {
          if (!mem.isRam(visitedAddr[i])) {
            continue; // page tables outside RAM: nothing to write back
          }
          return RETRY;
        }
      }
    }
    boolean dirty = access == ACC_WRITE || (pte & PG_DIRTY) != 0;
    if (!dirty) {
      prot &= ~PROT_WRITE; // the first write must come back here to set D
    }
    out.gpaPage = (base + (la & (pageSize - 1))) & PhysicalMemory.PAGE_MASK;
    out.prot = prot;
    out.global = (pte & PG_GLOBAL) != 0 && (cr4 & CR4_PGE) != 0;
    out.pageSize = pageSize;
    return OK;
  }

  private static boolean reservedBitsSet(long pte, int level, int levels, int entrySize, boolean nxe,
      long cr4) {
    if (entrySize == 4) {
      // 32-bit paging: only a 4 MiB PDE has a reserved bit (21) with MAXPHYADDR 40.
      return level == 2 && (pte & PG_PSE) != 0 && (cr4 & CR4_PSE) != 0 && (pte & (1L << 21)) != 0;
    }
    if ((pte & RSVD_HIGH) != 0) {
      return true;
    }
    if (!nxe && (pte & PG_NX) != 0) {
      return true;
    }
    if (levels == 3 && level == 3) {
      return (pte & 0x1E6L) != 0 || (pte & PG_NX) != 0; // PAE PDPTE: bits 2:1 and 8:5 reserved, no NX
    }
    if (levels == 4 && level == 4) {
      return (pte & PG_PSE) != 0; // PS is reserved in a PML4E
    }
    boolean large = (pte & PG_PSE) != 0 && level > 1;
    if (large && level == 3) {
      return (pte & 0x3FFF_E000L) != 0; // 1 GiB page: bits 29:13
    }
    if (large && level == 2) {
      return (pte & 0x1F_E000L) != 0; // 2 MiB page: bits 20:13
    }
    return false;
  }
}
