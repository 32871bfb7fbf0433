package org.jkvm.translator.isa;

import java.io.Serializable;
import org.jkvm.runtime.CpuState;

/**
 * The semantics of one table row: a static method {@code void name(CpuState, Insn)} in a semantics class,
 * given as a method reference. The interpreter calls it; the translator emits {@code invokestatic} of the
 * same method, recovering its owner and name from the reference (DESIGN.md rule 1), which is why the type
 * is {@link Serializable}.
 */
@FunctionalInterface
public interface Handler extends Serializable {
  void exec(CpuState c, Insn i);
}
