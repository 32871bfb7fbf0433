package org.jkvm.translator.difftest;

/** A full dump of a case's initial state and both final states, for debugging one case (--verbose). */
final class Dump {
  private Dump() {}

  static String states(DiffCase k, MachineState host, MachineState jk) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("  initial: rflags %08x%n", k.rflags));
    regs(sb, "    ", k.gpr);
    fx(sb, "    ", k.fx);
    for (DiffCase.Patch p : k.patches) {
      sb.append(String.format("    patch %04x:", p.off));
      for (byte b : p.bytes) {
        sb.append(String.format(" %02x", b & 0xFF));
      }
      sb.append('\n');
    }
    state(sb, "host", host);
    state(sb, "jkvm", jk);
    return sb.toString();
  }

  private static void state(StringBuilder sb, String who, MachineState s) {
    if (s.error != null) {
      sb.append("  ").append(who).append(": ").append(s.error).append('\n');
      return;
    }
    sb.append(String.format("  %s: %s rip %x rflags %08x%n", who,
        s.faulted ? Compare.vectorName(s.vector) + String.format("(%x) cr2 %x", s.errorCode, s.cr2) : "end", s.rip,
        s.rflags));
    regs(sb, "    ", s.gpr);
    fx(sb, "    ", s.fx);
  }

  private static void regs(StringBuilder sb, String ind, long[] g) {
    for (int r = 0; r < 16; r += 4) {
      sb.append(ind).append(String.format("r%-2d %016x  r%-2d %016x  r%-2d %016x  r%-2d %016x%n", r, g[r], r + 1,
          g[r + 1], r + 2, g[r + 2], r + 3, g[r + 3]));
    }
  }

  private static void fx(StringBuilder sb, String ind, byte[] fx) {
    sb.append(ind).append(String.format("fcw %04x fsw %04x ftw %02x mxcsr %08x%n", MachineState.le(fx, 0, 2),
        MachineState.le(fx, 2, 2), fx[4] & 0xFF, MachineState.le(fx, 24, 4)));
    for (int st = 0; st < 8; st++) {
      sb.append(ind).append(String.format("st%d %04x:%016x", st, MachineState.le(fx, 40 + 16 * st, 2),
          MachineState.le(fx, 32 + 16 * st, 8))).append(st % 4 == 3 ? "\n" : "  ");
    }
    for (int x = 0; x < 16; x++) {
      sb.append(ind).append(String.format("xmm%-2d %016x_%016x", x, MachineState.le(fx, 168 + 16 * x, 8),
          MachineState.le(fx, 160 + 16 * x, 8))).append(x % 2 == 1 ? "\n" : "  ");
    }
  }
}
