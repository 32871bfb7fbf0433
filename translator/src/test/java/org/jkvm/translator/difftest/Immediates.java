package org.jkvm.translator.difftest;

import java.util.SplittableRandom;

/** Immediate operands with the values that matter for each instruction (counts, levels, vectors). */
final class Immediates {
  private Immediates() {}

  private static final int[] COUNTS = {0, 1, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 255};

  /** A shift or rotate count: the edges of every operand size, and the masking. */
  static int count(SplittableRandom r) {
    return r.nextInt(3) == 0 ? r.nextInt(256) : COUNTS[r.nextInt(COUNTS.length)];
  }

  /** Immediate number {@code n} of the instruction being built, {@code bytes} wide. */
  static long choose(InsnBuilder b, SplittableRandom r, int n, int bytes) {
    String m = b.mnemonic();
    switch (m) {
      case "SHLD": case "SHRD":
        if (b.opSize == 2 && b.index() < b.count() - 1) {
          return r.nextInt(17); // above 16 the result is undefined, and a later instruction may read it
        }
        return count(r);
      case "ROL": case "ROR": case "RCL": case "RCR": case "SHL": case "SAL": case "SHR": case "SAR":
      case "PSRL": case "PSRA": case "PSLL": case "PSRLQ": case "PSLLQ": case "PSRLDQ": case "PSLLDQ":
        return count(r);
      case "PALIGNR":
        return r.nextInt(4) == 0 ? r.nextInt(256) : r.nextInt(34);
      case "ENTER":
        if (n == 0) {
          return r.nextInt(4) == 0 ? r.nextInt(0x200) : 8 * r.nextInt(8);
        }
        return r.nextInt(5) == 0 ? r.nextInt(256) : r.nextInt(4);
      case "RET":
        return r.nextInt(4) == 0 ? r.nextInt(0x10000) & 0x1FF : 8 * r.nextInt(4);
      case "RETF":
        // Small: AMD reads the outer-level SS:RSP slot (past the imm16 bytes) before checking CS, so a frame
        // reaching beyond the buffer would #PF there instead of the #GP of a bad selector.
        return 8 * r.nextInt(4);
      case "INT": {
        int v = r.nextInt(256);
        return v == 0x80 ? 3 : v; // INT 0x80 is the host kernel's 32-bit system call
      }
      case "CMPPS": case "CMPPD": case "CMPSS": case "CMPSD":
        return r.nextInt(4) == 0 ? r.nextInt(256) : r.nextInt(8);
      case "PEXTRW": case "PINSRW":
        return r.nextInt(4) == 0 ? r.nextInt(256) : r.nextInt(8);
      default:
        return Values.imm(r, bytes);
    }
  }
}
