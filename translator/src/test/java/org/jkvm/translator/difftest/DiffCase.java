package org.jkvm.translator.difftest;

import java.util.ArrayList;
import java.util.List;

/**
 * One case: a few instructions and the complete initial state, with what must not be compared (the
 * architecturally undefined results) for each place the case can stop.
 */
final class DiffCase {
  /** Seed of the whole run and the case's index in it: enough to generate the case again. */
  long runSeed;
  long index;
  /** 64 (64-bit mode) or 32 (compatibility mode). */
  int mode = 64;
  byte[] code;
  /** Start offset of each instruction, then the end of the code: length = instructions + 1. */
  int[] starts;
  /** The table form of each instruction. */
  String[] forms;
  /**
   * Per instruction: how far apart the two sides' CR2 may be when it faults with #PF (0: exactly equal).
   * The order in which FXSAVE, FXRSTOR and the x87 environment instructions touch their image is
   * model-specific, so which address faults first is too.
   */
  int[] cr2Slack;
  /** The family of the case (the first instruction's). */
  String family;

  long dataSeed;
  final List<Patch> patches = new ArrayList<>();
  /** The data buffer's initial contents: the SplitMix64 fill of dataSeed plus the patches. */
  byte[] initialData;
  final long[] gpr = new long[16];
  long rflags;
  final byte[] fx = new byte[512];

  /** What is undefined if the case stops before instruction j (j = instructions: at the end). */
  Masks[] masks;

  /** Bytes written into the data buffer after its fill. */
  static final class Patch {
    final int off;
    final byte[] bytes;

    Patch(int off, byte[] bytes) {
      this.off = off;
      this.bytes = bytes;
    }
  }

  /** Results that are architecturally undefined at one point of a case. */
  static final class Masks {
    /** RFLAGS bits not to compare. */
    long flags;
    /** General registers whose value is undefined (bit n = register n). */
    int gprs;
    /** XMM registers holding approximate results (RCPPS, RSQRTPS …): lanes compared within the error bound. */
    int approxXmm;
    /** For approxXmm: lanes of 32 bits (single precision). */
    boolean approxScalarOnly;
    /**
     * An x87 transcendental ran: jkvm rounds its results correctly, the host (an AMD part) to within about
     * one ulp, so ST(i) may differ by one unit in the last place, C1 (rounded up) may differ, and PE may
     * where a result differs (X87HostTest has the same rule).
     */
    boolean approxX87;
    /** Data buffer byte ranges [from, to) not to compare. */
    final List<int[]> memory = new ArrayList<>();
    /** x87 status word bits not to compare (condition codes an instruction leaves undefined). */
    int fsw;

    Masks copy() {
      Masks m = new Masks();
      m.flags = flags;
      m.gprs = gprs;
      m.approxXmm = approxXmm;
      m.approxScalarOnly = approxScalarOnly;
      m.approxX87 = approxX87;
      m.memory.addAll(memory);
      m.fsw = fsw;
      return m;
    }
  }

  int instructions() {
    return starts.length - 1;
  }

  /** The initial data buffer, from the seed and the patches. */
  void buildInitialData() {
    byte[] d = new byte[DiffLayout.DATA_SIZE];
    long s = dataSeed;
    for (int i = 0; i < d.length; i += 8) {
      s += 0x9E3779B97F4A7C15L;
      long z = s;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      MachineState.putLe(d, i, 8, z ^ (z >>> 31));
    }
    for (Patch p : patches) {
      System.arraycopy(p.bytes, 0, d, p.off, p.bytes.length);
    }
    initialData = d;
  }
}
