package org.jkvm.translator.difftest;

import java.util.List;

/**
 * What is undefined at each point a case can stop: a forward data-flow pass to a fixed point over the
 * case's control flow (branches go forward; returns may go anywhere), joining by union. Returns null if an
 * instruction may read a flag or x87 condition code that is undefined on some path to it.
 */
final class MaskFlow {
  private MaskFlow() {}

  static DiffCase.Masks[] compute(List<GenInsn> insns, int n) {
    long[] flags = new long[n + 1];
    int[] fsw = new int[n + 1];
    int[] gprs = new int[n + 1];
    int[] approx = new int[n + 1];
    boolean[] scalar = new boolean[n + 1];
    boolean[] x87 = new boolean[n + 1];
    boolean[] reached = new boolean[n + 1];
    @SuppressWarnings("unchecked")
    java.util.Set<Long>[] memory = new java.util.Set[n + 1];
    for (int j = 0; j <= n; j++) {
      memory[j] = new java.util.LinkedHashSet<>();
    }
    reached[0] = true;
    boolean changed = true;
    while (changed) {
      changed = false;
      for (int k = 0; k < n; k++) {
        if (!reached[k]) {
          continue;
        }
        GenInsn gi = insns.get(k);
        long f = gi.effect.apply(flags[k]);
        int s = (fsw[k] & ~gi.definedFsw) | gi.undefinedFsw;
        int gp = gprs[k] | gi.undefinedGprs;
        int ap = approx[k] | gi.approxXmm;
        boolean sc = scalar[k] || gi.approxScalar;
        boolean ax = x87[k] || gi.approxX87;
        java.util.Set<Long> mem = new java.util.LinkedHashSet<>(memory[k]);
        for (int[] range : gi.undefinedMemory) {
          mem.add((long) range[0] << 32 | (range[1] & 0xFFFF_FFFFL));
        }
        for (int succ = 1; succ <= n; succ++) {
          if (!successor(gi, k, succ)) {
            continue;
          }
          long nf = flags[succ] | f;
          int ns = fsw[succ] | s;
          int ng = gprs[succ] | gp;
          int na = approx[succ] | ap;
          boolean nsc = scalar[succ] || sc;
          boolean nax = x87[succ] || ax;
          boolean grew = !reached[succ] || nf != flags[succ] || ns != fsw[succ] || ng != gprs[succ]
              || na != approx[succ] || nsc != scalar[succ] || nax != x87[succ]
              || !memory[succ].containsAll(mem);
          if (grew) {
            reached[succ] = true;
            flags[succ] = nf;
            fsw[succ] = ns;
            gprs[succ] = ng;
            approx[succ] = na;
            scalar[succ] = nsc;
            x87[succ] = nax;
            memory[succ].addAll(mem);
            changed = true;
          }
        }
      }
    }
    for (int k = 0; k < n; k++) {
      GenInsn gi = insns.get(k);
      if (reached[k] && ((gi.flagsRead & flags[k]) != 0 || gi.readsFsw && fsw[k] != 0)) {
        return null;
      }
      if (reached[k] && gi.readsImplicitMemory && !memory[k].isEmpty()) {
        return null; // a string source or a pop could copy bytes left undefined (FNSTENV's pointers)
      }
      if (reached[k] && gi.memRange != null) {
        for (long range : memory[k]) {
          int lo = (int) (range >> 32);
          int hi = (int) range;
          if (gi.memRange[0] < hi && lo < gi.memRange[1]) {
            return null; // it would read (or partly keep) bytes left undefined, such as FXSAVE's pointers
          }
        }
      }
    }
    DiffCase.Masks[] out = new DiffCase.Masks[n + 1];
    for (int j = 0; j <= n; j++) {
      DiffCase.Masks mk = new DiffCase.Masks();
      mk.flags = flags[j];
      mk.fsw = fsw[j];
      mk.gprs = gprs[j];
      mk.approxXmm = approx[j];
      mk.approxScalarOnly = scalar[j];
      mk.approxX87 = x87[j];
      for (long range : memory[j]) {
        mk.memory.add(new int[] {(int) (range >> 32), (int) range});
      }
      out[j] = mk;
    }
    return out;
  }

  private static boolean successor(GenInsn gi, int k, int succ) {
    switch (gi.flow) {
      case GenInsn.FLOW_NEXT:
        return succ == k + 1;
      case GenInsn.FLOW_COND:
        return succ == k + 1 || succ == gi.target;
      case GenInsn.FLOW_JUMP:
        return succ == gi.target;
      default:
        return true;
    }
  }
}
