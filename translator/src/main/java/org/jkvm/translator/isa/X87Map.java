package org.jkvm.translator.isa;

import static org.jkvm.translator.isa.OpEntry.op;
import static org.jkvm.translator.isa.Operand.AX;
import static org.jkvm.translator.isa.Operand.Me;
import static org.jkvm.translator.isa.Operand.Mw;
import static org.jkvm.translator.isa.Operand.STi;

import org.jkvm.translator.sem.X87Control;

/**
 * The x87 escape opcodes D8-DF (SDM Vol. 2, Appendix A.4, Tables ): memory forms by ModRM.reg,
 * register forms by ModRM bits 5:0.
 */
final class X87Map {
  private X87Map() {}

  /** The row for escape opcode D8 + {@code k}. */
  static OpEntry escape(int k) {
    OpEntry[] mem = new OpEntry[8];
    OpEntry[] reg = new OpEntry[64];
    switch (k) {
      case 1: // D9
        mem[4] = op("FLDENV", X87Control::fldenv, 0, Me);
        mem[5] = op("FLDCW", X87Control::fldcw, 0, Mw);
        mem[6] = op("FNSTENV", X87Control::fnstenv, 0, Me);
        mem[7] = op("FNSTCW", X87Control::fnstcw, 0, Mw);
        reg[0x10] = op("FNOP", X87Control::fnop, 0);
        reg[0x36] = op("FDECSTP", X87Control::fdecstp, 0);
        reg[0x37] = op("FINCSTP", X87Control::fincstp, 0);
        break;
      case 3: // DB
        reg[0x22] = op("FNCLEX", X87Control::fnclex, 0);
        reg[0x23] = op("FNINIT", X87Control::fninit, 0);
        break;
      case 5: // DD
        mem[4] = op("FRSTOR", X87Control::frstor, 0, Me);
        mem[6] = op("FNSAVE", X87Control::fnsave, 0, Me);
        mem[7] = op("FNSTSW", X87Control::fnstsw, 0, Mw);
        for (int i = 0; i < 8; i++) {
          reg[i] = op("FFREE", X87Control::ffree, 0, STi);
        }
        break;
      case 7: // DF
        reg[0x20] = op("FNSTSW", X87Control::fnstsw, 0, AX);
        for (int i = 0; i < 8; i++) {
          reg[i] = op("FFREEP", X87Control::ffreep, 0, STi);
        }
        break;
      default:
        break;
    }
    return OpEntry.x87("ESC" + k, mem, reg);
  }
}
