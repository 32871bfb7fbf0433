package org.jkvm.translator.exec;

import org.jkvm.translator.isa.Decoder;
import org.jkvm.translator.isa.Insn;

/**
 * A run of decoded instructions starting at one guest physical address, ending at a control transfer, an
 * instruction that needs the hypervisor, a page boundary or a length limit. Blocks are keyed by physical
 * address and decoding mode, so they survive CR3 switches and serve every virtual alias of the code.
 */
public final class Block {
  final long gpa;
  /**
   * The decoding mode ({@link Decoder#mode}): the code size, with {@link Decoder#NO_VEX} in real and
   * virtual-8086 mode, where C4 and C5 decode differently.
   */
  final int mode;
  /** The code size, 2, 4 or 8. */
  final int codeSize;
  final Insn[] insns;
  /** Bytes covered, from {@link #gpa}. */
  final int length;
  /**
   * Guest physical address of the second page when the last instruction crosses into it, else -1. Such a
   * block is valid only while the next linear page still maps there, and a write to either page drops it.
   */
  final long gpa2;
  /** False once the page under the block was written; holders must look up again. */
  volatile boolean valid = true;
  /** Executions so far, the translator's heat measure. */
  long executions;
  /** Translated code, once the block is hot (engine jit); cleared when the code cache evicts it. */
  volatile Compiled compiled;
  /** Handed to the background translator and not finished yet. */
  volatile boolean queued;

  Block(long gpa, int mode, Insn[] insns, int length, long gpa2) {
    this.gpa = gpa;
    this.mode = mode;
    this.codeSize = mode & ~Decoder.NO_VEX;
    this.insns = insns;
    this.length = length;
    this.gpa2 = gpa2;
  }

  /** The cache key of the block at {@code gpa} decoded in {@code mode} (at most 9: four bits). */
  static long key(long gpa, int mode) {
    return gpa << 4 | mode;
  }

  public Insn[] insns() {
    return insns.clone();
  }

  public long gpa() {
    return gpa;
  }
}
