package org.jkvm.translator.exec;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jkvm.mmu.CodeWriteListener;
import org.jkvm.mmu.PhysicalMemory;
import org.jkvm.runtime.CpuState;

/**
 * The code cache of one VM, shared by its vCPUs: decoded blocks keyed by (physical address, decoding
 * mode), bounded by Caffeine, with a per-page index so that a write to a page holding code drops exactly
 * the blocks built from it (DESIGN.md rules 3 and 4).
 */
public final class CodeCache implements CodeWriteListener {
  /** Decoded blocks kept; a block is a few hundred bytes. */
  static final long MAX_BLOCKS = 200_000;

  private final PhysicalMemory mem;
  private final Cache<Long, Block> blocks;
  private final ConcurrentHashMap<Long, Set<Long>> byPage = new ConcurrentHashMap<>();
  private final List<CpuState> cpus = new CopyOnWriteArrayList<>();
  long invalidations;
  /** Executions before a block is translated, unless the engine says otherwise ({@code -Djkvm.jit.threshold}). */
  public static final int DEFAULT_JIT_THRESHOLD = BlockCompiler.THRESHOLD;
  /** The translator of this VM, or null when the engine only interprets. */
  final BlockCompiler jit;

  public CodeCache(PhysicalMemory mem) {
    this(mem, -1);
  }

  /**
   * @param jitThreshold executions of a block before it is translated; negative: only interpret
   */
  public CodeCache(PhysicalMemory mem, int jitThreshold) {
    this.mem = mem;
    this.jit = jitThreshold >= 0 ? new BlockCompiler(this, jitThreshold) : null;
    this.blocks = Caffeine.newBuilder().maximumSize(MAX_BLOCKS).executor(Runnable::run)
        .removalListener((Long k, Block b, com.github.benmanes.caffeine.cache.RemovalCause cause) -> {
          if (b != null) {
            b.valid = false;
            b.compiled = null;
          }
          if (jit != null) {
            jit.invalidate(k);
          }
        }).build();
    mem.addCodeWriteListener(this);
  }

  void register(CpuState c) {
    cpus.add(c);
  }

  /** The block at {@code gpa} decoded in {@code mode} ({@code Decoder.mode}), or null. */
  Block get(long gpa, int mode) {
    return blocks.getIfPresent(Block.key(gpa, mode));
  }

  void put(Block b) {
    long key = Block.key(b.gpa, b.mode);
    blocks.put(key, b);
    index(b.gpa & PhysicalMemory.PAGE_MASK, key);
    if (b.gpa2 >= 0) {
      index(b.gpa2 & PhysicalMemory.PAGE_MASK, key);
    }
  }

  /** Records that block {@code key} was built from {@code page}, and write-protects the page. */
  private void index(long page, long key) {
    boolean fresh = !mem.isCode(page);
    byPage.computeIfAbsent(page, p -> ConcurrentHashMap.newKeySet()).add(key);
    if (fresh) {
      mem.markCode(page);
      for (CpuState c : cpus) {
        c.tlb.protectCode(page);
      }
    }
  }

  @Override
  public void codeWritten(long gpaPage) {
    Set<Long> keys = byPage.remove(gpaPage);
    if (keys == null) {
      return;
    }
    for (Long k : keys) {
      Block b = blocks.getIfPresent(k);
      if (b != null) {
        b.valid = false;
      }
      blocks.invalidate(k);
      if (jit != null) {
        jit.invalidate(k);
      }
    }
    invalidations++;
    for (CpuState c : cpus) {
      c.raiseEvent(CpuState.EVENT_CODE);
    }
  }

  public long size() {
    return blocks.estimatedSize();
  }
}
