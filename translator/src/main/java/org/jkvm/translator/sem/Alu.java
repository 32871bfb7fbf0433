package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Flags;
import org.jkvm.translator.isa.Insn;

/**
 * ADD, OR, ADC, SBB, AND, SUB, XOR, CMP, TEST, INC, DEC, NEG, NOT. Flags are recorded lazily (see
 * {@link Flags}); every handler writes its destination before it records flags, so a faulting write leaves
 * the old flags.
 */
public final class Alu {
  private Alu() {}

  static void flags(CpuState c, int kind, int size, long dst, long src) {
    c.ccOp = kind << 2 | Integer.numberOfTrailingZeros(size);
    c.ccDst = dst;
    c.ccSrc = src;
  }

  public static void add(CpuState c, Insn i) {
    long a = Ops.get0Rmw(c, i);
    long b = Ops.get1Ext(c, i);
    long r = (a + b) & Ops.mask(i.s0);
    Ops.set0(c, i, r);
    flags(c, Flags.ADD, i.s0, r, b);
  }

  public static void or(CpuState c, Insn i) {
    long r = Ops.get0Rmw(c, i) | Ops.get1Ext(c, i);
    Ops.set0(c, i, r);
    flags(c, Flags.LOGIC, i.s0, r, 0);
  }

  public static void adc(CpuState c, Insn i) {
    long a = Ops.get0Rmw(c, i);
    long b = Ops.get1Ext(c, i);
    long cin = Flags.cf(c) ? 1 : 0;
    long r = (a + b + cin) & Ops.mask(i.s0);
    Ops.set0(c, i, r);
    flags(c, Flags.ADC, i.s0, r, b);
    c.ccSrc2 = cin;
  }

  public static void sbb(CpuState c, Insn i) {
    long a = Ops.get0Rmw(c, i);
    long b = Ops.get1Ext(c, i);
    long cin = Flags.cf(c) ? 1 : 0;
    long r = (a - b - cin) & Ops.mask(i.s0);
    Ops.set0(c, i, r);
    flags(c, Flags.SBB, i.s0, r, b);
    c.ccSrc2 = cin;
  }

  public static void and(CpuState c, Insn i) {
    long r = Ops.get0Rmw(c, i) & Ops.get1Ext(c, i);
    Ops.set0(c, i, r);
    flags(c, Flags.LOGIC, i.s0, r, 0);
  }

  public static void sub(CpuState c, Insn i) {
    long a = Ops.get0Rmw(c, i);
    long b = Ops.get1Ext(c, i);
    long r = (a - b) & Ops.mask(i.s0);
    Ops.set0(c, i, r);
    flags(c, Flags.SUB, i.s0, r, b);
  }

  public static void xor(CpuState c, Insn i) {
    long r = Ops.get0Rmw(c, i) ^ Ops.get1Ext(c, i);
    Ops.set0(c, i, r);
    flags(c, Flags.LOGIC, i.s0, r, 0);
  }

  /** CMP is SUB without the write-back. */
  public static void cmp(CpuState c, Insn i) {
    long a = Ops.get0(c, i);
    long b = Ops.get1Ext(c, i);
    flags(c, Flags.SUB, i.s0, (a - b) & Ops.mask(i.s0), b);
  }

  /** TEST is AND without the write-back. */
  public static void test(CpuState c, Insn i) {
    flags(c, Flags.LOGIC, i.s0, Ops.get0(c, i) & Ops.get1Ext(c, i), 0);
  }

  /** INC keeps CF: the lazy record carries the CF from before. */
  public static void inc(CpuState c, Insn i) {
    long a = Ops.get0Rmw(c, i);
    long cf = Flags.cf(c) ? 1 : 0;
    long r = (a + 1) & Ops.mask(i.s0);
    Ops.set0(c, i, r);
    flags(c, Flags.INC, i.s0, r, cf);
  }

  public static void dec(CpuState c, Insn i) {
    long a = Ops.get0Rmw(c, i);
    long cf = Flags.cf(c) ? 1 : 0;
    long r = (a - 1) & Ops.mask(i.s0);
    Ops.set0(c, i, r);
    flags(c, Flags.DEC, i.s0, r, cf);
  }

  /** NEG is a subtraction from zero: CF is set unless the operand was zero. */
  public static void neg(CpuState c, Insn i) {
    long a = Ops.get0Rmw(c, i);
    long r = (-a) & Ops.mask(i.s0);
    Ops.set0(c, i, r);
    flags(c, Flags.SUB, i.s0, r, a);
  }

  public static void not(CpuState c, Insn i) {
    Ops.set0(c, i, ~Ops.get0Rmw(c, i));
  }
}
