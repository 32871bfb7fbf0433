package org.jkvm.translator.difftest;

/**
 * The state a case leaves behind, on either side: general registers, RFLAGS, RIP, the data selectors, the
 * x87/MMX/SSE state as an FXSAVE image, the data buffer, and the exception that stopped the case if one did.
 */
final class MachineState {
  /** True if an exception stopped the case; {@link #vector} says which. */
  boolean faulted;
  int vector;
  long errorCode;
  long cr2;
  /** Where execution stopped: the faulting instruction, or the end of the case's bytes. */
  long rip;
  long rflags;
  final long[] gpr = new long[16];
  /** ES, CS, SS, DS selectors. */
  final int[] seg = new int[4];
  /** FXSAVE layout: FCW at 0, FSW at 2, abridged FTW at 4, MXCSR at 24, ST(i) at 32 + 16i, XMMi at 160 + 16i. */
  final byte[] fx = new byte[512];
  final byte[] data = new byte[DiffLayout.DATA_SIZE];
  /** Set when a side could not run the case at all (an emulator error, a hang): the reason. */
  String error;
  /** With {@link #error}: the side did not end the case in its time or instruction budget (a loop). */
  boolean timedOut;

  static long le(byte[] b, int off, int n) {
    long v = 0;
    for (int i = n - 1; i >= 0; i--) {
      v = v << 8 | (b[off + i] & 0xFF);
    }
    return v;
  }

  static void putLe(byte[] b, int off, int n, long v) {
    for (int i = 0; i < n; i++) {
      b[off + i] = (byte) (v >>> (8 * i));
    }
  }

  int fcw() {
    return (int) le(fx, 0, 2);
  }

  int fsw() {
    return (int) le(fx, 2, 2);
  }

  int ftw() {
    return fx[4] & 0xFF;
  }

  int mxcsr() {
    return (int) le(fx, 24, 4);
  }

  long xmm(int reg, int half) {
    return le(fx, 160 + 16 * reg + 8 * half, 8);
  }

  /** ST(i): the 64-bit significand and the 16-bit sign and exponent. */
  long stMant(int i) {
    return le(fx, 32 + 16 * i, 8);
  }

  int stExp(int i) {
    return (int) le(fx, 40 + 16 * i, 2);
  }
}
