package org.jkvm.translator.difftest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.jkvm.translator.isa.FormCatalog;
import org.jkvm.translator.isa.FormCatalog.Form;

/**
 * Seeded random cases: 1-4 instructions led by each selected form in turn (so every form leads the same
 * number of cases), followed by forms of the same family or, a quarter of the time, any family; a random
 * initial state; then the masks of undefined results at every point the case can stop, from a data-flow
 * pass over the case's control flow. A case in which an instruction could read a flag another left
 * undefined is drawn again.
 */
final class CaseGenerator {
  private final long runSeed;
  private final List<Form> all = new ArrayList<>();
  private final List<Form> selected = new ArrayList<>();
  private final Map<String, List<Form>> byFamily = new LinkedHashMap<>();
  /** Forms invalid in 64-bit mode: they lead compatibility-mode cases ({@link CompatCases}) and follow nothing else. */
  private final List<Form> compat = new ArrayList<>();
  /** Skipped forms and why. */
  final Map<String, List<String>> skipped = new LinkedHashMap<>();

  CaseGenerator(long runSeed, String family) {
    this.runSeed = runSeed;
    List<String> wanted = family == null ? null
        : List.of(family.toLowerCase(Locale.ROOT).split(","));
    for (Form f : FormCatalog.all()) {
      String why = Skips.reason(f);
      if (why != null) {
        skipped.computeIfAbsent(why, k -> new ArrayList<>()).add(f.key);
        continue;
      }
      String fam = Families.of(f);
      if (CompatCases.handles(f)) {
        compat.add(f);
      } else {
        all.add(f);
        byFamily.computeIfAbsent(fam, k -> new ArrayList<>()).add(f);
      }
      if (wanted == null || wanted.contains(fam.toLowerCase(Locale.ROOT))) {
        selected.add(f);
      }
    }
    if (selected.isEmpty()) {
      throw new IllegalArgumentException("no family named " + family + "; families: " + byFamily.keySet());
    }
  }

  List<Form> selectedForms() {
    return selected;
  }

  int skippedCount() {
    int n = 0;
    for (List<String> l : skipped.values()) {
      n += l.size();
    }
    return n;
  }

  DiffCase generate(long index) {
    long s = runSeed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L;
    for (int attempt = 0; ; attempt++) {
      SplittableRandom r = new SplittableRandom(s + attempt * 0x94D049BB133111EBL);
      DiffCase k = attempt(r, index, attempt);
      if (k != null) {
        return k;
      }
    }
  }

  private Form next(SplittableRandom r, Form first, int k, int n) {
    for (;;) {
      List<Form> pool = r.nextInt(4) == 0 ? all : byFamily.get(Families.of(first));
      Form f = pool.get(r.nextInt(pool.size()));
      if (onlyLast(f) && k != n - 1) {
        continue; // approximations and machine values only last: a later instruction would spread them
      }
      return f;
    }
  }

  /** Forms whose results no later instruction may read: see {@link #approximate} and {@link #machineSpecific}. */
  static boolean onlyLast(Form f) {
    return approximate(f) || machineSpecific(f);
  }

  /**
   * Forms whose results describe the machine, not the instruction: CPUID (jkvm's CPU model, not the
   * host's), the time stamp counter and TSC_AUX, and the descriptor-table and CR0 reads, for which the host
   * kernel's UMIP emulation stores dummy values (arch/x86/kernel/umip.c). Their destinations are masked
   * ({@link Effects}); whether they fault, where they store and what else they leave alone is compared.
   */
  static boolean machineSpecific(Form f) {
    switch (f.mnemonic()) {
      case "CPUID": case "RDTSC": case "RDTSCP": case "SLDT": case "STR": case "SGDT": case "SIDT": case "SMSW":
        return true;
      default:
        return false;
    }
  }

  /**
   * Forms whose results are within an error bound of the host's rather than equal: RCP/RSQRT (the SDM
   * bounds their error) and the x87 transcendentals (one ulp).
   */
  static boolean approximate(Form f) {
    switch (f.mnemonic()) {
      case "RCPPS": case "RCPSS": case "RSQRTPS": case "RSQRTSS":
      case "F2XM1": case "FYL2X": case "FYL2XP1": case "FPATAN": case "FSIN": case "FCOS": case "FSINCOS":
      case "FPTAN":
        return true;
      default:
        return false;
    }
  }

  /**
   * Whether a case may run with EFLAGS.AC set. Not with the stores the host kernel emulates under UMIP
   * (its emulator checks no alignment), nor with ENTER, whose alignment checks are the CPU's own: this AMD
   * host raises #AC for an ENTER whose pushes are aligned but whose new stack top is not, which the SDM
   * and the APM do not describe.
   */
  private static boolean alignmentCheckComparable(List<GenInsn> insns) {
    for (GenInsn gi : insns) {
      String m = gi.form.mnemonic();
      if (Setups.umipEmulated(m) || m.equals("ENTER")) {
        return false;
      }
    }
    return true;
  }

  /**
   * POPF and IRET must pop the RFLAGS image the generator wrote (no TF, no AC): nothing before them may
   * have written memory, and no return may bring control back to them with another stack.
   */
  private static boolean flagsPopsAreSafe(List<GenInsn> insns, GenContext g) {
    boolean written = false;
    int pushSize = 0;
    for (int i = 0; i < insns.size(); i++) {
      GenInsn gi = insns.get(i);
      if (gi.form.mnemonic().equals("PUSHF")) {
        pushSize = gi.opSize;
      }
      if (gi.popsFlags && pushSize != 0 && (pushSize != gi.opSize || !gi.form.mnemonic().equals("POPF"))) {
        return false; // a POPF of another size than the PUSHF before it pops a mix of images (AC from PF)
      }
      if (gi.popsFlags) {
        if (!gi.flagsPatched || written || g.dataLe(gi.flagsAt, gi.flagsSize) != gi.flagsValue) {
          return false; // a later instruction's setup may have patched over the image
        }
        for (GenInsn other : insns) {
          if (other != gi && other.flow == GenInsn.FLOW_ANY) {
            return false;
          }
        }
      }
      written |= gi.writesMemory && !gi.form.mnemonic().equals("PUSHF");
    }
    return true;
  }

  /**
   * An indirect JMP whose target the generator did not set up goes wherever its operand points. If
   * another instruction put a code address in a register or in memory (a branch target set up for it, a
   * return address pushed by a call), that can be the JMP itself or an instruction before it, and the case
   * loops for ever (JMP r9 twice, the first one's target being the second). Unlike a call or a return,
   * such a JMP consumes no stack, so nothing ends the loop: the case is drawn again.
   */
  static boolean mayLoop(List<GenInsn> insns, GenContext g) {
    boolean codeAddresses = false;
    for (GenContext.Fixup fx : g.fixups) {
      codeAddresses |= fx.kind != GenContext.Fixup.REL;
    }
    for (GenInsn gi : insns) {
      String m = gi.form.mnemonic();
      codeAddresses |= m.equals("CALL") || m.equals("CALLF");
    }
    if (!codeAddresses) {
      return false;
    }
    for (GenInsn gi : insns) {
      String m = gi.form.mnemonic();
      if ((m.equals("JMP") || m.equals("JMPF")) && gi.flow == GenInsn.FLOW_ANY && gi.target < 0) {
        return true;
      }
    }
    return false;
  }

  private DiffCase attempt(SplittableRandom r, long index, int attempt) {
    Form first = selected.get((int) (index % selected.size()));
    if (CompatCases.handles(first) || first.vex() && r.nextInt(4) == 0) {
      return CompatCases.build(first, compat, r, runSeed, index); // VEX forms: a quarter in 32-bit code
    }
    int n = attempt >= 6 ? 1 : 1 + r.nextInt(4);
    if (onlyLast(first)) {
      n = 1;
    }
    DiffCase k = new DiffCase();
    k.runSeed = runSeed;
    k.index = index;
    k.dataSeed = r.nextLong();
    k.buildInitialData();
    GenContext g = new GenContext(r, k.dataSeed, k.initialData.clone());
    for (int i = 0; i < 16; i++) {
      g.init[i] = Values.gpr(r);
    }
    g.set(InsnBuilder.RSP, DiffLayout.DATA_VA + Setups.stackOffset(r));
    long rflags = 0x202 | (r.nextLong() & FlagRules.ARITH);
    if (r.nextInt(4) == 0) {
      rflags |= FlagRules.DF;
    }
    if (r.nextBoolean()) {
      rflags |= 1L << 21; // ID
    }
    if (r.nextInt(8) == 0) {
      rflags |= 1L << 18; // AC: with CR0.AM (set on both sides) every user data access is alignment checked
    }
    g.df = (rflags & FlagRules.DF) != 0 ? 1 : 0;
    X87State.random(r, k.fx);
    g.fx = k.fx;

    List<GenInsn> insns = new ArrayList<>();
    int pos = 0;
    for (int i = 0; i < n; i++) {
      Form f = i == 0 ? first : next(r, first, i, n);
      GenInsn gi = new InsnBuilder(g, f, i, n, pos).build();
      insns.add(gi);
      pos += gi.bytes.length;
      String fam = Families.of(f);
      g.x87Touched |= fam.startsWith("X87") || Families.isSse(f) || f.mnemonic().equals("XRSTOR");
    }
    if (g.reject) {
      return null;
    }
    byte[] code = new byte[pos];
    int[] starts = new int[n + 1];
    for (int i = 0; i < n; i++) {
      GenInsn gi = insns.get(i);
      System.arraycopy(gi.bytes, 0, code, gi.start, gi.bytes.length);
      starts[i] = gi.start;
    }
    starts[n] = pos;
    for (GenContext.Fixup fx : g.fixups) {
      long target = DiffLayout.CODE_VA + starts[fx.target];
      switch (fx.kind) {
        case GenContext.Fixup.REL:
          MachineState.putLe(code, fx.where, fx.size, starts[fx.target] - fx.from);
          break;
        case GenContext.Fixup.REG:
          g.init[fx.where] = target;
          break;
        default:
          g.patchLe(fx.where, fx.size, target);
          break;
      }
    }
    if (!flagsPopsAreSafe(insns, g) || mayLoop(insns, g)) {
      return null;
    }
    DiffCase.Masks[] masks = MaskFlow.compute(insns, n);
    if (masks == null) {
      return null; // an instruction could read a flag or status bit left undefined: draw again
    }
    k.code = code;
    k.starts = starts;
    k.forms = new String[n];
    k.cr2Slack = new int[n];
    for (int i = 0; i < n; i++) {
      k.forms[i] = insns.get(i).form.key;
      k.cr2Slack[i] = insns.get(i).cr2Slack;
    }
    k.family = Families.of(first);
    System.arraycopy(g.init, 0, k.gpr, 0, 16);
    k.rflags = alignmentCheckComparable(insns) ? rflags : rflags & ~(1L << 18);
    k.patches.addAll(g.patches);
    k.buildInitialData();
    k.masks = masks;
    return k;
  }
}
