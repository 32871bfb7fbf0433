package org.jkvm.translator.difftest;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * What the generator knows while it builds one case: the initial register values (which setups may still
 * choose), which registers earlier instructions may have written (their values are then unknown), the
 * data buffer as it will start, the stack pointer's offset while it is known, and the values that can only
 * be filled in once every instruction's address is known (branch targets).
 */
final class GenContext {
  final SplittableRandom r;
  final long[] init = new long[16];
  /** Registers an earlier instruction may have written. */
  int dirty;
  /** Registers whose initial value is chosen and must stay. */
  int frozen;
  /** Initial data buffer contents as far as patches have set them. */
  final byte[] data;
  final long dataSeed;
  final List<DiffCase.Patch> patches = new ArrayList<>();
  /** RSP minus its initial value, while only pushes and pops of known size have changed it. */
  long rspDelta;
  boolean rspKnown = true;
  /** The direction flag while known. */
  int df;
  boolean dfKnown = true;
  final List<Fixup> fixups = new ArrayList<>();
  /** The initial FXSAVE image, which setups may still change while {@link #x87Touched} is false. */
  byte[] fx;
  /** An earlier instruction may have changed the x87 registers, TOP or tags. */
  boolean x87Touched;
  /** A setup could not give an instruction defined inputs: the case is drawn again. */
  boolean reject;

  /** A value that depends on where the instructions end up: a branch target. */
  static final class Fixup {
    static final int REL = 0; // a relative displacement in the code
    static final int REG = 1; // an initial register value
    static final int MEM = 2; // a quadword (or doubleword) in the data buffer
    final int kind;
    /** REL: offset of the displacement in the code; REG: register; MEM: data offset. */
    final int where;
    /** REL: displacement size; MEM: bytes. */
    final int size;
    /** REL: code offset the displacement is relative to (the end of the instruction). */
    int from;
    /** The target: an instruction index, or the instruction count for the end of the case. */
    final int target;

    Fixup(int kind, int where, int size, int target) {
      this.kind = kind;
      this.where = where;
      this.size = size;
      this.target = target;
    }
  }

  GenContext(SplittableRandom r, long dataSeed, byte[] initialFill) {
    this.r = r;
    this.dataSeed = dataSeed;
    this.data = initialFill;
  }

  /** The register's value before the current instruction, if it is still its initial value. */
  Long known(int reg) {
    if ((dirty & (1 << reg)) != 0) {
      return null;
    }
    frozen |= 1 << reg;
    return init[reg];
  }

  boolean clean(int reg) {
    return (dirty & (1 << reg)) == 0;
  }

  /** Whether a setup may still choose this register's initial value. */
  boolean settable(int reg) {
    return ((dirty | frozen) & (1 << reg)) == 0;
  }

  /** Chooses a register's initial value (caller checked {@link #settable}). */
  void set(int reg, long v) {
    init[reg] = v;
    frozen |= 1 << reg;
  }

  /** Sets the register if allowed; returns whether it now holds {@code v}. */
  boolean trySet(int reg, long v) {
    if (settable(reg)) {
      set(reg, v);
      return true;
    }
    return clean(reg) && init[reg] == v;
  }

  void write(int regMask) {
    dirty |= regMask;
  }

  /** Writes bytes into the initial data buffer (clipped to the buffer). */
  void patch(int off, byte[] bytes) {
    for (int at = 0; at < bytes.length; at += 16) {
      int from = off + at;
      int n = Math.min(16, bytes.length - at);
      int lo = Math.max(from, 0);
      int hi = Math.min(from + n, DiffLayout.DATA_SIZE);
      if (lo >= hi) {
        continue;
      }
      byte[] b = new byte[hi - lo];
      System.arraycopy(bytes, at + (lo - from), b, 0, b.length);
      patches.add(new DiffCase.Patch(lo, b));
      System.arraycopy(b, 0, data, lo, b.length);
    }
  }

  void patchLe(int off, int bytes, long v) {
    byte[] b = new byte[bytes];
    MachineState.putLe(b, 0, bytes, v);
    patch(off, b);
  }

  /** Reads the initial data buffer (zero outside it). */
  long dataLe(int off, int bytes) {
    long v = 0;
    for (int i = bytes - 1; i >= 0; i--) {
      int a = off + i;
      v = v << 8 | (a >= 0 && a < data.length ? data[a] & 0xFF : 0);
    }
    return v;
  }
}
