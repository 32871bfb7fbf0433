package org.jkvm.runtime;

import org.jkvm.mmu.PageWalker;
import org.jkvm.mmu.PhysicalMemory;
import org.jkvm.mmu.SoftTlb;

/**
 * The architectural state of one vCPU, plus the references its execution engine needs (memory, TLB,
 * exit hooks). Fields are public and mutable because the interpreter and translated code touch them on
 * every instruction; the KVM-shaped accessors in {@link Vcpu} are the API for everybody else.
 *
 * <p>Segment registers are kept as their descriptor caches (SDM Vol. 3A, 3.4.3), with attributes in the
 * VMX access-rights layout:
 * <pre>
 *   bits 3:0 type | 4 S | 6:5 DPL | 7 P | 12 AVL | 13 L | 14 D/B | 15 G | 16 unusable
 * </pre>
 */
public final class CpuState {
  // General registers in encoding order.
  public static final int RAX = 0;
  public static final int RCX = 1;
  public static final int RDX = 2;
  public static final int RBX = 3;
  public static final int RSP = 4;
  public static final int RBP = 5;
  public static final int RSI = 6;
  public static final int RDI = 7;

  // Segment registers in encoding order (the reg field of MOV Sreg).
  public static final int ES = 0;
  public static final int CS = 1;
  public static final int SS = 2;
  public static final int DS = 3;
  public static final int FS = 4;
  public static final int GS = 5;

  public static final int SEG_TYPE = 0xF;
  public static final int SEG_S = 1 << 4;
  public static final int SEG_DPL_SHIFT = 5;
  public static final int SEG_P = 1 << 7;
  public static final int SEG_AVL = 1 << 12;
  public static final int SEG_L = 1 << 13;
  public static final int SEG_DB = 1 << 14;
  public static final int SEG_G = 1 << 15;
  public static final int SEG_UNUSABLE = 1 << 16;

  public static final long CR0_PE = 1L;
  public static final long CR0_MP = 1L << 1;
  public static final long CR0_EM = 1L << 2;
  public static final long CR0_TS = 1L << 3;
  public static final long CR0_ET = 1L << 4;
  public static final long CR0_NE = 1L << 5;
  public static final long CR0_WP = 1L << 16;
  public static final long CR0_AM = 1L << 18;
  public static final long CR0_NW = 1L << 29;
  public static final long CR0_CD = 1L << 30;
  public static final long CR0_PG = 1L << 31;

  public static final long CR4_VME = 1L;
  public static final long CR4_PVI = 1L << 1;
  public static final long CR4_TSD = 1L << 2;
  public static final long CR4_DE = 1L << 3;
  public static final long CR4_PSE = 1L << 4;
  public static final long CR4_PAE = 1L << 5;
  public static final long CR4_MCE = 1L << 6;
  public static final long CR4_PGE = 1L << 7;
  public static final long CR4_PCE = 1L << 8;
  public static final long CR4_OSFXSR = 1L << 9;
  public static final long CR4_OSXMMEXCPT = 1L << 10;
  public static final long CR4_UMIP = 1L << 11;
  public static final long CR4_FSGSBASE = 1L << 16;
  public static final long CR4_PCIDE = 1L << 17;
  public static final long CR4_OSXSAVE = 1L << 18;
  public static final long CR4_SMEP = 1L << 20;
  public static final long CR4_SMAP = 1L << 21;

  public static final long EFER_SCE = 1L;
  public static final long EFER_LME = 1L << 8;
  public static final long EFER_LMA = 1L << 10;
  public static final long EFER_NXE = 1L << 11;

  // ---- integer state ----
  public final long[] gpr = new long[16];
  /**
   * During execution of an instruction, the address of the next instruction; between instructions, the
   * address of the next one to run. Relative branches and RIP-relative operands add to it.
   */
  public long rip;
  /** RFLAGS. The arithmetic flags here are stale unless ccOp is {@link Flags#EFLAGS}. */
  public long rflags = Flags.FIXED1;
  public int ccOp = Flags.EFLAGS;
  public long ccDst;
  public long ccSrc;
  public long ccSrc2;

  // ---- segmentation ----
  public final int[] segSel = new int[6];
  public final long[] segBase = new long[6];
  /** Segment limits, already scaled by the granularity bit (byte granular, inclusive). */
  public final int[] segLimit = new int[6];
  public final int[] segAttr = new int[6];
  public long gdtBase;
  public int gdtLimit;
  public long idtBase;
  public int idtLimit;
  public int ldtSel;
  public long ldtBase;
  public int ldtLimit;
  public int ldtAttr;
  public int trSel;
  public long trBase;
  public int trLimit;
  public int trAttr;

  // ---- control, debug and model-specific registers ----
  public long cr0 = CR0_ET | CR0_NW | CR0_CD;
  public long cr2;
  public long cr3;
  public long cr4;
  public long cr8;
  public long efer;
  public final long[] dr = new long[8];
  public long xcr0 = 1;

  public long star;
  public long lstar;
  public long cstar;
  public long sfmask;
  public long kernelGsBase;
  public long tscAux;
  public long sysenterCs;
  public long sysenterEsp;
  public long sysenterEip;
  public long pat = 0x0007_0406_0007_0406L;
  public long miscEnable = 1; // fast strings, as kvmtool sets it
  public long apicBase = 0xFEE0_0000L | (1L << 11) | (1L << 8); // enabled, BSP
  /** Guest TSC = host-derived counter + tscOffset. */
  public long tscOffset;

  // ---- x87, SSE ----
  /** x87 registers R0-R7 (physical order), 80-bit: mantissa (explicit integer bit) and sign|exponent. */
  public final long[] fpMant = new long[8];
  public final int[] fpExp = new int[8];
  public int fpTop;
  /** Full tag word (2 bits per physical register; 3 = empty). */
  public int fpTag = 0xFFFF;
  public int fcw = 0x37F;
  public int fsw;
  public int fop;
  public long fip;
  public long fdp;
  public int fcs;
  public int fds;
  /**
   * Working registers of the x87 soft-float (result significand, sign|exponent, raised exceptions …),
   * per vCPU so that x87 arithmetic allocates nothing.
   */
  public final long[] fpWork = new long[6];
  /** Scratch for instructions that produce two quadwords at once (SSE operand reads). */
  public final long[] scratch = new long[4];
  /** MXCSR exception flags raised by the SIMD instruction being executed (SSE semantics). */
  public int simdFlags;
  /** XMM0-15: low quadword at [2n], high at [2n+1]. */
  public final long[] xmm = new long[32];
  public int mxcsr = 0x1F80;

  // ---- derived mode, kept in step by the setters below ----
  /** Current privilege level. */
  public int cpl;
  /** Default operand/address size of the code segment: 2, 4 or 8 bytes. */
  public int codeSize = 2;
  /** SS.B: the stack is 32-bit (4) or 16-bit (2); 8 in 64-bit mode. */
  public int stackSize = 2;
  /** Index of the TLB partition for data accesses at the current privilege ({@link PageWalker}). */
  public int mmuIdx = PageWalker.MMU_KSMAP;

  // ---- interrupt state ----
  /** Set when the previous instruction was STI, MOV SS or POP SS: interrupts wait one instruction. */
  public boolean interruptShadow;
  public boolean nmiBlocked;
  /**
   * Set by the execution loop before an instruction that starts with EFLAGS.TF = 1: if the instruction
   * completes without delivering an event (which clears it), a single-step #DB trap follows it.
   */
  public boolean singleStepPending;
  public boolean halted;
  /**
   * Asynchronous events, written by other threads (device interrupts, kicks): checked by the execution
   * loop between blocks. See the EVENT_* bits.
   */
  public volatile int events;
  public static final int EVENT_INTR = 1;
  public static final int EVENT_NMI = 2;
  public static final int EVENT_KICK = 4;
  public static final int EVENT_INIT = 8;
  public static final int EVENT_SIPI = 16;
  /**
   * Guest code that this vCPU may be running was written (by itself, another vCPU or a device): the
   * interpreter ends its block at the next instruction boundary and looks the code up again. An event,
   * so that the interpreter tests one field per instruction for both.
   */
  public static final int EVENT_CODE = 32;
  public int sipiVector;

  // ---- SMP ----
  /**
   * Set when the VM has more than one vCPU: LOCK-prefixed read-modify-writes (and XCHG with memory) then
   * write with a compare-and-swap, so that they are atomic against every other vCPU's accesses.
   */
  public boolean atomics;
  /** Set by the engine while a locked instruction runs: its reads for write are remembered below. */
  public boolean lockArmed;
  /** Read-for-write accesses of the running locked instruction: linear address, size, value read. */
  public int lockCount;
  public final long[] lockLa = new long[2];
  public final int[] lockSize = new int[2];
  public final long[] lockOld = new long[2];
  /**
   * Wait-for-SIPI (KVM_MP_STATE_INIT_RECEIVED): an application processor from creation or any vCPU after
   * INIT sleeps, deaf to interrupts, until a startup IPI gives it a real-mode entry point.
   */
  public boolean waitSipi;

  // ---- engine wiring ----
  public final int vcpuId;
  public final PhysicalMemory mem;
  public final SoftTlb tlb = new SoftTlb();
  public final PageWalker walker;
  public final PageWalker.Result walk = new PageWalker.Result();
  /** Exits handled by the hypervisor (I/O, CPUID, MSRs, interrupts); set by {@link Vcpu}. */
  public ExitHooks hooks;

  public CpuState(int vcpuId, PhysicalMemory mem) {
    this.vcpuId = vcpuId;
    this.mem = mem;
    this.walker = new PageWalker(mem);
    resetSegments();
  }

  /** Real-mode reset values of the segment registers (SDM Vol. 3A, 9.1.1), CS:IP = F000:FFF0. */
  public void resetSegments() {
    for (int s = 0; s < 6; s++) {
      loadRealSegment(s, 0);
    }
    segSel[CS] = 0xF000;
    segBase[CS] = 0xFFFF_0000L;
    segAttr[CS] = SEG_P | SEG_S | 0xB;
    rip = 0xFFF0;
    gdtLimit = 0xFFFF;
    idtLimit = 0xFFFF;
    ldtLimit = 0xFFFF;
    ldtAttr = SEG_P | 2;
    trLimit = 0xFFFF;
    trAttr = SEG_P | 0xB;
    updateMode();
  }

  /**
   * The state INIT leaves (SDM Vol. 3A, 9.1.1, Table 9-1): real mode at F000:FFF0, general registers but
   * EDX cleared, caches of the descriptor tables reset, paging off; x87/SSE state and most MSRs are kept.
   */
  public void resetForInit() {
    java.util.Arrays.fill(gpr, 0);
    gpr[RDX] = 0x600; // family 6, as the reset signature
    cr0 = CR0_ET | CR0_NW | CR0_CD;
    cr2 = 0;
    cr3 = 0;
    cr4 = 0;
    cr8 = 0;
    efer = 0;
    java.util.Arrays.fill(dr, 0);
    dr[6] = 0xFFFF0FF0L;
    dr[7] = 0x400;
    gdtBase = 0;
    idtBase = 0;
    ldtSel = 0;
    ldtBase = 0;
    trSel = 0;
    trBase = 0;
    setRflags(Flags.FIXED1);
    interruptShadow = false;
    nmiBlocked = false;
    halted = false;
    resetSegments();
    tlb.flushAll();
  }

  /** Loads a segment register the real-mode way: base = selector * 16, limit and attributes kept. */
  public void loadRealSegment(int seg, int sel) {
    segSel[seg] = sel & 0xFFFF;
    segBase[seg] = (long) (sel & 0xFFFF) << 4;
    segLimit[seg] = 0xFFFF;
    segAttr[seg] = SEG_P | SEG_S | (seg == CS ? 0xB : 3);
  }

  public long reg(int r) {
    return gpr[r];
  }

  public boolean protectedMode() {
    return (cr0 & CR0_PE) != 0;
  }

  public boolean longMode() {
    return (efer & EFER_LMA) != 0;
  }

  public boolean v86Mode() {
    return (rflags & Flags.VM) != 0;
  }

  /** RFLAGS with the arithmetic flags materialized. */
  public long getRflags() {
    return (rflags & ~Flags.ARITH) | Flags.arith(this);
  }

  /**
   * Sets all of RFLAGS as an instruction that writes it whole (POPF, IRET) does after masking; keeps the
   * derived state (TLB partition for AC) in step.
   */
  public void setRflags(long v) {
    rflags = (v & Flags.VALID) | Flags.FIXED1;
    ccOp = Flags.EFLAGS;
    updateMmuIdx();
  }

  /** Materializes the lazy flags into {@link #rflags} so that single flags can be edited in place. */
  public void materializeFlags() {
    if (ccOp != Flags.EFLAGS) {
      rflags = (rflags & ~Flags.ARITH) | Flags.arith(this);
      ccOp = Flags.EFLAGS;
    }
  }

  /** Recomputes CPL, code/stack sizes and the TLB partition after a change of CS, SS, CR0, EFER or VM. */
  public void updateMode() {
    if (!protectedMode()) {
      cpl = 0;
    } else if (v86Mode()) {
      cpl = 3;
    } else {
      // SS.DPL always equals CPL (SDM Vol. 3A, 5.5) and, unlike CS.RPL, is right straight after CR0.PE
      // is set while CS still holds a real-mode selector. KVM's vmx_get_cpl reads it the same way.
      cpl = (segAttr[SS] >>> SEG_DPL_SHIFT) & 3;
    }
    if (longMode() && (segAttr[CS] & SEG_L) != 0) {
      codeSize = 8;
      stackSize = 8;
    } else {
      codeSize = (protectedMode() && !v86Mode() && (segAttr[CS] & SEG_DB) != 0) ? 4 : 2;
      stackSize = (protectedMode() && !v86Mode() && (segAttr[SS] & SEG_DB) != 0) ? 4 : 2;
    }
    updateMmuIdx();
  }

  /** Chooses the TLB partition for data accesses from CPL, CR0.AM, CR4.SMAP and EFLAGS.AC. */
  public void updateMmuIdx() {
    if (cpl == 3) {
      mmuIdx = (cr0 & CR0_AM) != 0 && (rflags & Flags.AC) != 0 ? PageWalker.MMU_USER_AC : PageWalker.MMU_USER;
    } else if ((cr4 & CR4_SMAP) != 0 && (rflags & Flags.AC) != 0) {
      mmuIdx = PageWalker.MMU_KNOSMAP;
    } else {
      mmuIdx = PageWalker.MMU_KSMAP;
    }
  }

  /** Raises an asynchronous event bit and wakes the vCPU if it is halted. */
  public void raiseEvent(int bit) {
    synchronized (this) {
      events |= bit;
      notifyAll();
    }
  }

  public void clearEvent(int bit) {
    synchronized (this) {
      events &= ~bit;
    }
  }
}
