package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Flags;
import org.jkvm.translator.isa.Insn;

/**
 * MOVS, CMPS, STOS, LODS, SCAS, INS and OUTS with REP/REPE/REPNE, in every element width and address size.
 *
 * <p>Each iteration commits rSI, rDI and rCX, so a fault in the middle leaves a state from which the
 * instruction restarts, as on hardware. A long REP runs at most {@link #CHUNK} iterations per execution and
 * then restarts itself (RIP stays on the instruction), so interrupts are taken between chunks.
 */
public final class StringOps {
  private StringOps() {}

  static final int CHUNK = 4096;

  private static int width(Insn i) {
    if ((i.opcode & 1) == 0) {
      return 1;
    }
    // INS/OUTS move at most a doubleword: REX.W does not make them 64-bit.
    return (i.opcode & 0xFC) == 0x6C ? Math.min(i.opSize, 4) : i.opSize;
  }

  private static long step(CpuState c, int w) {
    return (c.rflags & Flags.DF) != 0 ? -w : w;
  }

  private static boolean rep(Insn i) {
    return (i.prefixes & (Insn.PFX_REP | Insn.PFX_REPNE)) != 0;
  }

  /** Runs {@code body} once, or as REP says; returns after at most CHUNK iterations, restarting itself. */
  private interface Body {
    /** One iteration; returns false to stop a REPE/REPNE early. */
    boolean run(CpuState c, Insn i, int w, long step);
  }

  private static void repeat(CpuState c, Insn i, Body body) {
    int w = width(i);
    long st = step(c, w);
    if (!rep(i)) {
      body.run(c, i, w, st);
      return;
    }
    int a = i.addrSize;
    for (int n = 0; n < CHUNK; n++) {
      long count = Ops.getReg(c, CpuState.RCX, a);
      if (count == 0) {
        return;
      }
      boolean more = body.run(c, i, w, st);
      Ops.setReg(c, CpuState.RCX, a, count - 1);
      if (!more || count == 1) {
        return;
      }
    }
    c.rip -= i.len; // more to do: execute this instruction again after pending events
  }

  private static void advance(CpuState c, int reg, Insn i, long step) {
    Ops.setReg(c, reg, i.addrSize, c.gpr[reg] + step);
  }

  private static long si(CpuState c, Insn i) {
    return Ops.getReg(c, CpuState.RSI, i.addrSize);
  }

  private static long di(CpuState c, Insn i) {
    return Ops.getReg(c, CpuState.RDI, i.addrSize);
  }

  public static void movs(CpuState c, Insn i) {
    repeat(c, i, (cc, ii, w, st) -> {
      long v = Mem.read(cc, ii.seg, si(cc, ii), w);
      Mem.write(cc, CpuState.ES, di(cc, ii), w, v);
      advance(cc, CpuState.RSI, ii, st);
      advance(cc, CpuState.RDI, ii, st);
      return true;
    });
  }

  public static void stos(CpuState c, Insn i) {
    repeat(c, i, (cc, ii, w, st) -> {
      Mem.write(cc, CpuState.ES, di(cc, ii), w, cc.gpr[CpuState.RAX]);
      advance(cc, CpuState.RDI, ii, st);
      return true;
    });
  }

  public static void lods(CpuState c, Insn i) {
    repeat(c, i, (cc, ii, w, st) -> {
      long v = Mem.read(cc, ii.seg, si(cc, ii), w);
      Ops.setReg(cc, CpuState.RAX, w, v);
      advance(cc, CpuState.RSI, ii, st);
      return true;
    });
  }

  /** CMPS compares [rSI] with [rDI] (source minus destination); REPE/REPNE stop on ZF. */
  public static void cmps(CpuState c, Insn i) {
    repeat(c, i, (cc, ii, w, st) -> {
      // The destination is read first, as this host (AMD) and QEMU do: its #PF or #AC wins over the source's.
      long b = Mem.read(cc, CpuState.ES, di(cc, ii), w);
      long a = Mem.read(cc, ii.seg, si(cc, ii), w);
      Alu.flags(cc, Flags.SUB, w, (a - b) & Ops.mask(w), b);
      advance(cc, CpuState.RSI, ii, st);
      advance(cc, CpuState.RDI, ii, st);
      return continueRep(cc, ii);
    });
  }

  /** SCAS compares the accumulator with [rDI]. */
  public static void scas(CpuState c, Insn i) {
    repeat(c, i, (cc, ii, w, st) -> {
      long a = Ops.getReg(cc, CpuState.RAX, w);
      long b = Mem.read(cc, CpuState.ES, di(cc, ii), w);
      Alu.flags(cc, Flags.SUB, w, (a - b) & Ops.mask(w), b);
      advance(cc, CpuState.RDI, ii, st);
      return continueRep(cc, ii);
    });
  }

  private static boolean continueRep(CpuState c, Insn i) {
    boolean zf = Flags.zf(c);
    return (i.prefixes & Insn.PFX_REP) != 0 ? zf : !zf;
  }

  public static void ins(CpuState c, Insn i) {
    // The I/O permission check comes first: REP INS with a zero count still faults (the host does).
    IoOps.checkPermission(c, (int) c.gpr[CpuState.RDX] & 0xFFFF, width(i));
    repeat(c, i, (cc, ii, w, st) -> {
      int port = (int) cc.gpr[CpuState.RDX] & 0xFFFF;
      IoOps.checkPermission(cc, port, w);
      long di = di(cc, ii);
      Mem.linear(cc, CpuState.ES, di, w, true);
      long v = cc.hooks.portIn(port, w);
      Mem.write(cc, CpuState.ES, di, w, v);
      advance(cc, CpuState.RDI, ii, st);
      return true;
    });
  }

  public static void outs(CpuState c, Insn i) {
    IoOps.checkPermission(c, (int) c.gpr[CpuState.RDX] & 0xFFFF, width(i));
    repeat(c, i, (cc, ii, w, st) -> {
      int port = (int) cc.gpr[CpuState.RDX] & 0xFFFF;
      IoOps.checkPermission(cc, port, w);
      long v = Mem.read(cc, ii.seg, si(cc, ii), w);
      cc.hooks.portOut(port, w, v);
      advance(cc, CpuState.RSI, ii, st);
      return true;
    });
  }
}
