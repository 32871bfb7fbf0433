package org.jkvm.translator.sem;

import org.jkvm.runtime.Cpuid;
import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Flags;
import org.jkvm.runtime.VmxExitReason;
import org.jkvm.translator.isa.Insn;

/**
 * System instructions (SDM Vol. 2 and Vol. 3A chapters 2, 4, 5): control and debug registers, descriptor
 * table registers, LDT and task register, SYSCALL/SYSRET, SYSENTER/SYSEXIT, SWAPGS, MSRs, INVLPG, cache
 * control, LAR/LSL/VERR/VERW and far-pointer loads. Privilege checks come first in every handler.
 */
public final class SystemOps {
  private SystemOps() {}

  /** CR4 bits a guest may set: those whose features CPUID advertises. */
  public static final long CR4_VALID = CpuState.CR4_TSD | CpuState.CR4_DE | CpuState.CR4_PSE | CpuState.CR4_PAE
      | CpuState.CR4_PGE | CpuState.CR4_PCE | CpuState.CR4_OSFXSR | CpuState.CR4_OSXMMEXCPT
      | ((Cpuid.LEAF7_EBX & Cpuid.L7_EBX_SMEP) != 0 ? CpuState.CR4_SMEP : 0)
      | ((Cpuid.LEAF7_EBX & Cpuid.L7_EBX_SMAP) != 0 ? CpuState.CR4_SMAP : 0);

  static void requireCpl0(CpuState c) {
    if (c.cpl != 0) {
      throw GuestFault.gp0();
    }
  }

  /** Outside protected mode (real, or virtual-8086) the descriptor-table instructions LLDT etc. are #UD. */
  private static void requireProtected(CpuState c) {
    if (!c.protectedMode() || c.v86Mode()) {
      throw GuestFault.ud();
    }
  }

  // ---- control registers ----

  /**
   * MOV to/from CRn and DRn move 64 bits in 64-bit mode and 32 bits elsewhere, whatever the operand-size
   * prefix or REX.W (SDM Vol. 2B, MOV—Move to/from Control Registers).
   */
  static int crSize(CpuState c) {
    return c.codeSize == 8 ? 8 : 4;
  }

  /**
   * A control register that does not exist is an invalid opcode, found while decoding and so before the
   * privilege check (SDM Vol. 3A, 6.9: decode faults come before execution faults; the host agrees).
   */
  private static void requireCr(int r) {
    if (r != 0 && r != 2 && r != 3 && r != 4 && r != 8) {
      throw GuestFault.ud();
    }
  }

  public static void movFromCr(CpuState c, Insn i) {
    requireCr(i.r1);
    requireCpl0(c);
    long v;
    switch (i.r1) {
      case 0: v = c.cr0; break;
      case 2: v = c.cr2; break;
      case 3: v = c.cr3; break;
      case 4: v = c.cr4; break;
      case 8: v = c.hooks.readCr8(c); break;
      default: throw GuestFault.ud();
    }
    Ops.setReg(c, i.r0, crSize(c), v);
  }

  public static void movToCr(CpuState c, Insn i) {
    requireCr(i.r0);
    requireCpl0(c);
    long v = Ops.getReg(c, i.r1, crSize(c));
    c.hooks.countExit(VmxExitReason.CR_ACCESS);
    switch (i.r0) {
      case 0: writeCr0(c, v); break;
      case 2: c.cr2 = v; break;
      case 3: writeCr3(c, v); break;
      case 4: writeCr4(c, v); break;
      case 8:
        if ((v & ~0xFL) != 0) {
          throw GuestFault.gp0();
        }
        c.hooks.writeCr8(c, v); // the local APIC's TPR: it decides which interrupts get through
        break;
      default: throw GuestFault.ud();
    }
  }

  /** MOV to CR0 (SDM Vol. 3A, 2.5 and 9.8.5): entering and leaving paging and IA-32e mode. */
  public static void writeCr0(CpuState c, long v) {
    if ((v >>> 32) != 0) {
      throw GuestFault.gp0();
    }
    v |= CpuState.CR0_ET; // hard-wired to 1
    if ((v & CpuState.CR0_PG) != 0 && (v & CpuState.CR0_PE) == 0) {
      throw GuestFault.gp0();
    }
    if ((v & CpuState.CR0_NW) != 0 && (v & CpuState.CR0_CD) == 0) {
      throw GuestFault.gp0();
    }
    long old = c.cr0;
    boolean pgOn = (v & CpuState.CR0_PG) != 0 && (old & CpuState.CR0_PG) == 0;
    boolean pgOff = (v & CpuState.CR0_PG) == 0 && (old & CpuState.CR0_PG) != 0;
    if (pgOn && (c.efer & CpuState.EFER_LME) != 0) {
      if ((c.cr4 & CpuState.CR4_PAE) == 0 || (c.segAttr[CpuState.CS] & CpuState.SEG_L) != 0) {
        throw GuestFault.gp0();
      }
      c.efer |= CpuState.EFER_LMA;
    } else if (pgOn && (c.cr4 & CpuState.CR4_PAE) != 0) {
      loadPdptes(c, c.cr3); // entering PAE paging loads the PDPTE registers
    }
    if (pgOff && c.longMode()) {
      if (c.codeSize == 8) {
        throw GuestFault.gp0(); // paging may only be turned off from compatibility mode
      }
      c.efer &= ~CpuState.EFER_LMA;
    }
    c.cr0 = v;
    if (((old ^ v) & (CpuState.CR0_PG | CpuState.CR0_WP | CpuState.CR0_PE)) != 0) {
      c.tlb.flushAll();
    }
    c.updateMode();
  }

  /** PAE paging outside IA-32e mode: the PDPTEs are registers loaded by MOV CR3 and mode changes. */
  static boolean paePaging(CpuState c, long cr0, long cr4) {
    return (cr0 & CpuState.CR0_PG) != 0 && (cr4 & CpuState.CR4_PAE) != 0 && !c.longMode();
  }

  /** Loads the four PDPTEs; #GP(0) if a present one has a reserved bit set (SDM Vol. 3A, 4.4.1). */
  static void loadPdptes(CpuState c, long cr3) {
    if (!c.walker.loadPaePdptes(cr3)) {
      throw GuestFault.gp0();
    }
  }

  public static void writeCr3(CpuState c, long v) {
    if (c.longMode() && (v & 0xFFF0_0000_0000_0000L) != 0) {
      throw GuestFault.gp0();
    }
    if (paePaging(c, c.cr0, c.cr4)) {
      loadPdptes(c, v & 0xFFFF_FFFFL);
    }
    c.cr3 = c.longMode() ? v : v & 0xFFFF_FFFFL;
    if ((c.cr4 & CpuState.CR4_PGE) != 0) {
      c.tlb.flushNonGlobal();
    } else {
      c.tlb.flushAll();
    }
  }

  public static void writeCr4(CpuState c, long v) {
    if ((v & ~CR4_VALID) != 0) {
      throw GuestFault.gp0();
    }
    if (c.longMode() && (v & CpuState.CR4_PAE) == 0) {
      throw GuestFault.gp0();
    }
    long old = c.cr4;
    long modeBits = CpuState.CR4_PAE | CpuState.CR4_PGE | CpuState.CR4_PSE | CpuState.CR4_SMEP | CpuState.CR4_SMAP;
    if (paePaging(c, c.cr0, v) && ((old ^ v) & modeBits) != 0) {
      loadPdptes(c, c.cr3);
    }
    c.cr4 = v;
    if (((old ^ v) & (CpuState.CR4_PGE | CpuState.CR4_PAE | CpuState.CR4_PSE | CpuState.CR4_SMEP
        | CpuState.CR4_SMAP)) != 0) {
      c.tlb.flushAll();
    }
    c.updateMmuIdx();
  }

  // ---- debug registers (breakpoints are stored but not armed) ----

  private static int drIndex(CpuState c, int r) {
    if (r > 7) {
      throw GuestFault.ud();
    }
    if (r == 4 || r == 5) {
      if ((c.cr4 & CpuState.CR4_DE) != 0) {
        throw GuestFault.ud();
      }
      return r + 2;
    }
    return r;
  }

  /** DR8-DR15 (and DR4/DR5 with CR4.DE) are invalid opcodes, before the privilege check as for CRs. */
  public static void movFromDr(CpuState c, Insn i) {
    int r = drIndex(c, i.r1);
    requireCpl0(c);
    c.hooks.countExit(VmxExitReason.DR_ACCESS);
    long v = r == 6 ? (c.dr[6] | 0xFFFF_0FF0L) & 0xFFFF_FFFFL : r == 7 ? (c.dr[7] | 0x400) & 0xFFFF_FFFFL : c.dr[r];
    Ops.setReg(c, i.r0, crSize(c), v);
  }

  public static void movToDr(CpuState c, Insn i) {
    int r = drIndex(c, i.r0);
    requireCpl0(c);
    long v = Ops.getReg(c, i.r1, crSize(c));
    if ((r == 6 || r == 7) && (v >>> 32) != 0) {
      throw GuestFault.gp0();
    }
    c.hooks.countExit(VmxExitReason.DR_ACCESS);
    c.dr[r] = v;
  }

  // ---- descriptor tables ----

  private static void loadTableRegister(CpuState c, Insn i, boolean idt) {
    long ea = Ops.ea(c, i);
    int limit = (int) Mem.read(c, i.seg, ea, 2);
    long base;
    long ea2 = (ea + 2) & Ops.mask(i.addrSize);
    if (c.codeSize == 8) {
      base = Mem.read(c, i.seg, ea2, 8);
      if ((base << 16 >> 16) != base) {
        throw GuestFault.gp0();
      }
    } else {
      base = Mem.read(c, i.seg, ea2, 4);
      if (i.opSize == 2) {
        base &= 0xFF_FFFFL; // a 16-bit operand size loads 24 bits of base
      }
    }
    if (idt) {
      c.idtBase = base;
      c.idtLimit = limit;
    } else {
      c.gdtBase = base;
      c.gdtLimit = limit;
    }
    c.hooks.countExit(VmxExitReason.GDTR_IDTR);
  }

  public static void lgdt(CpuState c, Insn i) {
    requireCpl0(c);
    loadTableRegister(c, i, false);
  }

  public static void lidt(CpuState c, Insn i) {
    requireCpl0(c);
    loadTableRegister(c, i, true);
  }

  private static void storeTableRegister(CpuState c, Insn i, long base, int limit) {
    long ea = Ops.ea(c, i);
    int n = c.codeSize == 8 ? 8 : 4;
    Mem.linear(c, i.seg, ea, 2 + n, true);
    Mem.write(c, i.seg, ea, 2, limit);
    Mem.write(c, i.seg, (ea + 2) & Ops.mask(i.addrSize), n, base);
  }

  public static void sgdt(CpuState c, Insn i) {
    storeTableRegister(c, i, c.gdtBase, c.gdtLimit);
  }

  public static void sidt(CpuState c, Insn i) {
    storeTableRegister(c, i, c.idtBase, c.idtLimit);
  }

  /** Stores a selector: a register destination gets it zero-extended, memory gets 16 bits. */
  private static void storeSelector(CpuState c, Insn i, int sel) {
    if (i.k0 == Insn.K_MEM) {
      Mem.write(c, i.seg, Ops.ea(c, i), 2, sel);
    } else {
      Ops.setReg(c, i.r0, i.opSize, sel);
    }
  }

  public static void sldt(CpuState c, Insn i) {
    requireProtected(c);
    storeSelector(c, i, c.ldtSel);
  }

  public static void str(CpuState c, Insn i) {
    requireProtected(c);
    storeSelector(c, i, c.trSel);
  }

  /** LLDT: a null selector leaves the LDT unusable; otherwise an LDT descriptor (type 2) from the GDT. */
  public static void lldt(CpuState c, Insn i) {
    requireProtected(c);
    requireCpl0(c);
    int sel = (int) Ops.get0(c, i) & 0xFFFF;
    c.hooks.countExit(VmxExitReason.LDTR_TR);
    if ((sel & 0xFFFC) == 0) {
      c.ldtSel = sel;
      c.ldtBase = 0;
      c.ldtLimit = 0;
      c.ldtAttr = CpuState.SEG_UNUSABLE;
      return;
    }
    if ((sel & 4) != 0) {
      throw GuestFault.gp(sel & 0xFFFC);
    }
    long d = Segments.readDescriptor(c, sel, 0);
    if (Segments.codeOrData(d) || Segments.type(d) != 2) {
      throw GuestFault.gp(sel & 0xFFFC);
    }
    if (!Segments.present(d)) {
      throw GuestFault.withCode(GuestFault.NP, sel & 0xFFFC);
    }
    long base = Segments.base(d);
    if (c.longMode()) {
      base |= (Segments.readDescriptorHigh(c, sel) & 0xFFFF_FFFFL) << 32;
    }
    c.ldtSel = sel;
    c.ldtBase = base;
    c.ldtLimit = Segments.limit(d);
    c.ldtAttr = Segments.attr(d);
  }

  /** LTR: an available TSS (16- or 32/64-bit) from the GDT, marked busy. */
  public static void ltr(CpuState c, Insn i) {
    requireProtected(c);
    requireCpl0(c);
    int sel = (int) Ops.get0(c, i) & 0xFFFF;
    c.hooks.countExit(VmxExitReason.LDTR_TR);
    if ((sel & 0xFFFC) == 0) {
      throw GuestFault.gp0();
    }
    if ((sel & 4) != 0) {
      throw GuestFault.gp(sel & 0xFFFC);
    }
    long d = Segments.readDescriptor(c, sel, 0);
    int type = Segments.type(d);
    boolean ok = !Segments.codeOrData(d) && (type == 9 || (type == 1 && !c.longMode()));
    if (!ok) {
      throw GuestFault.gp(sel & 0xFFFC);
    }
    if (!Segments.present(d)) {
      throw GuestFault.withCode(GuestFault.NP, sel & 0xFFFC);
    }
    long base = Segments.base(d);
    if (c.longMode()) {
      base |= (Segments.readDescriptorHigh(c, sel) & 0xFFFF_FFFFL) << 32;
    }
    Mem.writeSys(c, Segments.descriptorAddress(c, sel, 0) + 5, 1, (d >>> 40) | 2); // busy
    c.trSel = sel;
    c.trBase = base;
    c.trLimit = Segments.limit(d);
    c.trAttr = Segments.attr(d) | 2;
  }

  public static void smsw(CpuState c, Insn i) {
    if (i.k0 == Insn.K_MEM) {
      Mem.write(c, i.seg, Ops.ea(c, i), 2, c.cr0);
    } else {
      Ops.setReg(c, i.r0, i.opSize, c.cr0);
    }
  }

  /** LMSW: loads CR0 bits 3:0; PE can be set but not cleared. */
  public static void lmsw(CpuState c, Insn i) {
    requireCpl0(c);
    long v = Ops.get0(c, i) & 0xF;
    long nv = (c.cr0 & ~0xEL) | v | (c.cr0 & CpuState.CR0_PE);
    writeCr0(c, nv);
  }

  public static void clts(CpuState c, Insn i) {
    requireCpl0(c);
    c.cr0 &= ~CpuState.CR0_TS;
    c.hooks.countExit(VmxExitReason.CR_ACCESS);
  }

  public static void invlpg(CpuState c, Insn i) {
    requireCpl0(c);
    long ea = Ops.ea(c, i);
    long la = c.codeSize == 8 ? (i.seg >= CpuState.FS ? c.segBase[i.seg] + ea : ea)
        : (c.segBase[i.seg] + ea) & 0xFFFF_FFFFL;
    c.tlb.flushPage(la);
    c.hooks.countExit(VmxExitReason.INVLPG);
  }

  public static void wbinvd(CpuState c, Insn i) {
    requireCpl0(c);
    c.hooks.countExit(VmxExitReason.WBINVD);
  }

  // ---- MSRs ----

  public static void rdmsr(CpuState c, Insn i) {
    requireCpl0(c);
    long[] out = new long[1];
    if (!c.hooks.rdmsr(c, (int) c.gpr[CpuState.RCX], out)) {
      throw GuestFault.gp0();
    }
    c.gpr[CpuState.RAX] = out[0] & 0xFFFF_FFFFL;
    c.gpr[CpuState.RDX] = out[0] >>> 32;
  }

  public static void wrmsr(CpuState c, Insn i) {
    requireCpl0(c);
    long v = (c.gpr[CpuState.RAX] & 0xFFFF_FFFFL) | (c.gpr[CpuState.RDX] << 32);
    if (!c.hooks.wrmsr(c, (int) c.gpr[CpuState.RCX], v)) {
      throw GuestFault.gp0();
    }
  }

  /** RDPMC: there are no performance counters (CPUID leaf 0xA is zero): #GP(0). */
  public static void rdpmc(CpuState c, Insn i) {
    throw GuestFault.gp0();
  }

  // ---- fast system calls ----

  private static void flatCode(CpuState c, int sel, int dpl, boolean long64) {
    c.segSel[CpuState.CS] = sel;
    c.segBase[CpuState.CS] = 0;
    c.segLimit[CpuState.CS] = -1;
    c.segAttr[CpuState.CS] = 0xB | CpuState.SEG_S | (dpl << CpuState.SEG_DPL_SHIFT) | CpuState.SEG_P
        | CpuState.SEG_G | (long64 ? CpuState.SEG_L : CpuState.SEG_DB);
  }

  private static void flatStack(CpuState c, int sel, int dpl) {
    c.segSel[CpuState.SS] = sel;
    c.segBase[CpuState.SS] = 0;
    c.segLimit[CpuState.SS] = -1;
    c.segAttr[CpuState.SS] = 0x3 | CpuState.SEG_S | (dpl << CpuState.SEG_DPL_SHIFT) | CpuState.SEG_P
        | CpuState.SEG_G | CpuState.SEG_DB;
  }

  /** SYSCALL (64-bit mode): RCX = return RIP, R11 = RFLAGS, CS/SS from STAR, RIP = LSTAR. */
  public static void syscall(CpuState c, Insn i) {
    if ((c.efer & CpuState.EFER_SCE) == 0) {
      throw GuestFault.ud();
    }
    long flags = c.getRflags();
    int sel = (int) (c.star >>> 32) & 0xFFFC;
    c.gpr[CpuState.RCX] = c.rip;
    c.gpr[11] = flags & ~Flags.RF;
    flatCode(c, sel, 0, true);
    flatStack(c, sel + 8, 0);
    c.updateMode();
    c.rip = c.lstar;
    c.setRflags(flags & ~c.sfmask & ~Flags.RF);
  }

  /** SYSRET: back to CPL 3, 64-bit with REX.W, else compatibility mode. RCX must be canonical (Intel). */
  public static void sysret(CpuState c, Insn i) {
    if ((c.efer & CpuState.EFER_SCE) == 0) {
      throw GuestFault.ud();
    }
    requireCpl0(c);
    boolean to64 = i.opSize == 8;
    long target = c.gpr[CpuState.RCX];
    if (to64 && (target << 16 >> 16) != target) {
      throw GuestFault.gp0();
    }
    int base = (int) (c.star >>> 48) & 0xFFFF;
    int cs = to64 ? base + 16 : base;
    flatCode(c, (cs & 0xFFFC) | 3, 3, to64);
    // SS gets selector STAR[63:48]+8 with RPL 3; its descriptor cache is a flat data segment.
    flatStack(c, ((base + 8) & 0xFFFC) | 3, 3);
    c.updateMode();
    c.rip = to64 ? target : target & 0xFFFF_FFFFL;
    c.setRflags((c.gpr[11] & ~(Flags.RF | Flags.VM)) | Flags.FIXED1);
  }

  /** SYSENTER: to CPL 0 at SYSENTER_CS, flat segments; #GP(0) in real mode or with a null SYSENTER_CS. */
  public static void sysenter(CpuState c, Insn i) {
    if (!c.protectedMode()) {
      throw GuestFault.gp0();
    }
    int cs = (int) c.sysenterCs & 0xFFFC;
    if (cs == 0) {
      throw GuestFault.gp0();
    }
    long flags = c.getRflags() & ~(Flags.VM | Flags.IF | Flags.RF);
    boolean lm = c.longMode();
    flatCode(c, cs, 0, lm);
    flatStack(c, cs + 8, 0);
    c.updateMode();
    c.setRflags(flags);
    c.rip = lm ? c.sysenterEip : c.sysenterEip & 0xFFFF_FFFFL;
    c.gpr[CpuState.RSP] = lm ? c.sysenterEsp : c.sysenterEsp & 0xFFFF_FFFFL;
  }

  /** SYSEXIT: to CPL 3; REX.W returns to 64-bit code. */
  public static void sysexit(CpuState c, Insn i) {
    if (!c.protectedMode() || c.v86Mode()) {
      throw GuestFault.gp0();
    }
    requireCpl0(c);
    int cs = (int) c.sysenterCs & 0xFFFC;
    if (cs == 0) {
      throw GuestFault.gp0();
    }
    boolean to64 = i.opSize == 8;
    long rip = c.gpr[CpuState.RDX];
    long rsp = c.gpr[CpuState.RCX];
    if (to64 && ((rip << 16 >> 16) != rip || (rsp << 16 >> 16) != rsp)) {
      throw GuestFault.gp0();
    }
    flatCode(c, (to64 ? cs + 32 : cs + 16) | 3, 3, to64);
    flatStack(c, (to64 ? cs + 40 : cs + 24) | 3, 3);
    c.updateMode();
    c.rip = to64 ? rip : rip & 0xFFFF_FFFFL;
    c.gpr[CpuState.RSP] = to64 ? rsp : rsp & 0xFFFF_FFFFL;
  }

  public static void swapgs(CpuState c, Insn i) {
    requireCpl0(c);
    long t = c.segBase[CpuState.GS];
    c.segBase[CpuState.GS] = c.kernelGsBase;
    c.kernelGsBase = t;
  }

  // ---- SMAP, XSAVE-area registers, monitoring, hypercalls ----

  /** CLAC and STAC are #UD, not #GP, above ring 0 (SDM Vol. 2A, CLAC/STAC "Protected Mode Exceptions"). */
  private static void requireSmapInstruction(CpuState c) {
    if ((Cpuid.LEAF7_EBX & Cpuid.L7_EBX_SMAP) == 0 || c.cpl != 0) {
      throw GuestFault.ud();
    }
  }

  public static void clac(CpuState c, Insn i) {
    requireSmapInstruction(c);
    c.rflags &= ~Flags.AC;
    c.updateMmuIdx();
  }

  public static void stac(CpuState c, Insn i) {
    requireSmapInstruction(c);
    c.rflags |= Flags.AC;
    c.updateMmuIdx();
  }

  /** XGETBV/XSETBV need CR4.OSXSAVE, which cannot be set while XSAVE is not advertised: #UD. */
  public static void xgetbv(CpuState c, Insn i) {
    if ((c.cr4 & CpuState.CR4_OSXSAVE) == 0) {
      throw GuestFault.ud();
    }
    if ((int) c.gpr[CpuState.RCX] != 0) {
      throw GuestFault.gp0();
    }
    c.gpr[CpuState.RAX] = c.xcr0 & 0xFFFF_FFFFL;
    c.gpr[CpuState.RDX] = c.xcr0 >>> 32;
  }

  public static void xsetbv(CpuState c, Insn i) {
    if ((c.cr4 & CpuState.CR4_OSXSAVE) == 0) {
      throw GuestFault.ud();
    }
    requireCpl0(c);
    throw GuestFault.gp0();
  }

  /** MONITOR/MWAIT are not advertised (CPUID.1:ECX[3] = 0): #UD. */
  public static void monitor(CpuState c, Insn i) {
    throw GuestFault.ud();
  }

  public static void mwait(CpuState c, Insn i) {
    throw GuestFault.ud();
  }

  /** KVM's hypercall answers (include/uapi/linux/kvm_para.h). */
  static final long KVM_ENOSYS = 1000;
  static final long KVM_EPERM = 1;

  /**
   * VMCALL: a KVM hypercall. None is implemented, so RAX = -KVM_ENOSYS, or -KVM_EPERM from CPL > 0, as
   * kvm_emulate_hypercall answers (truncated to 32 bits outside 64-bit mode).
   */
  public static void vmcall(CpuState c, Insn i) {
    c.hooks.countExit(VmxExitReason.VMCALL);
    long ret = c.cpl != 0 ? -KVM_EPERM : -KVM_ENOSYS;
    c.gpr[CpuState.RAX] = c.codeSize == 8 ? ret : ret & 0xFFFF_FFFFL;
  }

  // ---- segment inspection ----

  /** The descriptor LAR/LSL/VERR/VERW may look at, or 0 if the selector fails the common checks. */
  private static long inspect(CpuState c, int sel) {
    if ((sel & 0xFFFC) == 0) {
      return 0;
    }
    try {
      return Segments.readDescriptor(c, sel, 0);
    } catch (GuestFault f) {
      if (f.vector == GuestFault.GP) {
        return 0;
      }
      throw f;
    }
  }

  /** Conforming code skips the privilege check; everything else needs DPL >= max(CPL, RPL). */
  private static boolean privilegeOk(CpuState c, int sel, long d) {
    boolean conformingCode = Segments.codeOrData(d) && (Segments.type(d) & 0xC) == 0xC;
    int dpl = Segments.dpl(d);
    return conformingCode || (dpl >= c.cpl && dpl >= (sel & 3));
  }

  private static void setZf(CpuState c, boolean zf) {
    c.materializeFlags();
    c.rflags = zf ? c.rflags | Flags.ZF : c.rflags & ~Flags.ZF;
  }

  private static boolean larType(CpuState c, long d, boolean lsl) {
    if (Segments.codeOrData(d)) {
      return true;
    }
    int t = Segments.type(d);
    if (c.longMode()) {
      return t == 2 || t == 9 || t == 0xB || (!lsl && t == 0xC);
    }
    return t == 1 || t == 2 || t == 3 || t == 9 || t == 0xB || (!lsl && (t == 4 || t == 5 || t == 0xC));
  }

  public static void lar(CpuState c, Insn i) {
    requireProtected(c);
    int sel = (int) Ops.get1(c, i) & 0xFFFF;
    long d = inspect(c, sel);
    if (d == 0 || !larType(c, d, false) || !privilegeOk(c, sel, d)) {
      setZf(c, false);
      return;
    }
    // Bits 19:16 (the limit's top) are undefined for Intel; AMD, and Intel parts in practice, return them.
    Ops.set0(c, i, (d >>> 32) & 0x00FF_FF00L);
    setZf(c, true);
  }

  public static void lsl(CpuState c, Insn i) {
    requireProtected(c);
    int sel = (int) Ops.get1(c, i) & 0xFFFF;
    long d = inspect(c, sel);
    if (d == 0 || !larType(c, d, true) || !privilegeOk(c, sel, d)) {
      setZf(c, false);
      return;
    }
    Ops.set0(c, i, Segments.limit(d) & 0xFFFF_FFFFL);
    setZf(c, true);
  }

  private static void verify(CpuState c, Insn i, boolean write) {
    requireProtected(c);
    int sel = (int) Ops.get0(c, i) & 0xFFFF;
    long d = inspect(c, sel);
    boolean ok = d != 0 && Segments.codeOrData(d) && privilegeOk(c, sel, d);
    if (ok) {
      int t = Segments.type(d);
      boolean code = (t & Segments.TYPE_CODE) != 0;
      ok = write ? !code && (t & Segments.TYPE_RW) != 0 : !code || (t & Segments.TYPE_RW) != 0;
    }
    setZf(c, ok);
  }

  public static void verr(CpuState c, Insn i) {
    verify(c, i, false);
  }

  public static void verw(CpuState c, Insn i) {
    verify(c, i, true);
  }

  /** LDS, LES, LSS, LFS, LGS: offset and selector from memory; the segment load may fault first. */
  public static void lfarPointer(CpuState c, Insn i) {
    int seg;
    switch (i.opcode) {
      case 0xC4: seg = CpuState.ES; break;
      case 0xC5: seg = CpuState.DS; break;
      case 0x0FB2: seg = CpuState.SS; break;
      case 0x0FB4: seg = CpuState.FS; break;
      default: seg = CpuState.GS; break;
    }
    int s = i.opSize;
    long ea = Ops.ea(c, i);
    long off = Mem.read(c, i.seg, ea, s);
    int sel = (int) Mem.read(c, i.seg, (ea + s) & Ops.mask(i.addrSize), 2);
    Segments.load(c, seg, sel);
    Ops.setReg(c, i.r0, s, off);
  }
}
