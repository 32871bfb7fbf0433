package org.jkvm.translator.difftest;

import java.math.BigInteger;
import java.util.SplittableRandom;

/**
 * The state an instruction needs to do something other than fault: divisors and dividends whose quotient
 * fits, string pointers and counts that stay in the buffer, branch targets inside the case, selectors that
 * exist, valid MXCSR images. Applied only where the generator may still choose a register's initial value
 * or the initial memory; otherwise the instruction runs on whatever earlier instructions left, which both
 * sides must still agree on.
 */
final class Setups {
  private Setups() {}

  static final int DATA = DiffLayout.DATA_SIZE;

  /** An instruction index after {@code index}, or the end of the case. */
  static int forwardTarget(SplittableRandom r, int index, int count) {
    return r.nextInt(index + 1, count + 1);
  }

  /** Forms whose undefined-memory mask depends on the address: keep it independent of registers. */
  static boolean needsRegisterFreeAddress(InsnBuilder b) {
    switch (b.mnemonic()) {
      case "FXSAVE": case "FNSTENV": case "FNSAVE":
        return true;
      default:
        return false;
    }
  }

  /**
   * The stores the host kernel emulates under UMIP (arch/x86/kernel/umip.c) rather than the CPU executing
   * them: its copy to user memory writes what fits before a fault and reports the store's first byte in
   * CR2; its instruction decoder rejects a REX prefix before a legacy prefix (SIGSEGV), which the CPU
   * ignores; and it takes a segment override after two other distinct legacy prefixes for two overrides
   * (#GP), as seen with 66 67 before the override. Their operands neither straddle the end of the buffer
   * nor carry such a REX or a 67 prefix, and InsnBuilder puts their segment override first.
   */
  static boolean umipEmulated(String m) {
    switch (m) {
      case "SLDT": case "STR": case "SGDT": case "SIDT": case "SMSW":
        return true;
      default:
        return false;
    }
  }

  /** Where a memory operand of {@code bytes} bytes points, as a data-buffer offset. */
  static int memoryPlacement(InsnBuilder b, SplittableRandom r, int bytes, int align) {
    String m = b.mnemonic();
    int lo = 0;
    int hi = DATA - bytes;
    boolean noStraddle = m.equals("FLDENV") || m.equals("FNSTENV") || m.equals("FRSTOR") || m.equals("FNSAVE")
        || umipEmulated(m);
    if (m.startsWith("BT") && b.form().operandCount() > 1
        && org.jkvm.translator.isa.Operand.type(b.form().operand(1)) == org.jkvm.translator.isa.Operand.T_G) {
      lo = 1024; // a register bit offset reaches up to a kilobyte either way
      hi = DATA - 1024 - bytes;
    }
    int roll = r.nextInt(100);
    boolean last = b.index() == b.count() - 1;
    // x87 environment images are read and written field by field in a model-specific order: which field
    // faults first (CR2) and what was written before it differ between CPUs, so they never straddle the end.
    if (roll < (last ? 3 : 1) && bytes > 1 && !noStraddle) {
      return DATA - bytes + 1 + r.nextInt(bytes - 1); // straddles the end of the buffer
    }
    if (roll < (last ? 5 : 2)) {
      return r.nextBoolean() ? -r.nextInt(1, Math.max(2, bytes)) : -bytes - r.nextInt(0, 4096); // below it
    }
    int off = lo + r.nextInt(hi - lo + 1);
    return off & ~(align - 1);
  }

  static boolean inData(int off, int bytes) {
    return off >= 0 && off + bytes <= DATA;
  }

  /** RFLAGS values that POPF and IRET may load: no TF or AC, which would trap or check alignment. */
  /** Patches the RFLAGS image POPF or IRET will pop, and records it so that no later patch may change it. */
  private static void flagsImage(InsnBuilder b, GenContext g, int at, int bytes) {
    long v = safeFlags(g.r);
    g.patchLe(at, bytes, v);
    b.out.flagsPatched = true;
    b.out.flagsAt = at;
    b.out.flagsSize = bytes;
    b.out.flagsValue = bytes >= 8 ? v : v & ((1L << (8 * bytes)) - 1);
  }

  static long safeFlags(SplittableRandom r) {
    long v = 0x202 | (r.nextLong() & FlagRules.ARITH);
    if (r.nextInt(3) == 0) {
      v |= FlagRules.DF;
    }
    if (r.nextBoolean()) {
      v |= 1L << 21; // ID
    }
    if (r.nextInt(4) == 0) {
      v ^= 1L << 9; // IF: ignored at CPL 3
    }
    if (r.nextInt(4) == 0) {
      v |= (long) r.nextInt(4) << 12; // IOPL: ignored at CPL 3
    }
    if (r.nextInt(10) == 0) {
      v |= 1L << 14; // NT
    }
    if (r.nextInt(10) == 0) {
      v |= (long) r.nextInt(8) << 15 & ((1L << 16) | (1L << 17)); // RF; VM is ignored by POPF and IRET to 64-bit
    }
    if (r.nextInt(10) == 0) {
      v |= (long) r.nextInt(4) << 19; // VIF, VIP
    }
    return v;
  }

  static void apply(InsnBuilder b, GenContext g) {
    SplittableRandom r = g.r;
    String m = b.mnemonic();
    switch (m) {
      case "DIV": case "IDIV":
        divide(b, g, m.equals("IDIV"));
        break;
      case "CMPXCHG":
        if (r.nextBoolean()) {
          Long acc = g.known(InsnBuilder.RAX);
          if (acc != null) {
            setOperand(b, g, 0, acc, true);
          }
        }
        break;
      case "CMPXCHG8B/16B":
        if (r.nextBoolean() && b.kind[0] == InsnBuilder.K_MEM) {
          Long lo = g.known(InsnBuilder.RAX);
          Long hi = g.known(InsnBuilder.RDX);
          if (lo != null && hi != null) {
            int half = b.rexW() ? 8 : 4;
            g.patchLe(b.memOff, half, lo);
            g.patchLe(b.memOff + half, half, hi);
          }
        }
        break;
      case "MOVSB": case "MOVSW/D/Q": case "CMPSB": case "CMPSW/D/Q": case "STOSB": case "STOSW/D/Q":
      case "LODSB": case "LODSW/D/Q": case "SCASB": case "SCASW/D/Q": case "INSB": case "INSW/D":
      case "OUTSB": case "OUTSW/D":
        StringSetup.apply(b, g);
        break;
      case "XLAT":
        pointer(b, g, InsnBuilder.RBX, r.nextInt(DATA - 256), b.gsOverride());
        break;
      case "LOOP": case "LOOPE": case "LOOPNE": case "JrCXZ":
        if (g.settable(InsnBuilder.RCX)) {
          long[] c = {0, 1, 2, 3, 0x1_0000_0000L, 0x1_0000_0001L, -1};
          g.set(InsnBuilder.RCX, r.nextInt(3) == 0 ? Values.gpr(r) : c[r.nextInt(c.length)]);
        }
        break;
      case "ENTER": case "LEAVE":
        if (g.settable(InsnBuilder.RBP)) {
          g.set(InsnBuilder.RBP, DiffLayout.DATA_VA + stackOffset(r));
        }
        break;
      case "RET":
        if (b.form().opcode == 0xC2 || b.form().opcode == 0xC3) {
          stackTarget(b, g, 0, 8);
        }
        break;
      case "RETF": {
        int w = b.opSize;
        if (stackTarget(b, g, 0, w)) {
          g.patchLe(stackSlot(g) + w, 2, r.nextInt(8) == 0 ? Values.selector(r) : DiffLayout.USER_CS);
        }
        break;
      }
      case "IRET": {
        int w = b.opSize;
        if (stackTarget(b, g, 0, w)) {
          int at = stackSlot(g);
          g.patchLe(at + w, Math.min(w, 8), r.nextInt(8) == 0 ? Values.selector(r) : DiffLayout.USER_CS);
          flagsImage(b, g, at + 2 * w, w);
          g.patchLe(at + 3 * w, w, DiffLayout.DATA_VA + stackOffset(r));
          g.patchLe(at + 4 * w, w, r.nextInt(8) == 0 ? Values.selector(r) : DiffLayout.USER_DS);
        }
        break;
      }
      case "CALL": case "JMP":
        if (b.form().opcode == 0xFF) {
          indirectTarget(b, g);
        }
        break;
      case "CALLF": case "JMPF":
        if (b.kind[0] == InsnBuilder.K_MEM && inData(b.memOff, b.memSize)) {
          int offBytes = b.memSize - 2;
          int t = forwardTarget(r, b.index(), b.count());
          b.out.target = t;
          g.fixups.add(new GenContext.Fixup(GenContext.Fixup.MEM, b.memOff, offBytes, t));
          g.patchLe(b.memOff + offBytes, 2, r.nextInt(8) == 0 ? Values.selector(r) : DiffLayout.USER_CS);
        }
        break;
      case "LSS":
        if (inData(b.memOff, b.memSize)) {
          g.patchLe(b.memOff + b.memSize - 2, 2, r.nextInt(4) == 0 ? Values.selector(r) : DiffLayout.USER_DS);
        }
        break;
      case "MOV":
        if (b.kind[0] == InsnBuilder.K_SEG) {
          setOperand(b, g, 1, Values.selector(r), false);
        }
        break;
      case "LAR": case "LSL":
        setOperand(b, g, 1, Values.selector(r), false);
        if (m.equals("LSL") && cpuDependentLimit(b, g)) {
          b.out.undefinedGprs |= 1 << b.reg[0];
        }
        break;
      case "VERR": case "VERW":
        setOperand(b, g, 0, Values.selector(r), false);
        break;
      case "POPF":
        if (g.rspKnown) {
          int at = stackSlot(g);
          flagsImage(b, g, at, b.opSize);
        }
        break;
      case "BT": case "BTS": case "BTR": case "BTC":
        if (b.kind[0] == InsnBuilder.K_MEM && b.kind[1] == InsnBuilder.K_GPR && g.settable(b.reg[1])) {
          g.set(b.reg[1], r.nextInt(-8000, 8000));
        }
        break;
      case "MASKMOVQ": case "MASKMOVDQU":
        pointer(b, g, InsnBuilder.RDI, r.nextInt(DATA - 16), b.gsOverride());
        break;
      case "BSF": case "BSR": case "LZCNT": case "TZCNT": case "POPCNT": case "BLSI": case "BLSMSK":
      case "BLSR":
        if (r.nextInt(5) == 0) {
          setOperand(b, g, 1, 0, false);
        }
        break;
      case "BEXTR":
        if (r.nextInt(4) != 0) { // a start and length that mostly fall inside the operand
          setOperand(b, g, 2, r.nextLong() & ~0xFFFFL | r.nextInt(72) << 8 | r.nextInt(72), false);
        }
        break;
      case "F2XM1": case "FYL2XP1":
        transcendentalDomain(b, g, m.equals("F2XM1"));
        break;
      case "FXRSTOR":
        if (inData(b.memOff, 512)) {
          byte[] img = new byte[512];
          for (int i = 0; i < 512; i += 8) {
            MachineState.putLe(img, i, 8, r.nextLong());
          }
          X87State.randomControl(r, img);
          g.patch(b.memOff, img);
        }
        break;
      case "LDMXCSR":
        if (inData(b.memOff, 4)) {
          g.patchLe(b.memOff, 4, r.nextInt(10) == 0 ? Values.reservedMxcsr(r) : Values.mxcsr(r));
        }
        break;
      case "FLDCW":
        if (inData(b.memOff, 2)) {
          g.patchLe(b.memOff, 2, X87State.controlWord(r));
        }
        break;
      case "FLDENV": case "FRSTOR":
        if (inData(b.memOff, b.memSize)) {
          byte[] img = new byte[b.memSize];
          for (int i = 0; i < img.length; i++) {
            img[i] = (byte) r.nextInt();
          }
          int step = b.opSize == 2 ? 2 : 4;
          MachineState.putLe(img, 0, 2, X87State.controlWord(r));
          MachineState.putLe(img, step, 2, X87State.statusWord(r));
          g.patch(b.memOff, img);
        }
        break;
      case "SHL": case "SAL": case "SHR": case "SAR": case "ROL": case "ROR": case "RCL": case "RCR":
      case "SHLD": case "SHRD":
        if (b.index() == 0 && g.settable(InsnBuilder.RCX) && r.nextInt(3) != 0) {
          g.set(InsnBuilder.RCX, (r.nextLong() & ~0xFFL) | Immediates.count(r));
        }
        break;
      default:
        break;
    }
    if (Families.isSse(b.form()) && b.memOff != Integer.MIN_VALUE && inData(b.memOff, b.memSize)
        && r.nextInt(10) < 7 && b.memSize <= 16) {
      long[] v = new long[2];
      Values.xmm(r, v, 0);
      byte[] bytes = new byte[16];
      MachineState.putLe(bytes, 0, 8, v[0]);
      MachineState.putLe(bytes, 8, 8, v[1]);
      g.patch(b.memOff, java.util.Arrays.copyOf(bytes, b.memSize));
    }
  }

  /** A data offset in the stack window, 8-aligned. */
  static int stackOffset(SplittableRandom r) {
    return (DiffLayout.STACK_LOW + r.nextInt(DiffLayout.STACK_HIGH - DiffLayout.STACK_LOW)) & ~7;
  }

  /** The data offset RSP points at before the current instruction (caller checked rspKnown). */
  static int stackSlot(GenContext g) {
    return (int) (g.init[InsnBuilder.RSP] + g.rspDelta - DiffLayout.DATA_VA);
  }

  /**
   * F2XM1 is defined for -1 <= ST(0) <= 1 and FYL2XP1 for |ST(0)| < 1 - sqrt(2)/2; outside, the SDM
   * leaves the result undefined (the host returns its own values). ST(0) is set in the initial state to a
   * value in the domain (or a zero, denormal or NaN); if an earlier instruction may have changed the x87
   * registers, the case is drawn again.
   */
  private static void transcendentalDomain(InsnBuilder b, GenContext g, boolean f2xm1) {
    if (g.x87Touched) {
      g.reject = true;
      return;
    }
    SplittableRandom r = g.r;
    long mant = r.nextLong() | Long.MIN_VALUE;
    int exp;
    switch (r.nextInt(10)) {
      case 0:
        exp = 0;
        mant = r.nextBoolean() ? 0 : mant & Long.MAX_VALUE; // zero or denormal
        break;
      case 1:
        exp = 0x7FFF;
        mant = Long.MIN_VALUE | (r.nextBoolean() ? 1L << 62 : 0) | (r.nextLong() & ((1L << 62) - 1) | 1); // NaN
        break;
      case 2:
        exp = f2xm1 ? 0x3FFF : 0x3FFD; // the top of the domain: 1.0, or [0.25, 0.28125)
        mant = f2xm1 ? Long.MIN_VALUE : Long.MIN_VALUE | (r.nextLong() & 0x0FFF_FFFF_FFFF_FFFFL);
        break;
      default:
        exp = (f2xm1 ? 0x3FFE : 0x3FFC) - r.nextInt(70);
        break;
    }
    if (r.nextBoolean()) {
      exp |= 0x8000;
    }
    MachineState.putLe(g.fx, 32, 8, mant); // ST(0) in the FXSAVE image
    MachineState.putLe(g.fx, 40, 2, exp);
  }

  /**
   * LSL of Linux's CPUNODE selector (0x78-0x7F) returns the number of the CPU the host runner happens to
   * be on: its result is masked when the selector may be that one or is not known.
   */
  private static boolean cpuDependentLimit(InsnBuilder b, GenContext g) {
    long sel;
    if (b.kind[1] == InsnBuilder.K_GPR && !b.high[1] && g.clean(b.reg[1])) {
      sel = g.known(b.reg[1]);
    } else if (b.kind[1] == InsnBuilder.K_MEM && b.index() == 0 && inData(b.memOff, 2)) {
      sel = g.dataLe(b.memOff, 2);
    } else {
      return true;
    }
    return (sel & 0xFFF8) == 0x78;
  }

  /** Puts a forward branch target at [RSP + off] for a return; false if RSP is not known. */
  private static boolean stackTarget(InsnBuilder b, GenContext g, int off, int bytes) {
    if (!g.rspKnown) {
      return false;
    }
    int at = stackSlot(g) + off;
    if (!inData(at, bytes)) {
      return false;
    }
    int t = forwardTarget(g.r, b.index(), b.count());
    b.out.target = t;
    g.fixups.add(new GenContext.Fixup(GenContext.Fixup.MEM, at, bytes, t));
    return true;
  }

  /** JMP/CALL Ev: the register or quadword holds the address of a later instruction. */
  private static void indirectTarget(InsnBuilder b, GenContext g) {
    int t = forwardTarget(g.r, b.index(), b.count());
    if (b.kind[0] == InsnBuilder.K_GPR) {
      int reg = b.reg[0];
      if (g.settable(reg) && reg != InsnBuilder.RSP) {
        g.set(reg, 0);
        b.out.target = t;
        g.fixups.add(new GenContext.Fixup(GenContext.Fixup.REG, reg, 8, t));
      }
    } else if (b.kind[0] == InsnBuilder.K_MEM && inData(b.memOff, 8)) {
      b.out.target = t;
      g.fixups.add(new GenContext.Fixup(GenContext.Fixup.MEM, b.memOff, 8, t));
    }
  }

  /** Points a register at a data offset (through GS if overridden), honouring 32-bit addressing. */
  static boolean pointer(InsnBuilder b, GenContext g, int reg, int off, boolean gs) {
    if (!g.settable(reg)) {
      return false;
    }
    long v = DiffLayout.DATA_VA + off - (gs ? DiffLayout.GS_BASE : 0);
    if (b.addr32()) {
      v = (g.r.nextLong() & 0xFFFF_FFFF_0000_0000L) | (v & 0xFFFF_FFFFL);
    }
    g.set(reg, v);
    return true;
  }

  /**
   * Gives operand {@code n} (a register or memory) the low bytes of {@code v}; other register bits keep
   * random values. With {@code matchAccumulator}, {@code v} is RAX and the operand is CMPXCHG's destination.
   */
  private static void setOperand(InsnBuilder b, GenContext g, int n, long v, boolean matchAccumulator) {
    int bytes = b.size[n];
    if (b.kind[n] == InsnBuilder.K_GPR) {
      int reg = b.reg[n];
      if (b.high[n] || !g.settable(reg)) {
        return;
      }
      long keep = bytes >= 8 ? 0 : g.r.nextLong() & ~((1L << (8 * bytes)) - 1);
      g.set(reg, keep | (v & (bytes >= 8 ? -1L : (1L << (8 * bytes)) - 1)));
    } else if (b.kind[n] == InsnBuilder.K_MEM && inData(b.memOff, bytes)) {
      g.patchLe(b.memOff, bytes, v);
    }
  }

  /** DIV/IDIV: a dividend and divisor whose quotient fits, most of the time. */
  private static void divide(InsnBuilder b, GenContext g, boolean signed) {
    SplittableRandom r = g.r;
    if (r.nextInt(5) == 0) {
      return; // leave it to chance: mostly #DE
    }
    int bytes = b.size[0];
    int bits = 8 * bytes;
    if (!g.settable(InsnBuilder.RAX) || bytes > 1 && !g.settable(InsnBuilder.RDX)) {
      return;
    }
    if (b.kind[0] == InsnBuilder.K_GPR && (b.high[0] || b.reg[0] == InsnBuilder.RAX || b.reg[0] == InsnBuilder.RDX
        || !g.settable(b.reg[0]))) {
      return;
    }
    if (b.kind[0] == InsnBuilder.K_MEM && !inData(b.memOff, bytes)) {
      return;
    }
    BigInteger mod = BigInteger.ONE.shiftLeft(bits);
    long dRaw = Values.gpr(r);
    if (r.nextInt(4) == 0) {
      dRaw = r.nextInt(1, 16) * (r.nextBoolean() ? 1 : -1);
    }
    BigInteger d = BigInteger.valueOf(dRaw).mod(mod);
    if (signed && d.testBit(bits - 1)) {
      d = d.subtract(mod);
    }
    if (d.signum() == 0) {
      d = BigInteger.ONE;
    }
    BigInteger qMax = BigInteger.ONE.shiftLeft(signed ? bits - 1 : bits);
    BigInteger q = new BigInteger(bits + 8, new java.util.Random(r.nextLong())).mod(qMax);
    if (signed && r.nextBoolean()) {
      q = q.negate();
    }
    if (r.nextInt(8) == 0) {
      q = signed ? (r.nextBoolean() ? qMax.subtract(BigInteger.ONE) : qMax.negate()) : qMax.subtract(BigInteger.ONE);
    }
    BigInteger remMax = d.abs();
    BigInteger rem = new BigInteger(bits + 8, new java.util.Random(r.nextLong())).mod(remMax);
    BigInteger dividend = q.multiply(d);
    if (signed && dividend.signum() < 0) {
      rem = rem.negate();
    }
    dividend = dividend.add(rem);
    BigInteger two = BigInteger.ONE.shiftLeft(2 * bits);
    BigInteger u = dividend.mod(two);
    long lo = u.mod(mod).longValue();
    long hi = u.shiftRight(bits).longValue();
    if (bytes == 1) {
      g.set(InsnBuilder.RAX, (r.nextLong() & ~0xFFFFL) | (u.longValue() & 0xFFFF));
    } else {
      long keep = bits == 64 ? 0 : ~((1L << bits) - 1);
      g.set(InsnBuilder.RAX, (r.nextLong() & keep) | (lo & ~keep));
      g.set(InsnBuilder.RDX, (r.nextLong() & keep) | (hi & ~keep));
    }
    long dv = d.longValue();
    if (b.kind[0] == InsnBuilder.K_GPR) {
      long keep = bits == 64 ? 0 : ~((1L << bits) - 1);
      g.set(b.reg[0], (r.nextLong() & keep) | (dv & ~keep));
    } else {
      g.patchLe(b.memOff, bytes, dv);
    }
  }
}
