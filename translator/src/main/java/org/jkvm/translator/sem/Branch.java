package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Flags;
import org.jkvm.translator.isa.Insn;

/**
 * Control transfer: near and far JMP, CALL and RET, Jcc, LOOP/LOOPcc/JrCXZ, INT n/INT3/INTO/INT1, IRET
 * and BOUND. A handler validates its target (canonical form, code segment limit) before it changes
 * anything, so a faulting branch leaves the state of before the instruction.
 */
public final class Branch {
  private Branch() {}

  /**
   * The checked new RIP for a near transfer to {@code target} with operand size {@code size}: truncated
   * to 16 or 32 bits, canonical in 64-bit mode, and within the CS limit otherwise (#GP(0)).
   */
  public static long nearTarget(CpuState c, long target, int size) {
    if (size == 8) {
      if ((target << 16 >> 16) != target) {
        throw GuestFault.gp0();
      }
      return target;
    }
    long t = target & Ops.mask(size);
    if (c.codeSize != 8 && t > (c.segLimit[CpuState.CS] & 0xFFFF_FFFFL)) {
      throw GuestFault.gp0();
    }
    return t;
  }

  public static void jmp(CpuState c, Insn i) {
    c.rip = nearTarget(c, c.rip + i.imm, i.opSize);
  }

  public static void jcc(CpuState c, Insn i) {
    if (Flags.cond(c, i.opcode & 0xF)) {
      c.rip = nearTarget(c, c.rip + i.imm, i.opSize);
    }
  }

  public static void jmpIndirect(CpuState c, Insn i) {
    c.rip = nearTarget(c, Ops.get0(c, i), i.opSize);
  }

  public static void call(CpuState c, Insn i) {
    long t = nearTarget(c, c.rip + i.imm, i.opSize);
    Ops.push(c, i.opSize, c.rip);
    c.rip = t;
  }

  public static void callIndirect(CpuState c, Insn i) {
    long t = nearTarget(c, Ops.get0(c, i), i.opSize);
    Ops.push(c, i.opSize, c.rip);
    c.rip = t;
  }

  /** RET and RET imm16: the target is checked before rSP changes. */
  public static void ret(CpuState c, Insn i) {
    int s = i.opSize;
    long t = nearTarget(c, Ops.peek(c, s, 0), s);
    long imm = i.k0 == Insn.K_IMM ? i.imm & 0xFFFF : 0;
    Ops.setSp(c, Ops.sp(c) + s + imm);
    c.rip = t;
  }

  /** The count register of LOOP and JrCXZ follows the address size. */
  private static long decCount(CpuState c, Insn i) {
    int a = i.addrSize;
    long n = (Ops.getReg(c, CpuState.RCX, a) - 1) & Ops.mask(a);
    return n;
  }

  private static void loopTo(CpuState c, Insn i, long n, boolean take) {
    long t = take ? nearTarget(c, c.rip + i.imm, i.opSize) : 0;
    Ops.setReg(c, CpuState.RCX, i.addrSize, n);
    if (take) {
      c.rip = t;
    }
  }

  public static void loop(CpuState c, Insn i) {
    long n = decCount(c, i);
    loopTo(c, i, n, n != 0);
  }

  public static void loope(CpuState c, Insn i) {
    long n = decCount(c, i);
    loopTo(c, i, n, n != 0 && Flags.zf(c));
  }

  public static void loopne(CpuState c, Insn i) {
    long n = decCount(c, i);
    loopTo(c, i, n, n != 0 && !Flags.zf(c));
  }

  public static void jcxz(CpuState c, Insn i) {
    if (Ops.getReg(c, CpuState.RCX, i.addrSize) == 0) {
      c.rip = nearTarget(c, c.rip + i.imm, i.opSize);
    }
  }

  // ---- far transfers ----

  public static void jmpFar(CpuState c, Insn i) {
    farJump(c, (int) i.imm2, i.imm);
  }

  public static void jmpFarIndirect(CpuState c, Insn i) {
    int osz = Math.min(i.opSize, 8);
    long ea = Ops.ea(c, i);
    long off = Mem.read(c, i.seg, ea, osz);
    int sel = (int) Mem.read(c, i.seg, (ea + osz) & Ops.mask(i.addrSize), 2);
    farJump(c, sel, off);
  }

  static void farJump(CpuState c, int sel, long off) {
    if (!c.protectedMode() || c.v86Mode()) {
      if (off > (c.segLimit[CpuState.CS] & 0xFFFF_FFFFL) && !c.v86Mode()) {
        throw GuestFault.gp0();
      }
      Segments.loadCodeReal(c, sel);
      c.rip = off;
      return;
    }
    long d = Segments.readTarget(c, sel);
    if (!Segments.codeOrData(d)) {
      CallGates.jump(c, sel, d);
      return;
    }
    d = Segments.checkCodeTarget(c, sel, d);
    Segments.loadCode(c, sel, d, c.cpl, off);
    c.rip = Segments.is64BitCode(c, d) ? off : off & 0xFFFF_FFFFL;
  }

  public static void callFar(CpuState c, Insn i) {
    farCall(c, i, (int) i.imm2, i.imm);
  }

  public static void callFarIndirect(CpuState c, Insn i) {
    int osz = i.opSize;
    long ea = Ops.ea(c, i);
    long off = Mem.read(c, i.seg, ea, osz);
    int sel = (int) Mem.read(c, i.seg, (ea + osz) & Ops.mask(i.addrSize), 2);
    farCall(c, i, sel, off);
  }

  private static void farCall(CpuState c, Insn i, int sel, long off) {
    int s = i.opSize;
    long retCs = c.segSel[CpuState.CS];
    long retIp = c.rip;
    if (!c.protectedMode() || c.v86Mode()) {
      long sp = Ops.sp(c);
      long m = Ops.mask(c.stackSize);
      Mem.write(c, CpuState.SS, (sp - s) & m, s, retCs);
      Mem.write(c, CpuState.SS, (sp - 2L * s) & m, s, retIp);
      Segments.loadCodeReal(c, sel);
      Ops.setSp(c, sp - 2L * s);
      c.rip = off & Ops.mask(s);
      return;
    }
    long d = Segments.readTarget(c, sel);
    if (!Segments.codeOrData(d)) {
      CallGates.call(c, sel, d);
      return;
    }
    d = Segments.checkCodeTarget(c, sel, d);
    Segments.checkTarget(c, d, off);
    long sp = Ops.sp(c);
    long m = Ops.mask(c.stackSize);
    Mem.write(c, CpuState.SS, (sp - s) & m, s, retCs);
    Mem.write(c, CpuState.SS, (sp - 2L * s) & m, s, retIp);
    Segments.loadCode(c, sel, d, c.cpl, off);
    Ops.setSp(c, sp - 2L * s);
    c.rip = Segments.is64BitCode(c, d) ? off : off & Ops.mask(Math.min(s, 4));
  }

  /** RETF and RETF imm16, including the return to an outer privilege level. */
  public static void retFar(CpuState c, Insn i) {
    int s = i.opSize;
    long imm = i.k0 == Insn.K_IMM ? i.imm & 0xFFFF : 0;
    // The selector is read first: with an unmapped stack, #PF reports its address (as the host does).
    int sel = (int) Ops.peek(c, s, s) & 0xFFFF;
    long off = Ops.peek(c, s, 0);
    if (!c.protectedMode() || c.v86Mode()) {
      off &= Ops.mask(s);
      if (!c.v86Mode() && off > (c.segLimit[CpuState.CS] & 0xFFFF_FFFFL)) {
        throw GuestFault.gp0();
      }
      Segments.loadCodeReal(c, sel);
      Ops.setSp(c, Ops.sp(c) + 2L * s + imm);
      c.rip = off;
      return;
    }
    int rpl = sel & 3;
    long d = checkReturnCode(c, sel);
    if (rpl > c.cpl) {
      // Return to an outer level: SS:rSP follow CS:rIP (and the imm16 bytes) on the stack.
      long newSp = Ops.peek(c, s, 2 * s + (int) imm);
      int newSs = (int) Ops.peek(c, s, 3 * s + (int) imm) & 0xFFFF;
      long ssd = checkReturnStack(c, newSs, rpl, d);
      Segments.checkTarget(c, d, off);
      Segments.loadCode(c, sel, d, rpl, off);
      loadReturnStack(c, newSs, ssd, rpl);
      Ops.setReg(c, CpuState.RSP, c.stackSize == 2 ? 2 : s == 8 ? 8 : 4, newSp + imm);
      Segments.nullifyInaccessible(c);
    } else {
      Segments.checkTarget(c, d, off);
      Segments.loadCode(c, sel, d, c.cpl, off);
      Ops.setSp(c, Ops.sp(c) + 2L * s + imm);
    }
    c.rip = Segments.is64BitCode(c, d) ? off : off & Ops.mask(Math.min(s, 4));
  }

  /** Checks a code selector popped by RETF or IRET (SDM Vol. 2B, RET "PROTECTED-MODE"). */
  static long checkReturnCode(CpuState c, int sel) {
    if ((sel & 0xFFFC) == 0) {
      throw GuestFault.gp0();
    }
    int rpl = sel & 3;
    if (rpl < c.cpl) {
      throw GuestFault.gp(sel & 0xFFFC);
    }
    long d = Segments.readDescriptor(c, sel, 0);
    int type = Segments.type(d);
    if (!Segments.codeOrData(d) || (type & Segments.TYPE_CODE) == 0) {
      throw GuestFault.gp(sel & 0xFFFC);
    }
    int dpl = Segments.dpl(d);
    if ((type & Segments.TYPE_CE) != 0 ? dpl > rpl : dpl != rpl) {
      throw GuestFault.gp(sel & 0xFFFC);
    }
    if (!Segments.present(d)) {
      throw GuestFault.withCode(GuestFault.NP, sel & 0xFFFC);
    }
    Segments.checkLongModeCode(c, sel, d);
    return d;
  }

  /** The SS popped on a return to privilege {@code rpl}; 64-bit mode accepts a null SS below ring 3. */
  static long checkReturnStack(CpuState c, int ss, int rpl, long codeDesc) {
    if ((ss & 0xFFFC) == 0) {
      if (Segments.is64BitCode(c, codeDesc) && rpl != 3 && (ss & 3) == rpl) {
        return 0;
      }
      throw GuestFault.gp0();
    }
    if ((ss & 3) != rpl) {
      throw GuestFault.gp(ss & 0xFFFC);
    }
    long d = Segments.readDescriptor(c, ss, 0);
    int type = Segments.type(d);
    if (!Segments.codeOrData(d) || (type & Segments.TYPE_CODE) != 0 || (type & Segments.TYPE_RW) == 0
        || Segments.dpl(d) != rpl) {
      throw GuestFault.gp(ss & 0xFFFC);
    }
    if (!Segments.present(d)) {
      throw GuestFault.withCode(GuestFault.SS, ss & 0xFFFC);
    }
    return d;
  }

  static void loadReturnStack(CpuState c, int ss, long d, int rpl) {
    if (d == 0) {
      c.segSel[CpuState.SS] = ss;
      c.segBase[CpuState.SS] = 0;
      c.segLimit[CpuState.SS] = 0;
      c.segAttr[CpuState.SS] = CpuState.SEG_UNUSABLE | CpuState.SEG_DB | (rpl << CpuState.SEG_DPL_SHIFT);
    } else {
      Segments.setAccessed(c, ss, d);
      Segments.setCache(c, CpuState.SS, ss, d);
    }
    c.updateMode();
  }

  // ---- software interrupts and IRET ----

  public static void intN(CpuState c, Insn i) {
    int v = (int) i.imm & 0xFF;
    if (c.v86Mode() && (c.rflags & Flags.IOPL) != Flags.IOPL) {
      throw GuestFault.gp0();
    }
    Interrupts.deliver(c, v, 0, false, Interrupts.SOFTWARE, 0);
  }

  public static void int3(CpuState c, Insn i) {
    Interrupts.deliver(c, GuestFault.BP, 0, false, Interrupts.SOFTWARE_EXCEPTION, 0);
  }

  public static void int1(CpuState c, Insn i) {
    Interrupts.deliver(c, GuestFault.DB, 0, false, Interrupts.PRIV_SOFTWARE, 0);
  }

  public static void into(CpuState c, Insn i) {
    if (Flags.of(c)) {
      Interrupts.deliver(c, GuestFault.OF, 0, false, Interrupts.SOFTWARE_EXCEPTION, 0);
    }
  }

  /** BOUND: #BR if the signed index is outside [lower, upper] read from memory. */
  public static void bound(CpuState c, Insn i) {
    int s = i.opSize;
    long ea = Ops.ea(c, i);
    long lower = Ops.sext(Mem.read(c, i.seg, ea, s), s);
    long upper = Ops.sext(Mem.read(c, i.seg, (ea + s) & Ops.mask(i.addrSize), s), s);
    long idx = Ops.sext(Ops.getReg(c, i.r0, s), s);
    if (idx < lower || idx > upper) {
      throw GuestFault.of(GuestFault.BR);
    }
  }

  /** IRET/IRETD/IRETQ (SDM Vol. 2A, IRET): real mode, protected mode and IA-32e mode returns. */
  public static void iret(CpuState c, Insn i) {
    int s = i.opSize;
    if (!c.protectedMode()) {
      long ip = Ops.peek(c, s, 0);
      int cs = (int) Ops.peek(c, s, s) & 0xFFFF;
      long fl = Ops.peek(c, s, 2 * s);
      ip &= Ops.mask(s);
      if (ip > (c.segLimit[CpuState.CS] & 0xFFFF_FFFFL) && s == 4) {
        throw GuestFault.gp0();
      }
      long old = c.getRflags();
      long nf = s == 2 ? (old & ~0xFFFFL) | (fl & 0xFFFF)
          : (fl & 0x257FD5L) | (old & 0x1A0000L);
      Segments.loadCodeReal(c, cs);
      Ops.setSp(c, Ops.sp(c) + 3L * s);
      c.rip = ip;
      c.setRflags(nf);
      c.nmiBlocked = false;
      return;
    }
    if (c.v86Mode()) {
      throw GuestFault.gp0(); // virtual-8086 mode is not supported
    }
    if ((c.rflags & Flags.NT) != 0) {
      throw GuestFault.gp0(); // task returns are not supported (and #GP in IA-32e mode anyway)
    }
    long ip = Ops.peek(c, s, 0);
    int cs = (int) Ops.peek(c, s, s) & 0xFFFF;
    long fl = Ops.peek(c, s, 2 * s);
    if (s != 8 && (fl & Flags.VM) != 0 && c.cpl == 0 && !c.longMode()) {
      throw GuestFault.gp0(); // return to virtual-8086 mode: not supported
    }
    int rpl = cs & 3;
    long d = checkReturnCode(c, cs);
    boolean from64 = c.codeSize == 8;
    boolean popStack = rpl > c.cpl || from64;
    long newSp = 0;
    int newSs = 0;
    long ssd = 0;
    if (popStack) {
      newSp = Ops.peek(c, s, 3 * s);
      newSs = (int) Ops.peek(c, s, 4 * s) & 0xFFFF;
      ssd = checkReturnStack(c, newSs, rpl, d);
    }
    Segments.checkTarget(c, d, s == 8 ? ip : ip & Ops.mask(s));
    // Flags: IOPL only at CPL 0, IF only when CPL <= IOPL, VIF/VIP only at CPL 0 (old CPL).
    long old = c.getRflags();
    long changeable = Flags.ARITH | Flags.TF | Flags.DF | Flags.OF | Flags.NT | Flags.RF | Flags.AC | Flags.ID;
    int iopl = (int) ((old & Flags.IOPL) >>> 12);
    if (c.cpl <= iopl) {
      changeable |= Flags.IF;
    }
    if (c.cpl == 0) {
      changeable |= Flags.IOPL | Flags.VIF | Flags.VIP;
    }
    if (s == 2) {
      changeable &= 0xFFFF;
    }
    long nf = (old & ~changeable) | (fl & changeable);
    boolean outer = rpl > c.cpl;
    Segments.loadCode(c, cs, d, rpl, ip);
    if (popStack) {
      loadReturnStack(c, newSs, ssd, rpl);
      Ops.setReg(c, CpuState.RSP, s == 2 ? 2 : (c.codeSize == 8 || s == 8) ? 8 : 4, newSp);
      if (from64) {
        // In 64-bit mode IRETW/IRETD load RSP with the zero-extended 16/32-bit value (the host does).
        c.gpr[CpuState.RSP] = newSp & Ops.mask(s);
      } else if (s == 2 || c.stackSize != 8 && s == 4) {
        // 32-bit returns load ESP; a 16-bit SS keeps the upper half of ESP (SDM: ESP <- tempESP).
        Ops.setReg(c, CpuState.RSP, s, newSp);
      }
    } else {
      Ops.setSp(c, Ops.sp(c) + 3L * s);
    }
    if (outer) {
      Segments.nullifyInaccessible(c);
    }
    c.rip = Segments.is64BitCode(c, d) ? ip : ip & Ops.mask(Math.min(s, 4));
    c.setRflags(nf);
    c.nmiBlocked = false; // IRET ends the NMI handler's blocking of further NMIs
  }
}
