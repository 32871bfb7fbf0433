package org.jkvm.translator.difftest;

/**
 * The "Flags Affected" sections of the Intel SDM, Vol. 2 (and AMD's APM, Vol. 3, which agree on what is
 * defined), as data per mnemonic: which arithmetic flags an instruction reads, which it leaves with defined
 * values, and which it leaves undefined. The host is an AMD part, so undefined flags really do differ from
 * Intel's and from jkvm's; they are masked, and a later instruction may not read them.
 */
final class FlagRules {
  private FlagRules() {}

  static final long CF = 1;
  static final long PF = 1 << 2;
  static final long AF = 1 << 4;
  static final long ZF = 1 << 6;
  static final long SF = 1 << 7;
  static final long DF = 1 << 10;
  static final long OF = 1 << 11;
  static final long ARITH = CF | PF | AF | ZF | SF | OF;

  /** What one instruction does to the flags: defined writes and undefined ones. */
  static final class Effect {
    final long defined;
    final long undefined;

    Effect(long defined, long undefined) {
      this.defined = defined;
      this.undefined = undefined;
    }

    /** The undefined flags after this instruction, given those before it. */
    long apply(long before) {
      return (before & ~defined) | undefined;
    }
  }

  static final Effect NONE = new Effect(0, 0);
  private static final Effect ALL = new Effect(ARITH, 0);

  /** Flags read by condition code {@code cc} (Jcc, SETcc, CMOVcc). */
  static long condition(int cc) {
    switch (cc >>> 1) {
      case 0: return OF;
      case 1: return CF;
      case 2: return ZF;
      case 3: return CF | ZF;
      case 4: return SF;
      case 5: return PF;
      case 6: return SF | OF;
      default: return ZF | SF | OF;
    }
  }

  /** Arithmetic flags (and DF) the instruction reads. {@code cc} is the opcode's condition nibble. */
  static long reads(String m, int cc) {
    switch (m) {
      case "ADC": case "SBB": case "RCL": case "RCR": case "CMC":
        return CF;
      case "Jcc": case "SETcc": case "CMOVcc":
        return condition(cc);
      case "LOOPE": case "LOOPNE":
        return ZF;
      case "FCMOVB": case "FCMOVNB":
        return CF;
      case "FCMOVE": case "FCMOVNE":
        return ZF;
      case "FCMOVBE": case "FCMOVNBE":
        return CF | ZF;
      case "FCMOVU": case "FCMOVNU":
        return PF;
      case "DAA": case "DAS":
        return CF | AF;
      case "AAA": case "AAS":
        return AF;
      case "LAHF":
        return SF | ZF | AF | PF | CF;
      case "PUSHF":
        return ARITH | DF;
      case "INTO":
        return OF;
      default:
        return 0;
    }
  }

  /**
   * The effect of instructions whose flags do not depend on operand values. Shifts and rotates (which do)
   * are in {@link #shift}; string compares under REP in {@link #repCompare}.
   */
  static Effect effect(String m) {
    switch (m) {
      case "ADD": case "ADC": case "SUB": case "SBB": case "CMP": case "NEG": case "XADD": case "CMPXCHG":
      case "POPCNT": case "CMPSB": case "CMPSW/D/Q": case "SCASB": case "SCASW/D/Q":
      case "COMISS": case "COMISD": case "UCOMISS": case "UCOMISD":
        return ALL;
      case "AND": case "OR": case "XOR": case "TEST":
        return new Effect(ARITH & ~AF, AF);
      case "INC": case "DEC":
        return new Effect(ARITH & ~CF, 0);
      case "MUL": case "IMUL":
        return new Effect(CF | OF, SF | ZF | AF | PF);
      case "DIV": case "IDIV":
        return new Effect(0, ARITH);
      case "BT": case "BTS": case "BTR": case "BTC":
        return new Effect(CF, OF | SF | AF | PF);
      case "BSF": case "BSR":
        return new Effect(ZF, CF | OF | SF | AF | PF);
      case "LZCNT": case "TZCNT":
        return new Effect(ZF | CF, OF | SF | AF | PF);
      case "ANDN": case "BLSI": case "BLSMSK": case "BLSR": // BLSMSK clears ZF (its result is never 0)
        return new Effect(SF | ZF | CF | OF, AF | PF);
      case "BEXTR":
        return new Effect(ZF | CF | OF, SF | AF | PF);
      case "CMPXCHG8B/16B":
        return new Effect(ZF, 0);
      case "CLC": case "STC": case "CMC":
        return new Effect(CF, 0);
      case "SAHF":
        return new Effect(SF | ZF | AF | PF | CF, 0);
      case "POPF": case "IRET":
        return new Effect(ARITH | DF, 0);
      case "CLD": case "STD":
        return new Effect(DF, 0);
      case "LAR": case "LSL": case "VERR": case "VERW":
        return new Effect(ZF, 0);
      default:
        return NONE;
    }
  }

  /** Whether the mnemonic is a shift or rotate whose flags depend on the count. */
  static boolean isShift(String m) {
    switch (m) {
      case "ROL": case "ROR": case "RCL": case "RCR": case "SHL": case "SAL": case "SHR": case "SAR":
      case "SHLD": case "SHRD":
        return true;
      default:
        return false;
    }
  }

  /**
   * Shifts and rotates (SDM: SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD) for a {@code bits}-wide
   * destination and a raw count ({@code -1}: unknown, from a CL that earlier instructions may have changed).
   * The count is masked to 5 bits (6 for 64-bit operands); a masked count of 0 changes no flag.
   */
  static Effect shift(String m, int bits, int rawCount) {
    if (rawCount < 0) {
      // Any count: a zero count keeps what was undefined; otherwise what a count above 1 leaves undefined.
      Effect worst = shift(m, bits, bits == 16 && (m.equals("SHLD") || m.equals("SHRD")) ? 31 : 2);
      return new Effect(0, worst.undefined);
    }
    int count = rawCount & (bits == 64 ? 0x3F : 0x1F);
    if (count == 0) {
      return NONE;
    }
    long ofUndef = count == 1 ? 0 : OF;
    switch (m) {
      case "ROL": case "ROR": case "RCL": case "RCR":
        return new Effect(CF | (OF & ~ofUndef), ofUndef);
      case "SHLD": case "SHRD":
        if (count > bits) {
          return new Effect(0, ARITH);
        }
        return new Effect(ARITH & ~AF & ~ofUndef, AF | ofUndef);
      default: {
        long cfUndef = (m.equals("SHL") || m.equals("SAL") || m.equals("SHR")) && count >= bits ? CF : 0;
        return new Effect(ARITH & ~AF & ~ofUndef & ~cfUndef, AF | ofUndef | cfUndef);
      }
    }
  }

  /** SHLD/SHRD leave the destination undefined when the count exceeds the operand size (16-bit only). */
  static boolean shiftResultUndefined(String m, int bits, int rawCount) {
    if (!m.equals("SHLD") && !m.equals("SHRD") || bits != 16) {
      return false;
    }
    return rawCount < 0 || (rawCount & 0x1F) > 16;
  }

  /** CMPS/SCAS under REP: no flag changes when the count is zero ({@code count < 0}: unknown). */
  static Effect repCompare(long count) {
    return count == 0 ? NONE : count > 0 ? ALL : new Effect(0, 0);
  }
}
