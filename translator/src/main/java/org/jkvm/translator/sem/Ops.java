package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.translator.isa.Insn;

/**
 * Operand load and write-back keyed by operand kind, so that instruction handlers only compute
 * (QEMU's gen_load/gen_writeback). Register writes follow the architecture: 8- and 16-bit writes merge,
 * 32-bit writes zero-extend to 64 bits, 64-bit writes replace.
 *
 * <p>Handlers must finish every access that can fault before they change any register, so that a fault
 * leaves the state as it was before the instruction (the loop then only restores RIP).
 */
public final class Ops {
  private Ops() {}

  public static long mask(int size) {
    return size >= 8 ? -1L : (1L << (size << 3)) - 1;
  }

  /** Sign-extends the low {@code size} bytes of {@code v}. */
  public static long sext(long v, int size) {
    int s = 64 - (size << 3);
    return v << s >> s;
  }

  // ---- general registers ----

  public static long getReg(CpuState c, int r, int size) {
    long v = c.gpr[r];
    switch (size) {
      case 1: return v & 0xFF;
      case 2: return v & 0xFFFF;
      case 4: return v & 0xFFFF_FFFFL;
      default: return v;
    }
  }

  public static void setReg(CpuState c, int r, int size, long v) {
    switch (size) {
      case 1: c.gpr[r] = (c.gpr[r] & ~0xFFL) | (v & 0xFF); break;
      case 2: c.gpr[r] = (c.gpr[r] & ~0xFFFFL) | (v & 0xFFFF); break;
      case 4: c.gpr[r] = v & 0xFFFF_FFFFL; break;
      default: c.gpr[r] = v; break;
    }
  }

  static long getRegH(CpuState c, int r) {
    return (c.gpr[r] >>> 8) & 0xFF;
  }

  static void setRegH(CpuState c, int r, long v) {
    c.gpr[r] = (c.gpr[r] & ~0xFF00L) | ((v & 0xFF) << 8);
  }

  // ---- memory operand address ----

  /** The effective address (offset within the segment) of the memory operand, truncated to the address size. */
  public static long ea(CpuState c, Insn i) {
    long a = i.disp;
    int b = i.base;
    if (b >= 0) {
      a += b == Insn.BASE_RIP ? c.rip : c.gpr[b];
    }
    if (i.index >= 0) {
      a += c.gpr[i.index] << i.scale;
    }
    switch (i.addrSize) {
      case 2: return a & 0xFFFF;
      case 4: return a & 0xFFFF_FFFFL;
      default: return a;
    }
  }

  /** The linear address of the memory operand, checked for an access of {@code size} bytes. */
  public static long la(CpuState c, Insn i, int size, boolean write) {
    return Mem.linear(c, i.seg, ea(c, i), size, write);
  }

  // ---- generic operand access by slot ----

  private static long get(CpuState c, Insn i, int kind, int r, int size) {
    switch (kind) {
      case Insn.K_REG: return getReg(c, r, size);
      case Insn.K_REGH: return getRegH(c, r);
      case Insn.K_MEM: return Mem.readLa(c, la(c, i, size, false), size);
      case Insn.K_IMM: return i.imm & mask(size);
      case Insn.K_SEG: return c.segSel[r];
      default: throw new IllegalStateException("operand kind " + kind + " in " + i);
    }
  }

  /** Operand 0, read (for instructions that only read it, such as CMP and TEST). */
  public static long get0(CpuState c, Insn i) {
    return get(c, i, i.k0, i.r0, i.s0);
  }

  /** Operand 0, read as the first half of a read-modify-write: a memory operand is checked for write. */
  public static long get0Rmw(CpuState c, Insn i) {
    if (i.k0 == Insn.K_MEM) {
      return Mem.readLaForWrite(c, la(c, i, i.s0, true), i.s0);
    }
    return get(c, i, i.k0, i.r0, i.s0);
  }

  public static long get1(CpuState c, Insn i) {
    if (i.k1 == Insn.K_IMM) {
      return i.imm & mask(i.s1);
    }
    return get(c, i, i.k1, i.r1, i.s1);
  }

  /** Operand 1 sign-extended to the size of operand 0 (immediates are stored sign-extended). */
  public static long get1Ext(CpuState c, Insn i) {
    if (i.k1 == Insn.K_IMM) {
      return i.imm & mask(i.s0);
    }
    return get(c, i, i.k1, i.r1, i.s1);
  }

  public static long get2(CpuState c, Insn i) {
    if (i.k2 == Insn.K_IMM) {
      return (i.k1 == Insn.K_IMM ? i.imm2 : i.imm) & mask(i.s2);
    }
    return get(c, i, i.k2, i.r2, i.s2);
  }

  /** Writes operand 0. */
  public static void set0(CpuState c, Insn i, long v) {
    switch (i.k0) {
      case Insn.K_REG: setReg(c, i.r0, i.s0, v); break;
      case Insn.K_REGH: setRegH(c, i.r0, v); break;
      case Insn.K_MEM: Mem.writeLa(c, la(c, i, i.s0, true), i.s0, v); break;
      default: throw new IllegalStateException("cannot write operand kind " + i.k0 + " in " + i);
    }
  }

  /** Writes operand 1 (XCHG, XADD). */
  public static void set1(CpuState c, Insn i, long v) {
    switch (i.k1) {
      case Insn.K_REG: setReg(c, i.r1, i.s1, v); break;
      case Insn.K_REGH: setRegH(c, i.r1, v); break;
      case Insn.K_MEM: Mem.writeLa(c, la(c, i, i.s1, true), i.s1, v); break;
      default: throw new IllegalStateException("cannot write operand kind " + i.k1 + " in " + i);
    }
  }

  // ---- the stack ----

  /** Stack pointer width: 8 in 64-bit mode, else SS.B (4) or 2. */
  static int stackWidth(CpuState c) {
    return c.stackSize;
  }

  static long sp(CpuState c) {
    return c.stackSize == 8 ? c.gpr[CpuState.RSP] : c.stackSize == 4 ? c.gpr[CpuState.RSP] & 0xFFFF_FFFFL
        : c.gpr[CpuState.RSP] & 0xFFFF;
  }

  static void setSp(CpuState c, long v) {
    setReg(c, CpuState.RSP, c.stackSize, v);
  }

  /** Pushes {@code size} bytes; the write happens before RSP changes, so a fault leaves RSP intact. */
  public static void push(CpuState c, int size, long v) {
    long sp = (sp(c) - size) & mask(c.stackSize);
    Mem.write(c, CpuState.SS, sp, size, v);
    setSp(c, sp);
  }

  /** Reads the value {@link #pop} would return without changing RSP. */
  public static long peek(CpuState c, int size, int offset) {
    return Mem.read(c, CpuState.SS, (sp(c) + offset) & mask(c.stackSize), size);
  }

  public static long pop(CpuState c, int size) {
    long sp = sp(c);
    long v = Mem.read(c, CpuState.SS, sp, size);
    setSp(c, sp + size);
    return v;
  }
}
