package org.jkvm.mmu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Guest physical address space: RAM slots backed by {@code byte[]} chunks read through little-endian
 * {@link VarHandle}s, MMIO windows dispatched to {@link MmioHandler}s, and holes that read as all-ones.
 *
 * <p>RAM is cut into 2 MiB chunks that are allocated when first touched, so a guest that is given 512 MiB
 * but uses 60 MiB costs the host about 60 MiB (Java zeroes every array it allocates, which would otherwise
 * commit the whole guest at start-up). A chunk never moves once allocated, so the TLB may keep a reference
 * to it.
 *
 * <p>Every method is safe against any guest physical address: nothing here throws on guest input.
 */
public final class PhysicalMemory {
  public static final int PAGE_SHIFT = 12;
  public static final long PAGE_SIZE = 1L << PAGE_SHIFT;
  public static final long PAGE_MASK = ~(PAGE_SIZE - 1);
  /** log2 of the chunk size: 2 MiB, the largest page Linux maps its direct map with before 1 GiB pages. */
  public static final int CHUNK_SHIFT = 21;
  public static final int CHUNK_SIZE = 1 << CHUNK_SHIFT;
  static final long CHUNK_MASK = CHUNK_SIZE - 1;

  static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  static final VarHandle I64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private record MmioWindow(long base, long size, MmioHandler handler) {}

  /** Chunk table indexed by gpa >>> CHUNK_SHIFT; null entries in a RAM slot are not yet allocated. */
  private volatile byte[][] chunks = new byte[0][];
  /** Bytes of RAM at the start of chunk i (0: the chunk is not RAM; a slot may end inside a chunk). */
  private volatile int[] chunkValid = new int[0];
  private final List<long[]> ramSlots = new ArrayList<>();
  private volatile MmioWindow[] mmio = new MmioWindow[0];
  /** One bit per 4 KiB RAM page: the page holds code that was decoded or translated. */
  private volatile long[] codeBits = new long[0];
  private final List<CodeWriteListener> codeListeners = new CopyOnWriteArrayList<>();
  private long ramBytes;

  /** Adds a RAM slot. Both ends must be 2 MiB aligned, except that the end may be 4 KiB aligned. */
  public synchronized void addRam(long gpa, long size) {
    if (gpa < 0 || size <= 0 || (gpa & CHUNK_MASK) != 0 || (size & (PAGE_SIZE - 1)) != 0) {
      throw new IllegalArgumentException("RAM slot must start 2 MiB aligned and be whole pages: "
          + Long.toHexString(gpa) + "+" + Long.toHexString(size));
    }
    long end = gpa + size;
    int lastChunk = (int) ((end - 1) >>> CHUNK_SHIFT);
    if (lastChunk >= chunks.length) {
      chunks = Arrays.copyOf(chunks, lastChunk + 1);
      chunkValid = Arrays.copyOf(chunkValid, lastChunk + 1);
      codeBits = Arrays.copyOf(codeBits, (int) (((long) (lastChunk + 1) << (CHUNK_SHIFT - PAGE_SHIFT)) >>> 6) + 1);
    }
    for (int c = (int) (gpa >>> CHUNK_SHIFT); c <= lastChunk; c++) {
      long chunkEnd = Math.min(end, ((long) c + 1) << CHUNK_SHIFT);
      chunkValid[c] = (int) (chunkEnd - ((long) c << CHUNK_SHIFT));
    }
    ramSlots.add(new long[] {gpa, end});
    ramBytes += size;
  }

  /** Maps an MMIO window. Windows must not overlap each other or RAM. */
  public synchronized void addMmio(long gpa, long size, MmioHandler handler) {
    for (MmioWindow w : mmio) {
      if (gpa < w.base + w.size && w.base < gpa + size) {
        throw new IllegalArgumentException("MMIO window overlaps: " + Long.toHexString(gpa));
      }
    }
    for (long p = gpa & PAGE_MASK; p < gpa + size; p += PAGE_SIZE) {
      if (isRam(p)) {
        throw new IllegalArgumentException("MMIO window overlaps RAM: " + Long.toHexString(gpa));
      }
    }
    MmioWindow[] n = Arrays.copyOf(mmio, mmio.length + 1);
    n[n.length - 1] = new MmioWindow(gpa, size, handler);
    Arrays.sort(n, (a, b) -> Long.compare(a.base, b.base));
    mmio = n;
  }

  /** Removes the MMIO window starting at {@code gpa}, if any (PCI BARs move). */
  public synchronized void removeMmio(long gpa) {
    mmio = Arrays.stream(mmio).filter(w -> w.base != gpa).toArray(MmioWindow[]::new);
  }

  public long ramBytes() {
    return ramBytes;
  }

  /** The RAM slots as {start, end} pairs, in the order they were added. */
  public synchronized List<long[]> ramSlots() {
    List<long[]> out = new ArrayList<>();
    for (long[] s : ramSlots) {
      out.add(s.clone());
    }
    return out;
  }

  /** True if the byte at {@code gpa} is RAM (as opposed to MMIO or a hole). */
  public boolean isRam(long gpa) {
    if (gpa < 0) {
      return false;
    }
    long c = gpa >>> CHUNK_SHIFT;
    int[] valid = chunkValid;
    return c < valid.length && (gpa & CHUNK_MASK) < valid[(int) c];
  }

  /**
   * The chunk holding RAM page {@code gpa}, allocating it on first use; null if the page is not RAM.
   * The page lies at {@code (int) (gpa & CHUNK_MASK)} within it.
   */
  public byte[] chunkOf(long gpa) {
    if (gpa < 0) {
      return null;
    }
    long ci = gpa >>> CHUNK_SHIFT;
    byte[][] cs = chunks;
    if (ci >= cs.length) {
      return null;
    }
    if ((gpa & CHUNK_MASK) >= chunkValid[(int) ci]) {
      return null;
    }
    byte[] c = cs[(int) ci];
    return c != null ? c : allocate((int) ci);
  }

  private synchronized byte[] allocate(int ci) {
    byte[] c = chunks[ci];
    if (c == null) {
      c = new byte[CHUNK_SIZE];
      chunks[ci] = c;
    }
    return c;
  }

  /** Offset of {@code gpa} inside its chunk. */
  public static int chunkOffset(long gpa) {
    return (int) (gpa & CHUNK_MASK);
  }

  private MmioWindow window(long gpa) {
    MmioWindow[] ws = mmio;
    int lo = 0;
    int hi = ws.length - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      MmioWindow w = ws[mid];
      if (gpa < w.base) {
        hi = mid - 1;
      } else if (gpa >= w.base + w.size) {
        lo = mid + 1;
      } else {
        return w;
      }
    }
    return null;
  }

  /** Whether an MMIO window covers {@code gpa}. */
  public boolean isMmio(long gpa) {
    return window(gpa) != null;
  }

  // ---- scalar access; size in bytes is 1, 2, 4 or 8 ----

  /** Reads {@code size} bytes at {@code gpa}, zero-extended. Holes read as all-ones, like an idle bus. */
  public long read(long gpa, int size) {
    byte[] c = chunkOf(gpa);
    int off = chunkOffset(gpa);
    if (c != null && off + size <= chunkValid[(int) (gpa >>> CHUNK_SHIFT)]) {
      return readChunk(c, off, size);
    }
    if (c == null) {
      MmioWindow w = window(gpa);
      if (w != null) {
        return w.handler.read(gpa - w.base, size) & sizeMask(size);
      }
      if (!isRam(gpa + size - 1)) {
        return sizeMask(size);
      }
    }
    long v = 0;
    for (int i = 0; i < size; i++) {
      v |= (read(gpa + i, 1) & 0xFF) << (8 * i);
    }
    return v;
  }

  /** Writes the low {@code size} bytes of {@code value} at {@code gpa}. Writes to holes are dropped. */
  public void write(long gpa, int size, long value) {
    byte[] c = chunkOf(gpa);
    int off = chunkOffset(gpa);
    if (c != null && off + size <= chunkValid[(int) (gpa >>> CHUNK_SHIFT)]) {
      writeChunk(c, off, size, value);
      noteWrite(gpa, size);
      return;
    }
    if (c == null) {
      MmioWindow w = window(gpa);
      if (w != null) {
        w.handler.write(gpa - w.base, size, value & sizeMask(size));
        return;
      }
      if (!isRam(gpa + size - 1)) {
        return;
      }
    }
    for (int i = 0; i < size; i++) {
      write(gpa + i, 1, value >>> (8 * i));
    }
  }

  public static long sizeMask(int size) {
    return size >= 8 ? -1L : (1L << (8 * size)) - 1;
  }

  public static long readChunk(byte[] c, int off, int size) {
    switch (size) {
      case 1:
        return c[off] & 0xFFL;
      case 2:
        return ((short) I16.get(c, off)) & 0xFFFFL;
      case 4:
        return ((int) I32.get(c, off)) & 0xFFFF_FFFFL;
      default:
        return (long) I64.get(c, off);
    }
  }

  public static void writeChunk(byte[] c, int off, int size, long v) {
    switch (size) {
      case 1:
        c[off] = (byte) v;
        break;
      case 2:
        I16.set(c, off, (short) v);
        break;
      case 4:
        I32.set(c, off, (int) v);
        break;
      default:
        I64.set(c, off, v);
        break;
    }
  }

  /** Serializes the rare locked accesses that straddle an 8-byte boundary (x86 "split locks"). */
  private static final Object SPLIT_LOCK = new Object();

  /**
   * Atomically replaces the {@code size} bytes at {@code off} of a RAM chunk if they still hold
   * {@code expected} (the value a locked instruction read); returns false if another vCPU changed them.
   * Any access inside one aligned 8-byte word is a true compare-and-swap on that word, bytes around it
   * left as they are; one that straddles a word boundary takes a global lock, which orders it against
   * other locked instructions only (as a split lock is on hardware, it is slow and rare).
   */
  public static boolean casChunk(byte[] c, int off, int size, long expected, long update) {
    long m = sizeMask(size);
    if (((off & 7) + size) <= 8) {
      return AtomicRam.casWithin(c, off, size, expected, update) == (expected & m);
    }
    synchronized (SPLIT_LOCK) {
      if (readChunk(c, off, size) != (expected & m)) {
        return false;
      }
      writeChunk(c, off, size, update);
      return true;
    }
  }

  /** How this JDK does compare-and-swap on guest RAM: "VarHandle", "Unsafe" or "lock". */
  public static String atomicMechanism() {
    return AtomicRam.mechanism();
  }

  /**
   * Atomically replaces the aligned 4- or 8-byte RAM word at {@code gpa} if it equals {@code expected};
   * returns the value seen. Used for page-table A/D bits. Returns {@code ~expected} without writing if
   * {@code gpa} is not naturally aligned RAM.
   */
  public long compareAndExchange(long gpa, int size, long expected, long update) {
    byte[] c = chunkOf(gpa);
    int off = chunkOffset(gpa);
    if (c == null || (off & (size - 1)) != 0) {
      return ~expected;
    }
    if (size != 4 && size != 8) {
      throw new IllegalArgumentException("size " + size);
    }
    long seen = AtomicRam.casWithin(c, off, size, expected, update);
    if (seen == (expected & sizeMask(size))) {
      noteWrite(gpa, size);
    }
    return seen;
  }

  // ---- bulk access (DMA, loaders) ----

  /** Copies guest memory into {@code dst}; bytes outside RAM read as MMIO or all-ones. */
  public void readBytes(long gpa, byte[] dst, int off, int len) {
    int i = 0;
    while (i < len) {
      long a = gpa + i;
      byte[] c = chunkOf(a);
      if (c == null) {
        dst[off + i] = (byte) read(a, 1);
        i++;
        continue;
      }
      int co = chunkOffset(a);
      int n = (int) Math.min(len - i, ramEnd(a) - a);
      System.arraycopy(c, co, dst, off + i, n);
      i += n;
    }
  }

  /** Copies {@code src} into guest memory; bytes that fall outside RAM go to MMIO or are dropped. */
  public void writeBytes(long gpa, byte[] src, int off, int len) {
    int i = 0;
    while (i < len) {
      long a = gpa + i;
      byte[] c = chunkOf(a);
      if (c == null) {
        write(a, 1, src[off + i]);
        i++;
        continue;
      }
      int co = chunkOffset(a);
      int n = (int) Math.min(len - i, ramEnd(a) - a);
      System.arraycopy(src, off + i, c, co, n);
      noteWrite(a, n);
      i += n;
    }
  }

  /** End of the RAM run that {@code gpa} (which is RAM) lies in, within its chunk. */
  private long ramEnd(long gpa) {
    return (gpa & ~CHUNK_MASK) + chunkValid[(int) (gpa >>> CHUNK_SHIFT)];
  }

  // ---- code tracking for self-modifying code ----

  public void addCodeWriteListener(CodeWriteListener l) {
    codeListeners.add(l);
  }

  /** Marks the RAM page holding {@code gpa} as holding code. */
  public void markCode(long gpa) {
    long p = gpa >>> PAGE_SHIFT;
    long[] bits = codeBits;
    if ((p >>> 6) < bits.length) {
      synchronized (this) {
        bits[(int) (p >>> 6)] |= 1L << p;
      }
    }
  }

  /** True if the page holding {@code gpa} is marked as code. */
  public boolean isCode(long gpa) {
    long p = gpa >>> PAGE_SHIFT;
    long[] bits = codeBits;
    return (p >>> 6) < bits.length && (bits[(int) (p >>> 6)] & (1L << p)) != 0;
  }

  /** Called after every RAM write that did not go through a fast TLB path. */
  private void noteWrite(long gpa, int len) {
    long first = gpa >>> PAGE_SHIFT;
    long last = (gpa + len - 1) >>> PAGE_SHIFT;
    for (long p = first; p <= last; p++) {
      noteWritePage(p << PAGE_SHIFT);
    }
  }

  /**
   * A write hit the page at {@code gpaPage}: if the page held code, clear its bit and tell the listeners.
   * Public so the TLB slow path can report writes it performed itself.
   */
  public void noteWritePage(long gpaPage) {
    long p = gpaPage >>> PAGE_SHIFT;
    long[] bits = codeBits;
    int w = (int) (p >>> 6);
    if (w < bits.length && (bits[w] & (1L << p)) != 0) {
      synchronized (this) {
        bits[w] &= ~(1L << p);
      }
      for (CodeWriteListener l : codeListeners) {
        l.codeWritten(gpaPage & PAGE_MASK);
      }
    }
  }
}
