package org.jkvm.translator.isa;

import static org.jkvm.translator.isa.OpEntry.op;
import static org.jkvm.translator.isa.Operand.AX;
import static org.jkvm.translator.isa.Operand.Md;
import static org.jkvm.translator.isa.Operand.Me;
import static org.jkvm.translator.isa.Operand.Mq;
import static org.jkvm.translator.isa.Operand.Mt;
import static org.jkvm.translator.isa.Operand.Mw;
import static org.jkvm.translator.isa.Operand.ST0;
import static org.jkvm.translator.isa.Operand.STi;

import org.jkvm.translator.sem.X87Arith;
import org.jkvm.translator.sem.X87Compare;
import org.jkvm.translator.sem.X87Control;
import org.jkvm.translator.sem.X87LoadStore;
import org.jkvm.translator.sem.X87Transcendental;

/**
 * The x87 escape opcodes D8-DF (SDM Vol. 2, Appendix A.4, Tables ): memory forms by ModRM.reg,
 * register forms by ModRM bits 5:0. Every encoding a current processor executes is here, including the
 * undocumented aliases (FSTP1, FCOM2, FCOMP3, FXCH4, FCOMP5, FXCH7, FSTP8, FSTP9, FFREEP) and the 8087/287
 * leftovers that execute as FNOP (FNENI, FNDISI, FNSETPM); the rest is #UD, as on the host.
 */
final class X87Map {
  private X87Map() {}

  private static final String[] ARITH = {"FADD", "FMUL", "FCOM", "FCOMP", "FSUB", "FSUBR", "FDIV", "FDIVR"};
  /** DC/DE register forms: the subtract and divide mnemonics swap (ST(i) is the destination). */
  private static final String[] ARITH_TO_STI = {"FADD", "FMUL", "FCOM2", "FCOMP3", "FSUBR", "FSUB", "FDIVR",
      "FDIV"};
  private static final String[] ARITH_POP = {"FADDP", "FMULP", "FCOMP5", null, "FSUBRP", "FSUBP", "FDIVRP",
      "FDIVP"};

  /** The row for escape opcode D8 + {@code k}. */
  static OpEntry escape(int k) {
    OpEntry[] mem = new OpEntry[8];
    OpEntry[] reg = new OpEntry[64];
    switch (k) {
      case 0: // D8: single-precision memory operand; ST(0) = ST(0) op ST(i)
        arithMem(mem, "", Md);
        for (int r = 0; r < 8; r++) {
          boolean cmp = r == 2 || r == 3;
          rows(reg, r, op(ARITH[r], cmp ? X87Compare::fcomReg : X87Arith::arithReg, 0, ST0, STi));
        }
        break;
      case 1: // D9
        mem[0] = op("FLD", X87LoadStore::fldMem, 0, Md);
        mem[2] = op("FST", X87LoadStore::fstMem, 0, Md);
        mem[3] = op("FSTP", X87LoadStore::fstMem, 0, Md);
        mem[4] = op("FLDENV", X87Control::fldenv, 0, Me);
        mem[5] = op("FLDCW", X87Control::fldcw, 0, Mw);
        mem[6] = op("FNSTENV", X87Control::fnstenv, 0, Me);
        mem[7] = op("FNSTCW", X87Control::fnstcw, 0, Mw);
        rows(reg, 0, op("FLD", X87LoadStore::fldSt, 0, STi));
        rows(reg, 1, op("FXCH", X87LoadStore::fxch, 0, STi));
        reg[0x10] = op("FNOP", X87Control::fnop, 0);
        rows(reg, 3, op("FSTP1", X87LoadStore::fstSt, 0, STi));
        reg[0x20] = op("FCHS", X87Arith::fchs, 0);
        reg[0x21] = op("FABS", X87Arith::fabs, 0);
        reg[0x24] = op("FTST", X87Compare::ftst, 0);
        reg[0x25] = op("FXAM", X87Compare::fxam, 0);
        String[] consts = {"FLD1", "FLDL2T", "FLDL2E", "FLDPI", "FLDLG2", "FLDLN2", "FLDZ"};
        for (int c = 0; c < consts.length; c++) {
          reg[0x28 + c] = op(consts[c], X87LoadStore::fldConst, 0);
        }
        reg[0x30] = op("F2XM1", X87Transcendental::f2xm1, 0);
        reg[0x31] = op("FYL2X", X87Transcendental::fyl2x, 0);
        reg[0x32] = op("FPTAN", X87Transcendental::fptan, 0);
        reg[0x33] = op("FPATAN", X87Transcendental::fpatan, 0);
        reg[0x34] = op("FXTRACT", X87Arith::fxtract, 0);
        reg[0x35] = op("FPREM1", X87Arith::fprem, 0);
        reg[0x36] = op("FDECSTP", X87Control::fdecstp, 0);
        reg[0x37] = op("FINCSTP", X87Control::fincstp, 0);
        reg[0x38] = op("FPREM", X87Arith::fprem, 0);
        reg[0x39] = op("FYL2XP1", X87Transcendental::fyl2xp1, 0);
        reg[0x3A] = op("FSQRT", X87Arith::unary, 0);
        reg[0x3B] = op("FSINCOS", X87Transcendental::fsincos, 0);
        reg[0x3C] = op("FRNDINT", X87Arith::unary, 0);
        reg[0x3D] = op("FSCALE", X87Arith::fscale, 0);
        reg[0x3E] = op("FSIN", X87Transcendental::fsin, 0);
        reg[0x3F] = op("FCOS", X87Transcendental::fcos, 0);
        break;
      case 2: // DA: 32-bit integer memory operand; FCMOVcc; FUCOMPP
        arithMem(mem, "I", Md);
        String[] cmov = {"FCMOVB", "FCMOVE", "FCMOVBE", "FCMOVU"};
        for (int r = 0; r < 4; r++) {
          rows(reg, r, op(cmov[r], X87LoadStore::fcmov, 0, ST0, STi));
        }
        reg[0x29] = op("FUCOMPP", X87Compare::fcompp, 0);
        break;
      case 3: // DB
        mem[0] = op("FILD", X87LoadStore::fild, 0, Md);
        mem[1] = op("FISTTP", X87LoadStore::fist, 0, Md);
        mem[2] = op("FIST", X87LoadStore::fist, 0, Md);
        mem[3] = op("FISTP", X87LoadStore::fist, 0, Md);
        mem[5] = op("FLD", X87LoadStore::fldMem, 0, Mt);
        mem[7] = op("FSTP", X87LoadStore::fstMem, 0, Mt);
        String[] cmovn = {"FCMOVNB", "FCMOVNE", "FCMOVNBE", "FCMOVNU"};
        for (int r = 0; r < 4; r++) {
          rows(reg, r, op(cmovn[r], X87LoadStore::fcmov, 0, ST0, STi));
        }
        reg[0x20] = op("FNENI", X87Control::fnopNoWait, 0);
        reg[0x21] = op("FNDISI", X87Control::fnopNoWait, 0);
        reg[0x22] = op("FNCLEX", X87Control::fnclex, 0);
        reg[0x23] = op("FNINIT", X87Control::fninit, 0);
        reg[0x24] = op("FNSETPM", X87Control::fnopNoWait, 0);
        rows(reg, 5, op("FUCOMI", X87Compare::fcomi, 0, ST0, STi));
        rows(reg, 6, op("FCOMI", X87Compare::fcomi, 0, ST0, STi));
        break;
      case 4: // DC: double-precision memory operand; ST(i) = ST(0) op' ST(i)
        arithMem(mem, "", Mq);
        for (int r = 0; r < 8; r++) {
          boolean cmp = r == 2 || r == 3;
          rows(reg, r, cmp ? op(ARITH_TO_STI[r], X87Compare::fcomReg, 0, ST0, STi)
              : op(ARITH_TO_STI[r], X87Arith::arithReg, 0, STi, ST0));
        }
        break;
      case 5: // DD
        mem[0] = op("FLD", X87LoadStore::fldMem, 0, Mq);
        mem[1] = op("FISTTP", X87LoadStore::fist, 0, Mq);
        mem[2] = op("FST", X87LoadStore::fstMem, 0, Mq);
        mem[3] = op("FSTP", X87LoadStore::fstMem, 0, Mq);
        mem[4] = op("FRSTOR", X87Control::frstor, 0, Me);
        mem[6] = op("FNSAVE", X87Control::fnsave, 0, Me);
        mem[7] = op("FNSTSW", X87Control::fnstsw, 0, Mw);
        rows(reg, 0, op("FFREE", X87Control::ffree, 0, STi));
        rows(reg, 1, op("FXCH4", X87LoadStore::fxch, 0, STi));
        rows(reg, 2, op("FST", X87LoadStore::fstSt, 0, STi));
        rows(reg, 3, op("FSTP", X87LoadStore::fstSt, 0, STi));
        rows(reg, 4, op("FUCOM", X87Compare::fcomReg, 0, ST0, STi));
        rows(reg, 5, op("FUCOMP", X87Compare::fcomReg, 0, ST0, STi));
        break;
      case 6: // DE: 16-bit integer memory operand; ST(i) = ST(0) op' ST(i), pop
        arithMem(mem, "I", Mw);
        for (int r = 0; r < 8; r++) {
          if (r == 3) {
            reg[0x19] = op("FCOMPP", X87Compare::fcompp, 0);
          } else if (r == 2) {
            rows(reg, r, op(ARITH_POP[r], X87Compare::fcomReg, 0, ST0, STi));
          } else {
            rows(reg, r, op(ARITH_POP[r], X87Arith::arithReg, 0, STi, ST0));
          }
        }
        break;
      case 7: // DF
        mem[0] = op("FILD", X87LoadStore::fild, 0, Mw);
        mem[1] = op("FISTTP", X87LoadStore::fist, 0, Mw);
        mem[2] = op("FIST", X87LoadStore::fist, 0, Mw);
        mem[3] = op("FISTP", X87LoadStore::fist, 0, Mw);
        mem[4] = op("FBLD", X87LoadStore::fbld, 0, Mt);
        mem[5] = op("FILD", X87LoadStore::fild, 0, Mq);
        mem[6] = op("FBSTP", X87LoadStore::fbstp, 0, Mt);
        mem[7] = op("FISTP", X87LoadStore::fist, 0, Mq);
        rows(reg, 0, op("FFREEP", X87Control::ffreep, 0, STi));
        rows(reg, 1, op("FXCH7", X87LoadStore::fxch, 0, STi));
        rows(reg, 2, op("FSTP8", X87LoadStore::fstSt, 0, STi));
        rows(reg, 3, op("FSTP9", X87LoadStore::fstSt, 0, STi));
        reg[0x20] = op("FNSTSW", X87Control::fnstsw, 0, AX);
        rows(reg, 5, op("FUCOMIP", X87Compare::fcomi, 0, ST0, STi));
        rows(reg, 6, op("FCOMIP", X87Compare::fcomi, 0, ST0, STi));
        break;
      default:
        throw new IllegalArgumentException("escape " + k);
    }
    return OpEntry.x87("ESC" + k, mem, reg);
  }

  /** The eight memory forms FADD … FDIVR (prefix "I" for the integer ones) with operand {@code m}. */
  private static void arithMem(OpEntry[] mem, String prefix, int m) {
    for (int r = 0; r < 8; r++) {
      boolean cmp = r == 2 || r == 3;
      Handler h = cmp ? X87Compare::fcomMem : X87Arith::arithMem;
      mem[r] = op(ARITH[r].charAt(0) + prefix + ARITH[r].substring(1), h, 0, m);
    }
  }

  /** The eight register forms ModRM = 11 reg i, i = 0..7, share one row. */
  private static void rows(OpEntry[] reg, int r, OpEntry e) {
    for (int i = 0; i < 8; i++) {
      reg[r << 3 | i] = e;
    }
  }
}
