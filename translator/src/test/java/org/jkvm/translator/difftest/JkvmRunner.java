package org.jkvm.translator.difftest;

import org.jkvm.mmu.PhysicalMemory;
import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.ExitReason;
import org.jkvm.translator.TestMachine;
import org.jkvm.translator.TranslatorBackend;
import org.jkvm.translator.sem.Segments;
import org.jkvm.translator.sem.X87Control;

/**
 * The jkvm side: one guest per engine that looks to a case like the native runner's process does to it.
 * 64-bit mode at CPL 3 with Linux's user selectors, the code and data pages at the same virtual addresses
 * as natively, and nothing else mapped for user mode. Every exception goes through an IDT to a one-byte
 * HLT stub per vector at CPL 0, so the vector is where the stub stopped, and the frame on the kernel stack
 * holds RIP, RFLAGS and RSP as the exception left them. A finished case jumps to a HLT at CPL 3, which is
 * a #GP(0) at {@link DiffLayout#END_VA}.
 */
final class JkvmRunner {
  // Guest-physical layout (all inside TestMachine's RAM).
  private static final long PML4 = 0x1000;
  private static final long PDPT = 0x2000;
  private static final long PD_LOW = 0x3000;
  private static final long PT_CODE = 0x4000;
  private static final long PT_DATA = 0x5000;
  private static final long PT_COMPAT = 0x6000;
  private static final long PD_SUP = 0x7000;
  private static final long PT_SUP = 0x8000;
  private static final long CODE_PA = 0x10_0000;
  private static final long DATA_PA = 0x20_0000;
  private static final long COMPAT_PA = 0x30_0000;
  private static final long SUP_PA = 0x40_0000;

  // Supervisor pages, virtual = SUP_VA + offset, physical = SUP_PA + offset.
  private static final int GDT_OFF = 0x0000;
  private static final int IDT_OFF = 0x1000;
  private static final int TSS_OFF = 0x2000;
  private static final int STUBS_OFF = 0x3000;
  private static final int KSTACK_TOP_OFF = 0x6000;
  private static final int SUP_PAGES = 6;
  private static final int TSS_SEL = 0x40;

  private static final long PG_P = 1;
  private static final long PG_RW = 2;
  private static final long PG_US = 4;
  private static final long PG_NX = 1L << 63;

  /** Linux's GDT (arch/x86/kernel/cpu/common.c), indexed by selector >> 3, accessed bits set. */
  private static final long[] GDT = {
      0,
      0x00CF_9B00_0000_FFFFL, // 0x08 kernel 32-bit code
      0x00AF_9B00_0000_FFFFL, // 0x10 kernel 64-bit code
      0x00CF_9300_0000_FFFFL, // 0x18 kernel data
      0x00CF_FB00_0000_FFFFL, // 0x23 user 32-bit code
      0x00CF_F300_0000_FFFFL, // 0x2b user data
      0x00AF_FB00_0000_FFFFL, // 0x33 user 64-bit code
      0,
  };

  /** Where a compatibility-mode case's far jump back lands (the native runner's 64-bit landing point). */
  private static final long COMPAT_END = DiffLayout.COMPAT_VA + 32;

  /** Linux's GDT_ENTRIES (arch/x86/include/asm/segment.h): the host's GDT limit is 0x7F too. */
  private static final int GDT_ENTRIES = 16;
  private static final int CPUNODE_SEL = 0x78;
  /** GDT_ENTRY_CPUNODE as setup_getcpu() writes it: read-only expand-down data, DPL 3, D = 1, limit = cpu. */
  private static final long CPUNODE = 0x0040_F500_0000_0000L;

  private final TranslatorBackend.Engine engine;
  private final TestMachine m;
  private final CpuState c;
  private final PhysicalMemory mem;
  private final byte[] page = new byte[DiffLayout.CODE_SIZE];
  /**
   * Guest instructions a case may retire: a case is at most a few instructions, with string counts
   * bounded by the data buffer, so only a loop comes near this.
   */
  static final long INSN_BUDGET = 1_000_000;
  private final BudgetHooks budget;
  /** A watchdog stops a case that runs far too long in wall-clock time (a backstop for the budget). */
  private volatile long caseStart;
  private volatile boolean watchdogFired;
  private final Thread watchdog;

  JkvmRunner(TranslatorBackend.Engine engine) {
    this.engine = engine;
    m = TestMachine.translatingEverything(engine); // a case runs once: the translator must see it first
    c = m.c;
    mem = m.vm.memory();
    budget = new BudgetHooks(m.vcpu);
    c.hooks = budget;
    buildTables();
    watchdog = new Thread(this::watch, "difftest-watchdog-" + engine.cliName);
    watchdog.setDaemon(true);
    watchdog.start();
  }

  TranslatorBackend.Engine engine() {
    return engine;
  }

  private void watch() {
    for (;;) {
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        return;
      }
      long s = caseStart;
      if (s != 0 && System.nanoTime() - s > 5_000_000_000L) {
        watchdogFired = true;
        m.vcpu.requestStop();
      }
    }
  }

  void close() {
    watchdog.interrupt();
  }

  private void w64(long pa, long v) {
    mem.write(pa, 8, v);
  }

  private void buildTables() {
    // Page tables: user pages for code, data and the compatibility trampoline; supervisor pages for the rest.
    w64(PML4, PDPT | PG_P | PG_RW | PG_US);
    w64(PDPT, PD_LOW | PG_P | PG_RW | PG_US);
    w64(PDPT + 8 * (DiffLayout.SUP_VA >>> 30), PD_SUP | PG_P | PG_RW);
    w64(PD_LOW + 8 * (DiffLayout.CODE_VA >>> 21), PT_CODE | PG_P | PG_RW | PG_US);
    w64(PD_LOW + 8 * (DiffLayout.DATA_VA >>> 21), PT_DATA | PG_P | PG_RW | PG_US);
    w64(PD_LOW + 8 * (DiffLayout.COMPAT_VA >>> 21), PT_COMPAT | PG_P | PG_RW | PG_US);
    w64(PT_CODE + 8 * ((DiffLayout.CODE_VA >>> 12) & 511), CODE_PA | PG_P | PG_RW | PG_US);
    for (int p = 0; p < DiffLayout.DATA_SIZE / 4096; p++) {
      w64(PT_DATA + 8 * (((DiffLayout.DATA_VA >>> 12) + p) & 511), (DATA_PA + 4096L * p) | PG_P | PG_RW | PG_US | PG_NX);
    }
    w64(PT_COMPAT + 8 * ((DiffLayout.COMPAT_VA >>> 12) & 511), COMPAT_PA | PG_P | PG_RW | PG_US);
    mem.write(COMPAT_PA + (COMPAT_END - DiffLayout.COMPAT_VA), 1, 0xF4);
    w64(PD_SUP + 8 * ((DiffLayout.SUP_VA >>> 21) & 511), PT_SUP | PG_P | PG_RW);
    for (int p = 0; p < SUP_PAGES; p++) {
      w64(PT_SUP + 8 * (((DiffLayout.SUP_VA >>> 12) + p) & 511), (SUP_PA + 4096L * p) | PG_P | PG_RW);
    }
    // GDT: Linux's layout, then a 64-bit TSS at 0x40, no LDT at 0x50, empty TLS slots at 0x60-0x70, and the
    // CPUNODE segment at 0x78 (which LSL reads the CPU number from: cpu 0 here, the generator masks LSL's
    // result for it).
    for (int i = 0; i < GDT.length; i++) {
      w64(SUP_PA + GDT_OFF + 8L * i, GDT[i]);
    }
    w64(SUP_PA + GDT_OFF + CPUNODE_SEL, CPUNODE);
    long tss = DiffLayout.SUP_VA + TSS_OFF;
    long tssLimit = 0x67;
    long lo = tssLimit | (tss & 0xFF_FFFFL) << 16 | 0x8BL << 40 | ((tss >>> 24) & 0xFF) << 56;
    w64(SUP_PA + GDT_OFF + TSS_SEL, lo);
    w64(SUP_PA + GDT_OFF + TSS_SEL + 8, tss >>> 32);
    // TSS: RSP0, and an I/O map base beyond the limit (no I/O permission bitmap, as for a Linux task).
    w64(SUP_PA + TSS_OFF + 4, DiffLayout.SUP_VA + KSTACK_TOP_OFF);
    mem.write(SUP_PA + TSS_OFF + 102, 2, 0xFFFF);
    // IDT: interrupt gates to one HLT per vector; DPL 3 for #BP and #OF, as Linux has them.
    for (int v = 0; v < 256; v++) {
      long target = DiffLayout.SUP_VA + STUBS_OFF + v;
      int dpl = v == 3 || v == 4 ? 3 : 0;
      long gate = (target & 0xFFFF) | 0x10L << 16 | (0x8EL | (long) dpl << 5) << 40 | ((target >>> 16) & 0xFFFF) << 48;
      w64(SUP_PA + IDT_OFF + 16L * v, gate);
      w64(SUP_PA + IDT_OFF + 16L * v + 8, target >>> 32);
      mem.write(SUP_PA + STUBS_OFF + v, 1, 0xF4);
    }
    c.gdtBase = DiffLayout.SUP_VA + GDT_OFF;
    c.gdtLimit = GDT_ENTRIES * 8 - 1;
    c.idtBase = DiffLayout.SUP_VA + IDT_OFF;
    c.idtLimit = 256 * 16 - 1;
    c.trSel = TSS_SEL;
    c.trBase = tss;
    c.trLimit = (int) tssLimit;
    c.trAttr = CpuState.SEG_P | 0xB;
    c.ldtSel = 0;
    c.ldtAttr = CpuState.SEG_UNUSABLE;
    c.cr3 = PML4;
    c.cr4 = CpuState.CR4_PAE | CpuState.CR4_OSFXSR | CpuState.CR4_OSXMMEXCPT;
    c.efer = CpuState.EFER_LME | CpuState.EFER_LMA | CpuState.EFER_NXE | CpuState.EFER_SCE;
    c.cr0 = CpuState.CR0_PE | CpuState.CR0_PG | CpuState.CR0_WP | CpuState.CR0_ET | CpuState.CR0_NE
        | CpuState.CR0_MP | CpuState.CR0_AM;
  }

  private void loadSegment(int s, int sel) {
    c.segSel[s] = sel;
    if ((sel & 0xFFFC) == 0) {
      c.segBase[s] = 0;
      c.segLimit[s] = 0;
      c.segAttr[s] = CpuState.SEG_UNUSABLE;
      return;
    }
    long d = GDT[sel >>> 3];
    c.segBase[s] = Segments.base(d);
    c.segLimit[s] = Segments.limit(d);
    c.segAttr[s] = Segments.attr(d);
  }

  /** Runs one case and returns the state it left. */
  MachineState run(DiffCase k) {
    // Code page: the bytes, the jump to END_VA, and the HLT there; the rest zero, as natively.
    java.util.Arrays.fill(page, (byte) 0);
    System.arraycopy(k.code, 0, page, 0, k.code.length);
    int t = k.code.length;
    boolean compat = k.mode == 32;
    if (compat) {
      // As natively: ljmp *[t + 8] to 0x33:COMPAT_VA+32, where a HLT at CPL 3 marks the end.
      page[t] = (byte) 0xFF;
      page[t + 1] = 0x2D;
      MachineState.putLe(page, t + 2, 4, DiffLayout.CODE_VA + t + 8);
      MachineState.putLe(page, t + 8, 4, COMPAT_END);
      MachineState.putLe(page, t + 12, 2, DiffLayout.USER_CS);
    } else {
      page[t] = (byte) 0xFF;
      page[t + 1] = 0x25;
      MachineState.putLe(page, t + 6, 8, DiffLayout.END_VA);
    }
    page[(int) (DiffLayout.END_VA - DiffLayout.CODE_VA)] = (byte) 0xF4;
    mem.writeBytes(CODE_PA, page, 0, page.length);
    mem.writeBytes(DATA_PA, k.initialData, 0, k.initialData.length);

    System.arraycopy(k.gpr, 0, c.gpr, 0, 16);
    loadSegment(CpuState.CS, compat ? DiffLayout.USER32_CS : DiffLayout.USER_CS);
    loadSegment(CpuState.SS, DiffLayout.USER_DS);
    loadSegment(CpuState.DS, compat ? DiffLayout.USER_DS : 0);
    loadSegment(CpuState.ES, compat ? DiffLayout.USER_DS : 0);
    loadSegment(CpuState.FS, 0);
    loadSegment(CpuState.GS, 0);
    c.segBase[CpuState.GS] = DiffLayout.GS_BASE;
    c.rip = DiffLayout.CODE_VA;
    c.setRflags(k.rflags);
    c.updateMode();
    c.cr2 = 0;
    c.halted = false;
    c.interruptShadow = false;
    c.nmiBlocked = false;
    loadFx(k.fx);

    budget.start(INSN_BUDGET);
    watchdogFired = false;
    caseStart = System.nanoTime();
    ExitReason r;
    try {
      r = m.vcpu.run();
    } finally {
      caseStart = 0;
    }
    MachineState s = new MachineState();
    if (r == ExitReason.INTR && (budget.exhausted() || watchdogFired)) {
      s.timedOut = true;
      s.error = budget.exhausted() ? "no end within the budget of " + INSN_BUDGET + " instructions (a loop)"
          : "no end after 5 s (watchdog)";
      return s;
    }
    if (r != ExitReason.HLT) {
      s.error = "jkvm stopped with " + r
          + (m.vcpu.runState().internalError != null ? ": " + m.vcpu.runState().internalError : "");
      return s;
    }
    long stubs = DiffLayout.SUP_VA + STUBS_OFF;
    long vector = c.rip - 1 - stubs;
    if (c.cpl != 0 || vector < 0 || vector > 255) {
      s.error = "jkvm halted outside the exception stubs at " + Long.toHexString(c.rip);
      return s;
    }
    boolean hasErr = vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21;
    long sp = c.gpr[CpuState.RSP];
    long top = DiffLayout.SUP_VA + KSTACK_TOP_OFF;
    long frame = sp + (hasErr ? 8 : 0);
    if (frame + 40 != top) {
      s.error = "jkvm's exception frame is not where it should be (RSP " + Long.toHexString(sp) + ")";
      return s;
    }
    long framePa = SUP_PA + (frame - DiffLayout.SUP_VA);
    long rip = mem.read(framePa, 8);
    int cs = (int) mem.read(framePa + 8, 8);
    long rflags = mem.read(framePa + 16, 8);
    long rsp = mem.read(framePa + 24, 8);
    int ss = (int) mem.read(framePa + 32, 8);
    System.arraycopy(c.gpr, 0, s.gpr, 0, 16);
    s.gpr[CpuState.RSP] = rsp;
    s.rflags = rflags;
    s.seg[0] = c.segSel[CpuState.ES];
    s.seg[1] = cs;
    s.seg[2] = ss;
    s.seg[3] = c.segSel[CpuState.DS];
    if (vector == 13 && rip == (compat ? COMPAT_END : DiffLayout.END_VA)) {
      s.rip = DiffLayout.CODE_VA + k.code.length;
    } else {
      s.faulted = true;
      s.vector = (int) vector;
      s.errorCode = hasErr ? mem.read(framePa - 8, 8) : 0;
      s.cr2 = c.cr2;
      s.rip = rip;
    }
    storeFx(s.fx);
    mem.readBytes(DATA_PA, s.data, 0, s.data.length);
    return s;
  }

  /** Loads the x87, MMX and SSE state from an FXSAVE image, the way FXRSTOR would. */
  private void loadFx(byte[] fx) {
    c.fcw = (int) MachineState.le(fx, 0, 2);
    int fsw = (int) MachineState.le(fx, 2, 2);
    c.fsw = fsw & ~0x3800;
    c.fpTop = (fsw >>> 11) & 7;
    int ftw = fx[4] & 0xFF;
    c.mxcsr = (int) MachineState.le(fx, 24, 4);
    int tag = 0;
    for (int st = 0; st < 8; st++) {
      int phys = (c.fpTop + st) & 7;
      c.fpMant[phys] = MachineState.le(fx, 32 + 16 * st, 8);
      c.fpExp[phys] = (int) MachineState.le(fx, 40 + 16 * st, 2);
    }
    for (int r = 0; r < 8; r++) {
      tag |= ((ftw & (1 << r)) == 0 ? 3 : tagOf(c.fpMant[r], c.fpExp[r])) << (2 * r);
    }
    c.fpTag = tag;
    c.fop = 0;
    c.fip = 0;
    c.fdp = 0;
    for (int x = 0; x < 32; x++) {
      c.xmm[x] = MachineState.le(fx, 160 + 8 * x, 8);
    }
  }

  /** The tag of a full register (SDM Vol. 1, 8.1.7): 0 valid, 1 zero, 2 special. */
  private static int tagOf(long mant, int exp) {
    int e = exp & 0x7FFF;
    if (e == 0) {
      return mant == 0 ? 1 : 2;
    }
    return e == 0x7FFF || mant >= 0 ? 2 : 0;
  }

  private void storeFx(byte[] fx) {
    MachineState.putLe(fx, 0, 2, c.fcw);
    MachineState.putLe(fx, 2, 2, X87Control.statusWord(c));
    int ftw = 0;
    for (int r = 0; r < 8; r++) {
      if (((c.fpTag >>> (2 * r)) & 3) != 3) {
        ftw |= 1 << r;
      }
    }
    fx[4] = (byte) ftw;
    MachineState.putLe(fx, 24, 4, c.mxcsr);
    for (int st = 0; st < 8; st++) {
      int phys = (c.fpTop + st) & 7;
      MachineState.putLe(fx, 32 + 16 * st, 8, c.fpMant[phys]);
      MachineState.putLe(fx, 40 + 16 * st, 2, c.fpExp[phys]);
    }
    for (int x = 0; x < 32; x++) {
      MachineState.putLe(fx, 160 + 8 * x, 8, c.xmm[x]);
    }
  }
}
