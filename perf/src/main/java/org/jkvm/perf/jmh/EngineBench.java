package org.jkvm.perf.jmh;

import java.util.concurrent.TimeUnit;
import org.jkvm.translator.TranslatorBackend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * Engine speed in guest instructions per second (one score unit is one retired guest instruction) on
 * three loops, {@link LoopGuest.Loop}: integer ALU, memory copy, SSE2 double arithmetic. Parameterised
 * over every engine in {@link TranslatorBackend.Engine} (an enum {@code @Param} without values takes all
 * constants), so a new engine is measured without a change here.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class EngineBench {
  @Param
  public TranslatorBackend.Engine engine;

  private LoopGuest intAlu;
  private LoopGuest memCopy;
  private LoopGuest sse2;

  @Setup(Level.Trial)
  public void setUp() {
    intAlu = new LoopGuest(engine, LoopGuest.Loop.INT_ALU);
    memCopy = new LoopGuest(engine, LoopGuest.Loop.MEM_COPY);
    sse2 = new LoopGuest(engine, LoopGuest.Loop.SSE2_DOUBLE);
  }

  /** 100,000 iterations of 10 instructions. */
  @Benchmark
  @OperationsPerInvocation(1_000_000)
  public long intAlu() {
    return intAlu.run();
  }

  /** 300 passes of a 4 KiB quadword copy, 3,077 instructions each. */
  @Benchmark
  @OperationsPerInvocation(923_100)
  public long memCopy() {
    return memCopy.run();
  }

  /** 100,000 iterations of 9 instructions (scalar and packed double multiply, add, subtract). */
  @Benchmark
  @OperationsPerInvocation(900_000)
  public long sse2Double() {
    return sse2.run();
  }
}
