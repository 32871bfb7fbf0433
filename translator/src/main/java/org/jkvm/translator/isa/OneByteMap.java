package org.jkvm.translator.isa;

import static org.jkvm.translator.isa.OpEntry.BLOCK_END;
import static org.jkvm.translator.isa.OpEntry.CPL0;
import static org.jkvm.translator.isa.OpEntry.D64;
import static org.jkvm.translator.isa.OpEntry.F64;
import static org.jkvm.translator.isa.OpEntry.I64;
import static org.jkvm.translator.isa.OpEntry.LOCKABLE;
import static org.jkvm.translator.isa.OpEntry.MEM_ONLY;
import static org.jkvm.translator.isa.OpEntry.MODE_CHANGE;
import static org.jkvm.translator.isa.OpEntry.SHADOW;
import static org.jkvm.translator.isa.OpEntry.STRING;
import static org.jkvm.translator.isa.OpEntry.group;
import static org.jkvm.translator.isa.OpEntry.op;
import static org.jkvm.translator.isa.OpEntry.prefixed;
import static org.jkvm.translator.isa.Operand.AL;
import static org.jkvm.translator.isa.Operand.Ap;
import static org.jkvm.translator.isa.Operand.CL;
import static org.jkvm.translator.isa.Operand.CS;
import static org.jkvm.translator.isa.Operand.DS;
import static org.jkvm.translator.isa.Operand.DX;
import static org.jkvm.translator.isa.Operand.ES;
import static org.jkvm.translator.isa.Operand.Eb;
import static org.jkvm.translator.isa.Operand.Ev;
import static org.jkvm.translator.isa.Operand.Ew;
import static org.jkvm.translator.isa.Operand.Gb;
import static org.jkvm.translator.isa.Operand.Gv;
import static org.jkvm.translator.isa.Operand.Gz;
import static org.jkvm.translator.isa.Operand.Ib;
import static org.jkvm.translator.isa.Operand.Iv;
import static org.jkvm.translator.isa.Operand.Iw;
import static org.jkvm.translator.isa.Operand.Iz;
import static org.jkvm.translator.isa.Operand.Jb;
import static org.jkvm.translator.isa.Operand.Jz;
import static org.jkvm.translator.isa.Operand.M;
import static org.jkvm.translator.isa.Operand.Ma;
import static org.jkvm.translator.isa.Operand.Mp;
import static org.jkvm.translator.isa.Operand.ONE;
import static org.jkvm.translator.isa.Operand.Ob;
import static org.jkvm.translator.isa.Operand.Ov;
import static org.jkvm.translator.isa.Operand.SS;
import static org.jkvm.translator.isa.Operand.Sw;
import static org.jkvm.translator.isa.Operand.Zb;
import static org.jkvm.translator.isa.Operand.Zv;
import static org.jkvm.translator.isa.Operand.eAX;
import static org.jkvm.translator.isa.Operand.rAX;

import org.jkvm.translator.sem.Alu;
import org.jkvm.translator.sem.Bcd;
import org.jkvm.translator.sem.Branch;
import org.jkvm.translator.sem.DataXfer;
import org.jkvm.translator.sem.FlagOps;
import org.jkvm.translator.sem.IoOps;
import org.jkvm.translator.sem.Misc;
import org.jkvm.translator.sem.MulDiv;
import org.jkvm.translator.sem.Shift;
import org.jkvm.translator.sem.Stack;
import org.jkvm.translator.sem.StringOps;
import org.jkvm.translator.sem.SystemOps;

/**
 * The one-byte opcode map, Intel SDM Vol. 2, Appendix A, Table A-2, with the groups of Table A-6.
 * Rows are in table order. x87 escapes (D8-DF) are in {@link X87Map}.
 */
final class OneByteMap {
  private OneByteMap() {}

  static OpEntry[] build() {
    OpEntry[] t = new OpEntry[256];
    // 00-3F: the eight ALU operations in six forms each, plus segment push/pop and BCD adjust.
    Handler[] alu = {Alu::add, Alu::or, Alu::adc, Alu::sbb, Alu::and, Alu::sub, Alu::xor, Alu::cmp};
    String[] aluName = {"ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP"};
    for (int k = 0; k < 8; k++) {
      int b = k << 3;
      int lock = k == 7 ? 0 : LOCKABLE;
      t[b] = op(aluName[k], alu[k], lock, Eb, Gb);
      t[b + 1] = op(aluName[k], alu[k], lock, Ev, Gv);
      t[b + 2] = op(aluName[k], alu[k], 0, Gb, Eb);
      t[b + 3] = op(aluName[k], alu[k], 0, Gv, Ev);
      t[b + 4] = op(aluName[k], alu[k], 0, AL, Ib);
      t[b + 5] = op(aluName[k], alu[k], 0, rAX, Iz);
    }
    t[0x06] = op("PUSH", Stack::pushSeg, I64, ES);
    t[0x07] = op("POP", Stack::popSeg, I64 | BLOCK_END, ES);
    t[0x0E] = op("PUSH", Stack::pushSeg, I64, CS);
    // 0F: two-byte escape (TwoByteMap).
    t[0x16] = op("PUSH", Stack::pushSeg, I64, SS);
    t[0x17] = op("POP", Stack::popSeg, I64 | BLOCK_END | SHADOW | MODE_CHANGE, SS);
    t[0x1E] = op("PUSH", Stack::pushSeg, I64, DS);
    t[0x1F] = op("POP", Stack::popSeg, I64 | BLOCK_END, DS);
    // 26, 2E, 36, 3E: segment overrides (prefixes).
    t[0x27] = op("DAA", Bcd::daa, I64);
    t[0x2F] = op("DAS", Bcd::das, I64);
    t[0x37] = op("AAA", Bcd::aaa, I64);
    t[0x3F] = op("AAS", Bcd::aas, I64);
    // 40-4F: INC/DEC in 16/32-bit mode, REX prefixes in 64-bit mode (the decoder takes those first).
    for (int r = 0; r < 8; r++) {
      t[0x40 + r] = op("INC", Alu::inc, I64, Zv);
      t[0x48 + r] = op("DEC", Alu::dec, I64, Zv);
      t[0x50 + r] = op("PUSH", Stack::push, D64, Zv);
      t[0x58 + r] = op("POP", Stack::pop, D64, Zv);
    }
    t[0x60] = op("PUSHA", Stack::pusha, I64);
    t[0x61] = op("POPA", Stack::popa, I64);
    t[0x62] = op("BOUND", Branch::bound, I64 | MEM_ONLY, Gv, Ma);
    t[0x63] = op("MOVSXD", DataXfer::movsxd, 0, Gv, Ed());
    // 64, 65: FS/GS overrides; 66, 67: operand/address size (prefixes).
    t[0x68] = op("PUSH", Stack::push, D64, Iz);
    t[0x69] = op("IMUL", MulDiv::imul3, 0, Gv, Ev, Iz);
    t[0x6A] = op("PUSH", Stack::push, D64, Ib);
    t[0x6B] = op("IMUL", MulDiv::imul3, 0, Gv, Ev, Ib);
    t[0x6C] = op("INSB", StringOps::ins, STRING | BLOCK_END);
    t[0x6D] = op("INSW/D", StringOps::ins, STRING | BLOCK_END);
    t[0x6E] = op("OUTSB", StringOps::outs, STRING | BLOCK_END);
    t[0x6F] = op("OUTSW/D", StringOps::outs, STRING | BLOCK_END);
    for (int cc = 0; cc < 16; cc++) {
      t[0x70 + cc] = op("Jcc", Branch::jcc, F64 | BLOCK_END, Jb);
    }
    String[] g1 = aluName;
    t[0x80] = group("Grp1", grp1(alu, g1, Eb, Ib));
    t[0x81] = group("Grp1", grp1(alu, g1, Ev, Iz));
    t[0x82] = group("Grp1", grp1i64(alu, g1));
    t[0x83] = group("Grp1", grp1(alu, g1, Ev, Ib));
    t[0x84] = op("TEST", Alu::test, 0, Eb, Gb);
    t[0x85] = op("TEST", Alu::test, 0, Ev, Gv);
    t[0x86] = op("XCHG", DataXfer::xchg, LOCKABLE, Eb, Gb);
    t[0x87] = op("XCHG", DataXfer::xchg, LOCKABLE, Ev, Gv);
    t[0x88] = op("MOV", DataXfer::mov, 0, Eb, Gb);
    t[0x89] = op("MOV", DataXfer::mov, 0, Ev, Gv);
    t[0x8A] = op("MOV", DataXfer::mov, 0, Gb, Eb);
    t[0x8B] = op("MOV", DataXfer::mov, 0, Gv, Ev);
    // SDM Table A-2 omits it: the memory form of MOV Ev,Sw always stores 16 bits.
    t[0x8C] = op("MOV", DataXfer::movFromSeg, 0, Ev, Sw);
    t[0x8D] = op("LEA", DataXfer::lea, MEM_ONLY, Gv, M);
    t[0x8E] = op("MOV", DataXfer::movToSeg, BLOCK_END | MODE_CHANGE, Sw, Ew);
    t[0x8F] = group("Grp1A", op("POP", Stack::pop, D64, Ev));
    // 90 is XCHG rAX with itself (a NOP) or, with REX.B, with R8; 66 is an operand-size prefix there.
    OpEntry nop = op("NOP", DataXfer::xchg, 0, Zv, rAX);
    t[0x90] = prefixed(nop, nop, op("PAUSE", Misc::pause, BLOCK_END), op("NOP", DataXfer::xchg, 0, Zv, rAX));
    for (int r = 1; r < 8; r++) {
      t[0x90 + r] = op("XCHG", DataXfer::xchg, 0, Zv, rAX);
    }
    t[0x98] = op("CBW/CWDE/CDQE", DataXfer::cbw, 0);
    t[0x99] = op("CWD/CDQ/CQO", DataXfer::cwd, 0);
    t[0x9A] = op("CALLF", Branch::callFar, I64 | BLOCK_END | MODE_CHANGE, Ap);
    t[0x9B] = op("FWAIT", Misc::fwait, 0);
    t[0x9C] = op("PUSHF", Stack::pushf, D64);
    t[0x9D] = op("POPF", Stack::popf, D64 | BLOCK_END);
    t[0x9E] = op("SAHF", DataXfer::sahf, 0);
    t[0x9F] = op("LAHF", DataXfer::lahf, 0);
    t[0xA0] = op("MOV", DataXfer::mov, 0, AL, Ob);
    t[0xA1] = op("MOV", DataXfer::mov, 0, rAX, Ov);
    t[0xA2] = op("MOV", DataXfer::mov, 0, Ob, AL);
    t[0xA3] = op("MOV", DataXfer::mov, 0, Ov, rAX);
    t[0xA4] = op("MOVSB", StringOps::movs, STRING);
    t[0xA5] = op("MOVSW/D/Q", StringOps::movs, STRING);
    t[0xA6] = op("CMPSB", StringOps::cmps, STRING);
    t[0xA7] = op("CMPSW/D/Q", StringOps::cmps, STRING);
    t[0xA8] = op("TEST", Alu::test, 0, AL, Ib);
    t[0xA9] = op("TEST", Alu::test, 0, rAX, Iz);
    t[0xAA] = op("STOSB", StringOps::stos, STRING);
    t[0xAB] = op("STOSW/D/Q", StringOps::stos, STRING);
    t[0xAC] = op("LODSB", StringOps::lods, STRING);
    t[0xAD] = op("LODSW/D/Q", StringOps::lods, STRING);
    t[0xAE] = op("SCASB", StringOps::scas, STRING);
    t[0xAF] = op("SCASW/D/Q", StringOps::scas, STRING);
    for (int r = 0; r < 8; r++) {
      t[0xB0 + r] = op("MOV", DataXfer::mov, 0, Zb, Ib);
      t[0xB8 + r] = op("MOV", DataXfer::mov, 0, Zv, Iv);
    }
    t[0xC0] = group("Grp2", grp2(Eb, Ib));
    t[0xC1] = group("Grp2", grp2(Ev, Ib));
    t[0xC2] = op("RET", Branch::ret, F64 | BLOCK_END, Iw);
    t[0xC3] = op("RET", Branch::ret, F64 | BLOCK_END);
    t[0xC4] = op("LES", SystemOps::lfarPointer, I64 | MEM_ONLY, Gz, Mp); // VEX3 in 64-bit mode: AVX not advertised
    t[0xC5] = op("LDS", SystemOps::lfarPointer, I64 | MEM_ONLY, Gz, Mp); // VEX2 in 64-bit mode
    t[0xC6] = group("Grp11", op("MOV", DataXfer::mov, 0, Eb, Ib)); // C6 F8 (XABORT) is RTM: not advertised
    t[0xC7] = group("Grp11", op("MOV", DataXfer::mov, 0, Ev, Iz));
    t[0xC8] = op("ENTER", Stack::enter, D64, Iw, Ib);
    t[0xC9] = op("LEAVE", Stack::leave, D64);
    t[0xCA] = op("RETF", Branch::retFar, BLOCK_END | MODE_CHANGE, Iw);
    t[0xCB] = op("RETF", Branch::retFar, BLOCK_END | MODE_CHANGE);
    t[0xCC] = op("INT3", Branch::int3, BLOCK_END | MODE_CHANGE);
    t[0xCD] = op("INT", Branch::intN, BLOCK_END | MODE_CHANGE, Ib);
    t[0xCE] = op("INTO", Branch::into, I64 | BLOCK_END | MODE_CHANGE);
    t[0xCF] = op("IRET", Branch::iret, BLOCK_END | MODE_CHANGE);
    t[0xD0] = group("Grp2", grp2(Eb, ONE));
    t[0xD1] = group("Grp2", grp2(Ev, ONE));
    t[0xD2] = group("Grp2", grp2(Eb, CL));
    t[0xD3] = group("Grp2", grp2(Ev, CL));
    t[0xD4] = op("AAM", Bcd::aam, I64, Ib);
    t[0xD5] = op("AAD", Bcd::aad, I64, Ib);
    // D6 (SALC) is undocumented; Intel lists it as reserved: #UD.
    t[0xD7] = op("XLAT", DataXfer::xlat, 0);
    for (int k = 0; k < 8; k++) {
      t[0xD8 + k] = X87Map.escape(k);
    }
    t[0xE0] = op("LOOPNE", Branch::loopne, F64 | BLOCK_END, Jb);
    t[0xE1] = op("LOOPE", Branch::loope, F64 | BLOCK_END, Jb);
    t[0xE2] = op("LOOP", Branch::loop, F64 | BLOCK_END, Jb);
    t[0xE3] = op("JrCXZ", Branch::jcxz, F64 | BLOCK_END, Jb);
    t[0xE4] = op("IN", IoOps::in, BLOCK_END, AL, Ib);
    t[0xE5] = op("IN", IoOps::in, BLOCK_END, eAX, Ib);
    t[0xE6] = op("OUT", IoOps::out, BLOCK_END, Ib, AL);
    t[0xE7] = op("OUT", IoOps::out, BLOCK_END, Ib, eAX);
    t[0xE8] = op("CALL", Branch::call, F64 | BLOCK_END, Jz);
    t[0xE9] = op("JMP", Branch::jmp, F64 | BLOCK_END, Jz);
    t[0xEA] = op("JMPF", Branch::jmpFar, I64 | BLOCK_END | MODE_CHANGE, Ap);
    t[0xEB] = op("JMP", Branch::jmp, F64 | BLOCK_END, Jb);
    t[0xEC] = op("IN", IoOps::in, BLOCK_END, AL, DX);
    t[0xED] = op("IN", IoOps::in, BLOCK_END, eAX, DX);
    t[0xEE] = op("OUT", IoOps::out, BLOCK_END, DX, AL);
    t[0xEF] = op("OUT", IoOps::out, BLOCK_END, DX, eAX);
    // F0 LOCK, F2 REPNE, F3 REP: prefixes.
    t[0xF1] = op("INT1", Branch::int1, BLOCK_END | MODE_CHANGE);
    t[0xF4] = op("HLT", Misc::hlt, CPL0 | BLOCK_END);
    t[0xF5] = op("CMC", FlagOps::cmc, 0);
    t[0xF6] = group("Grp3", grp3(Eb, Ib));
    t[0xF7] = group("Grp3", grp3(Ev, Iz));
    t[0xF8] = op("CLC", FlagOps::clc, 0);
    t[0xF9] = op("STC", FlagOps::stc, 0);
    t[0xFA] = op("CLI", FlagOps::cli, 0);
    t[0xFB] = op("STI", FlagOps::sti, BLOCK_END | SHADOW);
    t[0xFC] = op("CLD", FlagOps::cld, 0);
    t[0xFD] = op("STD", FlagOps::std, 0);
    t[0xFE] = group("Grp4", op("INC", Alu::inc, LOCKABLE, Eb), op("DEC", Alu::dec, LOCKABLE, Eb));
    t[0xFF] = group("Grp5",
        op("INC", Alu::inc, LOCKABLE, Ev),
        op("DEC", Alu::dec, LOCKABLE, Ev),
        op("CALL", Branch::callIndirect, F64 | BLOCK_END, Ev),
        op("CALLF", Branch::callFarIndirect, BLOCK_END | MODE_CHANGE | MEM_ONLY, Mp),
        op("JMP", Branch::jmpIndirect, F64 | BLOCK_END, Ev),
        op("JMPF", Branch::jmpFarIndirect, BLOCK_END | MODE_CHANGE | MEM_ONLY, Mp),
        op("PUSH", Stack::push, D64, Ev),
        null);
    return t;
  }

  /** MOVSXD Gv, Ed: the source is always a doubleword. */
  private static int Ed() {
    return Operand.Ed;
  }

  private static OpEntry[] grp1(Handler[] alu, String[] names, int dst, int src) {
    OpEntry[] g = new OpEntry[8];
    for (int k = 0; k < 8; k++) {
      g[k] = op(names[k], alu[k], k == 7 ? 0 : LOCKABLE, dst, src);
    }
    return g;
  }

  /** 82 is an alias of 80 outside 64-bit mode. */
  private static OpEntry[] grp1i64(Handler[] alu, String[] names) {
    OpEntry[] g = new OpEntry[8];
    for (int k = 0; k < 8; k++) {
      g[k] = op(names[k], alu[k], I64 | (k == 7 ? 0 : LOCKABLE), Eb, Ib);
    }
    return g;
  }

  private static OpEntry[] grp2(int dst, int count) {
    return new OpEntry[] {
        op("ROL", Shift::rol, 0, dst, count),
        op("ROR", Shift::ror, 0, dst, count),
        op("RCL", Shift::rcl, 0, dst, count),
        op("RCR", Shift::rcr, 0, dst, count),
        op("SHL", Shift::shl, 0, dst, count),
        op("SHR", Shift::shr, 0, dst, count),
        op("SAL", Shift::shl, 0, dst, count), // /6 is an undocumented alias of SHL
        op("SAR", Shift::sar, 0, dst, count),
    };
  }

  private static OpEntry[] grp3(int rm, int imm) {
    return new OpEntry[] {
        op("TEST", Alu::test, 0, rm, imm),
        op("TEST", Alu::test, 0, rm, imm), // /1 is an undocumented alias of /0
        op("NOT", Alu::not, LOCKABLE, rm),
        op("NEG", Alu::neg, LOCKABLE, rm),
        op("MUL", MulDiv::mul, 0, rm),
        op("IMUL", MulDiv::imul1, 0, rm),
        op("DIV", MulDiv::div, 0, rm),
        op("IDIV", MulDiv::idiv, 0, rm),
    };
  }
}
