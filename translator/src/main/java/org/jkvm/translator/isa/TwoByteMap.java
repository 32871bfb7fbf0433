package org.jkvm.translator.isa;

import static org.jkvm.translator.isa.OpEntry.BLOCK_END;
import static org.jkvm.translator.isa.OpEntry.CPL0;
import static org.jkvm.translator.isa.OpEntry.F64;
import static org.jkvm.translator.isa.OpEntry.LOCKABLE;
import static org.jkvm.translator.isa.OpEntry.MEM_ONLY;
import static org.jkvm.translator.isa.OpEntry.MODE_CHANGE;
import static org.jkvm.translator.isa.OpEntry.MOD_IGNORED;
import static org.jkvm.translator.isa.OpEntry.O64;
import static org.jkvm.translator.isa.OpEntry.REG_ONLY;
import static org.jkvm.translator.isa.OpEntry.byRm;
import static org.jkvm.translator.isa.OpEntry.group;
import static org.jkvm.translator.isa.OpEntry.op;
import static org.jkvm.translator.isa.OpEntry.prefixed;
import static org.jkvm.translator.isa.Operand.CL;
import static org.jkvm.translator.isa.Operand.Cy;
import static org.jkvm.translator.isa.Operand.Dy;
import static org.jkvm.translator.isa.Operand.Eb;
import static org.jkvm.translator.isa.Operand.Ev;
import static org.jkvm.translator.isa.Operand.Ew;
import static org.jkvm.translator.isa.Operand.FS;
import static org.jkvm.translator.isa.Operand.GS;
import static org.jkvm.translator.isa.Operand.Gb;
import static org.jkvm.translator.isa.Operand.Gv;
import static org.jkvm.translator.isa.Operand.Gy;
import static org.jkvm.translator.isa.Operand.Ib;
import static org.jkvm.translator.isa.Operand.Jz;
import static org.jkvm.translator.isa.Operand.M;
import static org.jkvm.translator.isa.Operand.Mdq;
import static org.jkvm.translator.isa.Operand.Me;
import static org.jkvm.translator.isa.Operand.Mp;
import static org.jkvm.translator.isa.Operand.Mq;
import static org.jkvm.translator.isa.Operand.Ms;
import static org.jkvm.translator.isa.Operand.Mw;
import static org.jkvm.translator.isa.Operand.My;
import static org.jkvm.translator.isa.Operand.Ry;
import static org.jkvm.translator.isa.Operand.Rv;
import static org.jkvm.translator.isa.Operand.Zy;
import static org.jkvm.translator.isa.Operand.Md;

import org.jkvm.translator.sem.BitOps;
import org.jkvm.translator.sem.DataXfer;
import org.jkvm.translator.sem.Misc;
import org.jkvm.translator.sem.MulDiv;
import org.jkvm.translator.sem.Shift;
import org.jkvm.translator.sem.Stack;
import org.jkvm.translator.sem.SystemOps;
import org.jkvm.translator.sem.X87Control;

/**
 * The two-byte opcode map (0F xx), Intel SDM Vol. 2, Appendix A, Table A-3, with groups 6-16 of
 * Table A-6. SSE and MMX rows are filled in by {@link SseMap}; 0F 38 and 0F 3A are in
 * {@link ThreeByteMaps}.
 */
final class TwoByteMap {
  private TwoByteMap() {}

  static OpEntry[] build() {
    OpEntry[] t = new OpEntry[256];
    t[0x00] = group("Grp6",
        op("SLDT", SystemOps::sldt, 0, Ev),
        op("STR", SystemOps::str, 0, Ev),
        op("LLDT", SystemOps::lldt, CPL0 | BLOCK_END, Ew),
        op("LTR", SystemOps::ltr, CPL0 | BLOCK_END, Ew),
        op("VERR", SystemOps::verr, 0, Ew),
        op("VERW", SystemOps::verw, 0, Ew),
        null, null);
    t[0x01] = group("Grp7",
        new OpEntry[] {
            op("SGDT", SystemOps::sgdt, MEM_ONLY, Ms),
            op("SIDT", SystemOps::sidt, MEM_ONLY, Ms),
            op("LGDT", SystemOps::lgdt, CPL0 | MEM_ONLY | BLOCK_END, Ms),
            op("LIDT", SystemOps::lidt, CPL0 | MEM_ONLY | BLOCK_END, Ms),
            op("SMSW", SystemOps::smsw, 0, Mw),
            null,
            op("LMSW", SystemOps::lmsw, CPL0 | BLOCK_END | MODE_CHANGE, Ew),
            op("INVLPG", SystemOps::invlpg, CPL0 | MEM_ONLY | BLOCK_END, M)},
        new OpEntry[] {
            // VMX instructions: VMX is not advertised; VMCALL is a hypercall exit (#UD to the guest when
            // nobody handles it, as KVM does for unknown hypercall numbers only after the exit).
            byRm("Grp7/0", null, op("VMCALL", SystemOps::vmcall, BLOCK_END), null, null, null, null, null, null),
            byRm("Grp7/1", op("MONITOR", SystemOps::monitor, 0), op("MWAIT", SystemOps::mwait, BLOCK_END),
                op("CLAC", SystemOps::clac, CPL0 | BLOCK_END), op("STAC", SystemOps::stac, CPL0 | BLOCK_END),
                null, null, null, null),
            byRm("Grp7/2", op("XGETBV", SystemOps::xgetbv, 0), op("XSETBV", SystemOps::xsetbv, CPL0 | BLOCK_END),
                null, null, null, null, null, null),
            null,
            op("SMSW", SystemOps::smsw, 0, Rv),
            null,
            op("LMSW", SystemOps::lmsw, CPL0 | BLOCK_END | MODE_CHANGE, Ew),
            byRm("Grp7/7", op("SWAPGS", SystemOps::swapgs, O64 | CPL0), op("RDTSCP", Misc::rdtscp, 0),
                null, null, null, null, null, null)});
    t[0x02] = op("LAR", SystemOps::lar, 0, Gv, Ew);
    t[0x03] = op("LSL", SystemOps::lsl, 0, Gv, Ew);
    t[0x05] = op("SYSCALL", SystemOps::syscall, O64 | BLOCK_END | MODE_CHANGE);
    t[0x06] = op("CLTS", SystemOps::clts, CPL0);
    t[0x07] = op("SYSRET", SystemOps::sysret, O64 | CPL0 | BLOCK_END | MODE_CHANGE);
    t[0x08] = op("INVD", SystemOps::wbinvd, CPL0);
    t[0x09] = op("WBINVD", SystemOps::wbinvd, CPL0);
    t[0x0B] = op("UD2", Misc::ud, BLOCK_END);
    t[0x0D] = op("PREFETCHW", Misc::nop, MEM_ONLY, M);
    // 10-17, 28-2F, 50-7F, C2-C6, D0-FF: SSE and MMX (SseMap).
    t[0x18] = op("PREFETCHh", Misc::nop, 0, M); // hint; register forms are reserved NOPs
    for (int b = 0x19; b <= 0x1F; b++) {
      t[b] = op("NOP", Misc::nop, 0, Ev); // reserved-NOP space; 1E FA/FB with F3 are ENDBR64/ENDBR32
    }
    t[0x20] = op("MOV", SystemOps::movFromCr, CPL0 | MOD_IGNORED | REG_ONLY, Ry, Cy);
    t[0x21] = op("MOV", SystemOps::movFromDr, CPL0 | MOD_IGNORED | REG_ONLY, Ry, Dy);
    t[0x22] = op("MOV", SystemOps::movToCr, CPL0 | MOD_IGNORED | REG_ONLY | BLOCK_END | MODE_CHANGE, Cy, Ry);
    t[0x23] = op("MOV", SystemOps::movToDr, CPL0 | MOD_IGNORED | REG_ONLY | BLOCK_END, Dy, Ry);
    t[0x30] = op("WRMSR", SystemOps::wrmsr, CPL0 | BLOCK_END | MODE_CHANGE);
    t[0x31] = op("RDTSC", Misc::rdtsc, 0);
    t[0x32] = op("RDMSR", SystemOps::rdmsr, CPL0);
    t[0x33] = op("RDPMC", SystemOps::rdpmc, 0);
    t[0x34] = op("SYSENTER", SystemOps::sysenter, BLOCK_END | MODE_CHANGE);
    t[0x35] = op("SYSEXIT", SystemOps::sysexit, CPL0 | BLOCK_END | MODE_CHANGE);
    for (int cc = 0; cc < 16; cc++) {
      t[0x40 + cc] = op("CMOVcc", DataXfer::cmov, 0, Gv, Ev);
      t[0x80 + cc] = op("Jcc", org.jkvm.translator.sem.Branch::jcc, F64 | BLOCK_END, Jz);
      t[0x90 + cc] = op("SETcc", DataXfer::setcc, 0, Eb);
    }
    t[0xA0] = op("PUSH", Stack::pushSeg, OpEntry.D64, FS);
    t[0xA1] = op("POP", Stack::popSeg, OpEntry.D64, FS);
    t[0xA2] = op("CPUID", Misc::cpuid, BLOCK_END);
    t[0xA3] = op("BT", BitOps::bt, 0, Ev, Gv);
    t[0xA4] = op("SHLD", Shift::shld, 0, Ev, Gv, Ib);
    t[0xA5] = op("SHLD", Shift::shld, 0, Ev, Gv, CL);
    t[0xA8] = op("PUSH", Stack::pushSeg, OpEntry.D64, GS);
    t[0xA9] = op("POP", Stack::popSeg, OpEntry.D64, GS);
    t[0xAA] = op("RSM", null, BLOCK_END); // SMM is not emulated: #UD outside SMM, as on hardware
    t[0xAB] = op("BTS", BitOps::bts, LOCKABLE, Ev, Gv);
    t[0xAC] = op("SHRD", Shift::shrd, 0, Ev, Gv, Ib);
    t[0xAD] = op("SHRD", Shift::shrd, 0, Ev, Gv, CL);
    t[0xAE] = group("Grp15",
        new OpEntry[] {
            // "NP": with 66, F2 or F3 these encodings are other instructions or #UD (SDM Vol. 2, 3.1.1.1).
            np(op("FXSAVE", X87Control::fxsave, 0, Me)),
            np(op("FXRSTOR", X87Control::fxrstor, 0, Me)),
            np(op("LDMXCSR", X87Control::ldmxcsr, 0, Md)),
            np(op("STMXCSR", X87Control::stmxcsr, 0, Md)),
            np(op("XSAVE", null, 0, Me)),
            np(op("XRSTOR", null, 0, Me)),
            np(op("XSAVEOPT", null, 0, Me)),
            np(op("CLFLUSH", Misc::clflush, 0, M))},
        new OpEntry[] {
            null, null, null, null, null,
            np(op("LFENCE", Misc::nop, 0)),
            np(op("MFENCE", Misc::mfence, 0)),
            np(op("SFENCE", Misc::nop, 0))});
    t[0xAF] = op("IMUL", MulDiv::imul2, 0, Gv, Ev);
    t[0xB0] = op("CMPXCHG", DataXfer::cmpxchg, LOCKABLE, Eb, Gb);
    t[0xB1] = op("CMPXCHG", DataXfer::cmpxchg, LOCKABLE, Ev, Gv);
    t[0xB2] = op("LSS", SystemOps::lfarPointer, MEM_ONLY | BLOCK_END | MODE_CHANGE, Gv, Mp);
    t[0xB3] = op("BTR", BitOps::btr, LOCKABLE, Ev, Gv);
    t[0xB4] = op("LFS", SystemOps::lfarPointer, MEM_ONLY, Gv, Mp);
    t[0xB5] = op("LGS", SystemOps::lfarPointer, MEM_ONLY, Gv, Mp);
    t[0xB6] = op("MOVZX", DataXfer::movzx, 0, Gv, Eb);
    t[0xB7] = op("MOVZX", DataXfer::movzx, 0, Gv, Ew);
    t[0xB8] = prefixed(null, null, op("POPCNT", BitOps::popcnt, 0, Gv, Ev), null); // JMPE (IA-64) is #UD
    t[0xB9] = op("UD1", Misc::ud, BLOCK_END, Gv, Ev);
    t[0xBA] = group("Grp8", null, null, null, null,
        op("BT", BitOps::bt, 0, Ev, Ib),
        op("BTS", BitOps::bts, LOCKABLE, Ev, Ib),
        op("BTR", BitOps::btr, LOCKABLE, Ev, Ib),
        op("BTC", BitOps::btc, LOCKABLE, Ev, Ib));
    t[0xBB] = op("BTC", BitOps::btc, LOCKABLE, Ev, Gv);
    // Without a mandatory F3 these are BSF/BSR; with it, TZCNT (BMI1) and LZCNT (ABM), both advertised.
    // F2 is ignored there (BSF/BSR). 66 selects the same row as no prefix: it is the operand-size prefix
    // there (16-bit BSF/BSR), and with F3 it is one too (16-bit TZCNT/LZCNT).
    OpEntry bsf = op("BSF", BitOps::bsf, 0, Gv, Ev);
    OpEntry bsr = op("BSR", BitOps::bsr, 0, Gv, Ev);
    t[0xBC] = prefixed(bsf, bsf, op("TZCNT", BitOps::tzcnt, 0, Gv, Ev), op("BSF", BitOps::bsf, 0, Gv, Ev));
    t[0xBD] = prefixed(bsr, bsr, op("LZCNT", BitOps::lzcnt, 0, Gv, Ev), op("BSR", BitOps::bsr, 0, Gv, Ev));
    t[0xBE] = op("MOVSX", DataXfer::movsx, 0, Gv, Eb);
    t[0xBF] = op("MOVSX", DataXfer::movsx, 0, Gv, Ew);
    t[0xC0] = op("XADD", DataXfer::xadd, LOCKABLE, Eb, Gb);
    t[0xC1] = op("XADD", DataXfer::xadd, LOCKABLE, Ev, Gv);
    t[0xC3] = np(op("MOVNTI", DataXfer::mov, MEM_ONLY, My, Gy));
    t[0xC7] = group("Grp9",
        new OpEntry[] {null, op("CMPXCHG8B/16B", DataXfer::cmpxchg8b, LOCKABLE, Mq), null, null, null, null,
            null, null},
        new OpEntry[] {null, null, null, null, null, null,
            op("RDRAND", null, 0, Rv), // not advertised
            op("RDSEED", null, 0, Rv)});
    for (int r = 0; r < 8; r++) {
      t[0xC8 + r] = op("BSWAP", DataXfer::bswap, 0, Zy);
    }
    t[0xFF] = op("UD0", Misc::ud, BLOCK_END, Gv, Ev);
    SseMap.fillTwoByte(t);
    return t;
  }

  /** A row valid only without a 66, F2 or F3 prefix. */
  private static OpEntry np(OpEntry e) {
    return prefixed(e, null, null, null);
  }

  /** Keeps the static import of Mdq and friends honest for maps that SseMap completes. */
  static final int[] UNUSED = {Mdq, Mp, Mq, Mw, Md};
}
