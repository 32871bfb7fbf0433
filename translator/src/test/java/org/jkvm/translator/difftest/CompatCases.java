package org.jkvm.translator.difftest;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.SplittableRandom;
import org.jkvm.translator.isa.FormCatalog.Form;
import org.jkvm.translator.isa.OpEntry;

/**
 * Cases in compatibility mode (CS = Linux's USER32_CS 0x23, DS = ES = SS = 0x2B) for the forms that
 * exist only outside 64-bit mode: segment-register pushes and pops, the BCD adjustments, one-byte INC/DEC,
 * PUSHA/POPA, BOUND, the 82 alias of group 1, far calls and jumps with immediate pointers, LES/LDS, INTO,
 * AAM/AAD. One or two such instructions per case, with 32-bit addressing, an optional operand-size prefix,
 * memory operands in the data buffer and the setups that keep them from always faulting (a selector to
 * pop, a far target inside the case, bounds around the index). A quarter of the cases led by a VEX form
 * (BMI1) are built here too: outside 64-bit mode VEX.W, VEX.B and VEX.vvvv[3] are ignored, and C4 is VEX
 * only before a byte with bits 7:6 = 11.
 */
final class CompatCases {
  private CompatCases() {}

  /** Whether the form is one of those (invalid in 64-bit mode). */
  static boolean handles(Form f) {
    return (f.flags() & OpEntry.I64) != 0;
  }

  /** Registers a memory operand may be based on (not ESP/EBP, which need SIB or mean disp32). */
  private static final int[] BASES = {0, 1, 2, 3, 6, 7};

  /** Builds one case led by {@code first}; null to draw again (an instruction could read an undefined flag). */
  static DiffCase build(Form first, List<Form> compatForms, SplittableRandom r, long runSeed, long index) {
    DiffCase k = new DiffCase();
    k.runSeed = runSeed;
    k.index = index;
    k.mode = 32;
    k.dataSeed = r.nextLong();
    k.buildInitialData();
    GenContext g = new GenContext(r, k.dataSeed, k.initialData.clone());
    for (int i = 0; i < 16; i++) {
      g.init[i] = Values.gpr(r);
    }
    long esp = DiffLayout.DATA_VA + Setups.stackOffset(r);
    g.set(InsnBuilder.RSP, esp);
    long rflags = 0x202 | (r.nextLong() & FlagRules.ARITH) | (r.nextInt(4) == 0 ? FlagRules.DF : 0);
    X87State.random(r, k.fx);

    int n = r.nextInt(3) == 0 ? 2 : 1;
    Form[] forms = new Form[n];
    forms[0] = first;
    for (int i = 1; i < n; i++) {
      forms[i] = compatForms.get(r.nextInt(compatForms.size()));
    }
    ByteArrayOutputStream code = new ByteArrayOutputStream();
    int[] starts = new int[n + 1];
    long undefined = 0; // flags left undefined so far
    DiffCase.Masks[] masks = new DiffCase.Masks[n + 1];
    masks[0] = new DiffCase.Masks();
    for (int i = 0; i < n; i++) {
      starts[i] = code.size();
      String m = forms[i].mnemonic();
      if ((FlagRules.reads(m, forms[i].opcode & 0xF) & undefined) != 0) {
        return null;
      }
      encode(forms[i], g, r, code);
      undefined = effect(m).apply(undefined);
      masks[i + 1] = new DiffCase.Masks();
      masks[i + 1].flags = undefined;
    }
    starts[n] = code.size();
    // Far targets are the instruction after the transfer: now that every address is known, fill them in.
    byte[] bytes = code.toByteArray();
    for (int i = 0; i < n; i++) {
      int op = forms[i].opcode;
      if (op == 0x9A || op == 0xEA) {
        int at = starts[i + 1] - 6;
        if (bytes[at + 4] == DiffLayout.USER32_CS && bytes[at + 5] == 0) {
          MachineState.putLe(bytes, at, 4, DiffLayout.CODE_VA + starts[i + 1]);
        }
      }
    }
    k.code = bytes;
    k.starts = starts;
    k.forms = new String[n];
    k.cr2Slack = new int[n];
    for (int i = 0; i < n; i++) {
      k.forms[i] = forms[i].key;
    }
    k.family = Families.of(first);
    System.arraycopy(g.init, 0, k.gpr, 0, 16);
    k.rflags = rflags;
    k.patches.addAll(g.patches);
    k.buildInitialData();
    k.masks = masks;
    return k;
  }

  /** The flags effect of a compatibility-only form (SDM "Flags Affected"). */
  static FlagRules.Effect effect(String m) {
    long a = FlagRules.ARITH;
    switch (m) {
      case "DAA": case "DAS":
        return new FlagRules.Effect(a & ~FlagRules.OF, FlagRules.OF);
      case "AAA": case "AAS":
        return new FlagRules.Effect(FlagRules.AF | FlagRules.CF, FlagRules.OF | FlagRules.SF | FlagRules.ZF
            | FlagRules.PF);
      case "AAM": case "AAD":
        return new FlagRules.Effect(FlagRules.SF | FlagRules.ZF | FlagRules.PF, FlagRules.OF | FlagRules.AF
            | FlagRules.CF);
      case "POPA":
        return FlagRules.NONE;
      default:
        return FlagRules.effect(m);
    }
  }

  private static void imm(ByteArrayOutputStream out, long v, int bytes) {
    for (int i = 0; i < bytes; i++) {
      out.write((int) (v >>> (8 * i)));
    }
  }

  /**
   * A memory operand of {@code size} bytes at a random place in the data buffer: [base + disp32] with the
   * base register set up if it still can be, else an absolute disp32. Returns the data offset.
   */
  private static int memory(GenContext g, SplittableRandom r, ByteArrayOutputStream out, int reg, int size) {
    int off = r.nextInt(0x100, DiffLayout.DATA_SIZE - 0x100 - size);
    int base = BASES[r.nextInt(BASES.length)];
    if (g.settable(base) && r.nextInt(4) != 0) {
      int disp = r.nextInt(-0x80, 0x80);
      g.set(base, (g.r.nextLong() & 0xFFFF_FFFF_0000_0000L) | ((DiffLayout.DATA_VA + off - disp) & 0xFFFF_FFFFL));
      out.write(0x80 | (reg & 7) << 3 | base);
      imm(out, disp, 4);
    } else {
      out.write((reg & 7) << 3 | 5); // mod 00, rm 101: disp32
      imm(out, DiffLayout.DATA_VA + off, 4);
    }
    return off;
  }

  private static int selector(SplittableRandom r) {
    return r.nextInt(4) == 0 ? Values.selector(r) : DiffLayout.USER_DS;
  }

  /**
   * A BMI1 form (VEX.LZ.0F38, VEX.pp = 00): C4 with ~R = ~X = 1 (the detection rule), ~B, W and
   * vvvv[3] random, which 32-bit code ignores; register operands EAX-EDI, or a memory operand.
   */
  private static void vex(Form f, GenContext g, SplittableRandom r, ByteArrayOutputStream out) {
    int vvvv = r.nextInt(16);
    out.write(0xC4);
    out.write(0xC0 | (r.nextBoolean() ? 0x20 : 0) | 2);
    out.write((r.nextBoolean() ? 0x80 : 0) | (~vvvv & 15) << 3);
    out.write(f.opcode);
    int reg = f.reg >= 0 ? f.reg : r.nextInt(8);
    if (f.modrm == org.jkvm.translator.isa.FormCatalog.MODRM_REG) {
      out.write(0xC0 | reg << 3 | r.nextInt(8));
    } else {
      memory(g, r, out, reg, 4);
    }
    int v = vvvv & 7;
    if (f.mnemonic().equals("BEXTR") && g.settable(v) && r.nextInt(4) != 0) {
      g.set(v, r.nextLong() & ~0xFFFFL | r.nextInt(40) << 8 | r.nextInt(40)); // start and length mostly inside
    }
    // ANDN and BEXTR write ModRM.reg, BLSR/BLSMSK/BLSI the VEX.vvvv register.
    g.write(1 << (f.mnemonic().startsWith("BLS") ? v : reg));
  }

  private static void encode(Form f, GenContext g, SplittableRandom r, ByteArrayOutputStream out) {
    int op = f.opcode;
    String m = f.mnemonic();
    boolean o16 = r.nextInt(f.vex() ? 16 : 4) == 0 && op != 0x9A && op != 0xEA; // 66 before VEX: #UD
    if (o16) {
      out.write(0x66);
    }
    int w = o16 ? 2 : 4;
    long esp = g.known(InsnBuilder.RSP) == null ? -1 : g.init[InsnBuilder.RSP];
    if (f.vex()) {
      vex(f, g, r, out);
      return;
    }
    switch (m) {
      case "POP": // 07, 17, 1F: a selector on the stack
        if (esp >= 0 && g.rspKnown) {
          g.patchLe((int) (esp - DiffLayout.DATA_VA), w, selector(r));
        }
        out.write(op);
        g.rspKnown = false;
        break;
      case "PUSH": case "PUSHA": case "POPA": case "DAA": case "DAS": case "AAA": case "AAS": case "INC":
      case "DEC": case "INTO":
        out.write(op);
        if (op >= 0x40 && op <= 0x4F) {
          g.write(1 << (op & 7));
        } else if (m.equals("POPA") || m.equals("DAA") || m.equals("DAS") || m.equals("AAA")
            || m.equals("AAS")) {
          g.write(m.equals("POPA") ? 0xFF : 1);
        }
        g.rspKnown &= !m.startsWith("P");
        break;
      case "AAM": case "AAD":
        out.write(op);
        out.write(r.nextInt(4) == 0 ? r.nextInt(256) : 10);
        g.write(1);
        break;
      case "BOUND": {
        out.write(op);
        int reg = r.nextInt(8);
        int off = memory(g, r, out, reg, 2 * w);
        Long idx = g.clean(reg) ? g.known(reg) : null;
        long v = idx == null ? r.nextInt(-100, 100) : idx;
        long lo = v - r.nextInt(-2, 50);
        long hi = v + r.nextInt(-2, 50);
        g.patchLe(off, w, lo);
        g.patchLe(off + w, w, hi);
        break;
      }
      case "LES": case "LDS": {
        out.write(op);
        int reg = r.nextInt(8);
        int off = memory(g, r, out, reg, w + 2);
        g.patchLe(off + w, 2, selector(r));
        g.write(1 << reg);
        break;
      }
      case "CALLF": case "JMPF": // ptr16:32; the offset is filled in once the next instruction's address is known
        out.write(op);
        imm(out, r.nextLong(), 4);
        imm(out, r.nextInt(8) == 0 ? Values.selector(r) : DiffLayout.USER32_CS, 2);
        g.rspKnown &= m.equals("JMPF");
        break;
      default: { // 82 /n: ADD ... CMP r/m8, imm8
        out.write(op);
        if (f.modrm == org.jkvm.translator.isa.FormCatalog.MODRM_REG) {
          int rm = r.nextInt(8);
          out.write(0xC0 | f.reg << 3 | rm);
          if (!m.equals("CMP")) {
            g.write(1 << (rm & 3));
          }
        } else {
          memory(g, r, out, f.reg, 1);
        }
        out.write(r.nextInt(256));
        break;
      }
    }
  }
}
