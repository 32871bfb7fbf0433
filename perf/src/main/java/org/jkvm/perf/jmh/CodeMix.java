package org.jkvm.perf.jmh;

import java.io.ByteArrayOutputStream;
import java.util.SplittableRandom;

/**
 * A fixed, realistic stream of 64-bit instructions for decoder benchmarks: the encodings a compiler emits
 * for ordinary code, weighted roughly as they occur in compiled x86-64 programs (moves first, then
 * branches, ALU operations with registers, immediates and memory operands, stack operations, LEA,
 * extensions, scalar and packed SSE moves and arithmetic), with REX prefixes, SIB bytes, 8- and 32-bit
 * displacements and RIP-relative operands in their usual proportions. The same seed gives the same bytes
 * on every JDK, so results compare across JVMs.
 */
final class CodeMix {
  private CodeMix() {}

  /** One template: its weight and how it is encoded. */
  private interface Template {
    void emit(SplittableRandom r, ByteArrayOutputStream out);
  }

  private static final int[] WEIGHTS;
  private static final Template[] TEMPLATES;

  static {
    Object[][] t = {
        {18, (Template) (r, o) -> rm(r, o, true, 0x8B)}, // mov r64, r/m64
        {10, (Template) (r, o) -> rm(r, o, true, 0x89)}, // mov r/m64, r64
        {5, (Template) (r, o) -> rm(r, o, false, 0x8B)}, // mov r32, r/m32
        {4, (Template) (r, o) -> { // mov r32, imm32
          rex(r, o, false, 0, 0, r.nextInt(16));
          o.write(0xB8 + r.nextInt(8));
          imm(r, o, 4);
        }},
        {9, (Template) (r, o) -> { // jcc rel8 / rel32
          if (r.nextInt(3) == 0) {
            o.write(0x0F);
            o.write(0x80 + r.nextInt(16));
            imm(r, o, 4);
          } else {
            o.write(0x70 + r.nextInt(16));
            o.write(r.nextInt(256));
          }
        }},
        {4, (Template) (r, o) -> { // call rel32
          o.write(0xE8);
          imm(r, o, 4);
        }},
        {3, (Template) (r, o) -> { // jmp rel8 / rel32
          if (r.nextBoolean()) {
            o.write(0xEB);
            o.write(r.nextInt(256));
          } else {
            o.write(0xE9);
            imm(r, o, 4);
          }
        }},
        {2, (Template) (r, o) -> o.write(0xC3)}, // ret
        {8, (Template) (r, o) -> { // add/or/and/sub/xor/cmp r/m, r (64 and 32 bit)
          int[] ops = {0x01, 0x09, 0x21, 0x29, 0x31, 0x39, 0x03, 0x2B, 0x3B};
          rm(r, o, r.nextBoolean(), ops[r.nextInt(ops.length)]);
        }},
        {6, (Template) (r, o) -> { // group 1 r/m, imm8 / imm32
          boolean imm8 = r.nextInt(4) != 0;
          int reg = r.nextInt(8);
          modrm(r, o, r.nextBoolean(), imm8 ? 0x83 : 0x81, reg, r.nextInt(3) == 0);
          imm(r, o, imm8 ? 1 : 4);
        }},
        {4, (Template) (r, o) -> rm(r, o, r.nextBoolean(), 0x85)}, // test r/m, r
        {5, (Template) (r, o) -> { // push / pop r64
          int reg = r.nextInt(16);
          if (reg >= 8) {
            o.write(0x41);
          }
          o.write((r.nextBoolean() ? 0x50 : 0x58) + (reg & 7));
        }},
        {5, (Template) (r, o) -> modrm(r, o, true, 0x8D, r.nextInt(8), true)}, // lea r64, m
        {3, (Template) (r, o) -> { // movzx / movsx r32, r/m8 or r/m16
          int[] ops = {0xB6, 0xB7, 0xBE, 0xBF};
          modrm2(r, o, r.nextInt(4) == 0, 0x0F, ops[r.nextInt(ops.length)], r.nextInt(8), r.nextBoolean());
        }},
        {2, (Template) (r, o) -> rm(r, o, true, 0x63)}, // movsxd r64, r/m32
        {2, (Template) (r, o) -> { // shl/shr/sar r/m, imm8
          int[] regs = {4, 5, 7};
          modrm(r, o, r.nextBoolean(), 0xC1, regs[r.nextInt(3)], false);
          o.write(1 + r.nextInt(63));
        }},
        {2, (Template) (r, o) -> modrm2(r, o, r.nextBoolean(), 0x0F, 0xAF, r.nextInt(8), r.nextBoolean())}, // imul
        {2, (Template) (r, o) -> modrm2(r, o, r.nextBoolean(), 0x0F, 0x40 + r.nextInt(16), r.nextInt(8),
            r.nextInt(3) == 0)}, // cmovcc
        {1, (Template) (r, o) -> modrm2(r, o, false, 0x0F, 0x90 + r.nextInt(16), 0, false)}, // setcc
        {2, (Template) (r, o) -> { // multi-byte nop (alignment padding)
          o.write(0x0F);
          o.write(0x1F);
          o.write(0x44);
          o.write(0x00);
          o.write(0x00);
        }},
        {1, (Template) (r, o) -> modrm(r, o, true, 0xFF, r.nextBoolean() ? 2 : 4, true)}, // call/jmp [m]
        {3, (Template) (r, o) -> sse(r, o, 0xF2, r.nextBoolean() ? 0x10 : 0x11)}, // movsd
        {2, (Template) (r, o) -> sse(r, o, 0xF2, new int[] {0x58, 0x59, 0x5C, 0x5E}[r.nextInt(4)])}, // arith sd
        {2, (Template) (r, o) -> sse(r, o, 0x66, new int[] {0x6F, 0x7F, 0xEF, 0xD4, 0xFE}[r.nextInt(5)])}, // int
        {1, (Template) (r, o) -> sse(r, o, 0, new int[] {0x28, 0x29, 0x10, 0x11, 0x57}[r.nextInt(5)])}, // ps moves
        {1, (Template) (r, o) -> sse(r, o, 0xF3, 0x6F)}, // movdqu
    };
    WEIGHTS = new int[t.length];
    TEMPLATES = new Template[t.length];
    for (int i = 0; i < t.length; i++) {
      WEIGHTS[i] = (Integer) t[i][0];
      TEMPLATES[i] = (Template) t[i][1];
    }
  }

  /** {@code bytes} bytes (at least) of instructions from {@code seed}. */
  static byte[] generate(long seed, int bytes) {
    SplittableRandom r = new SplittableRandom(seed);
    int total = 0;
    for (int w : WEIGHTS) {
      total += w;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes + 16);
    while (out.size() < bytes) {
      int pick = r.nextInt(total);
      int i = 0;
      while (pick >= WEIGHTS[i]) {
        pick -= WEIGHTS[i++];
      }
      TEMPLATES[i].emit(r, out);
    }
    return out.toByteArray();
  }

  private static void imm(SplittableRandom r, ByteArrayOutputStream o, int n) {
    long v = r.nextInt(4) == 0 ? r.nextLong() : r.nextInt(-128, 4096);
    for (int k = 0; k < n; k++) {
      o.write((int) (v >>> (8 * k)));
    }
  }

  private static void rex(SplittableRandom r, ByteArrayOutputStream o, boolean w, int reg, int index, int base) {
    int rex = (w ? 8 : 0) | (reg >= 8 ? 4 : 0) | (index >= 8 ? 2 : 0) | (base >= 8 ? 1 : 0);
    if (rex != 0) {
      o.write(0x40 | rex);
    }
  }

  /** An r/m operand: a register a third of the time, else [base + disp8], [base + index*s + disp], [rip + disp32]. */
  private static void modrm(SplittableRandom r, ByteArrayOutputStream o, boolean w, int opcode, int reg,
      boolean memOnly) {
    modrmPrefixed(r, o, w, new int[] {opcode}, reg, memOnly);
  }

  private static void modrm2(SplittableRandom r, ByteArrayOutputStream o, boolean w, int op1, int op2, int reg,
      boolean memOnly) {
    modrmPrefixed(r, o, w, new int[] {op1, op2}, reg, memOnly);
  }

  private static void rm(SplittableRandom r, ByteArrayOutputStream o, boolean w, int opcode) {
    modrm(r, o, w, opcode, r.nextInt(16), false);
  }

  private static void modrmPrefixed(SplittableRandom r, ByteArrayOutputStream o, boolean w, int[] opcode, int reg,
      boolean memOnly) {
    int kind = memOnly ? 1 + r.nextInt(3) : r.nextInt(3) == 0 ? 0 : 1 + r.nextInt(3);
    int base = r.nextInt(16);
    int index = r.nextInt(16);
    if (kind == 2 && (index & 7) == 4) {
      index = 1; // no index
    }
    rex(r, o, w, reg, kind == 2 ? index : 0, kind == 3 ? 0 : base);
    for (int b : opcode) {
      o.write(b);
    }
    int g = (reg & 7) << 3;
    switch (kind) {
      case 0: // register
        o.write(0xC0 | g | (base & 7));
        break;
      case 1: { // [base + disp8]
        if ((base & 7) == 4) {
          o.write(0x44 | g);
          o.write(0x24);
        } else {
          o.write(0x40 | g | (base & 7));
        }
        o.write(r.nextInt(-64, 64) & 0xF8);
        break;
      }
      case 2: { // [base + index*scale + disp8/32]
        boolean d32 = r.nextInt(4) == 0;
        o.write((d32 ? 0x84 : 0x44) | g);
        o.write(r.nextInt(4) << 6 | (index & 7) << 3 | (base & 7));
        imm(r, o, d32 ? 4 : 1);
        break;
      }
      default: // [rip + disp32]
        o.write(0x05 | g);
        imm(r, o, 4);
        break;
    }
  }

  private static void sse(SplittableRandom r, ByteArrayOutputStream o, int mandatory, int opcode) {
    if (mandatory != 0) {
      o.write(mandatory);
    }
    modrm2(r, o, false, 0x0F, opcode, r.nextInt(16), false);
  }
}
