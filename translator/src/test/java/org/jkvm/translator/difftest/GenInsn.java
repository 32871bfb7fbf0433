package org.jkvm.translator.difftest;

import java.util.ArrayList;
import java.util.List;
import org.jkvm.translator.isa.FormCatalog.Form;

/** One generated instruction: its bytes and what the case's bookkeeping needs to know about it. */
final class GenInsn {
  static final int FLOW_NEXT = 0;
  /** Conditional: the next instruction or {@link #target}. */
  static final int FLOW_COND = 1;
  /** Unconditional transfer to {@link #target}. */
  static final int FLOW_JUMP = 2;
  /** Anywhere (returns, transfers whose target may not be what the generator set up). */
  static final int FLOW_ANY = 3;

  final Form form;
  final int start;
  byte[] bytes;
  int opSize;
  int addrSize;
  long flagsRead;
  FlagRules.Effect effect = FlagRules.NONE;
  /** General registers this instruction may write. */
  int writes;
  int flow = FLOW_NEXT;
  int target = -1;
  /** Results this instruction may leave undefined. */
  int undefinedGprs;
  final List<int[]> undefinedMemory = new ArrayList<>();
  int approxXmm;
  boolean approxScalar;
  /** An x87 transcendental: its results may be one ulp from the host's (see DiffCase.Masks#approxX87). */
  boolean approxX87;
  /** x87 condition-code bits (C0-C3) left undefined, and written with defined values. */
  int undefinedFsw;
  int definedFsw;
  /** Stores the x87 status word (so its undefined bits must not be). */
  boolean readsFsw;
  /** POPF or IRET, and whether the RFLAGS image it pops was set up (without TF or AC). */
  boolean popsFlags;
  boolean flagsPatched;
  /** Where the RFLAGS image was patched (data offset, bytes) and its value. */
  int flagsAt;
  int flagsSize;
  long flagsValue;
  /** How far CR2 may differ if this instruction page-faults (see DiffCase.cr2Slack). */
  int cr2Slack;
  /** The data-buffer range of the explicit memory operand, or null. */
  int[] memRange;
  /**
   * Reads memory other than through its explicit operand (string sources, stack pops, XLAT): what it
   * reads is not known to the generator, so it must not run while any memory is undefined.
   */
  boolean readsImplicitMemory;
  /** May write memory (a memory operand, the stack, a string destination). */
  boolean writesMemory;

  GenInsn(Form form, int start) {
    this.form = form;
    this.start = start;
  }

  int end() {
    return start + bytes.length;
  }
}
