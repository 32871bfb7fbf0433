package org.jkvm.perf;

import java.util.concurrent.TimeUnit;
import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.ExitReason;
import org.jkvm.runtime.Flags;
import org.jkvm.runtime.Hypervisor;
import org.jkvm.runtime.Vcpu;
import org.jkvm.runtime.Vm;
import org.jkvm.translator.TranslatorBackend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Guest instructions per second of each engine on a tight 64-bit loop of register, memory and branch
 * instructions (the body of {@code guests/tiny/loop.S} without its data-dependent branch). JMH's score is
 * guest instructions per microsecond: {@code java -jar perf/target/benchmarks.jar EngineLoopBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EngineLoopBench {
  static final int ITERATIONS = 100_000;
  /** MOV ECX, N; N times the 9-instruction body; HLT. */
  static final int INSNS = 1 + 9 * ITERATIONS + 1;
  static final long CODE = 0x10_0000;
  static final long PML4 = 0x1000;

  @Param({"interp", "jit"})
  public String engine;

  Vcpu vcpu;
  CpuState c;

  @Setup
  public void setup() {
    Vm vm = new Hypervisor(new TranslatorBackend(TranslatorBackend.Engine.byName(engine))).createVm();
    vm.addRam(0, 16L << 20);
    vcpu = vm.createVcpu();
    c = vcpu.state();
    var mem = vm.memory();
    mem.write(PML4, 8, 0x2000 | 3);
    mem.write(0x2000, 8, 0x3000 | 3);
    for (int i = 0; i < 8; i++) {
      mem.write(0x3000 + 8L * i, 8, ((long) i << 21) | 0x83); // 2 MiB pages
    }
    byte[] code = {
        (byte) 0xB9, (byte) ITERATIONS, (byte) (ITERATIONS >> 8), (byte) (ITERATIONS >> 16), 0, // mov ecx, N
        0x48, 0x01, (byte) 0xC8, // l: add rax, rcx
        0x48, 0x31, (byte) 0xC3, // xor rbx, rax
        0x48, (byte) 0x89, 0x1E, // mov [rsi], rbx
        0x48, 0x03, 0x16, // add rdx, [rsi]
        0x48, (byte) 0x8D, 0x7C, 0x42, 0x01, // lea rdi, [rdx + rax*2 + 1]
        0x41, (byte) 0x89, (byte) 0xF9, // mov r9d, edi
        0x49, (byte) 0xC1, (byte) 0xE9, 0x03, // shr r9, 3
        0x48, (byte) 0x83, (byte) 0xE9, 0x01, // sub rcx, 1
        0x75, (byte) 0xE2, // jnz l (-30)
        (byte) 0xF4}; // hlt
    mem.writeBytes(CODE, code, 0, code.length);
    c.cr3 = PML4;
    c.cr4 = CpuState.CR4_PAE;
    c.efer = CpuState.EFER_LME | CpuState.EFER_LMA;
    c.cr0 = CpuState.CR0_PE | CpuState.CR0_PG | CpuState.CR0_ET | CpuState.CR0_NE;
    for (int s = 0; s < 6; s++) {
      c.segSel[s] = s == CpuState.CS ? 0x08 : 0x10;
      c.segBase[s] = 0;
      c.segLimit[s] = -1;
      c.segAttr[s] = CpuState.SEG_P | CpuState.SEG_S | CpuState.SEG_G
          | (s == CpuState.CS ? 0xB | CpuState.SEG_L : 0x3 | CpuState.SEG_DB);
    }
    c.setRflags(Flags.FIXED1);
    c.tlb.flushAll();
    c.updateMode();
    long before = vcpu.instructionsRetired();
    loop();
    if (vcpu.instructionsRetired() - before != INSNS) {
      throw new IllegalStateException("one run retired " + (vcpu.instructionsRetired() - before) + ", not " + INSNS);
    }
  }

  @Benchmark
  @OperationsPerInvocation(INSNS)
  public long loop() {
    c.rip = CODE;
    c.halted = false;
    c.gpr[CpuState.RSI] = 0x80_0000; // data on its own page
    c.gpr[CpuState.RSP] = 0x90_0000;
    ExitReason r = vcpu.run();
    if (r != ExitReason.HLT) {
      throw new IllegalStateException("exit " + r);
    }
    return c.gpr[CpuState.RDX];
  }
}
