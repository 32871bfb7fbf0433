package org.jkvm.perf.jmh;

import org.jkvm.mmu.PhysicalMemory;
import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.ExitReason;
import org.jkvm.runtime.Flags;
import org.jkvm.runtime.Hypervisor;
import org.jkvm.runtime.Vcpu;
import org.jkvm.runtime.Vm;
import org.jkvm.translator.TranslatorBackend;

/**
 * A bare 64-bit guest running one loop at CPL 0 to a HLT, on one engine: the unit of the engine
 * benchmarks. The loops count down RCX; {@link Loop#instructions} says how many guest instructions one run
 * retires (with the final HLT), and every run checks that the engine retired exactly that many.
 */
final class LoopGuest {
  static final long RAM = 16L << 20;
  static final long PML4 = 0x1000;
  static final long CODE = 0x10_0000;
  static final long SRC = 0x20_0000;
  static final long DST = 0x30_0000;
  static final long CONSTS = 0x40_0000;

  /** The three loops: code, the registers it starts with, and the instructions one run retires. */
  enum Loop {
    /**
     * Integer ALU: add, xor, imul, shift, sub, lea, or, inc, and the loop's dec/jnz; 10 instructions per
     * iteration.
     */
    INT_ALU(new int[] {
        0x48, 0x01, 0xD8, // add rax, rbx
        0x48, 0x31, 0xC2, // xor rdx, rax
        0x48, 0x6B, 0xDA, 0x03, // imul rbx, rdx, 3
        0x48, 0xC1, 0xEA, 0x03, // shr rdx, 3
        0x48, 0x29, 0xD0, // sub rax, rdx
        0x48, 0x8D, 0x74, 0x46, 0x01, // lea rsi, [rsi + rax*2 + 1]
        0x48, 0x09, 0xF3, // or rbx, rsi
        0x48, 0xFF, 0xC7, // inc rdi
        0x48, 0xFF, 0xC9, // dec rcx
        0x75, -33, // jnz loop
        0xF4}, 100_000, 10),
    /**
     * Memory copy: 4 KiB with quadword loads and stores per pass (mov rsi/rdi/rdx, then 512 times load, store,
     * two adds, dec, jnz; then dec rcx, jnz): 3077 instructions per pass.
     */
    MEM_COPY(new int[] {
        0x48, 0xC7, 0xC6, (int) SRC, (int) (SRC >> 8), (int) (SRC >> 16), 0, // mov rsi, SRC
        0x48, 0xC7, 0xC7, (int) DST, (int) (DST >> 8), (int) (DST >> 16), 0, // mov rdi, DST
        0xBA, 0x00, 0x02, 0x00, 0x00, // mov edx, 512
        0x48, 0x8B, 0x06, // mov rax, [rsi]
        0x48, 0x89, 0x07, // mov [rdi], rax
        0x48, 0x83, 0xC6, 0x08, // add rsi, 8
        0x48, 0x83, 0xC7, 0x08, // add rdi, 8
        0xFF, 0xCA, // dec edx
        0x75, -18, // jnz inner
        0x48, 0xFF, 0xC9, // dec rcx
        0x75, -42, // jnz outer
        0xF4}, 300, 3077),
    /**
     * SSE2 double arithmetic: movsd load, mulsd, addsd, addpd, mulpd, subpd, movsd store, dec, jnz; 9
     * instructions per iteration.
     */
    SSE2_DOUBLE(new int[] {
        0xF2, 0x0F, 0x10, 0x06, // movsd xmm0, [rsi]
        0xF2, 0x0F, 0x59, 0xC1, // mulsd xmm0, xmm1
        0xF2, 0x0F, 0x58, 0xC2, // addsd xmm0, xmm2
        0x66, 0x0F, 0x58, 0xD8, // addpd xmm3, xmm0
        0x66, 0x0F, 0x59, 0xE5, // mulpd xmm4, xmm5
        0x66, 0x0F, 0x5C, 0xE3, // subpd xmm4, xmm3
        0xF2, 0x0F, 0x11, 0x07, // movsd [rdi], xmm0
        0x48, 0xFF, 0xC9, // dec rcx
        0x75, -33, // jnz loop
        0xF4}, 100_000, 9);

    final byte[] code;
    final long iterations;
    final long instructions;

    Loop(int[] code, long iterations, long perIteration) {
      this.code = new byte[code.length];
      for (int i = 0; i < code.length; i++) {
        this.code[i] = (byte) code[i];
      }
      this.iterations = iterations;
      // MEM_COPY's three setup instructions are inside the outer loop; the final HLT retires too.
      this.instructions = iterations * perIteration + 1;
    }
  }

  private final Vm vm;
  private final Vcpu vcpu;
  private final CpuState c;
  private final Loop loop;

  LoopGuest(TranslatorBackend.Engine engine, Loop loop) {
    this.loop = loop;
    vm = new Hypervisor(new TranslatorBackend(engine)).createVm();
    vm.addRam(0, RAM);
    vcpu = vm.createVcpu();
    c = vcpu.state();
    PhysicalMemory mem = vm.memory();
    mem.write(PML4, 8, 0x2000 | 3);
    mem.write(0x2000, 8, 0x3000 | 3);
    for (int i = 0; i < 8; i++) {
      mem.write(0x3000 + 8L * i, 8, ((long) i << 21) | 0x83); // 2 MiB, present, writable
    }
    mem.writeBytes(CODE, loop.code, 0, loop.code.length);
    for (int q = 0; q < 512; q++) {
      mem.write(SRC + 8L * q, 8, 0x0123_4567_89AB_CDEFL * (q + 1));
    }
    mem.write(CONSTS, 8, Double.doubleToRawLongBits(1.25));
    c.cr3 = PML4;
    c.cr4 = CpuState.CR4_PAE | CpuState.CR4_OSFXSR | CpuState.CR4_OSXMMEXCPT;
    c.efer = CpuState.EFER_LME | CpuState.EFER_LMA | CpuState.EFER_NXE;
    c.cr0 = CpuState.CR0_PE | CpuState.CR0_PG | CpuState.CR0_ET | CpuState.CR0_NE | CpuState.CR0_MP;
    for (int s = 0; s < 6; s++) {
      c.segSel[s] = s == CpuState.CS ? 0x08 : 0x10;
      c.segBase[s] = 0;
      c.segLimit[s] = -1;
      c.segAttr[s] = CpuState.SEG_P | CpuState.SEG_S | CpuState.SEG_G
          | (s == CpuState.CS ? 0xB | CpuState.SEG_L : 0x3 | CpuState.SEG_DB);
    }
    c.tlb.flushAll();
  }

  /** Runs the loop once from the start; returns a value derived from the result so nothing is dead. */
  long run() {
    java.util.Arrays.fill(c.gpr, 0);
    c.gpr[CpuState.RCX] = loop.iterations;
    c.gpr[CpuState.RBX] = 0x9E37_79B9_7F4A_7C15L;
    c.gpr[CpuState.RSP] = RAM - 0x1000;
    if (loop == Loop.SSE2_DOUBLE) {
      c.gpr[CpuState.RSI] = CONSTS;
      c.gpr[CpuState.RDI] = DST;
      long one = Double.doubleToRawLongBits(1.0000001);
      long half = Double.doubleToRawLongBits(0.5);
      for (int x = 0; x < 32; x++) {
        c.xmm[x] = 0;
      }
      c.xmm[2] = one;
      c.xmm[4] = half;
      c.xmm[10] = Double.doubleToRawLongBits(1.0);
      c.xmm[11] = Double.doubleToRawLongBits(1.0);
    }
    c.mxcsr = 0x1F80;
    c.rip = CODE;
    c.halted = false;
    c.setRflags(Flags.FIXED1);
    c.updateMode();
    long before = vcpu.instructionsRetired();
    ExitReason r = vcpu.run();
    if (r != ExitReason.HLT) {
      throw new IllegalStateException(loop + ": expected HLT, got " + r + " (" + vcpu.runState().internalError + ")");
    }
    long retired = vcpu.instructionsRetired() - before;
    if (retired != loop.instructions) {
      throw new IllegalStateException(loop + ": retired " + retired + " instructions, expected " + loop.instructions);
    }
    return c.gpr[CpuState.RAX] ^ c.gpr[CpuState.RSI] ^ c.xmm[0] ^ c.xmm[6] ^ c.xmm[8];
  }
}
