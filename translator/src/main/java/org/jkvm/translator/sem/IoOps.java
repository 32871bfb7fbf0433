package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Flags;
import org.jkvm.translator.isa.Insn;

/** IN and OUT, with the I/O permission checks of SDM Vol. 1, 19.5 (IOPL and the TSS I/O bitmap). */
public final class IoOps {
  private IoOps() {}

  /**
   * In protected mode with CPL > IOPL, or in virtual-8086 mode, every port touched must be allowed by the
   * TSS I/O permission bitmap, else #GP(0).
   */
  static void checkPermission(CpuState c, int port, int size) {
    if (!c.protectedMode()) {
      return;
    }
    int iopl = (int) ((c.rflags & Flags.IOPL) >>> 12);
    if (!c.v86Mode() && c.cpl <= iopl) {
      return;
    }
    int type = c.trAttr & 0xF;
    if ((type != 0x9 && type != 0xB) || (c.trLimit & 0xFFFF_FFFFL) < 103) {
      throw GuestFault.gp0();
    }
    long mapBase = Mem.readSys(c, c.trBase + 102, 2);
    long at = mapBase + (port >>> 3);
    if (at + 1 > (c.trLimit & 0xFFFF_FFFFL)) {
      throw GuestFault.gp0();
    }
    long bits = Mem.readSys(c, c.trBase + at, 2);
    int mask = ((1 << size) - 1) << (port & 7);
    if ((bits & mask) != 0) {
      throw GuestFault.gp0();
    }
  }

  private static int port(CpuState c, Insn i, int kind) {
    return kind == Insn.K_IMM ? (int) i.imm & 0xFF : (int) c.gpr[CpuState.RDX] & 0xFFFF;
  }

  public static void in(CpuState c, Insn i) {
    int size = i.s0;
    int port = port(c, i, i.k1);
    checkPermission(c, port, size);
    Ops.setReg(c, CpuState.RAX, size, c.hooks.portIn(port, size));
  }

  public static void out(CpuState c, Insn i) {
    int size = i.s1;
    int port = port(c, i, i.k0);
    checkPermission(c, port, size);
    c.hooks.portOut(port, size, Ops.getReg(c, CpuState.RAX, size));
  }
}
