package org.jkvm.translator.difftest;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.jkvm.translator.isa.FormCatalog;
import org.jkvm.translator.isa.FormCatalog.Form;
import org.jkvm.translator.isa.OpEntry;
import org.jkvm.translator.isa.Operand;

/**
 * Encodes one random instance of a table form in 64-bit mode: prefixes (operand and address size, REX,
 * LOCK, segment overrides, REP, VEX in its two- and three-byte forms), ModRM/SIB with every addressing
 * shape, immediates, and the state the
 * instruction needs to do something interesting (memory operands that land in the data buffer, branch
 * targets inside the case, divisors that do not always fault). Everything random comes from the case's
 * generator, so a case is reproducible from its seed.
 */
final class InsnBuilder {
  static final int RSP = 4;
  static final int RBP = 5;
  static final int RAX = 0;
  static final int RCX = 1;
  static final int RDX = 2;
  static final int RBX = 3;
  static final int RSI = 6;
  static final int RDI = 7;

  // Operand kinds, after the choices.
  static final int K_NONE = 0;
  static final int K_GPR = 1;
  static final int K_MEM = 2;
  static final int K_IMM = 3;
  static final int K_XMM = 4;
  static final int K_MMX = 5;
  static final int K_SEG = 6;
  static final int K_OTHER = 7;

  private final GenContext g;
  private final SplittableRandom r;
  private final Form f;
  private final String m;
  private final int index;
  private final int count;
  final GenInsn out;

  // Encoding choices.
  private boolean p66;
  private boolean rexW;
  private boolean rexR;
  private boolean rexX;
  private boolean rexB;
  private boolean rexPresent;
  private boolean strayRex;
  private boolean lock;
  private boolean addr32;
  private int segPrefix = -1;
  private int repPrefix = -1;
  int opSize;
  int addrSize;
  private int mod = -1;
  private int regF;
  private int rmF;
  private boolean hasSib;
  private int sibScale;
  private int sibIndex = 4;
  private int sibBase;
  private long disp;
  private int dispSize;
  private boolean ripRelative;
  private long ripTarget;
  private final List<long[]> imms = new ArrayList<>();
  private int relImm = -1;
  private final int[] modrmForced = {-1};
  /** VEX.vvvv, un-inverted: the register of a VEX.vvvv operand, else 0 (encoded as 1111b). */
  private int vvvv;
  /**
   * A VEX encoding made invalid on purpose, to compare the #UD: 0 none, 1 a 66, F2 or F3 prefix right before
   * it, 2 a REX prefix right before it, 3 VEX.L = 1.
   */
  private int vexInvalid;

  // Operands as chosen: kind, register number (64-bit GPR index for GPRs), size in bytes.
  final int[] kind = new int[3];
  final int[] reg = new int[3];
  final int[] size = new int[3];
  /** Data offset of the memory operand's first byte (may lie outside the buffer on purpose). */
  int memOff = Integer.MIN_VALUE;
  int memSize;
  /** Byte-register operands that name AH, CH, DH or BH. */
  final boolean[] high = new boolean[3];

  InsnBuilder(GenContext g, Form f, int index, int count, int start) {
    this.g = g;
    this.r = g.r;
    this.f = f;
    this.m = f.mnemonic();
    this.index = index;
    this.count = count;
    this.out = new GenInsn(f, start);
  }

  boolean isMmxForm() {
    for (int n = 0; n < f.operandCount(); n++) {
      int t = Operand.type(f.operand(n));
      if (t == Operand.T_P || t == Operand.T_Q || t == Operand.T_N) {
        return true;
      }
    }
    return false;
  }

  private boolean hasSize(int s) {
    for (int n = 0; n < f.operandCount(); n++) {
      if (Operand.size(f.operand(n)) == s && Operand.type(f.operand(n)) != Operand.T_J) {
        return true;
      }
    }
    return false;
  }

  private boolean hasType(int t) {
    for (int n = 0; n < f.operandCount(); n++) {
      if (Operand.type(f.operand(n)) == t) {
        return true;
      }
    }
    return false;
  }

  boolean isString() {
    return (f.flags() & OpEntry.STRING) != 0;
  }

  /** Builds the instruction; the caller appends {@code out.bytes} at {@code out.start}. */
  GenInsn build() {
    choosePrefixes();
    int fl = f.flags();
    if ((fl & OpEntry.F64) != 0) {
      opSize = 8;
    } else if (rexW) {
      opSize = 8;
    } else if ((fl & OpEntry.D64) != 0) {
      opSize = p66 ? 2 : 8;
    } else {
      opSize = p66 ? 2 : 4;
    }
    addrSize = addr32 ? 4 : 8;
    out.opSize = opSize;
    out.addrSize = addrSize;
    chooseModrm();
    for (int n = 0; n < f.operandCount(); n++) {
      operand(n, f.operand(n));
    }
    finishByteRegisters();
    Setups.apply(this, g);
    encode();
    Effects.describe(this, g);
    return out;
  }

  // ---- prefixes ----

  private void choosePrefixes() {
    int fl = f.flags();
    boolean memForm = f.modrm == FormCatalog.MODRM_MEM || hasType(Operand.T_O);
    boolean sized = hasSize(Operand.S_V) || hasSize(Operand.S_Z) || isString()
        || m.startsWith("CBW") || m.startsWith("CWD") || m.equals("PUSHF") || m.equals("POPF")
        || m.equals("IRET") || m.equals("RETF") || m.equals("ENTER") || m.equals("LEAVE")
        || m.startsWith("PUSH") || m.startsWith("POP") || m.startsWith("FN") || m.startsWith("FLD")
        || m.equals("FRSTOR") || m.equals("FXSAVE") || m.equals("FXRSTOR");
    switch (f.mandatory) {
      case 0:
        p66 = false;
        break;
      case 1:
        p66 = true;
        break;
      case 2:
      case 3:
        p66 = (hasSize(Operand.S_V) || hasSize(Operand.S_Z)) && r.nextInt(3) == 0;
        break;
      default:
        if ((fl & OpEntry.F64) != 0 || m.equals("BSWAP")) {
          p66 = false; // AMD honours 66 on near branches, Intel ignores it; 16-bit BSWAP is undefined
        } else {
          p66 = sized ? r.nextInt(3) == 0 : r.nextInt(12) == 0;
        }
        break;
    }
    rexW = r.nextInt(sized || hasSize(Operand.S_Y) ? 3 : 6) == 0;
    if (f.vex()) {
      rexW = r.nextBoolean(); // VEX.W
      vexInvalid = r.nextInt(24) == 0 ? 1 + r.nextInt(3) : 0;
    }
    if (m.equals("BSWAP")) {
      rexW = r.nextBoolean();
    }
    if (m.equals("CALLF") || m.equals("JMPF") || m.equals("LSS")) {
      rexW = false; // m16:64 far pointers are Intel-only; AMD ignores REX.W here (reads m16:32)
    }
    if ((m.equals("SHLD") || m.equals("SHRD")) && hasType(Operand.T_REG) && !(index == 0 && count == 1)) {
      p66 = false; // a 16-bit count above 16 leaves the result undefined for whatever reads it next
    }
    addr32 = (memForm || isString() || m.startsWith("LOOP") || m.equals("JrCXZ") || m.equals("XLAT")
        || m.startsWith("MASKMOV")) && r.nextInt(7) == 0
        && !Setups.umipEmulated(m); // the host's UMIP emulator does not take 32-bit addresses in 64-bit code
    if ((fl & OpEntry.LOCKABLE) != 0 && f.modrm == FormCatalog.MODRM_MEM) {
      lock = r.nextBoolean();
    } else if ((fl & OpEntry.CPL0) == 0 && !(f.map == FormCatalog.MAP_0F && f.opcode <= 0x01)) {
      lock = r.nextInt(150) == 0; // #UD (not on 0F 00/0F 01: AMD ignores LOCK on VERW and friends)
    }
    if (isString()) {
      boolean compare = m.startsWith("CMPS") || m.startsWith("SCAS");
      int p = r.nextInt(compare ? 3 : 2);
      repPrefix = p == 0 ? -1 : p == 1 ? 0xF3 : 0xF2;
    }
    if (memForm || stringSourceOverridable()) {
      int s = r.nextInt(20);
      if (s < 2) {
        segPrefix = new int[] {0x26, 0x2E, 0x36, 0x3E}[r.nextInt(4)];
      } else if (s < 4) {
        segPrefix = 0x65;
      }
    } else if (r.nextInt(60) == 0) {
      segPrefix = new int[] {0x26, 0x2E, 0x36, 0x3E}[r.nextInt(4)];
    }
    rexPresent = rexW || r.nextInt(4) == 0;
    strayRex = r.nextInt(40) == 0 && !Setups.umipEmulated(m);
  }

  private boolean stringSourceOverridable() {
    return m.startsWith("MOVS") || m.startsWith("CMPS") || m.startsWith("LODS") || m.startsWith("OUTS")
        || m.equals("XLAT") || m.startsWith("MASKMOV");
  }

  boolean gsOverride() {
    return segPrefix == 0x65;
  }

  // ---- ModRM and operands ----

  private void chooseModrm() {
    if (!f.hasModrm()) {
      return;
    }
    if (f.modrmByte >= 0) {
      mod = 3;
      regF = (f.modrmByte >>> 3) & 7;
      rmF = f.modrmByte & 7;
      return;
    }
    mod = f.modrm == FormCatalog.MODRM_MEM ? 0 : 3;
    regF = f.reg >= 0 ? f.reg : r.nextInt(8);
    rmF = f.rm >= 0 ? f.rm : r.nextInt(8);
    if (f.reg >= 0 && r.nextBoolean()) {
      rexR = true; // ignored for group rows
    }
    if (mod == 3 && f.rm >= 0 && r.nextInt(4) == 0) {
      rexB = true; // ignored where ModRM.rm selects the row
    }
    if ((f.flags() & OpEntry.MOD_IGNORED) != 0 && r.nextInt(5) == 0) {
      modrmForced[0] = r.nextInt(3); // MOV CR/DR: any mod means the register form
    }
  }

  /** A general register number for an operand, rarely RSP (a random RSP makes every later push fault). */
  private int pickGpr() {
    int n = r.nextInt(16);
    if (n == RSP && r.nextInt(8) != 0) {
      n = r.nextInt(16);
    }
    return n;
  }

  private void operand(int n, int spec) {
    int t = Operand.type(spec);
    int s = Operand.size(spec);
    size[n] = sizeOf(s);
    switch (t) {
      case Operand.T_G: {
        int num = pickGpr();
        regF = num & 7;
        rexR = num >= 8;
        gpr(n, num);
        break;
      }
      case Operand.T_E:
      case Operand.T_R:
        if (mod == 3) {
          int num = pickGpr();
          rmF = num & 7;
          rexB = num >= 8;
          gpr(n, num);
        } else {
          memory(n);
        }
        break;
      case Operand.T_M:
        memory(n);
        break;
      case Operand.T_Z: {
        rexB = r.nextInt(3) == 0;
        gpr(n, (f.opcode & 7) | (rexB ? 8 : 0));
        break;
      }
      case Operand.T_REG:
        kind[n] = K_GPR;
        reg[n] = Operand.fixedReg(spec);
        break;
      case Operand.T_B: {
        int num = pickGpr();
        vvvv = num;
        gpr(n, num);
        break;
      }
      case Operand.T_V: {
        int x = r.nextInt(16);
        regF = x & 7;
        rexR = x >= 8;
        kind[n] = K_XMM;
        reg[n] = x;
        break;
      }
      case Operand.T_W:
      case Operand.T_U:
        if (mod == 3) {
          int x = r.nextInt(16);
          rmF = x & 7;
          rexB = x >= 8;
          kind[n] = K_XMM;
          reg[n] = x;
        } else {
          memory(n);
        }
        break;
      case Operand.T_P:
        regF = r.nextInt(8);
        kind[n] = K_MMX;
        reg[n] = regF;
        rexR = r.nextInt(4) == 0; // ignored
        break;
      case Operand.T_Q:
      case Operand.T_N:
        if (mod == 3) {
          rmF = r.nextInt(8);
          kind[n] = K_MMX;
          reg[n] = rmF;
          rexB = r.nextInt(4) == 0;
        } else {
          memory(n);
        }
        break;
      case Operand.T_S: {
        int sr;
        if (m.equals("MOV") && n == 0) {
          // Loads: ES, SS, DS; CS and 6/7 are #UD. FS and GS would replace the runner's bases.
          int[] choice = {0, 0, 2, 2, 3, 3, 3, 1, 6, 7};
          sr = choice[r.nextInt(choice.length)];
        } else {
          sr = r.nextInt(15) == 0 ? 6 + r.nextInt(2) : r.nextInt(6);
        }
        regF = sr;
        kind[n] = K_SEG;
        reg[n] = sr;
        break;
      }
      case Operand.T_C:
      case Operand.T_D: {
        int cr = r.nextInt(16);
        regF = cr & 7;
        rexR = cr >= 8;
        kind[n] = K_OTHER;
        break;
      }
      case Operand.T_I:
        kind[n] = K_IMM;
        imms.add(new long[] {Immediates.choose(this, r, n, immBytes(s)), immBytes(s)});
        break;
      case Operand.T_J: {
        kind[n] = K_IMM;
        relImm = imms.size();
        imms.add(new long[] {0, s == Operand.S_B ? 1 : 4});
        break;
      }
      case Operand.T_O:
        memory(n);
        break;
      case Operand.T_ONE:
        kind[n] = K_IMM;
        break;
      default:
        kind[n] = K_OTHER;
        break;
    }
  }

  private int immBytes(int s) {
    switch (s) {
      case Operand.S_B: return 1;
      case Operand.S_W: return 2;
      case Operand.S_Z: return opSize == 2 ? 2 : 4;
      case Operand.S_V: return opSize;
      default: return 4;
    }
  }

  int sizeOf(int s) {
    switch (s) {
      case Operand.S_B: return 1;
      case Operand.S_W: return 2;
      case Operand.S_D: return 4;
      case Operand.S_Q: return 8;
      case Operand.S_V: return opSize;
      case Operand.S_Z: return Math.min(opSize, 4);
      case Operand.S_Y: return rexW ? 8 : 4;
      case Operand.S_DQ: return 16;
      case Operand.S_P: return opSize == 8 ? 10 : opSize + 2;
      case Operand.S_S: return 10;
      case Operand.S_A: return 2 * opSize;
      case Operand.S_T: return 10;
      default: return 0;
    }
  }

  private void gpr(int n, int num) {
    kind[n] = K_GPR;
    reg[n] = num;
  }

  /** Without any REX prefix, byte registers 4-7 are AH, CH, DH, BH (known only once REX is settled). */
  private void finishByteRegisters() {
    for (int n = 0; n < 3; n++) {
      if (kind[n] == K_GPR && size[n] == 1 && reg[n] >= 4 && reg[n] < 8 && !rex()
          && Operand.type(f.operand(n)) != Operand.T_REG) {
        high[n] = true;
        reg[n] -= 4;
      }
    }
  }

  /** Whether any REX bit is set or a bare REX was chosen (decided before byte registers are named). */
  boolean rex() {
    return rexPresent || rexW || rexR || rexX || rexB;
  }

  // ---- memory operands ----

  /** The number of bytes an instruction's memory operand touches (for placement and alignment). */
  private int footprint(int n) {
    switch (m) {
      case "FXSAVE": case "FXRSTOR": return 512;
      case "FNSTENV": case "FLDENV": return opSize == 2 ? 14 : 28;
      case "FNSAVE": case "FRSTOR": return opSize == 2 ? 94 : 108;
      case "CMPXCHG8B/16B": return rexW ? 16 : 8;
      case "CLFLUSH": return 1;
      case "LEA": case "PREFETCHW": case "PREFETCHh": case "NOP": case "INVLPG": return 1;
      default: return Math.max(size[n], 1);
    }
  }

  private int alignment(int bytes) {
    if (m.equals("FXSAVE") || m.equals("FXRSTOR") || bytes == 16) {
      return r.nextInt(10) == 0 ? 1 : 16;
    }
    if (r.nextBoolean()) {
      return 1;
    }
    return Integer.highestOneBit(Math.max(1, Math.min(bytes, 8)));
  }

  /** Chooses where the memory operand points and encodes the addressing that reaches it. */
  private void memory(int n) {
    kind[n] = K_MEM;
    int bytes = footprint(n);
    memSize = bytes;
    int align = alignment(bytes);
    int off = Setups.memoryPlacement(this, r, bytes, align);
    memOff = off;
    long linear = DiffLayout.DATA_VA + off;
    long ea = linear - (gsOverride() ? DiffLayout.GS_BASE : 0);
    if (Operand.type(f.operand(n)) == Operand.T_O) {
      disp = addr32 ? ea & 0xFFFF_FFFFL : ea;
      dispSize = addr32 ? 4 : 8;
      return;
    }
    // POP into memory addresses with RSP after the pop (SDM POP): the base value the CPU uses is RSP + size.
    long rspBias = m.equals("POP") ? opSize : 0;
    boolean registerFree = Setups.needsRegisterFreeAddress(this) && index > 0;
    int scheme = registerFree ? (r.nextBoolean() ? 0 : 1) : r.nextInt(20);
    if (scheme >= 2 && !baseScheme(ea, rspBias, scheme)) {
      scheme = r.nextBoolean() ? 0 : 1;
    }
    if (scheme == 0) {
      // RIP-relative: mod 00, rm 101; the displacement is fixed once the length is known.
      mod = 0;
      rmF = 5;
      ripRelative = true;
      ripTarget = ea;
      dispSize = 4;
    } else if (scheme == 1) {
      // Absolute: SIB with no base and no index.
      mod = 0;
      rmF = 4;
      hasSib = true;
      sibBase = 5;
      sibIndex = 4;
      rexX = false;
      sibScale = r.nextInt(4);
      disp = (int) ea;
      dispSize = 4;
    }
  }

  /** A register-based address: [base], [base+disp], [base+index*scale+disp], [index*scale+disp32]. */
  private boolean baseScheme(long ea, long rspBias, int roll) {
    long mask = addr32 ? 0xFFFF_FFFFL : -1L;
    boolean withIndex = roll >= 14;
    int dispKind = r.nextInt(3); // 0: none, 1: disp8, 2: disp32
    for (int attempt = 0; attempt < 8; attempt++) {
      int base = r.nextInt(16);
      if (!g.clean(base) && !(withIndex && roll == 19)) {
        continue;
      }
      boolean noBase = withIndex && roll == 19; // mod 00, SIB base 101: [index*scale + disp32]
      int idx = -1;
      int scale = r.nextInt(4);
      long idxVal = 0;
      if (withIndex) {
        idx = r.nextInt(16);
        if (idx == RSP || idx == base && !noBase) {
          continue;
        }
        if (g.settable(idx)) {
          idxVal = r.nextInt(-16, 17);
          g.set(idx, addr32 ? (g.r.nextLong() & 0xFFFF_FFFF_0000_0000L) | (idxVal & 0xFFFF_FFFFL) : idxVal);
        } else {
          Long v = g.known(idx);
          if (v == null) {
            continue;
          }
          idxVal = v;
        }
      }
      long scaled = (idxVal << scale) & mask;
      long d;
      if (noBase) {
        d = (ea - scaled) & mask;
        if (!addr32 && (int) d != d) {
          continue;
        }
        mod = 0;
        dispSize = 4;
        disp = (int) d;
        hasSib = true;
        sibBase = 5;
        sibIndex = idx & 7;
        rexX = idx >= 8;
        sibScale = scale;
        rmF = 4;
        return true;
      }
      long baseVal;
      if (g.settable(base) && base != RSP) {
        d = dispKind == 0 ? 0 : dispKind == 1 ? r.nextInt(-128, 128) : r.nextInt(-0x10000, 0x10000);
        baseVal = (ea - scaled - d) & mask;
        if (addr32) {
          baseVal |= r.nextLong() & 0xFFFF_FFFF_0000_0000L; // ignored upper half
        }
        g.set(base, baseVal);
      } else {
        Long v = g.known(base);
        if (v == null || base == RSP && !g.rspKnown) {
          continue;
        }
        baseVal = v + (base == RSP ? rspBias : 0);
        d = (ea - scaled - baseVal) & mask;
        if (!addr32) {
          if ((int) d != d) {
            continue;
          }
        } else {
          d = (int) d;
        }
        dispKind = d == 0 ? 0 : (byte) d == d ? 1 : 2;
      }
      if (dispKind == 0 && (base & 7) == RBP) {
        dispKind = 1; // [rbp] and [r13] need a displacement
      }
      disp = d;
      dispSize = dispKind == 0 ? 0 : dispKind == 1 ? 1 : 4;
      mod = dispKind;
      rexB = base >= 8;
      if (withIndex || (base & 7) == RSP) {
        hasSib = true;
        rmF = 4;
        sibBase = base & 7;
        sibIndex = withIndex ? idx & 7 : 4;
        rexX = withIndex ? idx >= 8 : false;
        sibScale = scale;
      } else {
        rmF = base & 7;
      }
      return true;
    }
    return false;
  }

  // ---- bytes ----

  private void encode() {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    List<Integer> legacy = new ArrayList<>();
    if (lock) {
      legacy.add(0xF0);
    }
    if (segPrefix >= 0) {
      legacy.add(segPrefix);
    }
    if (p66 && f.mandatory != 1) {
      legacy.add(0x66);
    }
    if (addr32) {
      legacy.add(0x67);
    }
    java.util.Collections.shuffle(legacy, new java.util.Random(r.nextLong()));
    if (Setups.umipEmulated(m) && legacy.remove(Integer.valueOf(segPrefix))) {
      // The host kernel's decoder (arch/x86/lib/insn.c) stores the last legacy prefix again in slot 3 of
      // its prefix array; with exactly three distinct prefixes that is a second copy, so a segment override
      // in last place counts twice, and insn-eval.c refuses two overrides: #GP instead of the emulation.
      legacy.add(0, segPrefix);
    }
    if (strayRex && !legacy.isEmpty()) {
      legacy.add(r.nextInt(legacy.size()), 0x40 | r.nextInt(16)); // a REX not next to the opcode is ignored
    }
    if (f.mandatory == 1 && !f.vex()) {
      legacy.add(0x66);
    }
    if (repPrefix >= 0) {
      legacy.add(repPrefix);
    }
    if (f.mandatory == 2 && !f.vex()) {
      legacy.add(0xF3);
    } else if (f.mandatory == 3 && !f.vex()) {
      legacy.add(0xF2);
    }
    if (vexInvalid == 1) {
      legacy.add(new int[] {0x66, 0xF2, 0xF3}[r.nextInt(3)]);
    } else if (vexInvalid == 2) {
      legacy.add(0x40 | r.nextInt(16));
    }
    for (int p : legacy) {
      b.write(p);
    }
    if (f.vex()) {
      vexPrefix(b);
    } else {
      if (rex()) {
        b.write(0x40 | (rexW ? 8 : 0) | (rexR ? 4 : 0) | (rexX ? 2 : 0) | (rexB ? 1 : 0));
      }
      switch (f.map) {
        case FormCatalog.MAP_0F: b.write(0x0F); break;
        case FormCatalog.MAP_0F38: b.write(0x0F); b.write(0x38); break;
        case FormCatalog.MAP_0F3A: b.write(0x0F); b.write(0x3A); break;
        default: break;
      }
    }
    b.write(f.opcode);
    if (mod >= 0) {
      int md = modrmForced[0] >= 0 ? modrmForced[0] : mod;
      b.write(md << 6 | (regF & 7) << 3 | (rmF & 7));
      if (md != 3 && modrmForced[0] < 0) {
        if (hasSib) {
          b.write(sibScale << 6 | (sibIndex & 7) << 3 | (sibBase & 7));
        }
      }
    }
    int dispAt = b.size();
    for (int i = 0; i < dispSize; i++) {
      b.write((int) (disp >>> (8 * i)));
    }
    int relAt = -1;
    for (int i = 0; i < imms.size(); i++) {
      long[] im = imms.get(i);
      if (i == relImm) {
        relAt = b.size();
      }
      for (int k = 0; k < im[1]; k++) {
        b.write((int) (im[0] >>> (8 * k)));
      }
    }
    byte[] bytes = b.toByteArray();
    if (ripRelative) {
      long next = DiffLayout.CODE_VA + out.start + bytes.length;
      long d = ripTarget - next;
      MachineState.putLe(bytes, dispAt, 4, d);
    }
    out.bytes = bytes;
    if (relAt >= 0) {
      int sz = (int) imms.get(relImm)[1];
      out.target = Setups.forwardTarget(r, index, count);
      GenContext.Fixup fx = new GenContext.Fixup(GenContext.Fixup.REL, out.start + relAt, sz, out.target);
      fx.from = out.start + bytes.length;
      g.fixups.add(fx);
    }
  }

  /**
   * The VEX prefix (SDM Vol. 2A, 2.3.5): C4 with ~R ~X ~B mmmmm, then W ~vvvv L pp; or, for map 0F without
   * W, X and B, half the time the two-byte C5 with ~R ~vvvv L pp. VEX.pp is the form's mandatory prefix.
   */
  private void vexPrefix(ByteArrayOutputStream b) {
    int pp = Math.max(f.mandatory, 0);
    int mmmmm = f.map == FormCatalog.MAP_0F ? 1 : f.map == FormCatalog.MAP_0F38 ? 2 : 3;
    int last = (~vvvv & 15) << 3 | (vexInvalid == 3 ? 4 : 0) | pp;
    if (mmmmm == 1 && !rexW && !rexX && !rexB && r.nextBoolean()) {
      b.write(0xC5);
      b.write((rexR ? 0 : 0x80) | last);
      return;
    }
    b.write(0xC4);
    b.write((rexR ? 0 : 0x80) | (rexX ? 0 : 0x40) | (rexB ? 0 : 0x20) | mmmmm);
    b.write((rexW ? 0x80 : 0) | last);
  }

  // ---- accessors for Setups, Immediates and Effects ----

  Form form() {
    return f;
  }

  String mnemonic() {
    return m;
  }

  int index() {
    return index;
  }

  int count() {
    return count;
  }

  boolean rexW() {
    return rexW;
  }

  int repPrefix() {
    return repPrefix;
  }

  boolean addr32() {
    return addr32;
  }

  /** The value of the {@code i}-th immediate (branch displacements are placeholders). */
  long immValue(int i) {
    return imms.get(i)[0];
  }
}
