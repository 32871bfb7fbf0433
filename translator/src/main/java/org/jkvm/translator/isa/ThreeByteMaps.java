package org.jkvm.translator.isa;

import static org.jkvm.translator.isa.OpEntry.MEM_ONLY;
import static org.jkvm.translator.isa.OpEntry.op;
import static org.jkvm.translator.isa.OpEntry.prefixed;
import static org.jkvm.translator.isa.Operand.Gv;
import static org.jkvm.translator.isa.Operand.Mv;

import org.jkvm.translator.sem.DataXfer;

/** The three-byte maps 0F 38 (Table A-4) and 0F 3A (Table A-5); SSSE3 rows come from {@link SseMap}. */
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
    SseMap.fill38(t);
    return t;
  }

  static OpEntry[] build3A() {
    OpEntry[] t = new OpEntry[256];
    SseMap.fill3A(t);
    return t;
  }
}
