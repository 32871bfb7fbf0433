package org.jkvm.translator.exec;

import java.util.ArrayList;
import java.util.List;
import org.jkvm.mmu.PhysicalMemory;
import org.jkvm.runtime.Backend;
import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Flags;
import org.jkvm.runtime.RunState;
import org.jkvm.runtime.VmxExitReason;
import org.jkvm.translator.isa.Decoder;
import org.jkvm.translator.isa.Insn;
import org.jkvm.translator.sem.GuestFault;
import org.jkvm.translator.sem.Interrupts;
import org.jkvm.translator.sem.Mem;

/**
 * The execution loop of one vCPU: between blocks it takes pending events (NMI, external interrupts,
 * kicks); it finds the block at CS:RIP through a direct-mapped jump cache keyed by linear address, then
 * the shared {@link CodeCache}, decoding on a miss; and it runs the block's instructions through their
 * handlers. A guest fault restores RIP to the faulting instruction and is delivered through the IDT.
 */
public final class Interpreter implements Backend.VcpuBackend {
  /** Instructions per block at most; bounds the work lost when a block is dropped. */
  static final int MAX_BLOCK_INSNS = 64;
  /** Timers (PIT, APIC) are polled after this many instructions: 20 us at 1 ns per instruction. */
  static final long POLL_INSNS = 20_000;
  static final int JC_BITS = 12;
  static final int JC_SIZE = 1 << JC_BITS;

  /**
   * Guest exceptions and interrupts, like QEMU's {@code -d int}: enable with
   * {@code -Dorg.slf4j.simpleLogger.log.jkvm.trace.int=debug}. Only exception and interrupt paths check it.
   */
  private static final org.slf4j.Logger TRACE_INT = org.slf4j.LoggerFactory.getLogger("jkvm.trace.int");

  /** Instructions kept in the trace ring for debugging (-Djkvm.trace=N); 0 keeps nothing. */
  static final int TRACE = Integer.getInteger("jkvm.trace", 0);

  private final CpuState c;
  private final CodeCache cache;
  private final long[] traceLa = new long[TRACE];
  private final Insn[] traceInsn = new Insn[TRACE];
  private int traceAt;
  /** The jump cache: linear address of RIP -> block, valid until the next TLB flush. */
  private final long[] jcLa = new long[JC_SIZE];
  private final int[] jcMode = new int[JC_SIZE];
  private final Block[] jcBlock = new Block[JC_SIZE];
  /**
   * Behind the jump cache, blocks by physical address: it survives TLB flushes (which empty the jump
   * cache: every CR3 write, every INVLPG), so that refilling the jump cache rarely needs the shared code
   * cache, whose lookup (a boxed key, Caffeine's bookkeeping) cost about 6% of a Linux boot. Entries are
   * checked for their key and validity; an evicted or overwritten block is no longer valid.
   */
  private final Block[] physBlock = new Block[PC_SIZE];
  static final int PC_BITS = 14;
  static final int PC_SIZE = 1 << PC_BITS;

  private long retired;
  private long nextPoll = POLL_INSNS;
  private long blocksBuilt;
  private long crossPageDecodes;
  private long jumpCacheMisses;
  private long codeCacheLookups;
  /** The translator, or null when this vCPU only interprets (engine interp, or -Djkvm.trace). */
  private final BlockCompiler jit;
  /** Set by translated code on a guest fault: the index of the faulting instruction in its block. */
  int faultIndex;
  private long compiledRuns;

  public Interpreter(CpuState c, CodeCache cache) {
    this.c = c;
    this.cache = cache;
    this.jit = TRACE > 0 ? null : cache.jit; // the trace ring records single instructions
    cache.register(c);
    c.tlb.setFlushListener(this::flushJumpCache);
  }

  private void flushJumpCache() {
    java.util.Arrays.fill(jcBlock, null);
  }

  @Override
  public long instructionsRetired() {
    return retired;
  }

  private void traceException(GuestFault f, Insn at) {
    TRACE_INT.debug("vcpu {}: exception {} at {}:{}{}{}", c.vcpuId, f.getMessage(),
        Integer.toHexString(c.segSel[CpuState.CS]), Long.toHexString(c.rip),
        f.vector == GuestFault.PF ? " cr2=" + Long.toHexString(c.cr2) : "", at == null ? " (fetch)" : " " + at);
  }

  /** The last instructions executed, oldest first (only with -Djkvm.trace=N). */
  @Override
  public void appendTrace(StringBuilder out) {
    for (int k = 0; k < TRACE; k++) {
      int i = (traceAt + k) % TRACE;
      if (traceInsn[i] != null) {
        out.append(String.format("  %016x  %s%n", traceLa[i], traceInsn[i]));
      }
    }
  }

  @Override
  public void appendStats(StringBuilder out) {
    out.append(String.format("  %-22s %12d%n", "blocks decoded", blocksBuilt));
    out.append(String.format("  %-22s %12d%n", "page-crossing blocks", crossPageDecodes));
    out.append(String.format("  %-22s %12d%n", "jump cache misses", jumpCacheMisses));
    out.append(String.format("  %-22s %12d%n", "code cache lookups", codeCacheLookups));
    out.append(String.format("  %-22s %12d%n", "code cache blocks", cache.size()));
    out.append(String.format("  %-22s %12d%n", "code page writes", cache.invalidations));
    out.append(String.format("  %-22s %12d%n", "TLB fills", c.tlb.fills));
    out.append(String.format("  %-22s %12d%n", "TLB flushes", c.tlb.flushes));
    if (jit != null) {
      out.append(String.format("  %-22s %12d%n", "jit region runs", compiledRuns));
      if (c.vcpuId == 0) {
        jit.appendStats(out); // the translator is the VM's: its counters once, under vCPU 0
      }
    }
  }

  @Override
  public int run(RunState run) {
    final CpuState c = this.c;
    for (;;) {
      if (c.events != 0) {
        int r = takeEvents();
        if (r >= 0) {
          return r;
        }
      }
      if (c.halted) {
        return VmxExitReason.HLT;
      }
      if (retired >= nextPoll) {
        nextPoll = retired + POLL_INSNS;
        c.hooks.pollTimers();
      }
      try {
        Block b = lookup();
        if ((c.rflags & Flags.TF) != 0) {
          singleStep(b);
        } else if (c.interruptShadow && c.events != 0) {
          // An event waits for the STI/MOV SS shadow: run just the one shadowed instruction, so that the
          // event is taken at the very next boundary (STI;NOP;CLI takes a pending interrupt after the NOP).
          execute(b, 1);
        } else {
          Compiled code = b.compiled;
          if (code == null && jit != null && b.executions >= jit.threshold && !b.queued) {
            jit.request(b);
            code = b.compiled;
          }
          if (code != null) {
            runCompiled(b, code);
          } else {
            execute(b);
          }
        }
      } catch (GuestFault f) {
        // Raised by a block lookup (instruction fetch #PF, CS limit #GP): RIP is already right.
        if (TRACE_INT.isDebugEnabled()) {
          traceException(f, null);
        }
        try {
          Interrupts.deliverException(c, f);
        } catch (Interrupts.TripleFault t) {
          return VmxExitReason.TRIPLE_FAULT;
        }
      } catch (Interrupts.TripleFault t) {
        return VmxExitReason.TRIPLE_FAULT;
      }
    }
  }

  /** Takes pending events; returns an exit reason, or -1 to go on running. */
  private int takeEvents() {
    int ev = c.events;
    if ((ev & CpuState.EVENT_CODE) != 0) {
      c.clearEvent(CpuState.EVENT_CODE); // the block that was cut short is looked up again below
    }
    if ((ev & CpuState.EVENT_KICK) != 0) {
      c.clearEvent(CpuState.EVENT_KICK);
      return VmxExitReason.EXTERNAL_INTERRUPT;
    }
    if ((ev & (CpuState.EVENT_INIT | CpuState.EVENT_SIPI)) != 0) {
      initSipi(ev);
    }
    if (c.waitSipi) {
      return -1; // deaf to NMIs and interrupts until a startup IPI
    }
    try {
      if ((ev & CpuState.EVENT_NMI) != 0 && !c.nmiBlocked && !c.interruptShadow) {
        c.clearEvent(CpuState.EVENT_NMI);
        c.nmiBlocked = true;
        Interrupts.deliver(c, GuestFault.NMI, 0, false, Interrupts.EXTERNAL, 1);
      }
      if ((ev & CpuState.EVENT_INTR) != 0 && (c.rflags & Flags.IF) != 0 && !c.interruptShadow) {
        int vector = c.hooks.acknowledgeInterrupt();
        if (!c.hooks.interruptPending()) {
          c.clearEvent(CpuState.EVENT_INTR);
        }
        if (vector >= 0) {
          if (TRACE_INT.isDebugEnabled()) {
            TRACE_INT.debug("vcpu {}: interrupt vector 0x{} at {}:{}", c.vcpuId, Integer.toHexString(vector),
                Integer.toHexString(c.segSel[CpuState.CS]), Long.toHexString(c.rip));
          }
          c.hooks.countExit(VmxExitReason.EXTERNAL_INTERRUPT);
          Interrupts.deliver(c, vector, 0, false, Interrupts.EXTERNAL, 1);
        }
      }
    } catch (GuestFault f) {
      try {
        Interrupts.deliverException(c, f);
      } catch (Interrupts.TripleFault t) {
        return VmxExitReason.TRIPLE_FAULT;
      }
    } catch (Interrupts.TripleFault t) {
      return VmxExitReason.TRIPLE_FAULT;
    }
    return -1;
  }

  /**
   * INIT puts the vCPU into its INIT state and wait-for-SIPI (KVM does the same for the bootstrap
   * processor, which a guest never sends INIT in practice); a startup IPI to a waiting vCPU starts it in
   * real mode at vector * 4096 (SDM Vol. 3A, 8.4.4.1). A SIPI to a running vCPU is ignored.
   */
  private void initSipi(int ev) {
    if ((ev & CpuState.EVENT_INIT) != 0) {
      c.clearEvent(CpuState.EVENT_INIT);
      c.resetForInit();
      c.waitSipi = true;
      c.halted = true;
    }
    if ((ev & CpuState.EVENT_SIPI) != 0) {
      c.clearEvent(CpuState.EVENT_SIPI);
      if (c.waitSipi) {
        c.waitSipi = false;
        c.halted = false;
        c.loadRealSegment(CpuState.CS, c.sipiVector << 8);
        c.rip = 0;
        c.updateMode();
      }
    }
  }

  /** The linear address of CS:RIP, after the CS limit check outside 64-bit mode (#GP(0)). */
  private long fetchAddress() {
    if (c.codeSize == 8) {
      return c.rip;
    }
    if ((c.rip & 0xFFFF_FFFFL) > (c.segLimit[CpuState.CS] & 0xFFFF_FFFFL)) {
      throw GuestFault.gp0();
    }
    return (c.segBase[CpuState.CS] + c.rip) & 0xFFFF_FFFFL;
  }

  private Block lookup() {
    long la = fetchAddress();
    int h = (int) (la ^ (la >>> JC_BITS)) & (JC_SIZE - 1);
    int decodeMode = Decoder.mode(c);
    int mode = decodeMode | (c.cpl == 3 ? 16 : 0);
    Block b = jcBlock[h];
    if (b != null && jcLa[h] == la && jcMode[h] == mode && b.valid) {
      return b;
    }
    jumpCacheMisses++;
    long gpa = Mem.translateFetch(c, la);
    int p = (int) (gpa ^ (gpa >>> PC_BITS)) & (PC_SIZE - 1);
    b = physBlock[p];
    if (b == null || b.gpa != gpa || b.mode != decodeMode || !b.valid) {
      codeCacheLookups++;
      b = cache.get(gpa, decodeMode);
      physBlock[p] = b;
    }
    if (b != null && b.valid && b.gpa2 >= 0) {
      long next = (la | (PhysicalMemory.PAGE_SIZE - 1)) + 1;
      if (Mem.translateFetch(c, c.codeSize == 8 ? next : next & 0xFFFF_FFFFL) != b.gpa2) {
        b = null; // the second page maps elsewhere now
      }
    }
    if (b == null || !b.valid) {
      b = build(la, gpa, decodeMode);
      physBlock[p] = b;
    }
    jcBlock[h] = b;
    jcLa[h] = la;
    jcMode[h] = mode;
    return b;
  }

  /**
   * Decodes a block at linear {@code la} (physical {@code gpa}) in decoding mode {@code mode}. Decoding
   * stops at a block-ending instruction, at the end of the page, or before an instruction that cannot be
   * decoded (it will fault when it is reached). An instruction that crosses into the next page ends the
   * block, which then depends on both pages (DESIGN.md rule 4).
   */
  private Block build(long la, long gpa, int mode) {
    blocksBuilt++;
    List<Insn> list = new ArrayList<>();
    long gpa2 = -1;
    int pos = 0;
    int pageLeft = (int) (PhysicalMemory.PAGE_SIZE - (la & (PhysicalMemory.PAGE_SIZE - 1)));
    final boolean wrap32 = c.codeSize != 8;
    while (list.size() < MAX_BLOCK_INSNS) {
      final long at = la + pos;
      Insn i;
      try {
        i = Decoder.decode(off -> Mem.fetch8(c, wrap32 ? (at + off) & 0xFFFF_FFFFL : at + off), mode);
      } catch (GuestFault f) {
        if (list.isEmpty()) {
          throw f;
        }
        break;
      }
      i.offsetInBlock = pos;
      i.step = i.atomic ? Steps.locked(i.handler) : Steps.of(i.handler);
      list.add(i);
      pos += i.len;
      if (pos > pageLeft) {
        // The instruction's tail is on the next page: it was fetched from there, so that page is mapped.
        long next = la + pageLeft;
        gpa2 = Mem.translateFetch(c, wrap32 ? next & 0xFFFF_FFFFL : next) & PhysicalMemory.PAGE_MASK;
        crossPageDecodes++;
        break;
      }
      if (i.endsBlock() || pos == pageLeft) {
        break;
      }
    }
    Block b = new Block(gpa, mode, list.toArray(new Insn[0]), pos, gpa2);
    cache.put(b);
    return b;
  }

  /**
   * EFLAGS.TF is set: runs one instruction, then raises the single-step #DB trap (DR6.BS) with RIP after it,
   * unless the instruction faulted or delivered an interrupt (SDM Vol. 3A, 17.3.1.4). Instructions that set
   * TF (POPF, IRET) end their blocks, so checking TF at block boundaries is enough.
   */
  private void singleStep(Block b) {
    c.singleStepPending = true;
    execute(b, 1);
    if (c.singleStepPending) {
      c.singleStepPending = false;
      c.dr[6] |= DR6_BS;
      Interrupts.deliverException(c, GuestFault.of(GuestFault.DB));
    }
  }

  /**
   * Whether a pending event can be taken at the next boundary: INIT/SIPI and kicks always, an NMI unless
   * NMIs are blocked, external interrupts when IF = 1 (the shadow is handled by the caller). A masked interrupt that stays pending
   * must not end every block.
   */
  static boolean eventDeliverable(CpuState c) {
    int ev = c.events;
    if ((ev & ~(CpuState.EVENT_INTR | CpuState.EVENT_NMI)) != 0) {
      return true;
    }
    return (ev & CpuState.EVENT_NMI) != 0 && !c.nmiBlocked
        || (ev & CpuState.EVENT_INTR) != 0 && (c.rflags & Flags.IF) != 0;
  }

  /** DR6.BS: the #DB was a single step. */
  static final long DR6_BS = 1L << 14;

  private void execute(Block b) {
    execute(b, b.insns.length);
  }

  /**
   * Runs block {@code b} through its translated code, which may go on through other blocks of its region:
   * the same effects as {@link #execute(Block)} on each, including the instruction count and the precise
   * RIP of a faulting instruction.
   */
  private void runCompiled(Block b, Compiled code) {
    compiledRuns++;
    // Translated code stops at the first block boundary at or after the next timer poll, where the
    // interpreter would poll too.
    int budget = (int) Math.min(Math.max(nextPoll - retired, 1), 1 << 20);
    int n;
    try {
      n = code.run(c, b, this, budget);
    } catch (GuestFault f) {
      c.interruptShadow = false;
      retired += faultIndex;
      if (TRACE_INT.isDebugEnabled()) {
        traceException(f, null);
      }
      Interrupts.deliverException(c, f);
      return;
    }
    retired += n;
  }

  /** Runs the first {@code limit} instructions of block {@code b}. */
  private void execute(Block b, int limit) {
    final CpuState c = this.c;
    final Insn[] insns = b.insns;
    b.executions++;
    long start = c.rip;
    int n = 0;
    try {
      for (; n < limit; n++) {
        Insn i = insns[n];
        start = c.rip;
        if (TRACE > 0) {
          traceLa[traceAt] = (c.codeSize == 8 ? 0 : c.segBase[CpuState.CS]) + start;
          traceInsn[traceAt] = i;
          traceAt = (traceAt + 1) % TRACE;
        }
        c.rip = start + i.len;
        i.step.exec(c, i);
        if (c.events != 0 && eventDeliverable(c)) {
          n++;
          // e.g. a self-IPI or an unmasked PIC line: take it at this boundary, not after a later CLI; or
          // EVENT_CODE: the block may have rewritten its own page, and the rest must be decoded again
          break;
        }
      }
      c.interruptShadow = (insns[n - 1].entry.flags & org.jkvm.translator.isa.OpEntry.SHADOW) != 0
          && n == insns.length && c.interruptShadow;
    } catch (GuestFault f) {
      c.rip = start;
      c.interruptShadow = false;
      retired += n;
      if (TRACE_INT.isDebugEnabled()) {
        traceException(f, insns[n]);
      }
      Interrupts.deliverException(c, f);
      return;
    }
    retired += n;
  }
}
