package org.jkvm.translator.isa;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Every encodable form of the opcode maps, for the differential tester and the decoder fuzz: a walk of the
 * one-byte, 0F, 0F 38 and 0F 3A maps down to their leaves, remembering what selected each leaf (mandatory
 * prefix, ModRM.reg, ModRM.rm, register or memory form, the x87 register-form ModRM byte). A leaf whose
 * r/m operand may be a register or memory gives two forms. VEX rows ({@link OpEntry#VEX}) are forms of
 * their map like the others; their mandatory prefix is VEX.pp, and their keys start with "VEX.".
 */
public final class FormCatalog {
  private FormCatalog() {}

  /** Which map an opcode byte is in. */
  public static final int MAP_ONE = 0;
  public static final int MAP_0F = 1;
  public static final int MAP_0F38 = 2;
  public static final int MAP_0F3A = 3;

  /** ModRM requirement of a form. */
  public static final int MODRM_NONE = 0;
  public static final int MODRM_REG = 1; // mod = 3
  public static final int MODRM_MEM = 2; // mod != 3

  /** One form: a leaf row plus the encoding choices that reach it. */
  public static final class Form {
    public final String key;
    public final int map;
    public final int opcode;
    /** The mandatory prefix that selected the row (0 none, 1 66, 2 F3, 3 F2), or -1 if none selected it. */
    public final int mandatory;
    /** ModRM.reg fixed by a group, or -1. */
    public final int reg;
    /** ModRM.rm fixed by a register-form group, or -1. */
    public final int rm;
    /** The whole ModRM byte fixed by an x87 register form, or -1. */
    public final int modrmByte;
    public final int modrm;
    public final OpEntry entry;

    Form(int map, int opcode, int mandatory, int reg, int rm, int modrmByte, int modrm, OpEntry entry) {
      this.map = map;
      this.opcode = opcode;
      this.mandatory = mandatory;
      this.reg = reg;
      this.rm = rm;
      this.modrmByte = modrmByte;
      this.modrm = modrm;
      this.entry = entry;
      StringBuilder k = new StringBuilder((entry.flags & OpEntry.VEX) != 0 ? "VEX." : "");
      k.append(new String[] {"", "0F ", "0F38 ", "0F3A "}[map]).append(String.format("%02X", opcode));
      if (mandatory >= 0) {
        k.append(new String[] {" np", " 66", " F3", " F2"}[mandatory]);
      }
      if (modrmByte >= 0) {
        k.append(String.format(" %02X", modrmByte));
      } else {
        if (reg >= 0) {
          k.append(" /").append(reg);
        }
        if (rm >= 0) {
          k.append(" rm").append(rm);
        }
        if (modrm == MODRM_REG) {
          k.append(" reg");
        } else if (modrm == MODRM_MEM) {
          k.append(" mem");
        }
      }
      this.key = k.append(' ').append(entry.mnemonic).toString();
    }

    /** The row's attribute flags (OpEntry.LOCKABLE, I64 …). */
    public int flags() {
      return entry.flags;
    }

    /** Encoded with a VEX prefix, which carries the map and the mandatory prefix (VEX.mmmmm, VEX.pp). */
    public boolean vex() {
      return (entry.flags & OpEntry.VEX) != 0;
    }

    public boolean hasModrm() {
      return (entry.flags & OpEntry.HAS_MODRM) != 0 || modrm != MODRM_NONE;
    }

    public int operandCount() {
      return entry.operandCount();
    }

    public int operand(int n) {
      return entry.operand(n);
    }

    public String mnemonic() {
      return entry.mnemonic;
    }

    public Handler handler() {
      return entry.handler;
    }

    @Override
    public String toString() {
      return key;
    }
  }

  private static final List<Form> ALL = build();

  /** All forms, in map order. */
  public static List<Form> all() {
    return ALL;
  }

  private static List<Form> build() {
    List<Form> out = new ArrayList<>();
    OpEntry[][] maps = {Decoder.oneByteMap(), Decoder.twoByteMap(), Decoder.map38(), Decoder.map3A()};
    for (int m = 0; m < maps.length; m++) {
      for (int op = 0; op < 256; op++) {
        OpEntry e = maps[m][op];
        if (e != null) {
          walk(out, m, op, e, new int[] {-1, -1, -1, -1, MODRM_NONE});
        }
      }
    }
    return Collections.unmodifiableList(out);
  }

  /** sel: mandatory, reg, rm, modrm byte, modrm class. */
  private static void walk(List<Form> out, int map, int op, OpEntry e, int[] sel) {
    switch (e.kind) {
      case OpEntry.LEAF:
        leaf(out, map, op, e, sel);
        return;
      case OpEntry.GROUP:
        for (int r = 0; r < 8; r++) {
          if (e.subReg == null) {
            if (e.sub[r] != null) {
              walk(out, map, op, e.sub[r], with(sel, 1, r));
            }
          } else {
            if (e.sub[r] != null) {
              walk(out, map, op, e.sub[r], with(with(sel, 1, r), 4, MODRM_MEM));
            }
            if (e.subReg[r] != null) {
              walk(out, map, op, e.subReg[r], with(with(sel, 1, r), 4, MODRM_REG));
            }
          }
        }
        return;
      case OpEntry.PREFIX:
        for (int p = 0; p < 4; p++) {
          if (e.sub[p] != null) {
            walk(out, map, op, e.sub[p], with(sel, 0, p));
          }
        }
        return;
      case OpEntry.RM:
        for (int r = 0; r < 8; r++) {
          if (e.sub[r] != null) {
            walk(out, map, op, e.sub[r], with(with(sel, 2, r), 4, MODRM_REG));
          }
        }
        return;
      case OpEntry.X87:
        for (int r = 0; r < 8; r++) {
          if (e.sub[r] != null) {
            walk(out, map, op, e.sub[r], with(with(sel, 1, r), 4, MODRM_MEM));
          }
        }
        for (int b = 0; b < 64; b++) {
          if (e.subReg[b] != null) {
            walk(out, map, op, e.subReg[b], with(with(sel, 3, 0xC0 | b), 4, MODRM_REG));
          }
        }
        return;
      default:
        throw new IllegalStateException("entry kind " + e.kind);
    }
  }

  private static int[] with(int[] sel, int i, int v) {
    int[] s = sel.clone();
    s[i] = v;
    return s;
  }

  private static void leaf(List<Form> out, int map, int op, OpEntry e, int[] sel) {
    int modrm = sel[4];
    boolean hasModrm = (e.flags & OpEntry.HAS_MODRM) != 0 || modrm != MODRM_NONE;
    if (!hasModrm) {
      out.add(new Form(map, op, sel[0], -1, -1, -1, MODRM_NONE, e));
      return;
    }
    if (modrm == MODRM_NONE) {
      boolean memOk = (e.flags & OpEntry.REG_ONLY) == 0;
      boolean regOk = (e.flags & OpEntry.MEM_ONLY) == 0;
      for (int n = 0; n < e.operandCount(); n++) {
        int t = Operand.type(e.operand(n));
        if (t == Operand.T_M) {
          regOk = false;
        } else if (t == Operand.T_R || t == Operand.T_U || t == Operand.T_N) {
          memOk = (e.flags & OpEntry.MOD_IGNORED) != 0 && memOk;
        }
      }
      if ((e.flags & OpEntry.MOD_IGNORED) != 0) {
        memOk = false; // MOV CR/DR: every mod encodes the register form
      }
      if (regOk) {
        out.add(new Form(map, op, sel[0], sel[1], sel[2], sel[3], MODRM_REG, e));
      }
      if (memOk) {
        out.add(new Form(map, op, sel[0], sel[1], sel[2], sel[3], MODRM_MEM, e));
      }
      return;
    }
    out.add(new Form(map, op, sel[0], sel[1], sel[2], sel[3], modrm, e));
  }
}
