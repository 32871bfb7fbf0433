package org.jkvm.translator.exec;

import org.jkvm.translator.sem.GuestFault;

/**
 * Small static helpers that translated code calls with constant arguments; HotSpot inlines them and folds
 * the switches. Each agrees with the lazy-flag evaluation in {@code runtime.Flags} for the operation it
 * names (checked by the engine-against-engine tests).
 */
final class JitOps {
  private JitOps() {}

  static long mask(int size) {
    return size >= 8 ? -1L : (1L << (size << 3)) - 1;
  }

  private static boolean sign(long v, int size) {
    return (v >>> ((size << 3) - 1) & 1) != 0;
  }

  private static long sext(long v, int size) {
    int s = 64 - (size << 3);
    return v << s >> s;
  }

  /**
   * Condition {@code cc} after {@code r = a - b} (SUB, CMP) of {@code size} bytes; a, b and r are zero-extended.
   * Not for P/NP (the caller falls back to the semantics method).
   */
  static boolean condSub(int cc, int size, long a, long b, long r) {
    boolean x;
    switch (cc >>> 1) {
      case 0: x = sign((a ^ b) & (a ^ r), size); break;
      case 1: x = Long.compareUnsigned(a, b) < 0; break;
      case 2: x = a == b; break;
      case 3: x = Long.compareUnsigned(a, b) <= 0; break;
      case 4: x = sign(r, size); break;
      case 6: x = sext(a, size) < sext(b, size); break;
      case 7: x = sext(a, size) <= sext(b, size); break;
      default: throw new IllegalArgumentException("cc " + cc);
    }
    return x ^ ((cc & 1) != 0);
  }

  /** Condition {@code cc} after {@code r = a + b} (ADD). Not for P/NP. */
  static boolean condAdd(int cc, int size, long a, long b, long r) {
    boolean of = sign(~(a ^ b) & (a ^ r), size);
    boolean x;
    switch (cc >>> 1) {
      case 0: x = of; break;
      case 1: x = Long.compareUnsigned(r, a) < 0; break;
      case 2: x = r == 0; break;
      case 3: x = Long.compareUnsigned(r, a) < 0 || r == 0; break;
      case 4: x = sign(r, size); break;
      case 6: x = sign(r, size) != of; break;
      case 7: x = r == 0 || sign(r, size) != of; break;
      default: throw new IllegalArgumentException("cc " + cc);
    }
    return x ^ ((cc & 1) != 0);
  }

  /** Condition {@code cc} after INC or DEC with result {@code r}. Not for conditions that read CF, nor P/NP. */
  static boolean condIncDec(int cc, int size, boolean inc, long r) {
    long signBit = 1L << ((size << 3) - 1);
    boolean of = inc ? r == signBit : r == signBit - 1;
    boolean x;
    switch (cc >>> 1) {
      case 0: x = of; break;
      case 2: x = r == 0; break;
      case 4: x = sign(r, size); break;
      case 6: x = sign(r, size) != of; break;
      case 7: x = r == 0 || sign(r, size) != of; break;
      default: throw new IllegalArgumentException("cc " + cc);
    }
    return x ^ ((cc & 1) != 0);
  }

  /** Condition {@code cc} after a logical operation (AND, OR, XOR, TEST): CF = OF = 0. Not for P/NP. */
  static boolean condLogic(int cc, int size, long r) {
    boolean x;
    switch (cc >>> 1) {
      case 0: x = false; break;
      case 1: x = false; break;
      case 2: x = r == 0; break;
      case 3: x = r == 0; break;
      case 4: x = sign(r, size); break;
      case 6: x = sign(r, size); break;
      case 7: x = r == 0 || sign(r, size); break;
      default: throw new IllegalArgumentException("cc " + cc);
    }
    return x ^ ((cc & 1) != 0);
  }

  /** A 64-bit near branch target: #GP(0) unless canonical (as {@code sem.Branch.nearTarget}). */
  static long near64(long target) {
    if ((target << 16 >> 16) != target) {
      throw GuestFault.gp0();
    }
    return target;
  }
}
