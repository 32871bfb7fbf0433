package org.jkvm.translator.isa;

import org.jkvm.runtime.CpuState;

/**
 * A handler as the interpreter calls it: the same semantics method as {@link Handler}, behind an abstract
 * class instead of an interface. The interpreter's one call site sees hundreds of handler classes; a
 * megamorphic virtual call goes through the vtable in a few instructions, where an interface call scans
 * itables (HotSpot's itable stub was a third of the interpreter's time on memory-copy and SSE loops).
 */
public abstract class Step {
  protected Step() {}

  public abstract void exec(CpuState c, Insn i);
}
