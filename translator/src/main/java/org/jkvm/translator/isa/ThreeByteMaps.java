package org.jkvm.translator.isa;

import static org.jkvm.translator.isa.OpEntry.MEM_ONLY;
import static org.jkvm.translator.isa.OpEntry.VEX;
import static org.jkvm.translator.isa.OpEntry.group;
import static org.jkvm.translator.isa.OpEntry.op;
import static org.jkvm.translator.isa.OpEntry.prefixed;
import static org.jkvm.translator.isa.Operand.By;
import static org.jkvm.translator.isa.Operand.Ey;
import static org.jkvm.translator.isa.Operand.Gv;
import static org.jkvm.translator.isa.Operand.Gy;
import static org.jkvm.translator.isa.Operand.Mv;

import org.jkvm.translator.sem.BitOps;
import org.jkvm.translator.sem.DataXfer;

/**
 * The three-byte maps 0F 38 (Table A-4) and 0F 3A (Table A-5); SSSE3 rows come from {@link SseMap}. The
 * same tables hold the VEX-encoded rows (VEX.mmmmm 00010 and 00011), marked {@link OpEntry#VEX}.
 */
final class ThreeByteMaps {
  private ThreeByteMaps() {}

  static OpEntry[] build38() {
    OpEntry[] t = new OpEntry[256];
    // MOVBE: 0F 38 F0/F1 without F2 (with F2 they are CRC32, SSE4.2: not advertised).
    // The 66 slot is the same row: there 66 is the operand-size prefix (MOVBE r16, m16).
    OpEntry load = op("MOVBE", DataXfer::movbe, MEM_ONLY, Gv, Mv);
    OpEntry store = op("MOVBE", DataXfer::movbe, MEM_ONLY, Mv, Gv);
    t[0xF0] = prefixed(load, load, null, null);
    t[0xF1] = prefixed(store, store, null, null);
    // BMI1: VEX.LZ.0F38 with no implied prefix (VEX.pp = 00); VEX.W1 is the 64-bit form in 64-bit mode.
    // Without VEX these opcodes are #UD; with VEX.pp = 66, F3 or F2 they are BMI2 (not advertised): #UD.
    t[0xF2] = prefixed(op("ANDN", BitOps::andn, VEX, Gy, By, Ey), null, null, null);
    t[0xF3] = prefixed(group("Grp17", null,
        op("BLSR", BitOps::blsr, VEX, By, Ey),
        op("BLSMSK", BitOps::blsmsk, VEX, By, Ey),
        op("BLSI", BitOps::blsi, VEX, By, Ey)), null, null, null);
    t[0xF7] = prefixed(op("BEXTR", BitOps::bextr, VEX, Gy, Ey, By), null, null, null);
    SseMap.fill38(t);
    return t;
  }

  static OpEntry[] build3A() {
    OpEntry[] t = new OpEntry[256];
    SseMap.fill3A(t);
    return t;
  }
}
