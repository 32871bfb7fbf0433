package org.jkvm.translator.isa;

import org.jkvm.runtime.CpuState;
import org.jkvm.translator.sem.GuestFault;

/**
 * The table-driven x86 decoder: legacy and REX prefixes, the one-byte, 0F, 0F 38 and 0F 3A maps, groups,
 * mandatory prefixes, x87 escapes, the VEX prefix, ModRM/SIB with 16-, 32- and 64-bit addressing,
 * displacements and immediates. Everything about a particular opcode lives in the maps; this class only
 * walks them (QEMU's decode-new.c.inc has the same split).
 *
 * <p>Guest faults during decoding: #UD for an undefined or unimplemented row, a misplaced LOCK or a VEX
 * encoding no row accepts, #GP(0) for an instruction longer than 15 bytes, #PF from the byte fetch.
 */
public final class Decoder {
  /** Supplies instruction bytes by offset from the instruction start; may throw a guest #PF. */
  @FunctionalInterface
  public interface Fetch {
    int byteAt(int offset);
  }

  static final int MAX_LEN = 15;

  /**
   * Or'ed into the code size given to {@link #decode}: real and virtual-8086 mode, where C4 and C5 are
   * always LES and LDS (SDM Vol. 2A, 2.3.3). A code size alone means protected or long mode.
   */
  public static final int NO_VEX = 1;

  private static final OpEntry[] ONE = OneByteMap.build();
  private static final OpEntry[] TWO = TwoByteMap.build();
  private static final OpEntry[] MAP38 = ThreeByteMaps.build38();
  private static final OpEntry[] MAP3A = ThreeByteMaps.build3A();

  /** Rows that were reached but have no semantics yet, reported once each. */
  private static final java.util.Set<String> UNIMPLEMENTED_SEEN = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Decoder.class);

  private Decoder() {}

  /** The opcode maps, for tests and the disassembler. */
  public static OpEntry[] oneByteMap() {
    return ONE.clone();
  }

  public static OpEntry[] twoByteMap() {
    return TWO.clone();
  }

  public static OpEntry[] map38() {
    return MAP38.clone();
  }

  public static OpEntry[] map3A() {
    return MAP3A.clone();
  }

  /**
   * What decoding depends on in the CPU's current mode: the code size, with {@link #NO_VEX} in real and
   * virtual-8086 mode. Decoded code must be keyed by this, not by the code size alone.
   */
  public static int mode(CpuState c) {
    int s = c.codeSize;
    return s == 2 && (!c.protectedMode() || c.v86Mode()) ? s | NO_VEX : s;
  }

  /** Decoding scratch state. */
  static final class State {
    final Fetch f;
    int pos;
    int prefixes;
    int rex;
    int seg = -1;
    int mandatory; // 0 none, 1 66, 2 F3, 3 F2: the last of F2/F3 wins over 66; VEX.pp, same encoding
    boolean vex;
    int vexL;
    /** VEX.vvvv, un-inverted (only 0-7 outside 64-bit mode). */
    int vvvv;
    boolean vvvvUsed;
    int opcode;
    OpEntry entry;
    int modrm = -1;
    int mod;
    int regField;
    int rmField;
    int opSize;
    int addrSize;
    int codeSize;
    final int[] kind = new int[3];
    final int[] reg = new int[3];
    final int[] size = new int[3];
    int base = -1;
    int index = -1;
    int scale;
    long disp;
    long imm;
    long imm2;
    int immCount;
    boolean memDefaultSs;

    State(Fetch f) {
      this.f = f;
    }

    int next() {
      if (pos >= MAX_LEN) {
        throw GuestFault.gp0();
      }
      return f.byteAt(pos++) & 0xFF;
    }

    boolean has(int prefix) {
      return (prefixes & prefix) != 0;
    }

    long nextSigned(int bytes) {
      long v = 0;
      for (int i = 0; i < bytes; i++) {
        v |= (long) next() << (8 * i);
      }
      int shift = 64 - 8 * bytes;
      return v << shift >> shift;
    }
  }

  /**
   * Decodes one instruction in decoding mode {@code mode}: the default code size (2, 4 or 8), with
   * {@link #NO_VEX} in real and virtual-8086 mode ({@link #mode} gives the CPU's). Throws a
   * {@link GuestFault} for what the processor would fault on.
   */
  public static Insn decode(Fetch f, int mode) {
    State d = new State(f);
    int codeSize = mode & ~NO_VEX;
    d.codeSize = codeSize;
    int b;
    // Prefixes. In 64-bit mode a REX prefix counts only if the opcode follows it directly.
    for (;;) {
      b = d.next();
      switch (b) {
        case 0xF0: d.prefixes |= Insn.PFX_LOCK; d.rex = 0; continue;
        case 0xF2: d.prefixes |= Insn.PFX_REPNE; d.prefixes &= ~Insn.PFX_REP; d.mandatory = 3; d.rex = 0; continue;
        case 0xF3: d.prefixes |= Insn.PFX_REP; d.prefixes &= ~Insn.PFX_REPNE; d.mandatory = 2; d.rex = 0; continue;
        case 0x26: override(d, CpuState.ES); continue;
        case 0x2E: override(d, CpuState.CS); continue;
        case 0x36: override(d, CpuState.SS); continue;
        case 0x3E: override(d, CpuState.DS); continue;
        case 0x64: override(d, CpuState.FS); continue;
        case 0x65: override(d, CpuState.GS); continue;
        case 0x66:
          d.prefixes |= Insn.PFX_OPSIZE;
          if (d.mandatory == 0) {
            d.mandatory = 1;
          }
          d.rex = 0;
          continue;
        case 0x67: d.prefixes |= Insn.PFX_ADDRSIZE; d.rex = 0; continue;
        default:
          break;
      }
      if (codeSize == 8 && (b & 0xF0) == 0x40) {
        d.rex = b;
        d.prefixes |= Insn.PFX_REX;
        continue;
      }
      break;
    }
    if (d.rex == 0) {
      d.prefixes &= ~Insn.PFX_REX;
    }
    OpEntry e;
    if ((b == 0xC4 || b == 0xC5) && vexHere(d, (mode & NO_VEX) != 0)) {
      e = vex(d, b);
    } else if (b == 0x0F) {
      int b2 = d.next();
      if (b2 == 0x38) {
        int b3 = d.next();
        d.opcode = 0x0F3800 | b3;
        e = MAP38[b3];
      } else if (b2 == 0x3A) {
        int b3 = d.next();
        d.opcode = 0x0F3A00 | b3;
        e = MAP3A[b3];
      } else {
        d.opcode = 0x0F00 | b2;
        e = TWO[b2];
      }
    } else {
      d.opcode = b;
      e = ONE[b];
    }
    if (e == null) {
      throw GuestFault.ud();
    }
    d.addrSize = codeSize == 8 ? (d.has(Insn.PFX_ADDRSIZE) ? 4 : 8)
        : codeSize == 4 ? (d.has(Insn.PFX_ADDRSIZE) ? 2 : 4) : (d.has(Insn.PFX_ADDRSIZE) ? 4 : 2);
    if ((e.flags & OpEntry.HAS_MODRM) != 0) {
      d.modrm = d.next();
      d.mod = d.modrm >>> 6;
      d.regField = (d.modrm >>> 3) & 7;
      d.rmField = d.modrm & 7;
    }
    boolean consumed66 = false;
    boolean prefixSelected = false;
    while (e != null && e.kind != OpEntry.LEAF) {
      switch (e.kind) {
        case OpEntry.GROUP:
          e = (d.mod == 3 && e.subReg != null) ? e.subReg[d.regField] : e.sub[d.regField];
          break;
        case OpEntry.PREFIX: {
          int m = d.mandatory;
          // A 66 that selects the same row as no prefix (BSF, BSR, MOVBE) is an operand-size prefix.
          if (m == 1 && e.sub[1] != e.sub[0]) {
            consumed66 = true;
          }
          prefixSelected = true;
          e = e.sub[m];
          break;
        }
        case OpEntry.RM:
          if (d.mod != 3) {
            throw GuestFault.ud();
          }
          e = e.sub[d.rmField];
          break;
        case OpEntry.X87:
          e = d.mod == 3 ? e.subReg[d.modrm & 0x3F] : e.sub[d.regField];
          break;
        default:
          throw new IllegalStateException("bad entry kind");
      }
    }
    if (e == null) {
      throw GuestFault.ud();
    }
    d.entry = e;
    int fl = e.flags;
    // VEX rows need VEX.L = 0 and a VEX.pp that selected them; no other row takes a VEX prefix.
    if (((fl & OpEntry.VEX) != 0) != d.vex || d.vex && (d.vexL != 0 || d.mandatory != 0 && !prefixSelected)) {
      throw GuestFault.ud();
    }
    if ((fl & OpEntry.I64) != 0 && codeSize == 8 || (fl & OpEntry.O64) != 0 && codeSize != 8) {
      throw GuestFault.ud();
    }
    boolean mod3 = d.mod == 3 || (fl & OpEntry.MOD_IGNORED) != 0;
    if ((fl & OpEntry.REG_ONLY) != 0 && !mod3 || (fl & OpEntry.MEM_ONLY) != 0 && d.modrm >= 0 && mod3) {
      throw GuestFault.ud();
    }
    // Operand size (SDM Vol. 1, 3.6 and Vol. 2, 2.2.1.2).
    boolean p66 = d.has(Insn.PFX_OPSIZE) && !consumed66;
    if (codeSize == 8) {
      if ((d.rex & 8) != 0 || (fl & OpEntry.F64) != 0) {
        d.opSize = 8;
      } else if ((fl & OpEntry.D64) != 0) {
        d.opSize = p66 ? 2 : 8;
      } else {
        d.opSize = p66 ? 2 : 4;
      }
    } else {
      d.opSize = codeSize == 4 ? (p66 ? 2 : 4) : (p66 ? 4 : 2);
    }
    if (d.modrm >= 0 && !mod3) {
      decodeMemory(d);
    }
    for (int n = 0; n < e.operands.length; n++) {
      operand(d, n, e.operands[n], mod3);
    }
    if (d.vex && !d.vvvvUsed && d.vvvv != 0) {
      throw GuestFault.ud(); // VEX.vvvv must be 1111b where no operand uses it (SDM Vol. 2A, 2.3.6)
    }
    if (d.seg < 0) {
      d.seg = d.memDefaultSs ? CpuState.SS : CpuState.DS;
    }
    // LOCK is #UD unless the row allows it and its destination is in memory.
    if (d.has(Insn.PFX_LOCK) && ((fl & OpEntry.LOCKABLE) == 0 || d.kind[0] != Insn.K_MEM)) {
      throw GuestFault.ud();
    }
    if (e.handler == null) {
      if (UNIMPLEMENTED_SEEN.add(e.mnemonic + "@" + Integer.toHexString(d.opcode))) {
        LOG.warn("unimplemented instruction {} (opcode {}): #UD", e, Integer.toHexString(d.opcode));
      }
      throw GuestFault.ud();
    }
    return new Insn(d);
  }

  /**
   * Whether the C4 or C5 just read starts a VEX prefix (SDM Vol. 2A, 2.3.3): always in 64-bit mode, never
   * in real and virtual-8086 mode; in 16- and 32-bit protected mode only if the next byte has bits 7:6 =
   * 11, which as LES's or LDS's ModRM would name a register (#UD there).
   */
  private static boolean vexHere(State d, boolean noVex) {
    if (d.codeSize == 8) {
      return true;
    }
    if (noVex) {
      return false;
    }
    int next = d.next();
    d.pos--;
    return next >= 0xC0;
  }

  /**
   * Reads the rest of a VEX prefix (C5: R vvvv L pp, map 0F; C4: R X B mmmmm, then W vvvv L pp; R, X, B
   * and vvvv inverted) and the opcode byte, and returns the opcode's row in the selected map. VEX.pp
   * becomes the mandatory prefix. Outside 64-bit mode R and X are 0 by the detection rule, and VEX.B,
   * VEX.W and VEX.vvvv[3] are ignored.
   */
  private static OpEntry vex(State d, int b) {
    int p1 = d.next();
    int p2 = b == 0xC5 ? p1 : d.next();
    // 66, F2, F3, LOCK or a REX prefix before VEX is #UD (SDM Vol. 2A, 2.3.2).
    if ((d.prefixes & (Insn.PFX_LOCK | Insn.PFX_REP | Insn.PFX_REPNE | Insn.PFX_OPSIZE)) != 0 || d.rex != 0) {
      throw GuestFault.ud();
    }
    d.vex = true;
    d.vexL = (p2 >>> 2) & 1;
    d.mandatory = p2 & 3;
    if (d.codeSize == 8) {
      int rxb = b == 0xC5 ? (~p1 >>> 5) & 4 : (~p1 >>> 5) & 7;
      d.rex = 0x40 | (b == 0xC4 ? (p2 >>> 4) & 8 : 0) | rxb;
      d.vvvv = (~p2 >>> 3) & 15;
    } else {
      d.vvvv = (~p2 >>> 3) & 7;
    }
    int map = b == 0xC5 ? 1 : p1 & 0x1F;
    int op = d.next();
    switch (map) {
      case 1:
        d.opcode = 0x0F00 | op;
        return TWO[op];
      case 2:
        d.opcode = 0x0F3800 | op;
        return MAP38[op];
      case 3:
        d.opcode = 0x0F3A00 | op;
        return MAP3A[op];
      default:
        throw GuestFault.ud(); // reserved maps
    }
  }

  private static void override(State d, int seg) {
    d.prefixes |= Insn.PFX_SEG;
    d.rex = 0;
    // In 64-bit mode the CS, DS, ES and SS overrides are null prefixes (SDM Vol. 1, 3.3.7.1).
    if (d.codeSize == 8 && seg < CpuState.FS) {
      return;
    }
    d.seg = seg;
  }

  /** ModRM memory forms with SIB and displacement (SDM Vol. 2, Tables 2-1 to 2-3). */
  private static void decodeMemory(State d) {
    int mod = d.mod;
    int rm = d.rmField;
    if (d.addrSize == 2) {
      // 16-bit forms: [BX+SI], [BX+DI], [BP+SI], [BP+DI], [SI], [DI], [BP]/disp16, [BX].
      int[] bases = {CpuState.RBX, CpuState.RBX, CpuState.RBP, CpuState.RBP, CpuState.RSI, CpuState.RDI,
          CpuState.RBP, CpuState.RBX};
      int[] indexes = {CpuState.RSI, CpuState.RDI, CpuState.RSI, CpuState.RDI, -1, -1, -1, -1};
      if (mod == 0 && rm == 6) {
        d.base = -1;
        d.disp = d.nextSigned(2);
      } else {
        d.base = bases[rm];
        d.index = indexes[rm];
        d.memDefaultSs = d.base == CpuState.RBP;
        if (mod == 1) {
          d.disp = d.nextSigned(1);
        } else if (mod == 2) {
          d.disp = d.nextSigned(2);
        }
      }
      return;
    }
    int rexB = (d.rex & 1) << 3;
    if (rm == 4) {
      int sib = d.next();
      int ss = sib >>> 6;
      int idx = ((sib >>> 3) & 7) | ((d.rex & 2) << 2);
      int bs = sib & 7;
      d.scale = ss;
      d.index = idx == 4 ? -1 : idx; // index 4 (without REX.X) means none
      if (bs == 5 && mod == 0) {
        d.base = -1;
        d.disp = d.nextSigned(4);
      } else {
        d.base = bs | rexB;
      }
    } else if (rm == 5 && mod == 0) {
      d.base = d.codeSize == 8 ? Insn.BASE_RIP : -1;
      d.disp = d.nextSigned(4);
    } else {
      d.base = rm | rexB;
    }
    if (mod == 1) {
      d.disp = d.nextSigned(1);
    } else if (mod == 2) {
      d.disp = d.nextSigned(4);
    }
    d.memDefaultSs = d.base == CpuState.RSP || d.base == CpuState.RBP;
  }

  private static int sizeOf(State d, int s) {
    switch (s) {
      case Operand.S_B: return 1;
      case Operand.S_W: return 2;
      case Operand.S_D: return 4;
      case Operand.S_Q: return 8;
      case Operand.S_V: return d.opSize;
      case Operand.S_Z: return Math.min(d.opSize, 4);
      case Operand.S_Y: return d.opSize == 8 ? 8 : 4;
      case Operand.S_DQ: return 16;
      case Operand.S_P: return Math.min(d.opSize, 4) + 2 + (d.opSize == 8 ? 4 : 0);
      case Operand.S_S: return d.codeSize == 8 ? 10 : 6;
      case Operand.S_A: return 2 * d.opSize;
      case Operand.S_T: return 10;
      default: return 0;
    }
  }

  private static void operand(State d, int n, int spec, boolean mod3) {
    int t = Operand.type(spec);
    int size = sizeOf(d, Operand.size(spec));
    d.size[n] = size;
    int rexR = (d.rex & 4) << 1;
    int rexB = (d.rex & 1) << 3;
    switch (t) {
      case Operand.T_E:
        if (mod3) {
          gpr(d, n, d.rmField | rexB, size);
        } else {
          d.kind[n] = Insn.K_MEM;
        }
        break;
      case Operand.T_M:
        d.kind[n] = Insn.K_MEM;
        break;
      case Operand.T_G:
        gpr(d, n, d.regField | rexR, size);
        break;
      case Operand.T_R:
        gpr(d, n, d.rmField | rexB, size);
        break;
      case Operand.T_Z:
        gpr(d, n, (d.opcode & 7) | rexB, size);
        break;
      case Operand.T_B:
        gpr(d, n, d.vvvv, size);
        d.vvvvUsed = true;
        break;
      case Operand.T_REG:
        gpr(d, n, Operand.fixedReg(spec), size);
        break;
      case Operand.T_S:
        if (d.regField > 5) {
          throw GuestFault.ud();
        }
        d.kind[n] = Insn.K_SEG;
        d.reg[n] = d.regField;
        break;
      case Operand.T_SEG:
        d.kind[n] = Insn.K_SEG;
        d.reg[n] = Operand.fixedReg(spec);
        break;
      case Operand.T_C:
        d.kind[n] = Insn.K_CR;
        d.reg[n] = d.regField | rexR;
        // LOCK MOV CR0 is AMD's alternate encoding of CR8; Intel raises #UD, caught by the LOCK check.
        break;
      case Operand.T_D:
        d.kind[n] = Insn.K_DR;
        d.reg[n] = d.regField | rexR;
        break;
      case Operand.T_V:
        d.kind[n] = Insn.K_XMM;
        d.reg[n] = d.regField | rexR;
        break;
      case Operand.T_W:
        if (mod3) {
          d.kind[n] = Insn.K_XMM;
          d.reg[n] = d.rmField | rexB;
        } else {
          d.kind[n] = Insn.K_MEM;
        }
        break;
      case Operand.T_U:
        if (!mod3) {
          throw GuestFault.ud();
        }
        d.kind[n] = Insn.K_XMM;
        d.reg[n] = d.rmField | rexB;
        break;
      case Operand.T_P:
        d.kind[n] = Insn.K_MMX;
        d.reg[n] = d.regField;
        break;
      case Operand.T_Q:
        if (mod3) {
          d.kind[n] = Insn.K_MMX;
          d.reg[n] = d.rmField;
        } else {
          d.kind[n] = Insn.K_MEM;
        }
        break;
      case Operand.T_N:
        if (!mod3) {
          throw GuestFault.ud();
        }
        d.kind[n] = Insn.K_MMX;
        d.reg[n] = d.rmField;
        break;
      case Operand.T_ST0:
        d.kind[n] = Insn.K_ST;
        d.reg[n] = 0;
        break;
      case Operand.T_STI:
        d.kind[n] = Insn.K_ST;
        d.reg[n] = d.rmField;
        break;
      case Operand.T_I:
      case Operand.T_J: {
        int bytes = Operand.size(spec) == Operand.S_V ? d.opSize : size;
        d.size[n] = t == Operand.T_I ? size : d.opSize;
        long v = d.nextSigned(bytes);
        if (d.immCount++ == 0) {
          d.imm = v;
        } else {
          d.imm2 = v;
        }
        d.kind[n] = Insn.K_IMM;
        break;
      }
      case Operand.T_ONE:
        d.kind[n] = Insn.K_IMM;
        if (d.immCount++ == 0) {
          d.imm = 1;
        } else {
          d.imm2 = 1;
        }
        break;
      case Operand.T_O:
        d.kind[n] = Insn.K_MEM;
        d.base = -1;
        d.index = -1;
        d.disp = d.nextSigned(d.addrSize);
        if (d.addrSize < 8) {
          d.disp &= (1L << (8 * d.addrSize)) - 1;
        }
        break;
      case Operand.T_A: {
        int offBytes = d.opSize == 2 ? 2 : 4;
        long off = d.nextSigned(offBytes) & (offBytes == 2 ? 0xFFFFL : 0xFFFF_FFFFL);
        d.imm = off;
        d.imm2 = d.nextSigned(2) & 0xFFFF;
        d.kind[n] = Insn.K_IMM;
        break;
      }
      default:
        d.kind[n] = Insn.K_NONE;
        break;
    }
  }

  private static void gpr(State d, int n, int r, int size) {
    if (size == 1 && d.rex == 0 && r >= 4 && r < 8) {
      d.kind[n] = Insn.K_REGH;
      d.reg[n] = r - 4;
    } else {
      d.kind[n] = Insn.K_REG;
      d.reg[n] = r;
    }
  }
}
