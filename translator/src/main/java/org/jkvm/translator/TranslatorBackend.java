package org.jkvm.translator;

import java.util.IdentityHashMap;
import java.util.Map;
import org.jkvm.mmu.PhysicalMemory;
import org.jkvm.runtime.Backend;
import org.jkvm.runtime.CpuState;
import org.jkvm.translator.exec.CodeCache;
import org.jkvm.translator.exec.Interpreter;

/**
 * jkvm's engine for running guest code, selected by {@code lkvm run --engine}. One code cache per guest
 * memory (that is, per VM) is shared by the VM's vCPUs.
 */
public final class TranslatorBackend implements Backend {
  /** The engines {@code --engine} can name. */
  public enum Engine {
    /** Decode once, interpret every time. */
    INTERP("interp"),
    /** Interpret cold blocks, translate hot ones to JVM bytecode. */
    JIT("jit");

    public final String cliName;

    Engine(String cliName) {
      this.cliName = cliName;
    }

    /** The engine with this command-line name, or null. */
    public static Engine byName(String name) {
      for (Engine e : values()) {
        if (e.cliName.equals(name)) {
          return e;
        }
      }
      return null;
    }
  }

  private final Engine engine;
  private final int jitThreshold;
  private final Map<PhysicalMemory, CodeCache> caches = new IdentityHashMap<>();

  public TranslatorBackend(Engine engine) {
    this(engine, CodeCache.DEFAULT_JIT_THRESHOLD);
  }

  /**
   * An engine whose translator compiles a block once it has run {@code jitThreshold} times (0: before it
   * first runs, as differential tests want); the default comes from {@code -Djkvm.jit.threshold}.
   */
  public TranslatorBackend(Engine engine, int jitThreshold) {
    this.engine = engine;
    this.jitThreshold = jitThreshold;
  }

  @Override
  public String name() {
    return engine.cliName;
  }

  @Override
  public synchronized VcpuBackend createVcpu(CpuState state) {
    CodeCache cache = caches.computeIfAbsent(state.mem, m -> new CodeCache(m, engine == Engine.JIT ? jitThreshold : -1));
    return new Interpreter(state, cache);
  }
}
