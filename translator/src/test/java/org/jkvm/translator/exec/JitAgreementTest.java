package org.jkvm.translator.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.util.Random;
import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Flags;
import org.jkvm.translator.TestMachine;
import org.jkvm.translator.TranslatorBackend;
import org.jkvm.translator.isa.Decoder;
import org.jkvm.translator.isa.Insn;
import org.junit.jupiter.api.Test;

/**
 * The translator against the interpreter: random loops of the instructions the translator inlines (register
 * MOV, LEA, ALU, INC/DEC, IMUL, Jcc after CMP/SUB/logic ops, in 8 to 64 bits) mixed with instructions that read
 * their flags through the semantics methods (ADC, SBB, SETcc, CMOVcc, PUSHF), run on both engines, which must
 * end in the same state: every register, RIP, the six arithmetic flags and the instruction count.
 */
class JitAgreementTest {
  static final long CODE = 0x10_0000;
  /** Registers the generator may write: not RSP (the stack), R14 (the data pointer), R15 (the loop counter). */
  static final int[] DST = {0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13};
  /** R14 points here: 256 bytes of data that memory forms read and write. */
  static final long DATA = 0x20_0000;

  @Test
  void randomLoops_endInTheSameStateOnEveryEngine() {
    Random rnd = new Random(20261123);
    for (int t = 0; t < 600; t++) {
      byte[] code = program(rnd);
      long[] regs = new long[16];
      for (int r = 0; r < 16; r++) {
        regs[r] = interesting(rnd);
      }
      regs[15] = 1 + rnd.nextInt(5);
      regs[14] = DATA;
      byte[] data = new byte[256];
      rnd.nextBytes(data);
      TestMachine[] ms = machines();
      for (TestMachine m : ms) {
        m.write(CODE, code);
        m.write(DATA, data);
        m.longMode(CODE, 0);
        long rsp = m.c.gpr[CpuState.RSP];
        System.arraycopy(regs, 0, m.c.gpr, 0, 16);
        m.c.gpr[CpuState.RSP] = rsp;
        m.runToHlt();
      }
      for (int e = 1; e < ms.length; e++) {
        assertSameEnd(ms, e, 16, DATA, "program " + t + " on " + WHAT[e] + ":\n" + listing(code, 8));
      }
    }
  }

  /** The interpreter; the translator translating every block before it runs; the translator with regions. */
  static TestMachine[] machines() {
    return new TestMachine[] {new TestMachine(TranslatorBackend.Engine.INTERP),
        TestMachine.translatingEverything(TranslatorBackend.Engine.JIT), new TestMachine(TranslatorBackend.Engine.JIT)};
  }

  static final String[] WHAT = {"interp", "jit (translated before running)", "jit (threshold 1, regions)"};

  /**
   * Machine {@code e} ended as the interpreter did: general registers 0 to {@code regs - 1}, RIP, RFLAGS (the
   * arithmetic flags through the lazy record), the instruction count and the 256 bytes at {@code data}.
   */
  static void assertSameEnd(TestMachine[] ms, int e, int regs, long data, String where) {
    CpuState a = ms[0].c;
    CpuState b = ms[e].c;
    for (int r = 0; r < regs; r++) {
      assertEquals(a.gpr[r], b.gpr[r], "register " + r + " of " + where);
    }
    assertEquals(a.rip, b.rip, "RIP of " + where);
    assertEquals(Flags.arith(a), Flags.arith(b), "flags of " + where);
    assertEquals(a.rflags & ~Flags.ARITH, b.rflags & ~Flags.ARITH, "RFLAGS of " + where);
    assertEquals(ms[0].vcpu.instructionsRetired(), ms[e].vcpu.instructionsRetired(), "count of " + where);
    for (long at = data; at < data + 256; at += 8) {
      assertEquals(ms[0].vm.memory().read(at, 8), ms[e].vm.memory().read(at, 8), "memory at " + at + " of " + where);
    }
  }

  /**
   * SSE loops: the forms the translator inlines (ADD/SUB/MUL/DIV SD, SS, PD; MOVSD/MOVSS loads, stores and
   * moves; MOVAPS/MOVUPS between registers) among others it calls (PS forms, aligned PD memory sources,
   * XORPS, SQRTSD), on special values (zeros, denormals, infinities, NaNs, values near the ends of the
   * range) in every rounding mode, with or without FTZ/DAZ and a PE flag already set, so that the fast path
   * and the exact path both run. Every XMM register, MXCSR, the data and the registers must agree.
   */
  @Test
  void randomSseLoops_endInTheSameStateOnEveryEngine() {
    Random rnd = new Random(20261124);
    for (int t = 0; t < 500; t++) {
      byte[] code = sseProgram(rnd);
      long[] xmm = new long[32];
      for (int x = 0; x < 32; x++) {
        xmm[x] = rnd.nextBoolean() ? fpDouble(rnd) : (fpSingle(rnd) & 0xFFFF_FFFFL) | (long) fpSingle(rnd) << 32;
      }
      byte[] data = new byte[256];
      for (int at = 0; at < 256; at += 8) {
        long v = rnd.nextBoolean() ? fpDouble(rnd) : (fpSingle(rnd) & 0xFFFF_FFFFL) | (long) fpSingle(rnd) << 32;
        for (int b = 0; b < 8; b++) {
          data[at + b] = (byte) (v >>> 8 * b);
        }
      }
      int mxcsr = 0x1F80 | rnd.nextInt(4) << 13 | (rnd.nextBoolean() ? 0x20 : 0) | (rnd.nextInt(4) == 0 ? 0x8000 : 0)
          | (rnd.nextInt(4) == 0 ? 0x40 : 0);
      TestMachine[] ms = machines();
      for (TestMachine m : ms) {
        m.write(CODE, code);
        m.write(DATA, data);
        m.longMode(CODE, 0);
        m.c.gpr[14] = DATA;
        m.c.gpr[15] = 1 + t % 4;
        System.arraycopy(xmm, 0, m.c.xmm, 0, 32);
        m.c.mxcsr = mxcsr;
        m.runToHlt();
      }
      for (int e = 1; e < ms.length; e++) {
        String where = "SSE program " + t + " on " + WHAT[e] + " (MXCSR " + Integer.toHexString(mxcsr) + "):\n"
            + listing(code, 8);
        for (int x = 0; x < 32; x++) {
          assertEquals(ms[0].c.xmm[x], ms[e].c.xmm[x], "XMM" + x / 2 + (x % 2 == 0 ? " low" : " high") + " of " + where);
        }
        assertEquals(ms[0].c.mxcsr, ms[e].c.mxcsr, "MXCSR of " + where);
        assertSameEnd(ms, e, 16, DATA, where);
      }
    }
  }

  static long fpDouble(Random rnd) {
    switch (rnd.nextInt(8)) {
      case 0: return rnd.nextBoolean() ? 0 : Long.MIN_VALUE;
      case 1: return rnd.nextLong() & 0x000F_FFFF_FFFF_FFFFL | (rnd.nextBoolean() ? Long.MIN_VALUE : 0); // denormal
      case 2: return 0x7FF0_0000_0000_0000L | (rnd.nextInt(3) == 0 ? rnd.nextLong() & 0x000F_FFFF_FFFF_FFFFL : 0)
          | (rnd.nextBoolean() ? Long.MIN_VALUE : 0); // infinity or NaN
      case 3: return Double.doubleToRawLongBits(rnd.nextBoolean() ? Double.MAX_VALUE : Double.MIN_NORMAL)
          - rnd.nextInt(3) | (rnd.nextBoolean() ? Long.MIN_VALUE : 0);
      case 4: return Double.doubleToRawLongBits(rnd.nextInt(7) - 3);
      default: return Double.doubleToRawLongBits((rnd.nextDouble() - 0.5) * Math.pow(2, rnd.nextInt(80) - 40));
    }
  }

  static int fpSingle(Random rnd) {
    switch (rnd.nextInt(8)) {
      case 0: return rnd.nextBoolean() ? 0 : Integer.MIN_VALUE;
      case 1: return rnd.nextInt() & 0x007F_FFFF | (rnd.nextBoolean() ? Integer.MIN_VALUE : 0);
      case 2: return 0x7F80_0000 | (rnd.nextInt(3) == 0 ? rnd.nextInt() & 0x007F_FFFF : 0)
          | (rnd.nextBoolean() ? Integer.MIN_VALUE : 0);
      case 3: return Float.floatToRawIntBits(rnd.nextBoolean() ? Float.MAX_VALUE : Float.MIN_NORMAL) - rnd.nextInt(3)
          | (rnd.nextBoolean() ? Integer.MIN_VALUE : 0);
      case 4: return Float.floatToRawIntBits(rnd.nextInt(7) - 3);
      default: return Float.floatToRawIntBits((float) ((rnd.nextDouble() - 0.5) * Math.pow(2, rnd.nextInt(40) - 20)));
    }
  }

  /** {@code L: body of SSE forms; sub r15, 1; jnz L; hlt}; R14 points at the data. */
  static byte[] sseProgram(Random rnd) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int n = 2 + rnd.nextInt(12);
    for (int k = 0; k < n; k++) {
      out.writeBytes(sseInsn(rnd));
    }
    return loopOnR15(out);
  }

  static byte[] sseInsn(Random rnd) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    int d = rnd.nextInt(16);
    int s = rnd.nextInt(16);
    int[] prefixes = {0xF2, 0xF3, 0x66, 0};
    int prefix;
    int op;
    boolean mem = rnd.nextInt(3) == 0;
    int disp;
    switch (rnd.nextInt(6)) {
      case 0: case 1: case 2: // ADD, MUL, SUB, DIV in SD, SS, PD, PS; SQRTSD now and then
        prefix = prefixes[rnd.nextInt(4)];
        op = rnd.nextInt(10) == 0 ? 0x51 : new int[] {0x58, 0x59, 0x5C, 0x5E}[rnd.nextInt(4)];
        disp = prefix == 0xF2 || prefix == 0xF3 ? rnd.nextInt(120) : 16 * rnd.nextInt(8); // positive disp8
        break;
      case 3: // MOVSD, MOVSS loads and moves, stores
        prefix = rnd.nextBoolean() ? 0xF2 : 0xF3;
        op = rnd.nextBoolean() ? 0x10 : 0x11;
        mem |= op == 0x11 && rnd.nextBoolean();
        disp = rnd.nextInt(120);
        break;
      case 4: // MOVAPS, MOVUPS, MOVAPD, MOVUPD between registers
        prefix = rnd.nextBoolean() ? 0x66 : 0;
        op = rnd.nextBoolean() ? 0x28 : 0x10;
        mem = false;
        disp = 0;
        break;
      default: // XORPS
        prefix = 0;
        op = 0x57;
        mem = false;
        disp = 0;
        break;
    }
    if (prefix != 0) {
      o.write(prefix);
    }
    int rex = 0x40 | (d >> 3) << 2 | (mem ? 1 : s >> 3);
    if (rex != 0x40) {
      o.write(rex);
    }
    o.write(0x0F);
    o.write(op);
    if (mem) {
      o.write(0x46 | (d & 7) << 3); // [r14 + disp8]
      o.write(disp);
    } else {
      o.write(0xC0 | (d & 7) << 3 | (s & 7));
    }
    return o.toByteArray();
  }

  /**
   * The same in real mode (16-bit code, 32-bit operands through 66): the fused branches then go through
   * the CS-limit-checked target and dispatch on RIP. SI points at the data, BP counts the loop.
   */
  @Test
  void randomLoops_inRealMode_endInTheSameStateOnEveryEngine() {
    Random rnd = new Random(16);
    int seg = 0x2000;
    int ip = 0x100;
    int data16 = 0x8000;
    for (int t = 0; t < 400; t++) {
      byte[] code = program16(rnd);
      long[] regs = new long[8];
      for (int r = 0; r < 8; r++) {
        regs[r] = interesting(rnd) & 0xFFFF_FFFFL;
      }
      regs[CpuState.RBP] = 1 + rnd.nextInt(4);
      regs[CpuState.RSI] = data16;
      byte[] data = new byte[256];
      rnd.nextBytes(data);
      TestMachine[] ms = machines();
      for (TestMachine m : ms) {
        m.write(((long) seg << 4) + ip, code);
        m.write(((long) seg << 4) + data16, data);
        m.realMode(seg, ip);
        long sp = m.c.gpr[CpuState.RSP];
        System.arraycopy(regs, 0, m.c.gpr, 0, 8);
        m.c.gpr[CpuState.RSP] = sp;
        m.runToHlt();
      }
      for (int e = 1; e < ms.length; e++) {
        assertSameEnd(ms, e, 8, ((long) seg << 4) + data16, "real-mode program " + t + " on " + WHAT[e] + ":\n"
            + listing(code, 2));
      }
    }
  }

  /** {@code L: body; sub bp, 1; jnz L; hlt} in 16-bit code. */
  static byte[] program16(Random rnd) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int n = 2 + rnd.nextInt(12);
    for (int k = 0; k < n; k++) {
      byte[] i = insn16(rnd);
      if (rnd.nextInt(4) == 0) {
        out.writeBytes(insn16Alu(rnd, rnd.nextInt(3) == 0));
        out.write(0x70 | rnd.nextInt(16));
        out.write(i.length);
      }
      out.writeBytes(i);
    }
    out.writeBytes(new byte[] {(byte) 0x83, (byte) 0xED, 1}); // sub bp, 1
    int back = -(out.size() + 2);
    out.write(0x75);
    out.write(back);
    out.write(0xF4);
    return out.toByteArray();
  }

  /** Registers 16-bit programs may write: not SP, BP (the counter) or SI (the data pointer). */
  static final int[] DST16 = {0, 1, 2, 3, 7};

  static byte[] insn16Alu(Random rnd, boolean sameRegs) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    int size = new int[] {1, 2, 4}[rnd.nextInt(3)];
    int d = DST16[rnd.nextInt(DST16.length)];
    int s = sameRegs ? d : rnd.nextInt(8);
    if (size == 4) {
      o.write(0x66);
    }
    int[] ops = {0x00, 0x08, 0x20, 0x28, 0x30, 0x38, 0x84};
    o.write(ops[rnd.nextInt(ops.length)] | (size == 1 ? 0 : 1));
    o.write(0xC0 | s << 3 | d);
    return o.toByteArray();
  }

  static byte[] insn16(Random rnd) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    int size = new int[] {1, 2, 4}[rnd.nextInt(3)];
    int w = size == 1 ? 0 : 1;
    int d = DST16[rnd.nextInt(DST16.length)];
    int s = rnd.nextInt(8);
    if (size == 4) {
      o.write(0x66);
    }
    switch (rnd.nextInt(10)) {
      case 0: case 1:
        o.reset();
        return insn16Alu(rnd, rnd.nextInt(4) == 0);
      case 2: { // ALU r/m, imm
        int op = rnd.nextInt(8);
        o.write(0x80 | w);
        o.write(0xC0 | op << 3 | d);
        for (int b = 0; b < size; b++) {
          o.write(rnd.nextInt(256));
        }
        break;
      }
      case 3: // MOV r, r
        o.write(0x88 | w);
        o.write(0xC0 | s << 3 | d);
        break;
      case 4: // INC, DEC
        o.write(0xFE | w);
        o.write(0xC0 | rnd.nextInt(2) << 3 | d);
        break;
      case 5: // LEA r, [bx+si+d8] / [bx+d8] / [bp+di+d8]
        if (size == 1) {
          o.write(0x66);
        }
        o.write(0x8D);
        o.write(0x40 | d << 3 | new int[] {0, 7, 3}[rnd.nextInt(3)]);
        o.write(rnd.nextInt(256));
        break;
      case 6: case 7: { // MOV and ALU with [si + d8]
        int[] ops = {0x00, 0x08, 0x20, 0x28, 0x30, 0x38, 0x88, 0x88};
        int op = ops[rnd.nextInt(ops.length)];
        boolean toReg = rnd.nextBoolean(); // reg, [si + d8]: the register written is one of DST16
        o.write(op | (toReg ? 2 : 0) | w);
        o.write(0x44 | (toReg ? d : s) << 3);
        o.write(rnd.nextInt(256 - 8));
        break;
      }
      case 8: // SETcc r8, CMOVcc
        o.reset();
        if (rnd.nextBoolean()) {
          o.write(0x0F);
          o.write(0x90 | rnd.nextInt(16));
          o.write(0xC0 | d);
        } else {
          o.write(0x0F);
          o.write(0x40 | rnd.nextInt(16));
          o.write(0xC0 | d << 3 | s);
        }
        break;
      default: // PUSHF; POP r
        o.write(0x9C);
        if (size == 4) {
          o.write(0x66);
        }
        o.write(0x58 | d);
        break;
    }
    return o.toByteArray();
  }

  static long interesting(Random rnd) {
    switch (rnd.nextInt(6)) {
      case 0: return rnd.nextInt(5) - 2;
      case 1: return 0x7FFF_FFFFL + rnd.nextInt(3) - 1;
      case 2: return 0x8000_0000_0000_0000L + rnd.nextInt(3) - 1;
      case 3: return rnd.nextInt(256) << (8 * rnd.nextInt(8));
      default: return rnd.nextLong();
    }
  }

  /** {@code L: body; sub r15, 1; jnz L; hlt}. */
  static byte[] program(Random rnd) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int n = 2 + rnd.nextInt(14);
    for (int k = 0; k < n; k++) {
      byte[] i = insn(rnd);
      if (rnd.nextInt(4) == 0) {
        out.writeBytes(compare(rnd)); // a flag setter the translator can test directly
        out.write(0x70 | rnd.nextInt(16)); // Jcc over the next instruction
        out.write(i.length);
      }
      out.writeBytes(i);
    }
    return loopOnR15(out);
  }

  /** Ends a loop body that starts at offset 0: {@code sub r15, 1; jnz 0; hlt}. */
  static byte[] loopOnR15(ByteArrayOutputStream out) {
    out.writeBytes(new byte[] {0x49, (byte) 0x83, (byte) 0xEF, 1}); // sub r15, 1
    int back = -(out.size() + 2);
    out.write(0x75); // jnz L
    out.write(back);
    out.write(0xF4);
    return out.toByteArray();
  }

  static int dst(Random rnd) {
    return DST[rnd.nextInt(DST.length)];
  }

  /** CMP, SUB, TEST, AND, OR, XOR (register forms), often with equal operands. */
  static byte[] compare(Random rnd) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    int size = new int[] {1, 2, 4, 8, 4, 8, 8}[rnd.nextInt(7)];
    int d = dst(rnd);
    int s = rnd.nextInt(3) == 0 ? d : src(rnd);
    int[] ops = {0x38, 0x28, 0x84, 0x20, 0x08, 0x30, 0x38, 0x38};
    prefix(o, size, s, d);
    o.write(ops[rnd.nextInt(ops.length)] | (size == 1 ? 0 : 1));
    o.write(0xC0 | (s & 7) << 3 | (d & 7));
    return o.toByteArray();
  }

  static int src(Random rnd) {
    int r = rnd.nextInt(16);
    return r == 4 ? 0 : r;
  }

  /** Operand size prefix and REX for a register-register form of {@code size} bytes. */
  static void prefix(ByteArrayOutputStream o, int size, int reg, int rm) {
    if (size == 2) {
      o.write(0x66);
    }
    int rex = 0x40 | (size == 8 ? 8 : 0) | (reg >> 3) << 2 | rm >> 3;
    if (rex != 0x40 || size == 1) {
      o.write(rex); // a REX makes 8-bit registers 4-7 SPL..DIL, like the other sizes
    }
  }

  static byte[] insn(Random rnd) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    int size = new int[] {1, 2, 4, 8, 4, 8, 8}[rnd.nextInt(7)];
    int d = dst(rnd);
    int s = src(rnd);
    int w = size == 1 ? 0 : 1;
    switch (rnd.nextInt(17)) {
      case 16: { // IMUL r, r/m; IMUL r, r/m, imm8 / imm (registers or [r14 + disp8]); 16, 32, 64 bits
        int sz = size == 1 ? 4 : size;
        boolean mem = rnd.nextInt(3) == 0;
        if (sz == 2) {
          o.write(0x66);
        }
        o.write(0x40 | (sz == 8 ? 8 : 0) | (d >> 3) << 2 | (mem ? 1 : s >> 3));
        int form = rnd.nextInt(3);
        if (form == 0) {
          o.write(0x0F);
          o.write(0xAF);
        } else {
          o.write(form == 1 ? 0x6B : 0x69);
        }
        if (mem) {
          o.write(0x46 | (d & 7) << 3);
          o.write(rnd.nextInt(256 - 8 - 128)); // a positive disp8
        } else {
          o.write(0xC0 | (d & 7) << 3 | (s & 7));
        }
        int immBytes = form == 1 ? 1 : form == 2 ? Math.min(sz, 4) : 0;
        long imm = interesting(rnd);
        for (int b = 0; b < immBytes; b++) {
          o.write((int) (imm >>> 8 * b));
        }
        break;
      }
      case 15: { // MOVZX, MOVSX r, r/m8 and r/m16 (registers or [r14 + disp8])
        int sz = size <= 2 ? 4 : size;
        boolean mem = rnd.nextBoolean();
        if (size == 2) {
          o.write(0x66); // MOVZX r16, r/m8
        }
        int b16 = size == 2 ? 0 : rnd.nextInt(2);
        o.write(0x40 | (sz == 8 ? 8 : 0) | (d >> 3) << 2 | (mem ? 1 : s >> 3));
        o.write(0x0F);
        o.write((rnd.nextBoolean() ? 0xB6 : 0xBE) | b16);
        if (mem) {
          o.write(0x46 | (d & 7) << 3);
          o.write(rnd.nextInt(256 - 8));
        } else {
          o.write(0xC0 | (d & 7) << 3 | (s & 7));
        }
        break;
      }
      case 12: case 13: { // MOV and ALU with [r14 + disp8]: loads, stores, read-modify-writes
        int[] ops = {0x00, 0x08, 0x20, 0x28, 0x30, 0x38, 0x84, 0x88, 0x88};
        int op = ops[rnd.nextInt(ops.length)];
        int form = rnd.nextInt(3);
        prefix(o, size, s, 14);
        if (form == 2 && op != 0x84) { // r/m, imm
          o.reset();
          prefix(o, size, 0, 14);
          o.write(op == 0x88 ? 0xC6 | w : 0x80 | w);
          o.write(0x46 | (op == 0x88 ? 0 : op >> 3) << 3);
          o.write(rnd.nextInt(256 - 8));
          long v = interesting(rnd);
          for (int b = 0; b < (size == 1 ? 1 : size == 2 ? 2 : 4); b++) {
            o.write((int) (v >>> (8 * b)));
          }
          break;
        }
        int dir = form == 1 && op != 0x84 ? 2 : 0; // reg, r/m instead of r/m, reg
        if (dir != 0) {
          o.reset();
          prefix(o, size, d, 14);
          o.write(op | dir | w);
          o.write(0x46 | (d & 7) << 3);
        } else {
          o.write(op | w);
          o.write(0x46 | (s & 7) << 3);
        }
        o.write(rnd.nextInt(256 - 8));
        break;
      }
      case 14: { // MOV r, [rip + disp32]: a load from the code page
        prefix(o, size, d, 0);
        o.write(0x8A | w);
        o.write(0x05 | (d & 7) << 3);
        long v = -rnd.nextInt(32) - 8;
        for (int b = 0; b < 4; b++) {
          o.write((int) (v >>> (8 * b)));
        }
        break;
      }
      case 0: case 1: { // ALU r/m, r: ADD OR ADC SBB AND SUB XOR CMP, TEST
        int[] ops = {0x00, 0x08, 0x10, 0x18, 0x20, 0x28, 0x30, 0x38, 0x84};
        prefix(o, size, s, d);
        o.write(ops[rnd.nextInt(ops.length)] | w);
        o.write(0xC0 | (s & 7) << 3 | (d & 7));
        break;
      }
      case 2: case 3: { // ALU r/m, imm8 / imm
        prefix(o, size, 0, d);
        int op = rnd.nextInt(8);
        if (size != 1 && rnd.nextBoolean()) {
          o.write(0x83);
          o.write(0xC0 | op << 3 | (d & 7));
          o.write(rnd.nextInt(256));
        } else {
          o.write(0x80 | w);
          o.write(0xC0 | op << 3 | (d & 7));
          int bytes = size == 1 ? 1 : size == 2 ? 2 : 4;
          long v = interesting(rnd);
          for (int b = 0; b < bytes; b++) {
            o.write((int) (v >>> (8 * b)));
          }
        }
        break;
      }
      case 4: { // MOV r, r and r, imm
        if (rnd.nextBoolean()) {
          prefix(o, size, s, d);
          o.write(0x88 | w);
          o.write(0xC0 | (s & 7) << 3 | (d & 7));
        } else if (size == 8 && rnd.nextBoolean()) {
          prefix(o, 8, 0, d);
          o.write(0xB8 | (d & 7));
          long v = interesting(rnd);
          for (int b = 0; b < 8; b++) {
            o.write((int) (v >>> (8 * b)));
          }
        } else {
          prefix(o, size == 1 ? 4 : size, 0, d);
          o.write(0xC7);
          o.write(0xC0 | (d & 7));
          long v = interesting(rnd);
          for (int b = 0; b < (size == 2 ? 2 : 4); b++) {
            o.write((int) (v >>> (8 * b)));
          }
        }
        break;
      }
      case 5: { // INC, DEC
        prefix(o, size, 0, d);
        o.write(0xFE | w);
        o.write(0xC0 | rnd.nextInt(2) << 3 | (d & 7));
        break;
      }
      case 6: { // LEA r, [base + index * scale + disp8], 64- or 32-bit addresses
        int base = src(rnd);
        int index = src(rnd);
        if (rnd.nextBoolean()) {
          o.write(0x67);
        }
        int lsize = size == 1 ? 4 : size;
        if (lsize == 2) {
          o.write(0x66);
        }
        o.write(0x40 | (lsize == 8 ? 8 : 0) | (d >> 3) << 2 | (index >> 3) << 1 | base >> 3);
        o.write(0x8D);
        if (rnd.nextInt(5) == 0) { // RIP-relative
          o.write(0x05 | (d & 7) << 3);
          long v = rnd.nextInt(4096) - 2048;
          for (int b = 0; b < 4; b++) {
            o.write((int) (v >>> (8 * b)));
          }
          break;
        }
        o.write(0x44 | (d & 7) << 3);
        o.write(rnd.nextInt(4) << 6 | (index & 7) << 3 | (base & 7));
        o.write(rnd.nextInt(256));
        break;
      }
      case 7: { // SETcc r8
        prefix(o, 1, 0, d);
        o.write(0x0F);
        o.write(0x90 | rnd.nextInt(16));
        o.write(0xC0 | (d & 7));
        break;
      }
      case 8: { // CMOVcc r, r
        int sz = size == 1 ? 4 : size;
        prefix(o, sz, d, s);
        o.write(0x0F);
        o.write(0x40 | rnd.nextInt(16));
        o.write(0xC0 | (d & 7) << 3 | (s & 7));
        break;
      }
      case 9: { // PUSHFQ; POP r
        o.write(0x9C);
        if (d >= 8) {
          o.write(0x41);
        }
        o.write(0x58 | (d & 7));
        break;
      }
      case 10: { // shifts by an immediate
        prefix(o, size, 0, d);
        o.write(0xC0 | w);
        o.write(0xC0 | new int[] {4, 5, 7, 0}[rnd.nextInt(4)] << 3 | (d & 7));
        o.write(rnd.nextInt(70));
        break;
      }
      default: { // NEG, NOT
        prefix(o, size, 0, d);
        o.write(0xF6 | w);
        o.write(0xC0 | (2 + rnd.nextInt(2)) << 3 | (d & 7));
        break;
      }
    }
    return o.toByteArray();
  }

  /** The program decoded for a failure message, in code of {@code codeSize} bytes (2 or 8). */
  static String listing(byte[] code, int codeSize) {
    StringBuilder sb = new StringBuilder();
    int pos = 0;
    while (pos < code.length) {
      final int at = pos;
      Insn i = Decoder.decode(off -> code[at + off] & 0xFF, codeSize);
      sb.append(String.format("  %04x  %s%n", pos, i));
      pos += i.len;
    }
    return sb.toString();
  }
}
