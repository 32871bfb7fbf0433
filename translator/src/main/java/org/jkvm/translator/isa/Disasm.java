package org.jkvm.translator.isa;

/** A compact Intel-syntax rendering of a decoded instruction, driven by the same rows as the decoder. */
public final class Disasm {
  private Disasm() {}

  private static final String[][] GPR = {
      {"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b"},
      {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di", "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w"},
      {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"},
      {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"}};
  private static final String[] HIGH = {"ah", "ch", "dh", "bh"};
  private static final String[] SEG = {"es", "cs", "ss", "ds", "fs", "gs"};

  public static String format(Insn i) {
    StringBuilder sb = new StringBuilder();
    if (i.has(Insn.PFX_LOCK)) {
      sb.append("lock ");
    }
    if ((i.entry.flags & OpEntry.STRING) != 0 && i.has(Insn.PFX_REP)) {
      sb.append("rep ");
    } else if ((i.entry.flags & OpEntry.STRING) != 0 && i.has(Insn.PFX_REPNE)) {
      sb.append("repne ");
    }
    sb.append(i.entry.mnemonic.toLowerCase());
    int[] k = {i.k0, i.k1, i.k2};
    int[] r = {i.r0, i.r1, i.r2};
    int[] s = {i.s0, i.s1, i.s2};
    boolean first = true;
    for (int n = 0; n < 3; n++) {
      if (k[n] == Insn.K_NONE) {
        continue;
      }
      sb.append(first ? " " : ", ");
      first = false;
      switch (k[n]) {
        case Insn.K_REG: sb.append(s[n] >= 1 && s[n] <= 8 ? GPR[Integer.numberOfTrailingZeros(s[n])][r[n]] : "r" + r[n]); break;
        case Insn.K_REGH: sb.append(HIGH[r[n]]); break;
        case Insn.K_SEG: sb.append(SEG[r[n] % 6]); break;
        case Insn.K_CR: sb.append("cr").append(r[n]); break;
        case Insn.K_DR: sb.append("dr").append(r[n]); break;
        case Insn.K_XMM: sb.append("xmm").append(r[n]); break;
        case Insn.K_MMX: sb.append("mm").append(r[n]); break;
        case Insn.K_ST: sb.append("st(").append(r[n]).append(')'); break;
        case Insn.K_IMM: sb.append("0x").append(Long.toHexString(n == 0 || k[0] != Insn.K_IMM ? i.imm : i.imm2)); break;
        case Insn.K_MEM: memory(sb, i); break;
        default: sb.append('?'); break;
      }
    }
    return sb.toString();
  }

  private static void memory(StringBuilder sb, Insn i) {
    if (i.has(Insn.PFX_SEG)) {
      sb.append(SEG[i.seg]).append(':');
    }
    sb.append('[');
    int regSize = i.addrSize == 8 ? 3 : i.addrSize == 4 ? 2 : 1;
    boolean any = false;
    if (i.base == Insn.BASE_RIP) {
      sb.append("rip");
      any = true;
    } else if (i.base >= 0) {
      sb.append(GPR[regSize][i.base]);
      any = true;
    }
    if (i.index >= 0) {
      sb.append(any ? "+" : "").append(GPR[regSize][i.index]);
      if (i.scale > 0) {
        sb.append('*').append(1 << i.scale);
      }
      any = true;
    }
    if (i.disp != 0 || !any) {
      if (any) {
        sb.append(i.disp < 0 ? "-" : "+").append("0x").append(Long.toHexString(Math.abs(i.disp)));
      } else {
        sb.append("0x").append(Long.toHexString(i.disp));
      }
    }
    sb.append(']');
  }
}
