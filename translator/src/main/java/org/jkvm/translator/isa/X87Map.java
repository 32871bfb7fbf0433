package org.jkvm.translator.isa;

/** The x87 escape opcodes D8-DF (SDM Vol. 2, Tables ). */
final class X87Map {
  private X87Map() {}

  /** The row for escape opcode D8 + {@code k}. */
  static OpEntry escape(int k) {
    return OpEntry.x87("ESC" + k, new OpEntry[8], new OpEntry[64]);
  }
}
