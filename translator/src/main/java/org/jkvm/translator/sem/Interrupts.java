package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Flags;

/**
 * Delivery of exceptions and interrupts through the IVT (real mode) or the IDT (protected and IA-32e
 * mode), SDM Vol. 3A, chapter 6: gate checks with their error codes, stack switches through the TSS
 * (RSPn and IST), the frames pushed, and the double-fault and triple-fault rules (Table 6-5).
 */
public final class Interrupts {
  private Interrupts() {}

  /** What raised the event; decides the EXT bit, the gate DPL check and the return address. */
  public static final int EXTERNAL = 0; // INTR or NMI
  public static final int EXCEPTION = 1; // a fault or trap raised by the processor
  public static final int SOFTWARE = 2; // INT n
  public static final int SOFTWARE_EXCEPTION = 3; // INT3, INTO: DPL-checked, but exceptions otherwise
  public static final int PRIV_SOFTWARE = 4; // INT1 (ICEBP): not DPL-checked

  /** Thrown when delivery fails beyond a double fault: the VM must shut down. */
  public static final class TripleFault extends RuntimeException {
    public TripleFault() {
      super("triple fault", null, false, false);
    }
  }

  private static boolean contributory(int v) {
    return v == GuestFault.DE || v == GuestFault.TS || v == GuestFault.NP || v == GuestFault.SS
        || v == GuestFault.GP;
  }

  /**
   * Delivers exception {@code f}, applying the double-fault rules when delivery itself faults. Throws
   * {@link TripleFault} if a fault occurs while delivering a double fault.
   */
  public static void deliverException(CpuState c, GuestFault f) {
    int vector = f.vector;
    int err = f.errorCode;
    boolean hasErr = f.hasErrorCode;
    // A processor exception is an event external to the program: a fault while delivering it has EXT set
    // in its error code (SDM Vol. 3A, 6.13), from the first delivery on.
    int ext = 1;
    for (int depth = 0; ; depth++) {
      try {
        deliver(c, vector, err, hasErr, EXCEPTION, ext);
        return;
      } catch (GuestFault second) {
        if (vector == GuestFault.DF) {
          throw new TripleFault();
        }
        boolean df = (contributory(vector) && contributory(second.vector))
            || (vector == GuestFault.PF && (contributory(second.vector) || second.vector == GuestFault.PF));
        if (df) {
          vector = GuestFault.DF;
          err = 0;
          hasErr = true;
        } else {
          vector = second.vector;
          err = second.errorCode;
          hasErr = second.hasErrorCode;
        }
        ext = 1;
        if (depth > 4) {
          throw new TripleFault();
        }
      }
    }
  }

  /**
   * Delivers vector {@code vector}: {@code c.rip} must already be the return address (the faulting
   * instruction for faults, the next one for traps and software interrupts). Throws a GuestFault if the
   * delivery itself faults.
   */
  public static void deliver(CpuState c, int vector, int err, boolean hasErr, int kind, int ext) {
    if (kind == EXTERNAL) {
      ext = 1;
    }
    c.halted = false;
    c.singleStepPending = false; // an event discards the pending single-step trap (TF is cleared anyway)
    if (!c.protectedMode()) {
      deliverReal(c, vector);
    } else if (c.longMode()) {
      deliverLong(c, vector, err, hasErr, kind, ext);
    } else {
      deliverProtected(c, vector, err, hasErr, kind, ext);
    }
  }

  /** Real mode: push FLAGS, CS, IP; CS:IP from the IVT entry; IF, TF and AC cleared. */
  private static void deliverReal(CpuState c, int vector) {
    long entry = c.idtBase + vector * 4L;
    if (vector * 4L + 3 > (c.idtLimit & 0xFFFFL)) {
      throw GuestFault.gp(vector * 8 + 2);
    }
    long ip = Mem.readLa(c, entry, 2);
    int cs = (int) Mem.readLa(c, entry + 2, 2);
    long flags = c.getRflags();
    Ops.push(c, 2, flags);
    Ops.push(c, 2, c.segSel[CpuState.CS]);
    Ops.push(c, 2, c.rip);
    c.setRflags(flags & ~(Flags.IF | Flags.TF | Flags.AC | Flags.RF));
    Segments.loadCodeReal(c, cs);
    c.rip = ip;
  }

  private static int idtError(int vector, int ext) {
    return vector * 8 + 2 + ext;
  }

  /** Protected mode with 32- and 16-bit interrupt and trap gates (task gates are not supported). */
  private static void deliverProtected(CpuState c, int vector, int err, boolean hasErr, int kind, int ext) {
    if (vector * 8L + 7 > (c.idtLimit & 0xFFFF_FFFFL)) {
      throw GuestFault.gp(idtError(vector, ext));
    }
    long gate = Mem.readSys(c, c.idtBase + vector * 8L, 8);
    int type = (int) (gate >>> 40) & 0x1F;
    boolean is32;
    boolean trap;
    switch (type) {
      case 0x06: is32 = false; trap = false; break;
      case 0x07: is32 = false; trap = true; break;
      case 0x0E: is32 = true; trap = false; break;
      case 0x0F: is32 = true; trap = true; break;
      default: throw GuestFault.gp(idtError(vector, ext)); // task gates and non-gates
    }
    checkGate(c, gate, vector, kind, ext);
    int sel = (int) (gate >>> 16) & 0xFFFF;
    long offset = (gate & 0xFFFF) | ((gate >>> 32) & 0xFFFF_0000L);
    if (!is32) {
      offset &= 0xFFFF;
    }
    long d = gateTarget(c, sel, ext);
    int dpl = Segments.dpl(d);
    boolean conforming = (Segments.type(d) & Segments.TYPE_CE) != 0;
    int width = is32 ? 4 : 2;
    long flags = c.getRflags();
    int oldCs = c.segSel[CpuState.CS];
    long oldRip = c.rip;
    if (c.v86Mode()) {
      throw GuestFault.gp(sel & 0xFFFC); // virtual-8086 mode is not supported
    }
    if (!conforming && dpl < c.cpl) {
      // Inner privilege: new SS:ESP from the TSS for the target DPL.
      int oldSs = c.segSel[CpuState.SS];
      long oldSp = c.gpr[CpuState.RSP];
      int newSs;
      long newSp;
      if ((c.trAttr & 0xF) == 0x9 || (c.trAttr & 0xF) == 0xB) { // 32-bit TSS
        long at = 4 + dpl * 8L;
        if (at + 5 > (c.trLimit & 0xFFFF_FFFFL)) {
          throw GuestFault.withCode(GuestFault.TS, (c.trSel & 0xFFFC) | ext);
        }
        newSp = Mem.readSys(c, c.trBase + at, 4);
        newSs = (int) Mem.readSys(c, c.trBase + at + 4, 2);
      } else {
        long at = 2 + dpl * 4L;
        if (at + 3 > (c.trLimit & 0xFFFF_FFFFL)) {
          throw GuestFault.withCode(GuestFault.TS, (c.trSel & 0xFFFC) | ext);
        }
        newSp = Mem.readSys(c, c.trBase + at, 2);
        newSs = (int) Mem.readSys(c, c.trBase + at + 2, 2);
      }
      long ssd = checkStackForPrivilege(c, newSs, dpl, ext);
      // Build the frame on the new stack before changing anything.
      boolean ss32 = (ssd & (1L << 54)) != 0;
      long m = ss32 ? 0xFFFF_FFFFL : 0xFFFFL;
      long ssBase = Segments.base(ssd);
      long sp = newSp;
      long[] frame = hasErr ? new long[] {oldSs, oldSp, flags, oldCs, oldRip, err}
          : new long[] {oldSs, oldSp, flags, oldCs, oldRip};
      for (long v : frame) {
        sp = (sp - width) & m;
        Mem.writeSys(c, (ssBase + sp) & 0xFFFF_FFFFL, width, v);
      }
      Segments.setAccessed(c, newSs, ssd);
      Segments.setCache(c, CpuState.SS, newSs, ssd);
      c.gpr[CpuState.RSP] = ss32 ? sp : (c.gpr[CpuState.RSP] & ~0xFFFFL) | sp;
      Segments.loadCode(c, sel, d, dpl, offset);
    } else {
      int newCpl = c.cpl;
      Segments.checkTarget(c, d, offset);
      Ops.push(c, width, flags);
      Ops.push(c, width, oldCs);
      Ops.push(c, width, oldRip);
      if (hasErr) {
        Ops.push(c, width, err);
      }
      Segments.loadCode(c, sel, d, newCpl, offset);
    }
    c.rip = offset;
    long nf = flags & ~(Flags.TF | Flags.NT | Flags.RF | Flags.VM);
    if (!trap) {
      nf &= ~Flags.IF;
    }
    c.setRflags(nf);
  }

  /** IA-32e mode: 16-byte gates, 64-bit frames, RSPn and IST stack switching. */
  private static void deliverLong(CpuState c, int vector, int err, boolean hasErr, int kind, int ext) {
    if (vector * 16L + 15 > (c.idtLimit & 0xFFFF_FFFFL)) {
      throw GuestFault.gp(idtError(vector, ext));
    }
    long lo = Mem.readSys(c, c.idtBase + vector * 16L, 8);
    long hi = Mem.readSys(c, c.idtBase + vector * 16L + 8, 8);
    int type = (int) (lo >>> 40) & 0x1F;
    if (type != 0x0E && type != 0x0F) {
      throw GuestFault.gp(idtError(vector, ext));
    }
    boolean trap = type == 0x0F;
    checkGate(c, lo, vector, kind, ext);
    int sel = (int) (lo >>> 16) & 0xFFFF;
    long offset = (lo & 0xFFFF) | ((lo >>> 32) & 0xFFFF_0000L) | (hi << 32);
    int ist = (int) (lo >>> 32) & 7;
    long d = gateTarget(c, sel, ext);
    if (!Segments.is64BitCode(c, d) || (d & (1L << 54)) != 0) {
      throw GuestFault.gp((sel & 0xFFFC) | ext);
    }
    int dpl = Segments.dpl(d);
    boolean conforming = (Segments.type(d) & Segments.TYPE_CE) != 0;
    int newCpl = (!conforming && dpl < c.cpl) ? dpl : c.cpl;
    long flags = c.getRflags();
    long oldSs = c.segSel[CpuState.SS];
    long oldSp = c.gpr[CpuState.RSP];
    long oldCs = c.segSel[CpuState.CS];
    long oldRip = c.rip;
    long sp;
    if (ist != 0) {
      sp = readTss64(c, 36 + (ist - 1) * 8, ext);
    } else if (newCpl != c.cpl) {
      sp = readTss64(c, 4 + newCpl * 8, ext);
    } else {
      sp = oldSp;
    }
    if ((sp << 16 >> 16) != sp) {
      throw GuestFault.withCode(GuestFault.SS, ext);
    }
    sp &= ~15L; // the processor aligns the new stack to 16 bytes
    if ((offset << 16 >> 16) != offset) {
      throw GuestFault.gp(ext);
    }
    long[] frame = hasErr ? new long[] {oldSs, oldSp, flags, oldCs, oldRip, err & 0xFFFF_FFFFL}
        : new long[] {oldSs, oldSp, flags, oldCs, oldRip};
    // The frame is written with supervisor rights; the interrupted code may have been at CPL 3.
    for (long v : frame) {
      sp -= 8;
      Mem.writeSys(c, sp, 8, v);
    }
    if (newCpl != c.cpl) {
      // The new SS is a null selector whose RPL is the new CPL (SDM Vol. 3A, 6.14.4).
      c.segSel[CpuState.SS] = newCpl;
      c.segBase[CpuState.SS] = 0;
      c.segLimit[CpuState.SS] = 0;
      c.segAttr[CpuState.SS] = CpuState.SEG_UNUSABLE | CpuState.SEG_DB | (newCpl << CpuState.SEG_DPL_SHIFT);
    }
    Segments.loadCode(c, sel, d, newCpl, offset);
    c.gpr[CpuState.RSP] = sp;
    c.rip = offset;
    long nf = flags & ~(Flags.TF | Flags.NT | Flags.RF | Flags.VM);
    if (!trap) {
      nf &= ~Flags.IF;
    }
    c.setRflags(nf);
  }

  private static long readTss64(CpuState c, int at, int ext) {
    if (at + 7 > (c.trLimit & 0xFFFF_FFFFL)) {
      throw GuestFault.withCode(GuestFault.TS, (c.trSel & 0xFFFC) | ext);
    }
    return Mem.readSys(c, c.trBase + at, 8);
  }

  /** Software interrupts must pass the gate's DPL; every gate must be present. */
  private static void checkGate(CpuState c, long gate, int vector, int kind, int ext) {
    int gateDpl = (int) (gate >>> 45) & 3;
    if ((kind == SOFTWARE || kind == SOFTWARE_EXCEPTION) && gateDpl < c.cpl) {
      throw GuestFault.gp(vector * 8 + 2);
    }
    if ((gate & (1L << 47)) == 0) {
      throw GuestFault.withCode(GuestFault.NP, idtError(vector, ext));
    }
  }

  /** The code segment a gate points at: present code with DPL <= CPL. */
  private static long gateTarget(CpuState c, int sel, int ext) {
    if ((sel & 0xFFFC) == 0) {
      throw GuestFault.gp(ext);
    }
    long d = Segments.readDescriptor(c, sel, ext);
    if (!Segments.codeOrData(d) || (Segments.type(d) & Segments.TYPE_CODE) == 0 || Segments.dpl(d) > c.cpl) {
      throw GuestFault.gp((sel & 0xFFFC) | ext);
    }
    if (!Segments.present(d)) {
      throw GuestFault.withCode(GuestFault.NP, (sel & 0xFFFC) | ext);
    }
    return d;
  }

  /** The SS for an inner-privilege stack switch: RPL = DPL = the new CPL, writable data, present (#TS). */
  static long checkStackForPrivilege(CpuState c, int ss, int cpl, int ext) {
    if ((ss & 0xFFFC) == 0) {
      throw GuestFault.withCode(GuestFault.TS, ext);
    }
    long d;
    try {
      d = Segments.readDescriptor(c, ss, ext);
    } catch (GuestFault f) {
      if (f.vector == GuestFault.GP) {
        throw GuestFault.withCode(GuestFault.TS, (ss & 0xFFFC) | ext);
      }
      throw f;
    }
    int type = Segments.type(d);
    if ((ss & 3) != cpl || Segments.dpl(d) != cpl || !Segments.codeOrData(d) || (type & Segments.TYPE_CODE) != 0
        || (type & Segments.TYPE_RW) == 0) {
      throw GuestFault.withCode(GuestFault.TS, (ss & 0xFFFC) | ext);
    }
    if (!Segments.present(d)) {
      throw GuestFault.withCode(GuestFault.SS, (ss & 0xFFFC) | ext);
    }
    return d;
  }
}
