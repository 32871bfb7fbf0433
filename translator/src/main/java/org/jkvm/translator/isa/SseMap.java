package org.jkvm.translator.isa;

/**
 * SSE, SSE2, SSE3, SSSE3 and MMX rows of the 0F, 0F 38 and 0F 3A maps (SDM Vol. 2, Tables ),
 * selected by mandatory prefix.
 */
final class SseMap {
  private SseMap() {}

  static void fillTwoByte(OpEntry[] t) {
  }

  static void fill38(OpEntry[] t) {
  }

  static void fill3A(OpEntry[] t) {
  }
}
