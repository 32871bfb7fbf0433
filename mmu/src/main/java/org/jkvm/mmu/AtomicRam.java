package org.jkvm.mmu;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Field;
import java.nio.ByteOrder;

/**
 * Compare-and-swap on an aligned quadword of a RAM chunk ({@code byte[]}), the one atomic primitive that
 * locked instructions and page-table A/D updates are built on.
 *
 * <p>Which mechanism depends on the JDK. Up to JDK 21, byte-array view VarHandles do atomic updates on
 * aligned offsets. JDK 22 and later refuse them (JDK-8318966: the JVM no longer promises that a byte[] is
 * 8-byte aligned) and throw UnsupportedOperationException; there {@code sun.misc.Unsafe}'s
 * compareAndSwapLong still works on heap arrays (HotSpot aligns every array's elements to 8 bytes; lkvm
 * passes {@code --sun-misc-unsafe-memory-access=allow} so JDK 24+ stays quiet). Without either, a lock
 * serializes the compare-and-swaps, which keeps them atomic against each other but not against plain
 * stores: a last resort, reported by {@link #mechanism()}.
 */
final class AtomicRam {
  private AtomicRam() {}

  private static final VarHandle I64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private static final int VIEW = 0;
  private static final int UNSAFE = 1;
  private static final int LOCKED = 2;

  /** Unsafe.compareAndSwapLong(Object, long, long, long) bound to the instance, or null. */
  private static final MethodHandle UNSAFE_CAS;
  private static final long BYTE_BASE;
  private static final int MODE;

  static {
    MethodHandle cas = null;
    long base = 0;
    int mode;
    if (viewsWork()) {
      mode = VIEW;
    } else {
      try {
        Class<?> k = Class.forName("sun.misc.Unsafe");
        Field f = k.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        Object u = f.get(null);
        MethodHandles.Lookup l = MethodHandles.lookup();
        cas = l.findVirtual(k, "compareAndSwapLong",
            MethodType.methodType(boolean.class, Object.class, long.class, long.class, long.class)).bindTo(u);
        base = (int) l.findVirtual(k, "arrayBaseOffset", MethodType.methodType(int.class, Class.class))
            .bindTo(u).invoke(byte[].class);
        byte[] probe = new byte[16];
        boolean ok = (boolean) cas.invokeExact((Object) probe, base + 8, 0L, 0x0102L);
        mode = ok && probe[8] == 2 && probe[9] == 1 && (base & 7) == 0 ? UNSAFE : LOCKED;
      } catch (Throwable e) {
        mode = LOCKED;
      }
    }
    UNSAFE_CAS = mode == UNSAFE ? cas : null;
    BYTE_BASE = base;
    MODE = mode;
  }

  private static boolean viewsWork() {
    try {
      byte[] b = new byte[16];
      return I64.compareAndSet(b, 8, 0L, 1L) && b[8] == 1;
    } catch (UnsupportedOperationException | IllegalStateException e) {
      return false;
    }
  }

  private static final Object LOCK = new Object();

  /** "VarHandle", "Unsafe" or "lock": how this JDK does it (for --stats and tests). */
  static String mechanism() {
    return MODE == VIEW ? "VarHandle" : MODE == UNSAFE ? "Unsafe" : "lock";
  }

  /** Atomically replaces the quadword at {@code off} (a multiple of 8) if it equals {@code expected}. */
  static boolean cas64(byte[] c, int off, long expected, long update) {
    switch (MODE) {
      case VIEW:
        return I64.compareAndSet(c, off, expected, update);
      case UNSAFE:
        if (off < 0 || off + 8 > c.length) {
          throw new ArrayIndexOutOfBoundsException(off);
        }
        try {
          return (boolean) UNSAFE_CAS.invokeExact((Object) c, BYTE_BASE + off, expected, update);
        } catch (Throwable e) {
          throw new IllegalStateException(e);
        }
      default:
        synchronized (LOCK) {
          if ((long) I64.get(c, off) != expected) {
            return false;
          }
          I64.set(c, off, update);
          return true;
        }
    }
  }

  /** The quadword at {@code off} (a multiple of 8), read with the ordering of a locked read. */
  static long getVolatile64(byte[] c, int off) {
    if (MODE == VIEW) {
      return (long) I64.getVolatile(c, off);
    }
    VarHandle.fullFence();
    return (long) I64.get(c, off);
  }

  /**
   * Atomically replaces {@code size} bytes (1, 2, 4 or 8) at {@code off} if they equal {@code expected},
   * leaving the other bytes of their quadword alone; the bytes must lie within one aligned quadword.
   * Returns the value seen (masked to the size), which equals {@code expected} when the swap happened.
   */
  static long casWithin(byte[] c, int off, int size, long expected, long update) {
    long m = PhysicalMemory.sizeMask(size);
    expected &= m;
    int base = off & ~7;
    int shift = 8 * (off - base);
    long wm = m << shift;
    for (;;) {
      long cur = getVolatile64(c, base);
      long seen = (cur >>> shift) & m;
      if (seen != expected) {
        return seen;
      }
      if (cas64(c, base, cur, (cur & ~wm) | ((update & m) << shift))) {
        return seen;
      }
      // Another vCPU changed bytes beside ours: ours may still match, so look again.
    }
  }
}
