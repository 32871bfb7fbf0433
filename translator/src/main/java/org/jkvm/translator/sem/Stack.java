package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Flags;
import org.jkvm.translator.isa.Insn;

/** PUSH, POP (registers, memory, immediates, segment registers, flags, all registers), ENTER, LEAVE. */
public final class Stack {
  private Stack() {}

  public static void push(CpuState c, Insn i) {
    int s = i.opSize;
    long v = i.k0 == Insn.K_IMM ? i.imm & Ops.mask(s) : Ops.get0(c, i);
    Ops.push(c, s, v);
  }

  /**
   * POP. A memory destination addressed through rSP uses the incremented rSP (SDM Vol. 2B, POP), and a
   * faulting write must leave rSP as it was.
   */
  public static void pop(CpuState c, Insn i) {
    int s = i.opSize;
    long v = Ops.peek(c, s, 0);
    long oldSp = c.gpr[CpuState.RSP];
    Ops.setSp(c, Ops.sp(c) + s);
    try {
      Ops.set0(c, i, v);
    } catch (GuestFault f) {
      c.gpr[CpuState.RSP] = oldSp;
      throw f;
    }
  }

  public static void pushSeg(CpuState c, Insn i) {
    Ops.push(c, i.opSize, c.segSel[i.r0]);
  }

  /** POP Sreg: the load can fault after the read, so rSP changes only once the load succeeded. */
  public static void popSeg(CpuState c, Insn i) {
    int s = i.opSize;
    int sel = (int) Ops.peek(c, s, 0) & 0xFFFF;
    Segments.load(c, i.r0, sel);
    Ops.setSp(c, Ops.sp(c) + s);
    if (i.r0 == CpuState.SS) {
      c.interruptShadow = true;
    }
  }

  /** PUSHA/PUSHAD: AX, CX, DX, BX, the original SP, BP, SI, DI. */
  public static void pusha(CpuState c, Insn i) {
    int s = i.opSize;
    long sp = Ops.sp(c);
    long m = Ops.mask(c.stackSize);
    for (int r = 0; r < 8; r++) {
      long v = r == CpuState.RSP ? sp : c.gpr[r];
      Mem.write(c, CpuState.SS, (sp - (r + 1) * (long) s) & m, s, v);
    }
    Ops.setSp(c, sp - 8L * s);
  }

  /** POPA/POPAD: the saved SP is skipped. */
  public static void popa(CpuState c, Insn i) {
    int s = i.opSize;
    long[] v = new long[8];
    for (int r = 0; r < 8; r++) {
      v[7 - r] = Ops.peek(c, s, r * s);
    }
    for (int r = 0; r < 8; r++) {
      if (r != CpuState.RSP) {
        Ops.setReg(c, r, s, v[r]);
      }
    }
    Ops.setSp(c, Ops.sp(c) + 8L * s);
  }

  /** PUSHF: the image has RF and VM clear. In virtual-8086 mode with IOPL below 3 it is #GP(0). */
  public static void pushf(CpuState c, Insn i) {
    if (c.v86Mode() && (c.rflags & Flags.IOPL) != Flags.IOPL) {
      throw GuestFault.gp0();
    }
    Ops.push(c, i.opSize, c.getRflags() & ~(Flags.RF | Flags.VM));
  }

  /**
   * POPF (SDM Vol. 2B, POPF): VM, VIP, VIF and RF never change here; IOPL changes only at CPL 0; IF only
   * when CPL <= IOPL; a 16-bit POPF touches the low word only.
   */
  public static void popf(CpuState c, Insn i) {
    if (c.v86Mode() && (c.rflags & Flags.IOPL) != Flags.IOPL) {
      throw GuestFault.gp0();
    }
    int s = i.opSize;
    long v = Ops.peek(c, s, 0);
    long old = c.getRflags();
    long changeable = Flags.ARITH | Flags.TF | Flags.DF | Flags.NT | Flags.AC | Flags.ID | Flags.IF | Flags.IOPL;
    if (c.protectedMode()) {
      int iopl = (int) ((old & Flags.IOPL) >>> 12);
      if (c.cpl > 0) {
        changeable &= ~Flags.IOPL;
      }
      if (c.cpl > iopl) {
        changeable &= ~Flags.IF;
      }
    }
    if (s == 2) {
      changeable &= 0xFFFF;
    }
    Ops.setSp(c, Ops.sp(c) + s);
    c.setRflags((old & ~changeable) | (v & changeable));
  }

  /** ENTER imm16, imm8: builds a stack frame with {@code level} (mod 32) nesting levels. */
  public static void enter(CpuState c, Insn i) {
    int s = i.opSize;
    long size = i.imm & 0xFFFF;
    int level = (int) i.imm2 & 31;
    long m = Ops.mask(c.stackSize);
    long sp = Ops.sp(c);
    long bp = c.gpr[CpuState.RBP];
    // Compute and check every access first; commit registers last.
    sp = (sp - s) & m;
    Mem.write(c, CpuState.SS, sp, s, bp);
    long frame = sp;
    if (level > 0) {
      long bpw = bp & Ops.mask(c.stackSize);
      for (int k = 1; k < level; k++) {
        bpw = (bpw - s) & m;
        long v = Mem.read(c, CpuState.SS, bpw, s);
        sp = (sp - s) & m;
        Mem.write(c, CpuState.SS, sp, s, v);
      }
      sp = (sp - s) & m;
      Mem.write(c, CpuState.SS, sp, s, frame);
    }
    long newSp = (sp - size) & m;
    // The final rSP must be within the stack segment and writable: "#PF if a write using the final value
    // of the stack pointer would cause a page fault" (SDM ENTER; the host faults with CR2 = the final rSP).
    Mem.readLaForWrite(c, Mem.linear(c, CpuState.SS, newSp, 1, true), 1);
    Ops.setReg(c, CpuState.RBP, s, frame);
    Ops.setSp(c, newSp);
  }

  /** LEAVE: rSP = rBP, then pop rBP. */
  public static void leave(CpuState c, Insn i) {
    int s = i.opSize;
    long bp = c.gpr[CpuState.RBP] & Ops.mask(c.stackSize);
    long v = Mem.read(c, CpuState.SS, bp, s);
    Ops.setSp(c, bp + s);
    Ops.setReg(c, CpuState.RBP, s, v);
  }
}
