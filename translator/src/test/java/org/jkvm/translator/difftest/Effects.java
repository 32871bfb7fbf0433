package org.jkvm.translator.difftest;

import org.jkvm.translator.isa.Operand;

/**
 * What a built instruction does that the case's bookkeeping must know: flags read and left undefined,
 * registers written (so later instructions do not count on their initial values), where control may go,
 * results the SDM leaves undefined, and the stack pointer and direction flag while they stay known.
 */
final class Effects {
  private Effects() {}

  static final int C0 = 0x100;
  static final int C1 = 0x200;
  static final int C2 = 0x400;
  static final int C3 = 0x4000;
  static final int C_ALL = C0 | C1 | C2 | C3;

  static void describe(InsnBuilder b, GenContext g) {
    GenInsn out = b.out;
    String m = b.mnemonic();
    int cc = b.form().opcode & 0xF;
    out.flagsRead = FlagRules.reads(m, cc);
    int bits = 8 * Math.max(1, b.size[0]);
    if (FlagRules.isShift(m)) {
      int count = shiftCount(b, g);
      out.effect = FlagRules.shift(m, bits, count);
      if (FlagRules.shiftResultUndefined(m, bits, count)) {
        undefinedDestination(b, out);
      }
    } else if ((m.startsWith("CMPS") || m.startsWith("SCAS")) && b.repPrefix() >= 0) {
      Long rcx = b.index() == 0 ? g.known(InsnBuilder.RCX) : null;
      long count = rcx == null ? -1 : b.addr32() ? rcx & 0xFFFF_FFFFL : rcx;
      out.effect = FlagRules.repCompare(count < 0 ? -1 : count);
    } else {
      out.effect = FlagRules.effect(m);
    }
    // Registers written.
    int w = implicitWrites(b);
    for (int n = 0; n < 3; n++) {
      if (b.kind[n] == InsnBuilder.K_GPR) {
        w |= 1 << b.reg[n];
      }
    }
    out.writes = w;
    flow(b, out);
    x87(m, out);
    undefinedMemory(b, out);
    machineValues(b, out);
    switch (m) {
      case "RCPPS": case "RSQRTPS":
        out.approxXmm = 1 << b.reg[0];
        break;
      case "RCPSS": case "RSQRTSS":
        out.approxXmm = 1 << b.reg[0];
        out.approxScalar = true;
        break;
      case "F2XM1": case "FYL2X": case "FYL2XP1": case "FPATAN": case "FSIN": case "FCOS": case "FSINCOS":
      case "FPTAN":
        out.approxX87 = true;
        break;
      default:
        break;
    }
    switch (m) {
      case "FXSAVE": case "FXRSTOR": case "FNSTENV": case "FLDENV": case "FNSAVE": case "FRSTOR":
        out.cr2Slack = b.memSize;
        break;
      default:
        break;
    }
    if (b.memOff != Integer.MIN_VALUE) {
      out.memRange = new int[] {b.memOff, b.memOff + Math.max(1, b.memSize)};
    }
    out.popsFlags = m.equals("POPF") || m.equals("IRET");
    switch (m) {
      case "MOVSB": case "MOVSW/D/Q": case "CMPSB": case "CMPSW/D/Q": case "LODSB": case "LODSW/D/Q":
      case "SCASB": case "SCASW/D/Q": case "OUTSB": case "OUTSW/D": case "POP": case "POPF": case "POPA":
      case "RET": case "RETF": case "IRET": case "LEAVE": case "ENTER": case "XLAT":
        out.readsImplicitMemory = true;
        break;
      default:
        break;
    }
    out.writesMemory = b.memOff != Integer.MIN_VALUE || m.startsWith("PUSH") || m.startsWith("CALL")
        || m.equals("ENTER") || m.startsWith("MOVS") || m.startsWith("STOS") || m.startsWith("INS")
        || m.startsWith("MASKMOV");
    track(b, g, w);
  }

  /** The raw shift count if it is known (an immediate, or CL before anything could change it), else -1. */
  private static int shiftCount(InsnBuilder b, GenContext g) {
    int last = b.form().operandCount() - 1;
    int spec = b.form().operand(last);
    int t = Operand.type(spec);
    if (t == Operand.T_ONE) {
      return 1;
    }
    if (t == Operand.T_I) {
      return (int) (b.immValue(0) & 0xFF);
    }
    if (b.index() == 0) {
      Long rcx = g.known(InsnBuilder.RCX);
      return rcx == null ? -1 : (int) (rcx & 0xFF);
    }
    return -1;
  }

  private static void undefinedDestination(InsnBuilder b, GenInsn out) {
    if (b.kind[0] == InsnBuilder.K_GPR) {
      out.undefinedGprs |= 1 << b.reg[0];
    } else if (b.kind[0] == InsnBuilder.K_MEM) {
      out.undefinedMemory.add(new int[] {b.memOff, b.memOff + b.size[0]});
    }
  }

  /** The destinations of {@link CaseGenerator#machineSpecific} forms: the host's values are its own. */
  private static void machineValues(InsnBuilder b, GenInsn out) {
    switch (b.mnemonic()) {
      case "CPUID": case "RDTSC": case "RDTSCP":
        out.undefinedGprs |= implicitWrites(b);
        break;
      case "SGDT": case "SIDT": // 10 bytes in 64-bit mode: limit and base
        if (b.memOff != Integer.MIN_VALUE) {
          out.undefinedMemory.add(new int[] {b.memOff, b.memOff + 10});
        }
        break;
      case "SLDT": case "STR": case "SMSW":
        if (b.kind[0] == InsnBuilder.K_GPR) {
          out.undefinedGprs |= 1 << b.reg[0];
        } else {
          if (b.memOff != Integer.MIN_VALUE) {
            out.undefinedMemory.add(new int[] {b.memOff, b.memOff + 2});
          }
        }
        break;
      default:
        break;
    }
  }

  private static int implicitWrites(InsnBuilder b) {
    String m = b.mnemonic();
    int ax = 1 << InsnBuilder.RAX;
    int cx = 1 << InsnBuilder.RCX;
    int dx = 1 << InsnBuilder.RDX;
    int sp = 1 << InsnBuilder.RSP;
    int bp = 1 << InsnBuilder.RBP;
    int si = 1 << InsnBuilder.RSI;
    int di = 1 << InsnBuilder.RDI;
    switch (m) {
      case "MUL": case "DIV": case "IDIV": case "CMPXCHG8B/16B":
        return ax | dx;
      case "IMUL":
        return b.form().operandCount() == 1 ? ax | dx : 0;
      case "CBW/CWDE/CDQE": case "CMPXCHG": case "LAHF": case "XLAT": case "IN":
        return ax;
      case "CPUID":
        return ax | cx | dx | (1 << InsnBuilder.RBX);
      case "RDTSC":
        return ax | dx;
      case "RDTSCP":
        return ax | cx | dx;
      case "CWD/CDQ/CQO":
        return dx;
      case "MOVSB": case "MOVSW/D/Q": case "CMPSB": case "CMPSW/D/Q":
        return si | di | cx;
      case "STOSB": case "STOSW/D/Q": case "SCASB": case "SCASW/D/Q": case "INSB": case "INSW/D":
        return di | cx;
      case "LODSB": case "LODSW/D/Q":
        return si | cx | ax;
      case "OUTSB": case "OUTSW/D":
        return si | cx;
      case "LOOP": case "LOOPE": case "LOOPNE": case "JrCXZ":
        return cx;
      case "ENTER": case "LEAVE":
        return sp | bp;
      case "PUSH": case "POP": case "PUSHF": case "POPF": case "CALL": case "RET": case "RETF": case "IRET":
      case "CALLF": case "INT": case "INT3": case "INT1": case "LSS":
        return sp;
      default:
        return 0;
    }
  }

  private static void flow(InsnBuilder b, GenInsn out) {
    String m = b.mnemonic();
    switch (m) {
      case "Jcc": case "LOOP": case "LOOPE": case "LOOPNE": case "JrCXZ":
        out.flow = GenInsn.FLOW_COND;
        break;
      case "JMP": case "CALL":
        out.flow = out.target >= 0 ? GenInsn.FLOW_JUMP : GenInsn.FLOW_ANY;
        break;
      case "RET": case "RETF": case "IRET": case "CALLF": case "JMPF":
        out.flow = GenInsn.FLOW_ANY;
        break;
      default:
        out.flow = GenInsn.FLOW_NEXT;
        break;
    }
  }

  /** x87 condition codes (SDM: "FPU Flags Affected"), and the instructions that store them. */
  private static void x87(String m, GenInsn out) {
    switch (m) {
      case "FNINIT": case "FNSAVE": case "FLDENV": case "FRSTOR": case "FXRSTOR":
        out.definedFsw = C_ALL;
        break;
      case "FINCSTP": case "FDECSTP":
        out.definedFsw = C1;
        out.undefinedFsw = C0 | C2 | C3;
        break;
      case "FFREE": case "FFREEP": case "FNCLEX": case "FLDCW": case "FNSTCW": case "FNSTSW": case "FNSTENV":
      case "FNOP":
        out.undefinedFsw = C_ALL;
        break;
      default:
        break;
    }
    out.readsFsw = m.equals("FNSTSW") || m.equals("FNSTENV") || m.equals("FNSAVE") || m.equals("FXSAVE");
  }

  /** Stored fields the SDM leaves undefined or model-specific: x87 instruction/operand pointers and such. */
  private static void undefinedMemory(InsnBuilder b, GenInsn out) {
    int at = b.memOff;
    if (at == Integer.MIN_VALUE) {
      return;
    }
    switch (b.mnemonic()) {
      case "FXSAVE":
        out.undefinedMemory.add(new int[] {at + 6, at + 24}); // FOP, FIP, FCS, FDP, FDS: AMD saves them only with ES
        out.undefinedMemory.add(new int[] {at + 28, at + 32}); // MXCSR_MASK: jkvm's model, not the host's
        break;
      case "FNSTENV": case "FNSAVE":
        if (b.opSize == 2) {
          out.undefinedMemory.add(new int[] {at + 6, at + 14});
        } else {
          out.undefinedMemory.add(new int[] {at + 2, at + 4}); // reserved halves
          out.undefinedMemory.add(new int[] {at + 6, at + 8});
          out.undefinedMemory.add(new int[] {at + 10, at + 28}); // and the pointers
        }
        break;
      default:
        break;
    }
  }

  /** Updates what the generator knows: dirty registers, the stack offset, the direction flag. */
  private static void track(InsnBuilder b, GenContext g, int writes) {
    String m = b.mnemonic();
    boolean stackOp = false;
    switch (m) {
      case "PUSH": case "PUSHF":
        g.rspDelta -= b.opSize;
        stackOp = true;
        break;
      case "POP": case "POPF":
        if (b.kind[0] == InsnBuilder.K_GPR && b.reg[0] == InsnBuilder.RSP) {
          g.rspKnown = false;
        }
        g.rspDelta += b.opSize;
        stackOp = true;
        break;
      case "CALL":
        g.rspDelta -= 8;
        stackOp = true;
        break;
      case "RET":
        g.rspDelta += 8 + (b.form().opcode == 0xC2 ? (b.immValue(0) & 0xFFFF) : 0);
        stackOp = true;
        break;
      default:
        break;
    }
    if (!stackOp && (writes & (1 << InsnBuilder.RSP)) != 0) {
      g.rspKnown = false;
    }
    switch (m) {
      case "CLD": g.df = 0; g.dfKnown = true; break;
      case "STD": g.df = 1; g.dfKnown = true; break;
      case "POPF": case "IRET": g.dfKnown = false; break;
      default: break;
    }
    g.write(writes);
  }
}
