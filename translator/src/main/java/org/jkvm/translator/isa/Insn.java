package org.jkvm.translator.isa;

/**
 * A decoded instruction (Bochs's bxInstruction_c): the table row, the resolved operands and everything the
 * semantics need, so that executing it again costs no decoding. Instances are built by {@link Decoder} and
 * never change afterwards; fields are public for the semantics and the translator.
 *
 * <p>Operands 0-2 follow the table row's order (destination first). For each: a kind (K_*), a register
 * number (for register kinds) and a size in bytes. At most one operand is in memory; its address is
 * {@code seg:[base + index << scale + disp]} truncated to {@link #addrSize} (base 16 means RIP-relative).
 */
public final class Insn {
  public static final int K_NONE = 0;
  public static final int K_REG = 1; // general register, r = 0..15 (8-bit: AL..R15B, or SPL.. with REX)
  public static final int K_REGH = 2; // AH, CH, DH, BH: r = 0..3
  public static final int K_MEM = 3;
  public static final int K_IMM = 4;
  public static final int K_SEG = 5;
  public static final int K_CR = 6;
  public static final int K_DR = 7;
  public static final int K_XMM = 8;
  public static final int K_MMX = 9;
  public static final int K_ST = 10; // x87 ST(r)

  public static final int BASE_RIP = 16;

  // Prefix bits.
  public static final int PFX_LOCK = 1;
  public static final int PFX_REP = 1 << 1; // F3
  public static final int PFX_REPNE = 1 << 2; // F2
  public static final int PFX_OPSIZE = 1 << 3; // 66
  public static final int PFX_ADDRSIZE = 1 << 4; // 67
  public static final int PFX_SEG = 1 << 5; // a segment override was given
  public static final int PFX_REX = 1 << 6;

  public final OpEntry entry;
  public final Handler handler;
  /** Length in bytes, 1-15. */
  public final int len;
  /** Opcode with its map: 0x00-0xFF, 0x0F00-0x0FFF, 0x0F3800-, 0x0F3A00-. */
  public final int opcode;
  public final int prefixes;
  public final int rex;
  /** Effective operand size for "v" operands: 2, 4 or 8. */
  public final int opSize;
  /** Address size: 2, 4 or 8. */
  public final int addrSize;
  /** Segment of the memory operand (default or override); DS for string sources. */
  public final int seg;
  /** The ModRM byte, or -1. */
  public final int modrm;

  public final int k0;
  public final int k1;
  public final int k2;
  public final int r0;
  public final int r1;
  public final int r2;
  public final int s0;
  public final int s1;
  public final int s2;

  public final int base;
  public final int index;
  public final int scale;
  public final long disp;
  /** First immediate, sign-extended to 64 bits (relative targets are displacements). */
  public final long imm;
  /** Second immediate (ENTER's nesting level, a far pointer's selector). */
  public final long imm2;
  /**
   * Locked: a LOCK prefix, or XCHG with a memory operand. On an SMP guest the engines run it through
   * {@code sem.Locked} so that its read-modify-write is atomic.
   */
  public final boolean atomic;
  /** Offset of the instruction from the start of its block, for precise RIP recovery. */
  public int offsetInBlock;
  /** The handler as the interpreter calls it, set when the instruction's block is built. */
  public Step step;

  Insn(Decoder.State d) {
    entry = d.entry;
    handler = d.entry.handler;
    len = d.pos;
    opcode = d.opcode;
    prefixes = d.prefixes;
    rex = d.rex;
    opSize = d.opSize;
    addrSize = d.addrSize;
    seg = d.seg;
    modrm = d.modrm;
    k0 = d.kind[0];
    k1 = d.kind[1];
    k2 = d.kind[2];
    r0 = d.reg[0];
    r1 = d.reg[1];
    r2 = d.reg[2];
    s0 = d.size[0];
    s1 = d.size[1];
    s2 = d.size[2];
    base = d.base;
    index = d.index;
    scale = d.scale;
    disp = d.disp;
    imm = d.imm;
    imm2 = d.imm2;
    atomic = (prefixes & PFX_LOCK) != 0 || ((opcode == 0x86 || opcode == 0x87) && hasMem());
  }

  public boolean has(int prefix) {
    return (prefixes & prefix) != 0;
  }

  /** ModRM.reg, without REX. */
  public int modrmReg() {
    return (modrm >>> 3) & 7;
  }

  public boolean endsBlock() {
    return (entry.flags & OpEntry.BLOCK_END) != 0;
  }

  /** Whether any operand is in memory. */
  public boolean hasMem() {
    return k0 == K_MEM || k1 == K_MEM || k2 == K_MEM;
  }

  @Override
  public String toString() {
    return Disasm.format(this);
  }
}
