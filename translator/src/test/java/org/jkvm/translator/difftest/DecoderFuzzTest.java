package org.jkvm.translator.difftest;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.jkvm.mmu.PhysicalMemory;
import org.jkvm.runtime.Backend;
import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Flags;
import org.jkvm.runtime.Hypervisor;
import org.jkvm.runtime.RunState;
import org.jkvm.runtime.Vcpu;
import org.jkvm.runtime.Vm;
import org.jkvm.translator.isa.Decoder;
import org.jkvm.translator.isa.Insn;
import org.jkvm.translator.sem.GuestFault;
import org.jkvm.translator.sem.Interrupts;
import org.jkvm.translator.sem.Locked;
import org.jkvm.translator.sem.Segments;
import org.junit.jupiter.api.Test;

/**
 * Guest code is hostile: over a million byte streams, random ones and mutations of valid instruction
 * sequences from the difftest's generator, are decoded and executed in a sandbox vCPU in every mode
 * (real mode, 16- and 32-bit protected mode with and without paging, 64-bit and compatibility mode, at CPL
 * 0 and 3, with random registers, flags, x87/SSE state and control-register options). Nothing may come out
 * of the decoder, the semantics or exception delivery but an architectural fault ({@link GuestFault}, or a
 * triple fault from delivering one); a stream runs at most {@link #BUDGET} instructions, and the whole run
 * has a time limit, so a hang fails the test rather than the build.
 */
class DecoderFuzzTest {
  static final long SEED = Long.getLong("fuzz.seed", 0xF022_2026L);
  static final int STREAMS = Integer.getInteger("fuzz.streams", 1_200_000);
  /** Instructions one stream may execute (a REP string instruction restarts itself in chunks). */
  static final int BUDGET = 8;
  /** The system tables are rewritten this often, undoing what CPL-0 streams wrote over them. */
  static final int RESTORE_EVERY = 64;

  // Guest-physical (and, through identity maps, linear) layout.
  static final long PML4 = 0x1000;
  static final long PDPT = 0x2000;
  static final long PD = 0x3000;
  static final long PD32 = 0x4000;
  static final long PDPT_PAE = 0x4800;
  static final long GDT = 0x5000;
  static final long IDT = 0x6000;
  static final long STUBS = 0x7000;
  static final long TSS = 0x8000;
  static final long KSTACK = 0xF000;
  static final long CODE = 0x10_0000;
  /** Memory the identity maps cover; everything above faults under paging. */
  static final long MAPPED = 16L << 20;

  static final int SEL_CODE32 = 0x08;
  static final int SEL_CODE64 = 0x10;
  static final int SEL_DATA = 0x18;
  static final int SEL_UCODE32 = 0x23;
  static final int SEL_UDATA = 0x2B;
  static final int SEL_UCODE64 = 0x33;
  static final int SEL_CODE16 = 0x38;
  static final int SEL_DATA16 = 0x40;
  static final int SEL_UCODE16 = 0x4B;
  static final int SEL_UDATA16 = 0x53;
  static final int SEL_TSS = 0x58;

  static final long[] GDT_ENTRIES = {
      0,
      0x00CF_9B00_0000_FFFFL, // 0x08 32-bit code, DPL 0
      0x00AF_9B00_0000_FFFFL, // 0x10 64-bit code, DPL 0
      0x00CF_9300_0000_FFFFL, // 0x18 data, DPL 0
      0x00CF_FB00_0000_FFFFL, // 0x20 32-bit code, DPL 3
      0x00CF_F300_0000_FFFFL, // 0x28 data, DPL 3
      0x00AF_FB00_0000_FFFFL, // 0x30 64-bit code, DPL 3
      0x0000_9B00_0000_FFFFL, // 0x38 16-bit code, DPL 0
      0x0000_9300_0000_FFFFL, // 0x40 16-bit data, DPL 0
      0x0000_FB00_0000_FFFFL, // 0x48 16-bit code, DPL 3
      0x0000_F300_0000_FFFFL, // 0x50 16-bit data, DPL 3
  };

  /** The configurations streams run in. */
  enum Mode {
    REAL(2, 0), PROT16(2, 0), PROT16_USER(2, 3), PROT32(4, 0), PROT32_USER(4, 3), LONG64(8, 0),
    LONG64_USER(8, 3), COMPAT32_USER(4, 3);

    final int codeSize;
    final int cpl;

    Mode(int codeSize, int cpl) {
      this.codeSize = codeSize;
      this.cpl = cpl;
    }
  }

  /** A backend that runs nothing: the fuzz drives the semantics itself, the vCPU provides the exit hooks. */
  static final class NoEngine implements Backend {
    @Override
    public String name() {
      return "none";
    }

    @Override
    public VcpuBackend createVcpu(CpuState state) {
      return new VcpuBackend() {
        @Override
        public int run(RunState run) {
          return -1;
        }

        @Override
        public long instructionsRetired() {
          return 0;
        }
      };
    }
  }

  /** What the run found. */
  static final class Tally {
    long streams;
    long instructions;
    long decodeFaults;
    long executeFaults;
    long tripleFaults;
    long completed;
    final long[] byMode = new long[Mode.values().length];
    final List<String> escapes = new ArrayList<>();
    long escapeCount;
  }

  private final Vm vm = new Hypervisor(new NoEngine()).createVm();
  private final Vcpu vcpu;
  private final CpuState c;
  private final PhysicalMemory mem;
  private final byte[] system = new byte[0x10000];
  /** The stream being run, for the time-limit message. */
  private volatile String current = "";

  DecoderFuzzTest() {
    vm.addRam(0, 64L << 20);
    vcpu = vm.createVcpu();
    c = vcpu.state();
    mem = vm.memory();
    buildSystemImage();
  }

  private static void w64(byte[] b, long off, long v) {
    MachineState.putLe(b, (int) off, 8, v);
  }

  /** Page tables, GDT, IDT, TSS and exception stubs, as one image of the first 64 KiB. */
  private void buildSystemImage() {
    byte[] s = system;
    w64(s, PML4, PDPT | 7);
    w64(s, PDPT, PD | 7);
    for (int i = 0; i < MAPPED >>> 21; i++) {
      w64(s, PD + 8L * i, ((long) i << 21) | 0x87); // 2 MiB, present, writable, user
    }
    for (int i = 0; i < MAPPED >>> 22; i++) {
      MachineState.putLe(s, (int) (PD32 + 4L * i), 4, ((long) i << 22) | 0x87); // 4 MiB (CR4.PSE)
    }
    w64(s, PDPT_PAE, PD | 1); // PAE PDPTEs have no RW/US bits
    for (int i = 0; i < GDT_ENTRIES.length; i++) {
      w64(s, GDT + 8L * i, GDT_ENTRIES[i]);
    }
    long tssLimit = 0x67;
    w64(s, GDT + SEL_TSS, tssLimit | (TSS & 0xFF_FFFFL) << 16 | 0x89L << 40);
    w64(s, GDT + SEL_TSS + 8, 0);
    MachineState.putLe(s, (int) TSS + 102, 2, 0x68); // I/O map base: the bitmap starts at the limit
    for (int v = 0; v < 256; v++) {
      s[(int) STUBS + v] = (byte) 0xF4;
    }
  }

  private static boolean longMode(Mode m) {
    return m == Mode.LONG64 || m == Mode.LONG64_USER || m == Mode.COMPAT32_USER;
  }

  /**
   * Writes what differs between modes: the IDT (16-byte gates in long mode, 8-byte ones in protected mode;
   * real mode uses whatever is at address 0 as its IVT) and the TSS's ring-0 stack (RSP0, or SS0:ESP0).
   */
  private void writeIdt(Mode m) {
    if (longMode(m)) {
      mem.write(TSS + 4, 8, KSTACK);
    } else {
      mem.write(TSS + 4, 4, KSTACK);
      mem.write(TSS + 8, 4, m == Mode.PROT16 || m == Mode.PROT16_USER ? SEL_DATA16 : SEL_DATA);
    }
    byte[] idt = new byte[4096];
    for (int v = 0; v < 256; v++) {
      long target = STUBS + v;
      int dpl = v == 3 || v == 4 || v == 0x80 ? 3 : 0;
      if (longMode(m)) {
        long gate = (target & 0xFFFF) | (long) SEL_CODE64 << 16 | (0x8EL | (long) dpl << 5) << 40
            | ((target >>> 16) & 0xFFFF) << 48;
        w64(idt, 16L * v, gate);
      } else {
        int sel = m == Mode.PROT16 || m == Mode.PROT16_USER ? SEL_CODE16 : SEL_CODE32;
        int type = m == Mode.PROT16 || m == Mode.PROT16_USER ? 0x86 : 0x8E;
        long gate = (target & 0xFFFF) | (long) sel << 16 | ((long) type | (long) dpl << 5) << 40
            | ((target >>> 16) & 0xFFFF) << 48;
        if (v < 128) {
          w64(idt, 8L * v, gate);
        }
      }
    }
    mem.writeBytes(IDT, idt, 0, idt.length);
  }

  private void loadSegment(int s, int sel) {
    c.segSel[s] = sel;
    if ((sel & 0xFFFC) == 0) {
      c.segBase[s] = 0;
      c.segLimit[s] = 0;
      c.segAttr[s] = CpuState.SEG_UNUSABLE;
      return;
    }
    long d = mem.read(GDT + (sel & ~7), 8);
    c.segBase[s] = Segments.base(d);
    c.segLimit[s] = Segments.limit(d);
    c.segAttr[s] = Segments.attr(d);
  }

  /** A register value: small ones and pointers into mapped memory most of the time, anything otherwise. */
  private static long value(SplittableRandom r) {
    switch (r.nextInt(6)) {
      case 0: return r.nextLong();
      case 1: return r.nextInt(256);
      case 2: return -r.nextInt(1, 256);
      case 3: return r.nextLong() & 0xFFFF_FFFFL;
      default: return 0x10_0000L + r.nextInt((int) MAPPED - 0x20_0000);
    }
  }

  /** Puts the vCPU into mode {@code m} with random registers and options. */
  private void setUp(Mode m, SplittableRandom r) {
    for (int i = 0; i < 16; i++) {
      c.gpr[i] = value(r);
    }
    c.gpr[CpuState.RSP] = 0x80_0000L + r.nextInt(0x1000) * 8L;
    c.cr2 = 0;
    c.halted = false;
    c.interruptShadow = false;
    c.nmiBlocked = false;
    c.singleStepPending = false;
    long cr0 = CpuState.CR0_ET | CpuState.CR0_NE | (r.nextInt(8) == 0 ? 0 : CpuState.CR0_MP);
    if (r.nextInt(16) == 0) {
      cr0 |= r.nextBoolean() ? CpuState.CR0_TS : CpuState.CR0_EM;
    }
    if (r.nextBoolean()) {
      cr0 |= CpuState.CR0_AM;
    }
    long cr4 = r.nextInt(16) == 0 ? 0 : CpuState.CR4_OSFXSR | CpuState.CR4_OSXMMEXCPT;
    long[] options = {CpuState.CR4_DE, CpuState.CR4_TSD, CpuState.CR4_PCE, CpuState.CR4_UMIP, CpuState.CR4_PGE,
        CpuState.CR4_SMEP, CpuState.CR4_SMAP, CpuState.CR4_VME, CpuState.CR4_PVI};
    for (long o : options) {
      if (r.nextInt(6) == 0) {
        cr4 |= o;
      }
    }
    long flags = Flags.FIXED1 | (r.nextLong() & (Flags.ARITH | Flags.DF | Flags.IF | Flags.AC | Flags.NT))
        | (r.nextInt(4) == 0 ? (long) r.nextInt(4) << 12 : 0); // IOPL
    c.efer = 0;
    c.walker.unloadPaePdptes();
    c.ldtSel = 0;
    c.ldtBase = 0;
    c.ldtLimit = 0;
    c.ldtAttr = CpuState.SEG_UNUSABLE;
    c.gdtBase = GDT;
    c.gdtLimit = SEL_TSS + 15;
    c.idtBase = IDT;
    c.trSel = SEL_TSS;
    c.trBase = TSS;
    c.trLimit = 0x67;
    c.rip = CODE;
    c.cr3 = 0;
    c.cr4 = cr4;
    switch (m) {
      case REAL:
        c.cr0 = cr0;
        c.idtBase = 0;
        c.idtLimit = 0x3FF;
        c.trAttr = CpuState.SEG_P | 0xB;
        for (int s = 0; s < 6; s++) {
          c.loadRealSegment(s, s == CpuState.CS ? 0x1000 : r.nextInt(0x10000));
        }
        c.loadRealSegment(CpuState.SS, 0x7000);
        c.rip = 0;
        c.gpr[CpuState.RSP] &= 0xFFFE;
        break;
      case PROT16: case PROT16_USER: case PROT32: case PROT32_USER: {
        boolean user = m.cpl == 3;
        boolean wide = m.codeSize == 4;
        int paging = r.nextInt(3); // none, 32-bit with 4 MiB pages, PAE
        c.cr0 = cr0 | CpuState.CR0_PE | (paging != 0 ? CpuState.CR0_PG | (r.nextBoolean() ? CpuState.CR0_WP : 0) : 0);
        if (paging == 1) {
          cr4 |= CpuState.CR4_PSE;
          c.cr3 = PD32;
        } else if (paging == 2) {
          cr4 |= CpuState.CR4_PAE;
          c.cr3 = PDPT_PAE;
        }
        c.cr4 = cr4;
        if (paging == 2) {
          c.walker.loadPaePdptes(c.cr3);
        }
        c.idtLimit = 128 * 8 - 1;
        c.trAttr = CpuState.SEG_P | 0xB;
        int cs = wide ? (user ? SEL_UCODE32 : SEL_CODE32) : (user ? SEL_UCODE16 : SEL_CODE16);
        int ds = wide ? (user ? SEL_UDATA : SEL_DATA) : (user ? SEL_UDATA16 : SEL_DATA16);
        loadSegment(CpuState.CS, cs);
        loadSegment(CpuState.SS, ds);
        for (int s : new int[] {CpuState.DS, CpuState.ES, CpuState.FS, CpuState.GS}) {
          loadSegment(s, r.nextInt(8) == 0 ? 0 : ds);
        }
        if (!wide) {
          c.rip = 0; // 16-bit code: CS.base is 0, so run from CODE via the instruction pointer's low bits
          c.segBase[CpuState.CS] = CODE;
          c.gpr[CpuState.RSP] &= 0xFFFE;
        }
        break;
      }
      default: { // 64-bit and compatibility mode
        c.cr0 = cr0 | CpuState.CR0_PE | CpuState.CR0_PG | (r.nextBoolean() ? CpuState.CR0_WP : 0);
        c.cr4 = cr4 | CpuState.CR4_PAE | (r.nextBoolean() ? CpuState.CR4_FSGSBASE : 0);
        c.cr3 = PML4;
        c.efer = CpuState.EFER_LME | CpuState.EFER_LMA | CpuState.EFER_NXE | (r.nextBoolean() ? CpuState.EFER_SCE : 0);
        c.idtLimit = 256 * 16 - 1;
        c.trAttr = CpuState.SEG_P | 0xB;
        boolean user = m.cpl == 3;
        loadSegment(CpuState.CS, m == Mode.COMPAT32_USER ? SEL_UCODE32 : user ? SEL_UCODE64 : SEL_CODE64);
        loadSegment(CpuState.SS, user ? SEL_UDATA : SEL_DATA);
        for (int s : new int[] {CpuState.DS, CpuState.ES, CpuState.FS, CpuState.GS}) {
          loadSegment(s, r.nextBoolean() ? 0 : user ? SEL_UDATA : SEL_DATA);
        }
        c.segBase[CpuState.GS] = r.nextInt(4) == 0 ? value(r) : 0;
        c.kernelGsBase = value(r);
        if (m == Mode.COMPAT32_USER) {
          for (int i = 0; i < 16; i++) {
            c.gpr[i] &= 0xFFFF_FFFFL;
          }
        }
        break;
      }
    }
    c.setRflags(flags);
    c.updateMode();
    // x87, MMX and SSE state.
    c.fcw = r.nextInt(4) == 0 ? X87State.controlWord(r) : 0x37F;
    c.fsw = X87State.statusWord(r) & ~(7 << 11);
    c.fpTop = r.nextInt(8);
    c.fpTag = r.nextInt(3) == 0 ? 0xFFFF : r.nextInt(0x10000);
    for (int i = 0; i < 8; i++) {
      c.fpMant[i] = r.nextLong();
      c.fpExp[i] = r.nextInt(0x10000);
    }
    c.mxcsr = r.nextInt(8) == 0 ? 0x1F80 : Values.mxcsr(r) & 0xFFFF;
    for (int i = 0; i < 32; i++) {
      c.xmm[i] = r.nextLong();
    }
    for (int i = 0; i < 8; i++) {
      c.dr[i] = r.nextInt(8) == 0 ? value(r) : 0;
    }
  }

  /** The stream's bytes at {@code off}; beyond its end the next page is not there (#PF). */
  private static Decoder.Fetch fetch(byte[] code, int at) {
    return off -> {
      int p = at + off;
      if (p >= code.length) {
        throw GuestFault.withCode(GuestFault.PF, 0x10);
      }
      return code[p] & 0xFF;
    };
  }

  /** Runs one stream: decode, execute, repeat while RIP stays inside the stream, up to the budget. */
  private void runStream(byte[] code, Tally t) {
    long base = c.rip;
    for (int n = 0; n < BUDGET; n++) {
      long off = c.rip - base;
      if (off < 0 || off >= code.length || c.halted) {
        t.completed++;
        return;
      }
      Insn i;
      try {
        i = Decoder.decode(fetch(code, (int) off), Decoder.mode(c));
      } catch (GuestFault f) {
        t.decodeFaults++;
        deliver(f, t);
        return;
      }
      long start = c.rip;
      c.rip = start + i.len;
      if (c.codeSize != 8) {
        c.rip &= 0xFFFF_FFFFL;
      }
      try {
        t.instructions++;
        if (i.atomic && c.atomics) {
          Locked.exec(c, i);
        } else {
          i.handler.exec(c, i);
        }
      } catch (GuestFault f) {
        c.rip = start;
        t.executeFaults++;
        deliver(f, t);
        return;
      } catch (Interrupts.TripleFault f) {
        t.tripleFaults++; // INT n, INTO, BOUND deliver through the IDT themselves
        return;
      }
    }
    t.completed++;
  }

  /** Delivers a fault through the IDT as the execution loop would (nested faults may end in a triple fault). */
  private void deliver(GuestFault f, Tally t) {
    try {
      Interrupts.deliverException(c, f);
    } catch (Interrupts.TripleFault e) {
      t.tripleFaults++;
    } catch (GuestFault e) {
      // delivery reports its own nested faults as a double or triple fault; a raw one is an escape too
      throw new IllegalStateException("exception delivery let a guest fault escape: " + e.getMessage(), e);
    }
  }

  // ---- streams ----

  private static final int[] PREFIXES = {0x66, 0x67, 0xF2, 0xF3, 0xF0, 0x2E, 0x36, 0x3E, 0x26, 0x64, 0x65};

  /** Random bytes, biased toward prefixes, REX and the escape bytes so that every map is reached. */
  private static byte[] randomStream(SplittableRandom r) {
    byte[] b = new byte[1 + r.nextInt(15)];
    int p = 0;
    while (p < b.length && r.nextInt(3) == 0) {
      b[p++] = (byte) (r.nextInt(3) == 0 ? 0x40 + r.nextInt(16) : PREFIXES[r.nextInt(PREFIXES.length)]);
    }
    if (p < b.length && r.nextInt(3) == 0) {
      b[p++] = 0x0F;
      if (p < b.length && r.nextInt(3) == 0) {
        b[p++] = (byte) (r.nextBoolean() ? 0x38 : 0x3A);
      }
    }
    while (p < b.length) {
      b[p++] = (byte) r.nextInt(256);
    }
    return b;
  }

  /** A valid sequence with a few bits flipped, bytes replaced, inserted or removed, or its tail cut off. */
  private static byte[] mutate(byte[] valid, SplittableRandom r) {
    byte[] b = valid.clone();
    int edits = 1 + r.nextInt(3);
    for (int e = 0; e < edits && b.length > 0; e++) {
      int at = r.nextInt(b.length);
      switch (r.nextInt(6)) {
        case 0: case 1:
          b[at] ^= (byte) (1 << r.nextInt(8));
          break;
        case 2:
          b[at] = (byte) r.nextInt(256);
          break;
        case 3: {
          byte[] n = new byte[b.length + 1];
          System.arraycopy(b, 0, n, 0, at);
          n[at] = (byte) (r.nextBoolean() ? PREFIXES[r.nextInt(PREFIXES.length)] : 0x40 + r.nextInt(16));
          System.arraycopy(b, at, n, at + 1, b.length - at);
          b = n;
          break;
        }
        case 4: {
          byte[] n = new byte[b.length - 1];
          System.arraycopy(b, 0, n, 0, at);
          System.arraycopy(b, at + 1, n, at, b.length - at - 1);
          b = n;
          break;
        }
        default:
          b = java.util.Arrays.copyOf(b, Math.max(1, at));
          break;
      }
    }
    return b.length == 0 ? new byte[] {(byte) r.nextInt(256)} : b;
  }

  Tally fuzz(long seed, int streams) {
    CaseGenerator gen = new CaseGenerator(seed, null);
    byte[][] valid = new byte[4096][];
    for (int k = 0; k < valid.length; k++) {
      valid[k] = gen.generate(k).code;
    }
    Tally t = new Tally();
    Mode[] modes = Mode.values();
    Mode last = null;
    for (int s = 0; s < streams; s++) {
      SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + s);
      if (s % RESTORE_EVERY == 0) {
        mem.writeBytes(0, system, 0, system.length);
        c.tlb.flushAll();
        last = null;
      }
      Mode m = modes[r.nextInt(modes.length)];
      if (m != last) {
        writeIdt(m);
        last = m;
      }
      byte[] code = r.nextBoolean() ? randomStream(r) : mutate(valid[r.nextInt(valid.length)], r);
      current = "stream " + s + " in " + m + ": " + Compare.hex(code);
      setUp(m, r);
      t.streams++;
      t.byMode[m.ordinal()]++;
      try {
        runStream(code, t);
      } catch (RuntimeException | StackOverflowError e) {
        t.escapeCount++;
        if (t.escapes.size() < 20) {
          StringBuilder sb = new StringBuilder(current).append("\n    ").append(e);
          StackTraceElement[] st = e.getStackTrace();
          for (int k = 0; k < Math.min(6, st.length); k++) {
            sb.append("\n      at ").append(st[k]);
          }
          t.escapes.add(sb.toString());
        }
        last = null; // the failure may have left the tables half written: start afresh
        mem.writeBytes(0, system, 0, system.length);
        c.tlb.flushAll();
      }
    }
    return t;
  }

  @Test
  void onlyGuestFaultsLeaveDecodeAndExecute() {
    long t0 = System.nanoTime();
    Tally t = assertTimeoutPreemptively(Duration.ofMinutes(10), () -> fuzz(SEED, STREAMS),
        () -> "the fuzz did not finish (a hang?) at " + current);
    double secs = (System.nanoTime() - t0) / 1e9;
    StringBuilder modes = new StringBuilder();
    for (Mode m : Mode.values()) {
      modes.append(' ').append(m).append('=').append(t.byMode[m.ordinal()]);
    }
    System.out.printf("decoder fuzz: %d streams (%d instructions executed; %d decode faults, %d execution "
            + "faults, %d triple faults, %d ran out or off the stream) in %.1f s;%s; %d escapes%n",
        t.streams, t.instructions, t.decodeFaults, t.executeFaults, t.tripleFaults, t.completed, secs, modes,
        t.escapeCount);
    assertTrue(t.streams >= 1_000_000 || STREAMS < 1_000_000, "fewer streams than required");
    for (Mode m : Mode.values()) {
      assertTrue(t.byMode[m.ordinal()] > 0, "no stream ran in " + m);
    }
    assertTrue(t.instructions > t.streams / 4, "too few streams got past the decoder to execute");
    assertTrue(t.escapeCount == 0, t.escapeCount + " streams let something other than a guest fault escape:\n"
        + String.join("\n", t.escapes));
  }
}
