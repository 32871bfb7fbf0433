package org.jkvm.translator.exec;

import org.jkvm.runtime.CpuState;
import org.jkvm.translator.sem.GuestFault;

/**
 * Translated code for one block: the superclass of the hidden classes {@link BlockCompiler} defines. The
 * generated {@link #run} does what {@link Interpreter}'s execute loop does for the whole block and returns
 * the number of instructions retired; on a guest fault it leaves RIP at the faulting instruction, records
 * its index in {@link Interpreter#faultIndex} and rethrows.
 */
abstract class Compiled {
  final Block block;
  /** Bytecode bytes of the class, the weight in the compiled-code cache. */
  final int bytes;

  Compiled(Block block, int bytes) {
    this.block = block;
    this.bytes = bytes;
  }

  /**
   * Runs from the entry block on, through the blocks of its region, until a block leaves the region, an
   * event can be delivered, or {@code budget} instructions have retired (at a block boundary); returns the
   * instructions retired and leaves the interrupt shadow as the interpreter would.
   */
  abstract int run(CpuState c, Block b, Interpreter it, int budget);

  /** Called by generated exception handlers: precise state for instruction {@code k}, from translation data. */
  static GuestFault fault(CpuState c, Block b, Interpreter it, long base, int k, int retired, GuestFault f) {
    c.rip = base + b.insns[k].offsetInBlock;
    it.faultIndex = retired + k;
    return f;
  }
}
