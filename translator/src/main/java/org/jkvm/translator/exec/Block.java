package org.jkvm.translator.exec;

import org.jkvm.translator.isa.Insn;

/**
 * A run of decoded instructions starting at one guest physical address, ending at a control transfer, an
 * instruction that needs the hypervisor, a page boundary or a length limit. Blocks are keyed by physical
 * address and code size, so they survive CR3 switches and serve every virtual alias of the code.
 */
public final class Block {
  final long gpa;
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

  Block(long gpa, int codeSize, Insn[] insns, int length, long gpa2) {
    this.gpa = gpa;
    this.codeSize = codeSize;
    this.insns = insns;
    this.length = length;
    this.gpa2 = gpa2;
  }

  static long key(long gpa, int codeSize) {
    return gpa << 2 | Integer.numberOfTrailingZeros(codeSize) - 1;
  }

  public Insn[] insns() {
    return insns.clone();
  }

  public long gpa() {
    return gpa;
  }
}
