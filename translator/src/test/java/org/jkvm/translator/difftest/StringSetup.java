package org.jkvm.translator.difftest;

import java.util.SplittableRandom;

/**
 * MOVS, CMPS, STOS, LODS, SCAS, INS and OUTS: source and destination pointers that keep the whole run
 * inside the data buffer in either direction (or run off it on purpose), counts from zero to hundreds for
 * REP, and for the comparisons, runs of equal elements so that REPE and REPNE stop part-way.
 */
final class StringSetup {
  private StringSetup() {}

  static void apply(InsnBuilder b, GenContext g) {
    SplittableRandom r = g.r;
    String m = b.mnemonic();
    int elem = m.endsWith("B") ? 1 : b.opSize;
    boolean rep = b.repPrefix() >= 0;
    long count = 1;
    if (rep) {
      int roll = r.nextInt(20);
      count = roll < 2 ? 0 : roll < 12 ? r.nextInt(1, 9) : roll < 17 ? r.nextInt(9, 65) : roll < 19
          ? r.nextInt(65, 600) : 0x1_0000_0000L | r.nextInt(4);
      long c = count;
      if (b.addr32()) {
        c = (r.nextLong() & 0xFFFF_FFFF_0000_0000L) | (count & 0xFFFF_FFFFL);
      }
      if (!g.settable(InsnBuilder.RCX)) {
        Long known = g.known(InsnBuilder.RCX);
        count = known == null ? -1 : b.addr32() ? known & 0xFFFF_FFFFL : known;
      } else {
        g.set(InsnBuilder.RCX, c);
      }
    }
    boolean source = m.startsWith("MOVS") || m.startsWith("CMPS") || m.startsWith("LODS") || m.startsWith("OUTS");
    boolean dest = m.startsWith("MOVS") || m.startsWith("CMPS") || m.startsWith("STOS") || m.startsWith("SCAS")
        || m.startsWith("INS");
    long span = count < 0 || count > 4096 ? 64 : count * elem;
    int dir = g.dfKnown ? (g.df == 0 ? 1 : -1) : 0;
    int src = place(r, span, elem, dir);
    int dst = place(r, span, elem, dir);
    boolean srcSet = source && Setups.pointer(b, g, InsnBuilder.RSI, src, b.gsOverride());
    boolean dstSet = dest && Setups.pointer(b, g, InsnBuilder.RDI, dst, false);
    if (dir == 0 || count <= 0 || count > 4096) {
      return;
    }
    if (m.startsWith("CMPS") && srcSet && dstSet && r.nextBoolean()) {
      // Equal elements up to a random point: REPE runs that far, REPNE stops at once.
      int equal = r.nextInt((int) count + 1);
      for (int i = 0; i < equal; i++) {
        int s = src + dir * i * elem;
        int d = dst + dir * i * elem;
        if (Setups.inData(s, elem) && Setups.inData(d, elem)) {
          g.patchLe(d, elem, g.dataLe(s, elem));
        }
      }
    } else if (m.startsWith("SCAS") && dstSet && r.nextBoolean() && g.settable(InsnBuilder.RAX)) {
      int at = dst + dir * r.nextInt((int) count) * elem;
      if (Setups.inData(at, elem)) {
        long keep = elem == 8 ? 0 : r.nextLong() & ~((1L << (8 * elem)) - 1);
        g.set(InsnBuilder.RAX, keep | g.dataLe(at, elem) & (elem == 8 ? -1L : (1L << (8 * elem)) - 1));
      }
    }
  }

  /** A start offset so that {@code span} bytes in direction {@code dir} stay in the buffer (mostly). */
  private static int place(SplittableRandom r, long span, int elem, int dir) {
    int data = DiffLayout.DATA_SIZE;
    int s = (int) Math.min(span, data / 2);
    int roll = r.nextInt(20);
    if (roll == 0) {
      return dir >= 0 ? data - r.nextInt(1, 3 * elem + 1) : r.nextInt(0, 2 * elem); // runs off the end
    }
    int off;
    if (dir > 0) {
      off = r.nextInt(0, data - s - elem + 1);
    } else if (dir < 0) {
      off = r.nextInt(s, data - elem + 1);
    } else {
      off = r.nextInt(s, data - s - elem + 1);
    }
    return r.nextBoolean() ? off & ~(elem - 1) : off;
  }
}
