package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Flags;
import org.jkvm.translator.isa.Insn;

/**
 * Data transfer: MOV and its extending forms, LEA, XCHG, CMPXCHG, XADD, CMOVcc, SETcc, BSWAP, MOVBE,
 * sign extension of the accumulator, XLAT, LAHF/SAHF, and moves to and from segment registers.
 */
public final class DataXfer {
  private DataXfer() {}

  public static void mov(CpuState c, Insn i) {
    Ops.set0(c, i, Ops.get1Ext(c, i));
  }

  public static void movzx(CpuState c, Insn i) {
    Ops.set0(c, i, Ops.get1(c, i));
  }

  public static void movsx(CpuState c, Insn i) {
    Ops.set0(c, i, Ops.sext(Ops.get1(c, i), i.s1));
  }

  /** MOVSXD sign-extends a doubleword; with a 16- or 32-bit operand size it is a plain move. */
  public static void movsxd(CpuState c, Insn i) {
    Ops.set0(c, i, Ops.sext(Ops.get1(c, i), 4));
  }

  public static void lea(CpuState c, Insn i) {
    Ops.set0(c, i, Ops.ea(c, i));
  }

  /**
   * XCHG. Opcode 90 without REX.B is NOP: it must not zero-extend EAX in 64-bit mode as XCHG EAX,EAX
   * (87 C0) does.
   */
  public static void xchg(CpuState c, Insn i) {
    if (i.opcode == 0x90 && i.r0 == 0) {
      return;
    }
    long a = Ops.get0Rmw(c, i);
    long b = Ops.get1(c, i);
    Ops.set0(c, i, b);
    Ops.set1(c, i, a);
  }

  public static void xadd(CpuState c, Insn i) {
    long a = Ops.get0Rmw(c, i);
    long b = Ops.get1(c, i);
    long r = (a + b) & Ops.mask(i.s0);
    // With the same register twice, the sum wins (SDM XADD: SRC <- DEST, then DEST <- TEMP). A memory
    // destination is written first, while its address registers still hold their old values.
    if (i.k0 == Insn.K_MEM) {
      Ops.set0(c, i, r);
      Ops.set1(c, i, a);
    } else {
      Ops.set1(c, i, a);
      Ops.set0(c, i, r);
    }
    Alu.flags(c, Flags.ADD, i.s0, r, b);
  }

  /**
   * CMPXCHG: compares the accumulator with the destination. Equal: the destination gets the source.
   * Different: the accumulator gets the destination, and a memory destination is written back unchanged
   * (the processor always writes, SDM Vol. 2A CMPXCHG).
   */
  public static void cmpxchg(CpuState c, Insn i) {
    int s = i.s0;
    long dst = Ops.get0Rmw(c, i);
    long acc = Ops.getReg(c, CpuState.RAX, s);
    long diff = (acc - dst) & Ops.mask(s);
    if (diff == 0) {
      Ops.set0(c, i, Ops.get1(c, i));
    } else {
      if (i.k0 == Insn.K_MEM) {
        Ops.set0(c, i, dst);
      }
      Ops.setReg(c, CpuState.RAX, s, dst);
    }
    Alu.flags(c, Flags.SUB, s, diff, dst);
  }

  /**
   * CMPXCHG8B, and CMPXCHG16B with REX.W (16-byte aligned operand, else #GP(0)). CMPXCHG8B reads and
   * writes its operand as one quadword, so that a locked one is a single compare-and-swap.
   */
  public static void cmpxchg8b(CpuState c, Insn i) {
    boolean wide = (i.rex & 8) != 0;
    int half = wide ? 8 : 4;
    long ea = Ops.ea(c, i);
    long la = Mem.linear(c, i.seg, ea, 2 * half, true);
    if (wide && (la & 15) != 0) {
      throw GuestFault.gp0();
    }
    if (!wide) {
      long v = Mem.readLaForWrite(c, la, 8);
      long lo = v & 0xFFFF_FFFFL;
      long hi = v >>> 32;
      boolean equal = lo == Ops.getReg(c, CpuState.RAX, 4) && hi == Ops.getReg(c, CpuState.RDX, 4);
      Mem.writeLa(c, la, 8, equal ? Ops.getReg(c, CpuState.RCX, 4) << 32 | Ops.getReg(c, CpuState.RBX, 4) : v);
      finishCmpxchg(c, equal, 4, lo, hi);
    } else if (c.lockArmed) {
      // No 16-byte compare-and-swap in the JVM: locked CMPXCHG16Bs exclude each other, and each half is
      // still a compare-and-swap against plain stores.
      synchronized (Locked.WIDE) {
        cmpxchg16b(c, la);
      }
    } else {
      cmpxchg16b(c, la);
    }
  }

  private static void cmpxchg16b(CpuState c, long la) {
    long lo = Mem.readLaForWrite(c, la, 8);
    long hi = Mem.readLaForWrite(c, la + 8, 8);
    boolean equal = lo == c.gpr[CpuState.RAX] && hi == c.gpr[CpuState.RDX];
    Mem.writeLa(c, la, 8, equal ? c.gpr[CpuState.RBX] : lo);
    Mem.writeLa(c, la + 8, 8, equal ? c.gpr[CpuState.RCX] : hi);
    finishCmpxchg(c, equal, 8, lo, hi);
  }

  private static void finishCmpxchg(CpuState c, boolean equal, int half, long lo, long hi) {
    c.materializeFlags();
    if (equal) {
      c.rflags |= Flags.ZF;
    } else {
      Ops.setReg(c, CpuState.RAX, half, lo);
      Ops.setReg(c, CpuState.RDX, half, hi);
      c.rflags &= ~Flags.ZF;
    }
  }

  public static void cmov(CpuState c, Insn i) {
    long v = Ops.get1(c, i); // the source is read (and may fault) whatever the condition
    if (Flags.cond(c, i.opcode & 0xF)) {
      Ops.set0(c, i, v);
    } else if (i.s0 == 4) {
      Ops.setReg(c, i.r0, 4, c.gpr[i.r0]); // a 32-bit CMOV zero-extends its destination anyway
    }
  }

  public static void setcc(CpuState c, Insn i) {
    Ops.set0(c, i, Flags.cond(c, i.opcode & 0xF) ? 1 : 0);
  }

  /** BSWAP; with a 16-bit operand the result is undefined, and processors clear the low word. */
  public static void bswap(CpuState c, Insn i) {
    long v = c.gpr[i.r0];
    switch (i.s0) {
      case 8: c.gpr[i.r0] = Long.reverseBytes(v); break;
      case 4: c.gpr[i.r0] = Integer.reverseBytes((int) v) & 0xFFFF_FFFFL; break;
      default: c.gpr[i.r0] = v & ~0xFFFFL; break;
    }
  }

  /** MOVBE: a load or store with the byte order reversed. */
  public static void movbe(CpuState c, Insn i) {
    long v = Ops.get1(c, i);
    long r;
    switch (i.s0) {
      case 2: r = Short.reverseBytes((short) v) & 0xFFFFL; break;
      case 4: r = Integer.reverseBytes((int) v) & 0xFFFF_FFFFL; break;
      default: r = Long.reverseBytes(v); break;
    }
    Ops.set0(c, i, r);
  }

  /** CBW/CWDE/CDQE: sign-extends the lower half of the accumulator into all of it. */
  public static void cbw(CpuState c, Insn i) {
    int s = i.opSize;
    Ops.setReg(c, CpuState.RAX, s, Ops.sext(c.gpr[CpuState.RAX], s / 2));
  }

  /** CWD/CDQ/CQO: fills rDX with the sign of rAX. */
  public static void cwd(CpuState c, Insn i) {
    int s = i.opSize;
    long sign = Ops.sext(c.gpr[CpuState.RAX], s) < 0 ? -1L : 0;
    Ops.setReg(c, CpuState.RDX, s, sign);
  }

  /** XLAT: AL = [seg:rBX + AL]. */
  public static void xlat(CpuState c, Insn i) {
    long off = (c.gpr[CpuState.RBX] + (c.gpr[CpuState.RAX] & 0xFF)) & Ops.mask(i.addrSize);
    Ops.setReg(c, CpuState.RAX, 1, Mem.read(c, i.seg, off, 1));
  }

  /** LAHF: AH = SF:ZF:0:AF:0:PF:1:CF. */
  public static void lahf(CpuState c, Insn i) {
    long f = (Flags.arith(c) & (Flags.SF | Flags.ZF | Flags.AF | Flags.PF | Flags.CF)) | Flags.FIXED1;
    c.gpr[CpuState.RAX] = (c.gpr[CpuState.RAX] & ~0xFF00L) | (f << 8);
  }

  /** SAHF: SF, ZF, AF, PF, CF from AH; OF kept. */
  public static void sahf(CpuState c, Insn i) {
    c.materializeFlags();
    long ah = (c.gpr[CpuState.RAX] >>> 8) & (Flags.SF | Flags.ZF | Flags.AF | Flags.PF | Flags.CF);
    c.rflags = (c.rflags & ~(Flags.SF | Flags.ZF | Flags.AF | Flags.PF | Flags.CF)) | ah;
  }

  /** MOV Ev,Sw: a register gets the selector zero-extended; memory always gets 16 bits. */
  public static void movFromSeg(CpuState c, Insn i) {
    long sel = c.segSel[i.r1];
    if (i.k0 == Insn.K_MEM) {
      Mem.write(c, i.seg, Ops.ea(c, i), 2, sel);
    } else {
      Ops.setReg(c, i.r0, i.s0, sel);
    }
  }

  /** MOV Sw,Ew. Loading CS this way is #UD; loading SS blocks interrupts for one instruction. */
  public static void movToSeg(CpuState c, Insn i) {
    if (i.r0 == CpuState.CS) {
      throw GuestFault.ud();
    }
    int sel = (int) Ops.get1(c, i) & 0xFFFF;
    Segments.load(c, i.r0, sel);
    if (i.r0 == CpuState.SS) {
      c.interruptShadow = true;
    }
  }
}
