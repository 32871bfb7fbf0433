package org.jkvm.translator.sem;

import org.jkvm.runtime.CpuState;
import org.jkvm.translator.isa.Insn;

/**
 * LOCK-prefixed instructions (and XCHG with memory, locked by definition) on a VM with more than one
 * vCPU. The instruction's own handler runs unchanged, armed so that its reads for write are remembered
 * and its write to the same place is a compare-and-swap against the value read ({@link Mem}). If another
 * vCPU changed the location in between, the write throws {@link Retry} before anything was changed
 * (handlers finish memory writes before they touch registers or flags) and the handler runs again: the
 * usual load-linked/store-conditional loop, with x86's all-or-nothing result.
 */
public final class Locked {
  private Locked() {}

  /** Orders 16-byte CMPXCHG16B against itself: the JVM has no 16-byte compare-and-swap. */
  static final Object WIDE = new Object();

  /** Thrown by a locked write that lost a race; caught only by {@link #exec}. */
  static final class Retry extends RuntimeException {
    static final Retry INSTANCE = new Retry();

    private Retry() {
      super(null, null, false, false);
    }
  }

  /** Runs a locked instruction atomically; the engines call it instead of the handler when SMP. */
  public static void exec(CpuState c, Insn i) {
    for (;;) {
      c.lockArmed = true;
      c.lockCount = 0;
      try {
        i.handler.exec(c, i);
        return;
      } catch (Retry r) {
        Thread.onSpinWait();
      } finally {
        c.lockArmed = false;
      }
    }
  }

  /** Remembers a read for write of the armed instruction. */
  static void remember(CpuState c, long la, int size, long v) {
    int k = c.lockCount;
    if (k < c.lockLa.length) {
      c.lockLa[k] = la;
      c.lockSize[k] = size;
      c.lockOld[k] = v;
      c.lockCount = k + 1;
    }
  }

  /** The slot of the remembered read at {@code la}, or -1 for a write the instruction did not read first. */
  static int slot(CpuState c, long la, int size) {
    for (int k = 0; k < c.lockCount; k++) {
      if (c.lockLa[k] == la && c.lockSize[k] == size) {
        return k;
      }
    }
    return -1;
  }
}
