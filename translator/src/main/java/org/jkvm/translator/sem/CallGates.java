package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;

/**
 * Far CALL and JMP through call gates (SDM Vol. 2A, CALL and JMP "Operation"; Vol. 3A, 5.8.3-5.8.6):
 * 16- and 32-bit gates in protected mode, with the stack switch through the TSS and the copy of the
 * gate's parameter count of words or doublewords, and 16-byte 64-bit gates in IA-32e mode, where the new
 * SS is a null selector and nothing is copied. Every check, with its #GP/#NP/#TS/#SS error code, comes
 * before the first change of state. Task gates and TSS descriptors as far-transfer targets (task
 * switches) are not supported: #GP(selector).
 */
final class CallGates {
  private CallGates() {}

  static final int TYPE_CALL_GATE_16 = 0x4;
  static final int TYPE_TASK_GATE = 0x5;
  static final int TYPE_CALL_GATE_32 = 0xC; // the 64-bit call gate in IA-32e mode

  /** A checked gate: where it leads and how wide its pushes are. */
  private static final class Target {
    int csSel;
    long cs;
    long offset;
    int width;
    int params;
  }

  /**
   * Checks system descriptor {@code gate} (selector {@code sel}) as a call gate and the code segment it
   * names; {@code jump} applies JMP's rule for the target's privilege, CALL's otherwise.
   */
  private static Target check(CpuState c, int sel, long gate, boolean jump) {
    boolean lm = c.longMode();
    int type = Segments.type(gate);
    boolean callGate = lm ? type == TYPE_CALL_GATE_32 : type == TYPE_CALL_GATE_16 || type == TYPE_CALL_GATE_32;
    if (!callGate) {
      throw GuestFault.gp(sel & 0xFFFC); // TSS, task gate (task switches unsupported) or not a gate
    }
    int gateDpl = Segments.dpl(gate);
    if (gateDpl < c.cpl || (sel & 3) > gateDpl) {
      throw GuestFault.gp(sel & 0xFFFC);
    }
    if (!Segments.present(gate)) {
      throw GuestFault.withCode(GuestFault.NP, sel & 0xFFFC);
    }
    Target t = new Target();
    t.offset = (gate & 0xFFFF) | ((gate >>> 32) & 0xFFFF_0000L);
    if (lm) {
      long hi = Segments.readDescriptorHigh(c, sel);
      if (((hi >>> 40) & 0x1F) != 0) {
        throw GuestFault.gp(sel & 0xFFFC); // the upper half of a 64-bit gate must have type 0
      }
      t.offset |= (hi & 0xFFFF_FFFFL) << 32;
      t.width = 8;
    } else if (type == TYPE_CALL_GATE_32) {
      t.width = 4;
      t.params = (int) (gate >>> 32) & 0x1F;
    } else {
      t.offset &= 0xFFFF;
      t.width = 2;
      t.params = (int) (gate >>> 32) & 0x1F;
    }
    t.csSel = (int) (gate >>> 16) & 0xFFFF;
    if ((t.csSel & 0xFFFC) == 0) {
      throw GuestFault.gp0();
    }
    long d = Segments.readDescriptor(c, t.csSel, 0);
    int dtype = Segments.type(d);
    int dpl = Segments.dpl(d);
    boolean conforming = (dtype & Segments.TYPE_CE) != 0;
    boolean code = Segments.codeOrData(d) && (dtype & Segments.TYPE_CODE) != 0;
    if (!code || dpl > c.cpl || (jump && !conforming && dpl != c.cpl)) {
      throw GuestFault.gp(t.csSel & 0xFFFC);
    }
    if (lm && (!Segments.is64BitCode(c, d) || (d & (1L << 54)) != 0)) {
      throw GuestFault.gp(t.csSel & 0xFFFC); // IA-32e gates lead to 64-bit code only
    }
    if (!Segments.present(d)) {
      throw GuestFault.withCode(GuestFault.NP, t.csSel & 0xFFFC);
    }
    t.cs = d;
    return t;
  }

  /** JMP through a call gate: no stack change, the CPL stays (the target is conforming or at CPL). */
  static void jump(CpuState c, int sel, long gate) {
    Target t = check(c, sel, gate, true);
    Segments.loadCode(c, t.csSel, t.cs, c.cpl, t.offset);
    c.rip = t.offset;
  }

  /** CALL through a call gate, to the same privilege or, for non-conforming code, to DPL < CPL. */
  static void call(CpuState c, int sel, long gate) {
    Target t = check(c, sel, gate, false);
    int dpl = Segments.dpl(t.cs);
    boolean conforming = (Segments.type(t.cs) & Segments.TYPE_CE) != 0;
    if (!conforming && dpl < c.cpl) {
      callInner(c, t, dpl);
      return;
    }
    // Same privilege: CS:rIP pushed with the gate's width on the current stack.
    Segments.checkTarget(c, t.cs, t.offset);
    long sp = Ops.sp(c);
    long m = Ops.mask(c.stackSize);
    int w = t.width;
    Mem.write(c, CpuState.SS, (sp - w) & m, w, c.segSel[CpuState.CS]);
    Mem.write(c, CpuState.SS, (sp - 2L * w) & m, w, c.rip);
    Segments.loadCode(c, t.csSel, t.cs, c.cpl, t.offset);
    Ops.setSp(c, sp - 2L * w);
    c.rip = t.offset;
  }

  /** MORE-PRIVILEGE: the new stack from the TSS, the old SS:rSP, the copied parameters and CS:rIP on it. */
  private static void callInner(CpuState c, Target t, int dpl) {
    int oldSs = c.segSel[CpuState.SS];
    long oldSp = c.gpr[CpuState.RSP];
    int oldCs = c.segSel[CpuState.CS];
    long oldIp = c.rip;
    int w = t.width;
    if (c.longMode()) {
      long rsp = Interrupts.readTss64(c, 4 + dpl * 8, 0);
      if ((rsp << 16 >> 16) != rsp) {
        throw GuestFault.withCode(GuestFault.SS, 0);
      }
      Segments.checkTarget(c, t.cs, t.offset);
      long[] frame = {oldSs, oldSp, oldCs, oldIp};
      long sp = rsp;
      for (long v : frame) {
        sp -= 8;
        Mem.writeSys(c, sp, 8, v);
      }
      Segments.loadCode(c, t.csSel, t.cs, dpl, t.offset);
      // The new SS is a null selector whose RPL is the new CPL (SDM Vol. 3A, 5.8.6).
      c.segSel[CpuState.SS] = dpl;
      c.segBase[CpuState.SS] = 0;
      c.segLimit[CpuState.SS] = 0;
      c.segAttr[CpuState.SS] = CpuState.SEG_UNUSABLE | CpuState.SEG_DB | (dpl << CpuState.SEG_DPL_SHIFT);
      c.updateMode();
      c.gpr[CpuState.RSP] = sp;
      c.rip = t.offset;
      return;
    }
    int newSs;
    long newSp;
    int tssType = c.trAttr & 0xF;
    if (tssType == 0x9 || tssType == 0xB) {
      long at = 4 + dpl * 8L;
      if (at + 5 > (c.trLimit & 0xFFFF_FFFFL)) {
        throw GuestFault.withCode(GuestFault.TS, c.trSel & 0xFFFC);
      }
      newSp = Mem.readSys(c, c.trBase + at, 4);
      newSs = (int) Mem.readSys(c, c.trBase + at + 4, 2);
    } else {
      long at = 2 + dpl * 4L;
      if (at + 3 > (c.trLimit & 0xFFFF_FFFFL)) {
        throw GuestFault.withCode(GuestFault.TS, c.trSel & 0xFFFC);
      }
      newSp = Mem.readSys(c, c.trBase + at, 2);
      newSs = (int) Mem.readSys(c, c.trBase + at + 2, 2);
    }
    long ssd = Interrupts.checkStackForPrivilege(c, newSs, dpl, 0);
    Segments.checkTarget(c, t.cs, t.offset);
    // The parameters, read from the caller's stack before anything changes: param[0] is at its top.
    long[] params = new long[t.params];
    long oldTop = Ops.sp(c);
    for (int k = 0; k < t.params; k++) {
      params[k] = Mem.read(c, CpuState.SS, (oldTop + (long) k * w) & Ops.mask(c.stackSize), w);
    }
    boolean ss32 = (ssd & (1L << 54)) != 0;
    long m = ss32 ? 0xFFFF_FFFFL : 0xFFFFL;
    long ssBase = Segments.base(ssd);
    long sp = newSp & m;
    long[] frame = new long[4 + t.params];
    int n = 0;
    frame[n++] = oldSs;
    frame[n++] = w == 2 ? oldSp & 0xFFFF : oldSp & 0xFFFF_FFFFL;
    for (int k = t.params - 1; k >= 0; k--) {
      frame[n++] = params[k];
    }
    frame[n++] = oldCs;
    frame[n++] = oldIp;
    for (long v : frame) {
      sp = (sp - w) & m;
      Mem.writeSys(c, (ssBase + sp) & 0xFFFF_FFFFL, w, v);
    }
    Segments.setAccessed(c, newSs, ssd);
    Segments.setCache(c, CpuState.SS, newSs, ssd);
    c.gpr[CpuState.RSP] = ss32 ? sp : (c.gpr[CpuState.RSP] & ~0xFFFFL) | sp;
    Segments.loadCode(c, t.csSel, t.cs, dpl, t.offset);
    c.rip = t.offset;
  }
}
