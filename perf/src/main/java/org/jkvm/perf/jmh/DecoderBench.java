package org.jkvm.perf.jmh;

import java.util.concurrent.TimeUnit;
import org.jkvm.translator.isa.Decoder;
import org.jkvm.translator.isa.Insn;
import org.jkvm.translator.sem.GuestFault;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Decoder throughput: instructions decoded per second over {@link CodeMix}'s realistic 64-bit stream
 * (one score unit is one instruction). The stream is split into instructions once; each invocation decodes
 * the next {@link #BATCH} of them from a byte array, as the interpreter's block builder does from guest
 * memory.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DecoderBench {
  static final int BATCH = 4096;
  static final int STREAM_BYTES = 1 << 20;

  private byte[] code;
  private int[] starts;
  private int next;

  @Setup
  public void setUp() {
    code = CodeMix.generate(0xDEC0DE, STREAM_BYTES);
    int[] s = new int[code.length];
    int n = 0;
    for (int at = 0; at < code.length - 16; ) {
      final int from = at;
      Insn i = Decoder.decode(off -> code[from + off] & 0xFF, 8);
      s[n++] = at;
      at += i.len;
    }
    starts = java.util.Arrays.copyOf(s, n);
    if (n < BATCH) {
      throw new IllegalStateException("stream too short: " + n + " instructions");
    }
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void decode(Blackhole bh) {
    final byte[] c = code;
    int k = next;
    for (int j = 0; j < BATCH; j++) {
      final int at = starts[k];
      try {
        bh.consume(Decoder.decode(off -> c[at + off] & 0xFF, 8));
      } catch (GuestFault f) {
        bh.consume(f);
      }
      if (++k == starts.length) {
        k = 0;
      }
    }
    next = k;
  }
}
