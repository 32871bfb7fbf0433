package org.jkvm.translator.difftest;

import java.util.SplittableRandom;

/** Random x87, MMX and SSE state as an FXSAVE image: the initial state of every case. */
final class X87State {
  private X87State() {}

  /** A control word: all exceptions masked most of the time, any precision and rounding. */
  static int controlWord(SplittableRandom r) {
    int cw = 0x037F;
    if (r.nextInt(3) == 0) {
      cw = (cw & ~0x0F00) | r.nextInt(16) << 8; // PC and RC
    }
    if (r.nextInt(8) == 0) {
      cw = (cw & ~0x3F) | r.nextInt(64); // some exceptions unmasked
    }
    return cw | 0x40; // bit 6 reads as 1
  }

  /** A status word with TOP anywhere and sticky flags, but no exception pending (ES clear). */
  static int statusWord(SplittableRandom r) {
    int sw = r.nextInt(8) << 11;
    sw |= r.nextInt(4) == 0 ? r.nextInt(0x40) : 0; // sticky exception flags
    sw |= r.nextInt(2) * 0x100 | r.nextInt(2) * 0x200 | r.nextInt(2) * 0x400 | r.nextInt(2) * 0x4000;
    return sw;
  }

  /** FCW, FSW and a valid MXCSR for an FXRSTOR image whose other bytes are random. */
  static void randomControl(SplittableRandom r, byte[] img) {
    MachineState.putLe(img, 0, 2, controlWord(r) & ~0x3F | 0x3F);
    MachineState.putLe(img, 2, 2, statusWord(r));
    MachineState.putLe(img, 24, 4, r.nextInt(10) == 0 ? Values.reservedMxcsr(r) : Values.mxcsr(r));
  }

  /** A register's 80 bits: significand (with the integer bit usually set) and sign/exponent. */
  static void register(SplittableRandom r, byte[] fx, int st) {
    long mant = r.nextLong();
    int exp;
    switch (r.nextInt(8)) {
      case 0: exp = 0; mant = r.nextBoolean() ? 0 : mant & Long.MAX_VALUE; break;
      case 1: exp = 0x7FFF; mant = r.nextBoolean() ? Long.MIN_VALUE : mant | Long.MIN_VALUE; break;
      case 2: exp = r.nextInt(0x8000); break;
      default: exp = 0x3FFF + r.nextInt(-70, 70); mant |= Long.MIN_VALUE; break;
    }
    if (r.nextBoolean()) {
      exp |= 0x8000;
    }
    MachineState.putLe(fx, 32 + 16 * st, 8, mant);
    MachineState.putLe(fx, 40 + 16 * st, 2, exp);
  }

  /** The whole initial image: x87 registers and control, MXCSR, XMM0-15. */
  static void random(SplittableRandom r, byte[] fx) {
    java.util.Arrays.fill(fx, (byte) 0);
    MachineState.putLe(fx, 0, 2, r.nextInt(4) == 0 ? controlWord(r) & ~0x3F | 0x3F : 0x037F);
    MachineState.putLe(fx, 2, 2, statusWord(r));
    fx[4] = (byte) (r.nextInt(3) == 0 ? 0 : r.nextInt(3) == 0 ? 0xFF : r.nextInt(256));
    MachineState.putLe(fx, 24, 4, Values.mxcsr(r));
    for (int st = 0; st < 8; st++) {
      register(r, fx, st);
    }
    long[] v = new long[2];
    for (int x = 0; x < 16; x++) {
      Values.xmm(r, v, 0);
      MachineState.putLe(fx, 160 + 16 * x, 8, v[0]);
      MachineState.putLe(fx, 168 + 16 * x, 8, v[1]);
    }
  }
}
