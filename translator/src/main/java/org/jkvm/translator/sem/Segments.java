package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;

/**
 * Segment register loads and descriptor tables (SDM Vol. 3A, chapter 3 and 5.5-5.8): reading descriptors
 * from the GDT or LDT, the protection checks for data, stack and code segments with their error codes, and
 * loading the descriptor cache. Far transfers use {@link #loadCode}.
 */
public final class Segments {
  private Segments() {}

  // Descriptor type bits (the type field, with S = 1).
  static final int TYPE_ACCESSED = 1;
  static final int TYPE_RW = 2; // readable code / writable data
  static final int TYPE_CE = 4; // conforming code / expand-down data
  static final int TYPE_CODE = 8;

  public static long base(long d) {
    return ((d >>> 16) & 0xFF_FFFFL) | ((d >>> 32) & 0xFF00_0000L);
  }

  public static int limit(long d) {
    int l = (int) ((d & 0xFFFF) | ((d >>> 32) & 0xF_0000));
    return (d & (1L << 55)) != 0 ? (l << 12) | 0xFFF : l;
  }

  /** Attributes in the VMX access-rights layout {@link CpuState} keeps. */
  public static int attr(long d) {
    return (int) (((d >>> 40) & 0xFF) | (((d >>> 52) & 0xF) << 12));
  }

  public static int dpl(long d) {
    return (int) (d >>> 45) & 3;
  }

  public static boolean present(long d) {
    return (d & (1L << 47)) != 0;
  }

  /** The S bit: code or data (as opposed to system) descriptor. */
  public static boolean codeOrData(long d) {
    return (d & (1L << 44)) != 0;
  }

  public static int type(long d) {
    return (int) (d >>> 40) & 0xF;
  }

  /** Linear address of the descriptor for {@code sel}; #GP(selector) if it lies beyond the table. */
  public static long descriptorAddress(CpuState c, int sel, int extBit) {
    long base;
    int limit;
    if ((sel & 4) != 0) {
      if ((c.ldtAttr & CpuState.SEG_UNUSABLE) != 0 || (c.ldtSel & 0xFFFC) == 0) {
        throw GuestFault.gp((sel & 0xFFFC) | extBit);
      }
      base = c.ldtBase;
      limit = c.ldtLimit;
    } else {
      base = c.gdtBase;
      limit = c.gdtLimit;
    }
    long idx = sel & 0xFFF8;
    if (idx + 7 > (limit & 0xFFFF_FFFFL)) {
      throw GuestFault.gp((sel & 0xFFFC) | extBit);
    }
    return base + idx;
  }

  public static long readDescriptor(CpuState c, int sel, int extBit) {
    return Mem.readSys(c, descriptorAddress(c, sel, extBit), 8);
  }

  /** Sets the accessed bit of a code or data descriptor, as the processor does on a load. */
  static void setAccessed(CpuState c, int sel, long d) {
    if ((d & (1L << 40)) == 0) {
      long a = descriptorAddress(c, sel, 0) + 5;
      Mem.writeSys(c, a, 1, (d >>> 40) | 1);
    }
  }

  static void setCache(CpuState c, int seg, int sel, long d) {
    c.segSel[seg] = sel;
    c.segBase[seg] = base(d);
    c.segLimit[seg] = limit(d);
    c.segAttr[seg] = attr(d) | TYPE_ACCESSED;
  }

  /** A null selector in a data segment register: usable no more; in 64-bit mode Intel also clears the base. */
  static void loadNull(CpuState c, int seg, int sel) {
    c.segSel[seg] = sel;
    c.segBase[seg] = 0;
    c.segLimit[seg] = 0;
    c.segAttr[seg] = CpuState.SEG_UNUSABLE;
  }

  /**
   * MOV/POP to DS, ES, FS, GS or SS, and LDS-style loads: real and virtual-8086 mode take the selector as
   * a paragraph number; protected mode checks the descriptor (SDM Vol. 2B, MOV "Operation").
   */
  public static void load(CpuState c, int seg, int sel) {
    sel &= 0xFFFF;
    if (!c.protectedMode() || c.v86Mode()) {
      c.segSel[seg] = sel;
      c.segBase[seg] = (long) sel << 4;
      if (c.v86Mode()) {
        c.segLimit[seg] = 0xFFFF;
        c.segAttr[seg] = CpuState.SEG_P | CpuState.SEG_S | (3 << CpuState.SEG_DPL_SHIFT) | 3;
      } else if ((c.segAttr[seg] & CpuState.SEG_UNUSABLE) != 0 || (c.segAttr[seg] & CpuState.SEG_P) == 0) {
        // A real-mode load makes a segment usable again; limit and attributes are otherwise kept ("unreal
        // mode" relies on that).
        c.segAttr[seg] = CpuState.SEG_P | CpuState.SEG_S | 3;
      }
      if (seg == CpuState.SS || seg == CpuState.CS) {
        c.updateMode();
      }
      return;
    }
    int rpl = sel & 3;
    if ((sel & 0xFFFC) == 0) {
      if (seg == CpuState.SS) {
        // 64-bit mode allows a null SS at CPL < 3 with RPL = CPL (SDM Vol. 3A, 5.8.4 notes).
        if (c.codeSize == 8 && c.cpl != 3 && rpl == c.cpl) {
          c.segSel[seg] = sel;
          c.segBase[seg] = 0;
          c.segLimit[seg] = 0;
          c.segAttr[seg] = CpuState.SEG_UNUSABLE | (c.cpl << CpuState.SEG_DPL_SHIFT) | CpuState.SEG_DB;
          c.updateMode();
          return;
        }
        throw GuestFault.gp0();
      }
      loadNull(c, seg, sel);
      return;
    }
    long d = readDescriptor(c, sel, 0);
    int dpl = dpl(d);
    int type = type(d);
    if (seg == CpuState.SS) {
      // SS: RPL = CPL, a writable data segment, DPL = CPL; not present is #SS.
      if (rpl != c.cpl || !codeOrData(d) || (type & TYPE_CODE) != 0 || (type & TYPE_RW) == 0 || dpl != c.cpl) {
        throw GuestFault.gp(sel & 0xFFFC);
      }
      if (!present(d)) {
        throw GuestFault.withCode(GuestFault.SS, sel & 0xFFFC);
      }
    } else {
      // Data registers: data or readable code; data and non-conforming code need DPL >= CPL and RPL.
      boolean code = (type & TYPE_CODE) != 0;
      if (!codeOrData(d) || code && (type & TYPE_RW) == 0) {
        throw GuestFault.gp(sel & 0xFFFC);
      }
      if ((!code || (type & TYPE_CE) == 0) && (rpl > dpl || c.cpl > dpl)) {
        throw GuestFault.gp(sel & 0xFFFC);
      }
      if (!present(d)) {
        throw GuestFault.withCode(GuestFault.NP, sel & 0xFFFC);
      }
    }
    setAccessed(c, sel, d);
    setCache(c, seg, sel, d);
    if (seg == CpuState.SS) {
      c.updateMode();
    }
  }

  /**
   * Checks a code segment descriptor as the target of a far JMP or CALL through a direct selector
   * (SDM Vol. 3A, 5.8.1); returns the descriptor. Conforming: DPL <= CPL. Non-conforming: RPL <= CPL and
   * DPL = CPL.
   */
  static long checkCodeTarget(CpuState c, int sel) {
    return checkCodeTarget(c, sel, readTarget(c, sel));
  }

  /** The descriptor a far JMP or CALL names: #GP(0) for a null selector, #GP(selector) beyond the table. */
  static long readTarget(CpuState c, int sel) {
    if ((sel & 0xFFFC) == 0) {
      throw GuestFault.gp0();
    }
    return readDescriptor(c, sel, 0);
  }

  /** {@link #checkCodeTarget(CpuState, int)} for a descriptor already read. */
  static long checkCodeTarget(CpuState c, int sel, long d) {
    int type = type(d);
    if (!codeOrData(d) || (type & TYPE_CODE) == 0) {
      throw GuestFault.gp(sel & 0xFFFC);
    }
    int dpl = dpl(d);
    if ((type & TYPE_CE) != 0 ? dpl > c.cpl : ((sel & 3) > c.cpl || dpl != c.cpl)) {
      throw GuestFault.gp(sel & 0xFFFC);
    }
    if (!present(d)) {
      throw GuestFault.withCode(GuestFault.NP, sel & 0xFFFC);
    }
    checkLongModeCode(c, sel, d);
    return d;
  }

  /** In long mode a code segment with both L and D set is reserved. */
  static void checkLongModeCode(CpuState c, int sel, long d) {
    if (c.longMode() && (d & (1L << 53)) != 0 && (d & (1L << 54)) != 0) {
      throw GuestFault.gp(sel & 0xFFFC);
    }
  }

  /** Whether descriptor {@code d} makes a 64-bit code segment in the current mode. */
  static boolean is64BitCode(CpuState c, long d) {
    return c.longMode() && (d & (1L << 53)) != 0;
  }

  /**
   * Loads CS with a checked descriptor at privilege {@code cpl}; {@code offset} must fit in the new
   * segment (canonical in 64-bit code, within the limit otherwise), else #GP(0).
   */
  static void loadCode(CpuState c, int sel, long d, int cpl, long offset) {
    checkTarget(c, d, offset);
    setAccessed(c, sel, d);
    setCache(c, CpuState.CS, (sel & 0xFFFC) | cpl, d);
    if (c.cpl != cpl) {
      // CPL lives in SS.DPL (see CpuState.updateMode); a same-privilege transfer leaves SS alone.
      c.segAttr[CpuState.SS] = (c.segAttr[CpuState.SS] & ~(3 << CpuState.SEG_DPL_SHIFT))
          | (cpl << CpuState.SEG_DPL_SHIFT);
    }
    c.updateMode();
  }

  static void checkTarget(CpuState c, long d, long offset) {
    if (is64BitCode(c, d)) {
      if ((offset << 16 >> 16) != offset) {
        throw GuestFault.gp0();
      }
    } else if ((offset & 0xFFFF_FFFFL) > (limit(d) & 0xFFFF_FFFFL)) {
      throw GuestFault.gp0();
    }
  }

  /** Real-mode and virtual-8086-mode CS load. */
  static void loadCodeReal(CpuState c, int sel) {
    c.segSel[CpuState.CS] = sel & 0xFFFF;
    c.segBase[CpuState.CS] = (long) (sel & 0xFFFF) << 4;
    if (c.v86Mode()) {
      c.segLimit[CpuState.CS] = 0xFFFF;
      c.segAttr[CpuState.CS] = CpuState.SEG_P | CpuState.SEG_S | (3 << CpuState.SEG_DPL_SHIFT) | 0xB;
    } else if ((c.segAttr[CpuState.CS] & CpuState.SEG_P) == 0) {
      c.segAttr[CpuState.CS] = CpuState.SEG_P | CpuState.SEG_S | 0xB;
    }
    c.updateMode();
  }

  /**
   * After a return to an outer privilege level, data segment registers the new CPL may not use become null
   * (SDM Vol. 2A, RET "RETURN-TO-OUTER-PRIVILEGE-LEVEL").
   */
  static void nullifyInaccessible(CpuState c) {
    for (int s : new int[] {CpuState.ES, CpuState.DS, CpuState.FS, CpuState.GS}) {
      int a = c.segAttr[s];
      if ((a & CpuState.SEG_UNUSABLE) != 0) {
        continue;
      }
      boolean conformingCode = (a & 0xC) == 0xC && (a & CpuState.SEG_S) != 0;
      int dpl = (a >>> CpuState.SEG_DPL_SHIFT) & 3;
      if (!conformingCode && dpl < c.cpl) {
        long base = c.segBase[s];
        loadNull(c, s, 0);
        if (c.longMode() && s >= CpuState.FS) {
          c.segBase[s] = base; // FS/GS bases are MSRs in 64-bit mode and survive
        }
      }
    }
  }

  /**
   * Reads the upper 8 bytes of a 16-byte system descriptor (64-bit mode LDT, TSS and call gates);
   * #GP(selector) if they lie beyond the table's limit.
   */
  static long readDescriptorHigh(CpuState c, int sel) {
    long low = descriptorAddress(c, sel, 0);
    int limit = (sel & 4) != 0 ? c.ldtLimit : c.gdtLimit;
    if ((sel & 0xFFF8) + 15L > (limit & 0xFFFF_FFFFL)) {
      throw GuestFault.gp(sel & 0xFFFC);
    }
    return Mem.readSys(c, low + 8, 8);
  }
}
