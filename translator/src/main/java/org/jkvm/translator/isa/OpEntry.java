package org.jkvm.translator.isa;

import java.util.Arrays;

/**
 * One row of an opcode map (QEMU's X86OpEntry, Bochs's bx_define_opcode): mnemonic, operands, attribute
 * flags and the semantics handler. Non-leaf rows select a sub-row by ModRM.reg (groups), by mandatory
 * prefix (SSE), by ModRM.rm (register forms of 0F 01) or by ModRM.mod.
 */
public final class OpEntry {
  // Attribute flags.
  /** LOCK is allowed (with a memory destination). */
  public static final int LOCKABLE = 1;
  /** Invalid in 64-bit mode (#UD). */
  public static final int I64 = 1 << 1;
  /** Valid only in 64-bit mode. */
  public static final int O64 = 1 << 2;
  /** Default operand size 64 in 64-bit mode (66 selects 16). */
  public static final int D64 = 1 << 3;
  /** Operand size forced to 64 in 64-bit mode (Intel ignores 66 on near branches). */
  public static final int F64 = 1 << 4;
  /** Ends a basic block: control transfer, mode change, or an exit the hypervisor may need to see. */
  public static final int BLOCK_END = 1 << 5;
  /** Only with a register operand (ModRM.mod = 3), else #UD. */
  public static final int REG_ONLY = 1 << 6;
  /** Only with a memory operand (ModRM.mod != 3), else #UD. */
  public static final int MEM_ONLY = 1 << 7;
  /** Privileged: #GP(0) unless CPL 0 (checked by the handler; recorded for the tables and the JIT). */
  public static final int CPL0 = 1 << 8;
  /** MOV to/from CR/DR: ModRM.mod is ignored and the r/m operand is always a register. */
  public static final int MOD_IGNORED = 1 << 9;
  /** A string instruction: F3/F2 are REP/REPE/REPNE. */
  public static final int STRING = 1 << 10;
  /** Changes how following instructions decode or are checked (mode, CS, CR0 …): re-look-up after it. */
  public static final int MODE_CHANGE = 1 << 11;
  /** Uses the 66 prefix as a mandatory prefix that was consumed by selection (set on SSE sub-rows). */
  static final int PREFIX_66_CONSUMED = 1 << 12;
  /** ModRM byte follows the opcode (computed). */
  static final int HAS_MODRM = 1 << 13;
  /** An interrupt is not recognised after this instruction (STI, MOV SS, POP SS). */
  public static final int SHADOW = 1 << 14;
  /**
   * Encoded only with a VEX prefix, whose VEX.pp selects the row like a mandatory prefix; #UD without one,
   * and a VEX prefix reaching any other row is #UD (AVX is not advertised). VEX.L must be 0: these are the
   * SDM's "VEX.LZ" general-register instructions of BMI1; a VEX.256 row would need its own flag.
   */
  public static final int VEX = 1 << 15;

  static final int LEAF = 0;
  static final int GROUP = 1; // sub[reg]; subReg[reg] when mod = 3, if present
  static final int PREFIX = 2; // sub[0: none, 1: 66, 2: F3, 3: F2]
  static final int RM = 3; // sub[rm]
  static final int X87 = 4; // sub[reg] for memory forms, subReg[modrm & 0x3F] for register forms

  public final String mnemonic;
  public final Handler handler;
  final int[] operands;
  public final int flags;
  final int kind;
  final OpEntry[] sub;
  final OpEntry[] subReg;

  OpEntry(String mnemonic, Handler handler, int[] operands, int flags, int kind, OpEntry[] sub, OpEntry[] subReg) {
    this.mnemonic = mnemonic;
    this.handler = handler;
    this.operands = operands;
    int f = flags;
    if ((f & STRING) != 0) {
      f |= BLOCK_END; // a REP may stop part-way and restart itself, so nothing may follow it in a block
    }
    if (kind != LEAF) {
      f |= HAS_MODRM;
      if (kind == PREFIX) {
        boolean any = false;
        boolean all = true;
        for (OpEntry e : sub) {
          if (e != null) {
            boolean m = (e.flags & HAS_MODRM) != 0;
            any |= m;
            all &= m;
          }
        }
        if (!all) {
          f &= ~HAS_MODRM;
          if (any) {
            throw new IllegalStateException("prefix-selected rows disagree on ModRM: " + mnemonic);
          }
        }
      }
    } else {
      for (int o : operands) {
        if (Operand.usesModrm(o)) {
          f |= HAS_MODRM;
        }
      }
      if ((flags & (REG_ONLY | MEM_ONLY)) != 0) {
        f |= HAS_MODRM;
      }
    }
    this.flags = f;
    this.kind = kind;
    this.sub = sub;
    this.subReg = subReg;
  }

  /** A leaf row. */
  public static OpEntry op(String mnemonic, Handler handler, int flags, int... operands) {
    return new OpEntry(mnemonic, handler, operands, flags, LEAF, null, null);
  }

  /** A group selected by ModRM.reg. */
  static OpEntry group(String name, OpEntry... byReg) {
    return new OpEntry(name, null, new int[0], 0, GROUP, pad(byReg, 8), null);
  }

  /** A group with different rows for memory (mod != 3) and register (mod = 3) forms. */
  static OpEntry group(String name, OpEntry[] mem, OpEntry[] reg) {
    return new OpEntry(name, null, new int[0], 0, GROUP, pad(mem, 8), pad(reg, 8));
  }

  /** Rows selected by the mandatory prefix: none, 66, F3, F2. */
  static OpEntry prefixed(OpEntry none, OpEntry p66, OpEntry pF3, OpEntry pF2) {
    String n = none != null ? none.mnemonic : p66 != null ? p66.mnemonic : pF3 != null ? pF3.mnemonic
        : pF2 != null ? pF2.mnemonic : "?";
    return new OpEntry(n, null, new int[0], 0, PREFIX, new OpEntry[] {none, p66, pF3, pF2}, null);
  }

  /** Register forms selected by ModRM.rm (0F 01 /1 and friends). */
  static OpEntry byRm(String name, OpEntry... byRm) {
    return new OpEntry(name, null, new int[0], REG_ONLY, RM, pad(byRm, 8), null);
  }

  static OpEntry x87(String name, OpEntry[] mem, OpEntry[] reg) {
    return new OpEntry(name, null, new int[0], 0, X87, pad(mem, 8), pad(reg, 64));
  }

  private static OpEntry[] pad(OpEntry[] a, int n) {
    return a.length == n ? a : Arrays.copyOf(a, n);
  }

  public boolean isLeaf() {
    return kind == LEAF;
  }

  public int operandCount() {
    return operands.length;
  }

  public int operand(int n) {
    return operands[n];
  }

  /** Leaves reachable from this row, for table tests. */
  public void forEachLeaf(java.util.function.Consumer<OpEntry> f) {
    if (kind == LEAF) {
      f.accept(this);
      return;
    }
    for (OpEntry e : sub) {
      if (e != null) {
        e.forEachLeaf(f);
      }
    }
    if (subReg != null) {
      for (OpEntry e : subReg) {
        if (e != null) {
          e.forEachLeaf(f);
        }
      }
    }
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(mnemonic);
    for (int i = 0; i < operands.length; i++) {
      sb.append(i == 0 ? " " : ",").append(Operand.name(operands[i]));
    }
    return sb.toString();
  }
}
