package org.jkvm.translator.difftest;

/**
 * The addresses both sides of the differential tester use. The native runner is compiled with these as
 * -D options, and jkvm's test guest maps the same virtual addresses, so that RIP, RSP and every memory
 * operand mean the same thing in both.
 */
final class DiffLayout {
  private DiffLayout() {}

  /** The code page: the case's bytes at its start, then the way back to the runner. */
  static final long CODE_VA = 0x1000_0000L;
  static final int CODE_SIZE = 4096;
  /** The data buffer: memory operands and the stack point into it. Unmapped pages on both sides. */
  static final long DATA_VA = 0x2000_0000L;
  static final int DATA_SIZE = 16384;
  /** The stack occupies the top of the data buffer; RSP starts somewhere in this window. */
  static final int STACK_LOW = 0x2800;
  static final int STACK_HIGH = 0x3F00;
  /** GS.base on both sides (the runner sets it with arch_prctl), so GS overrides can be tested. */
  static final long GS_BASE = 0x1800_0000L;
  /** Native only: the trampolines into and out of compatibility mode. */
  static final long COMPAT_VA = 0x3000_0000L;

  // jkvm only: where its exception handlers, descriptor tables and kernel stack live (supervisor pages far
  // from anything a case can reach), and the page a finished case jumps to.
  static final long SUP_VA = 0x7_0000_0000L;
  /** Within the code page: a HLT that faults at CPL 3 marks the end of a case in jkvm. */
  static final long END_VA = CODE_VA + 0xFF0;

  /** Linux's user selectors (arch/x86/include/asm/segment.h), which jkvm's test GDT mirrors. */
  static final int USER32_CS = 0x23;
  static final int USER_DS = 0x2B;
  static final int USER_CS = 0x33;

  /** The length of the jump back that follows a 64-bit case's bytes (jmp [rip+0]; .quad target). */
  static final int TRAILER_LEN = 14;
}
