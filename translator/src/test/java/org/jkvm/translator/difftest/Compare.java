package org.jkvm.translator.difftest;

import java.util.ArrayList;
import java.util.List;
import org.jkvm.translator.isa.Decoder;
import org.jkvm.translator.isa.Insn;
import org.jkvm.translator.sem.GuestFault;

/**
 * Compares the host's and jkvm's final states of a case, leaving out what the SDM leaves undefined at the
 * point where the case stopped, and renders a mismatch: seed, case, bytes, disassembly, differing fields.
 */
final class Compare {
  private Compare() {}

  /** RFLAGS bits compared: the arithmetic flags, TF, IF, DF, IOPL, NT, AC, VIF, VIP, ID; not RF (a fault sets it). */
  static final long RFLAGS_COMPARED = 0x3C7FD7L;
  private static final String[] GPR = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10",
      "r11", "r12", "r13", "r14", "r15"};
  private static final String[] SEG = {"es", "cs", "ss", "ds"};
  private static final int PF_P = 1;
  private static final int PF_W = 2;
  private static final int PF_U = 4;
  private static final int PF_I = 16;

  /** The differing fields, empty if the states agree. */
  static List<String> diff(DiffCase k, MachineState host, MachineState jk) {
    List<String> d = new ArrayList<>();
    if (host.error != null || jk.error != null) {
      if (host.error != null) {
        d.add("host: " + host.error);
      } else {
        d.add("host: " + outcome(host));
      }
      d.add("jkvm: " + (jk.error != null ? jk.error : outcome(jk)));
      return d;
    }
    DiffCase.Masks mk = masksAt(k, host);
    if (host.faulted != jk.faulted || host.faulted && host.vector != jk.vector) {
      if (!(host.faulted && jk.faulted && host.rip == jk.rip && eitherStringOperand(k, host, jk))) {
        d.add(String.format("outcome: host %s, jkvm %s", outcome(host), outcome(jk)));
      }
    } else if (host.faulted) {
      if (host.vector == GuestFault.PF) {
        long keep = PF_W | PF_U | PF_I | (host.cr2 < 0 ? 0 : PF_P); // Linux reports kernel addresses as P=1
        if (((host.errorCode ^ jk.errorCode) & keep) != 0) {
          d.add(String.format("#PF error code: host %x, jkvm %x", host.errorCode, jk.errorCode));
        }
        if (host.cr2 != jk.cr2 && Math.abs(host.cr2 - jk.cr2) >= cr2Slack(k, host.rip)
            && !eitherStringOperand(k, host, jk)) {
          d.add(String.format("cr2: host %016x, jkvm %016x", host.cr2, jk.cr2));
        }
      } else if (hasErrorCode(host.vector) && (host.errorCode & 0xFFFF) != (jk.errorCode & 0xFFFF)) {
        d.add(String.format("error code: host %x, jkvm %x", host.errorCode, jk.errorCode));
      }
    }
    if (host.rip != jk.rip) {
      d.add(String.format("rip: host %016x, jkvm %016x", host.rip, jk.rip));
    }
    long upperMask = k.mode == 32 ? 0xFFFF_FFFFL : -1L;
    for (int r = 0; r < 16; r++) {
      if ((mk.gprs & (1 << r)) == 0 && ((host.gpr[r] ^ jk.gpr[r]) & upperMask) != 0) {
        d.add(String.format("%s: host %016x, jkvm %016x", GPR[r], host.gpr[r], jk.gpr[r]));
      }
    }
    long fm = RFLAGS_COMPARED & ~mk.flags;
    if (((host.rflags ^ jk.rflags) & fm) != 0) {
      d.add(String.format("rflags: host %08x, jkvm %08x (compared bits %08x)", host.rflags & fm, jk.rflags & fm, fm));
    }
    for (int s = 0; s < 4; s++) {
      if (host.seg[s] != jk.seg[s] && !(s != 1 && s != 2 && (host.seg[s] | jk.seg[s]) <= 3)) {
        // A null ES or DS may come back from the host with RPL 0 whatever was loaded (the host kernel
        // reloads data selectors on some paths): null is null.
        d.add(String.format("%s: host %04x, jkvm %04x", SEG[s], host.seg[s], jk.seg[s]));
      }
    }
    fpu(d, mk, host, jk);
    memory(d, mk, host, jk);
    return d;
  }

  /**
   * CMPS reads two memory operands, and which one a CPU reads first is not architectural (this AMD host
   * reads ES:rDI first): with both operands bad, each side's fault may come from either: a #PF on either
   * operand's page, a #GP(0) for either's non-canonical address.
   */
  private static boolean eitherStringOperand(DiffCase k, MachineState host, MachineState jk) {
    long off = host.rip - DiffLayout.CODE_VA;
    if (off < 0 || off >= k.code.length) {
      return false;
    }
    Insn i;
    try {
      i = Decoder.decode(o -> off + o < k.code.length ? k.code[(int) off + o] : 0, 8);
    } catch (GuestFault f) {
      return false;
    }
    String m = i.entry.mnemonic;
    if (!m.equals("CMPSB") && !m.equals("CMPSW/D/Q")) {
      return false;
    }
    long am = i.addrSize == 8 ? -1L : (1L << (8 * i.addrSize)) - 1;
    long src = (host.gpr[6] & am) + (i.seg == org.jkvm.runtime.CpuState.GS ? DiffLayout.GS_BASE : 0);
    long dst = host.gpr[7] & am;
    return explained(host, src, dst) && explained(jk, src, dst);
  }

  private static boolean explained(MachineState s, long src, long dst) {
    if (s.vector == GuestFault.PF) {
      return onOperandPage(s.cr2, src, dst);
    }
    return s.vector == GuestFault.GP && s.errorCode == 0 && (!canonical(src) || !canonical(dst));
  }

  private static boolean canonical(long a) {
    return (a << 16 >> 16) == a && ((a + 7) << 16 >> 16) == a + 7;
  }

  private static boolean onOperandPage(long cr2, long a, long b) {
    long p = cr2 >>> 12;
    return p == a >>> 12 || p == (a + 7) >>> 12 || p == b >>> 12 || p == (b + 7) >>> 12;
  }

  private static long cr2Slack(DiffCase k, long rip) {
    for (int j = 0; j < k.instructions(); j++) {
      if (DiffLayout.CODE_VA + k.starts[j] == rip) {
        return Math.max(1, k.cr2Slack[j]);
      }
    }
    return 1;
  }

  static boolean hasErrorCode(int v) {
    return v == 8 || v >= 10 && v <= 14 || v == 17 || v == 21;
  }

  private static String outcome(MachineState s) {
    if (!s.faulted) {
      return "ran to the end";
    }
    return vectorName(s.vector) + (hasErrorCode(s.vector) ? "(" + Long.toHexString(s.errorCode) + ")" : "")
        + String.format(" at %x", s.rip) + (s.vector == GuestFault.PF ? String.format(" cr2=%x", s.cr2) : "");
  }

  static String vectorName(int v) {
    String[] n = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "9", "#TS", "#NP", "#SS", "#GP",
        "#PF", "15", "#MF", "#AC", "#MC", "#XM"};
    return v >= 0 && v < n.length ? n[v] : "vector " + v;
  }

  /** The masks where the host stopped: at an instruction boundary, or the union if between them. */
  private static DiffCase.Masks masksAt(DiffCase k, MachineState host) {
    long off = host.rip - DiffLayout.CODE_VA;
    for (int j = 0; j < k.starts.length; j++) {
      if (k.starts[j] == off) {
        return k.masks[j];
      }
    }
    DiffCase.Masks u = k.masks[0].copy();
    for (DiffCase.Masks m : k.masks) {
      u.flags |= m.flags;
      u.gprs |= m.gprs;
      u.fsw |= m.fsw;
      u.approxXmm |= m.approxXmm;
      u.approxX87 |= m.approxX87;
      u.memory.addAll(m.memory);
    }
    return u;
  }

  private static void fpu(List<String> d, DiffCase.Masks mk, MachineState h, MachineState j) {
    if (h.fcw() != j.fcw()) {
      d.add(String.format("fcw: host %04x, jkvm %04x", h.fcw(), j.fcw()));
    }
    int swMask = ~mk.fsw & 0xFFFF;
    if (mk.approxX87) {
      swMask &= ~FSW_C1; // the direction of the host's rounding of its own approximation
    }
    for (int st = 0; st < 8; st++) {
      if (h.stMant(st) != j.stMant(st) || h.stExp(st) != j.stExp(st)) {
        if (mk.approxX87 && oneUlp(h.stMant(st), h.stExp(st), j.stMant(st), j.stExp(st))) {
          swMask &= ~FSW_PE; // one of the two results was exact
        } else {
          d.add(String.format("st(%d): host %04x:%016x, jkvm %04x:%016x", st, h.stExp(st), h.stMant(st),
              j.stExp(st), j.stMant(st)));
        }
      }
    }
    if (((h.fsw() ^ j.fsw()) & swMask) != 0) {
      d.add(String.format("fsw: host %04x, jkvm %04x (compared bits %04x)", h.fsw(), j.fsw(), swMask));
    }
    if (h.ftw() != j.ftw()) {
      d.add(String.format("ftw (abridged): host %02x, jkvm %02x", h.ftw(), j.ftw()));
    }
    if (h.mxcsr() != j.mxcsr()) {
      d.add(String.format("mxcsr: host %08x, jkvm %08x", h.mxcsr(), j.mxcsr()));
    }
    for (int x = 0; x < 16; x++) {
      long hl = h.xmm(x, 0);
      long hh = h.xmm(x, 1);
      long jl = j.xmm(x, 0);
      long jh = j.xmm(x, 1);
      boolean same;
      if ((mk.approxXmm & (1 << x)) != 0) {
        same = approxEqual((int) hl, (int) jl);
        if (mk.approxScalarOnly) {
          same &= (hl >>> 32) == (jl >>> 32) && hh == jh;
        } else {
          same &= approxEqual((int) (hl >>> 32), (int) (jl >>> 32)) && approxEqual((int) hh, (int) jh)
              && approxEqual((int) (hh >>> 32), (int) (jh >>> 32));
        }
      } else {
        same = hl == jl && hh == jh;
      }
      if (!same) {
        d.add(String.format("xmm%d: host %016x_%016x, jkvm %016x_%016x", x, hh, hl, jh, jl));
      }
    }
  }

  private static final int FSW_PE = 0x20;
  private static final int FSW_C1 = 0x200;

  /** Whether two finite 80-bit values (significand, sign and exponent) are equal or adjacent. */
  static boolean oneUlp(long m1, int se1, long m2, int se2) {
    if ((se1 & 0x8000) != (se2 & 0x8000) || (se1 & 0x7FFF) == 0x7FFF || (se2 & 0x7FFF) == 0x7FFF) {
      return false;
    }
    // Normal and denormal encodings are monotonic as exponent:fraction (the explicit integer bit left
    // out), so adjacent values differ by one on that scale.
    java.math.BigInteger a = ordinal(m1, se1);
    java.math.BigInteger b = ordinal(m2, se2);
    return a.subtract(b).abs().compareTo(java.math.BigInteger.ONE) <= 0;
  }

  private static java.math.BigInteger ordinal(long m, int se) {
    java.math.BigInteger frac = new java.math.BigInteger(Long.toUnsignedString(m & Long.MAX_VALUE));
    return java.math.BigInteger.valueOf(se & 0x7FFF).shiftLeft(63).add(frac);
  }

  /**
   * RCPPS, RSQRTPS and their scalar forms are approximations whose exact bits differ between
   * implementations; the SDM bounds the relative error by 1.5 * 2^-12, so two results agree if each is
   * within that of the other's neighbourhood (and special classes match).
   */
  static boolean approxEqual(int a, int b) {
    if (a == b) {
      return true;
    }
    float x = Float.intBitsToFloat(a);
    float y = Float.intBitsToFloat(b);
    if (Float.isNaN(x) || Float.isNaN(y) || Float.isInfinite(x) || Float.isInfinite(y)) {
      return false;
    }
    if (Math.abs(x) < 0x1p-125f && Math.abs(y) < 0x1p-125f && (a ^ b) >= 0) {
      return true; // tiny results may be flushed to zero
    }
    return (a ^ b) >= 0 && Math.abs(x - y) <= Math.max(Math.abs(x), Math.abs(y)) * 0x1p-10f;
  }

  private static void memory(List<String> d, DiffCase.Masks mk, MachineState h, MachineState j) {
    int reported = 0;
    for (int q = 0; q < h.data.length; q += 8) {
      long hv = MachineState.le(h.data, q, 8);
      long jv = MachineState.le(j.data, q, 8);
      if (hv == jv) {
        continue;
      }
      long mask = -1L;
      for (int b = 0; b < 8; b++) {
        for (int[] range : mk.memory) {
          if (q + b >= range[0] && q + b < range[1]) {
            mask &= ~(0xFFL << (8 * b));
          }
        }
      }
      if (((hv ^ jv) & mask) != 0) {
        if (reported++ < 8) {
          d.add(String.format("memory %016x: host %016x, jkvm %016x", DiffLayout.DATA_VA + q, hv, jv));
        }
      }
    }
    if (reported > 8) {
      d.add("memory: " + (reported - 8) + " more differing quadwords");
    }
  }

  /**
   * Whether the case gave no verdict because both sides looped (each ran out of its time or instruction
   * budget): the generator built a loop, which is a harness error rather than a mismatch.
   */
  static boolean harnessError(MachineState host, MachineState jk) {
    return host.timedOut && jk.timedOut;
  }

  /** A mismatch report: what to rerun, the bytes, a disassembly per instruction, the differences. */
  static String report(DiffCase k, String engine, List<String> diffs) {
    return report("MISMATCH", k, engine, diffs);
  }

  /** A report headed {@code what} (MISMATCH, HARNESS ERROR). */
  static String report(String what, DiffCase k, String engine, List<String> diffs) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%s seed=%d case=%d engine=%s family=%s%n", what, k.runSeed, k.index, engine, k.family));
    sb.append("  bytes: ").append(hex(k.code)).append('\n');
    for (int i = 0; i < k.instructions(); i++) {
      StringBuilder hex = new StringBuilder();
      for (int p = k.starts[i]; p < k.starts[i + 1]; p++) {
        hex.append(String.format("%02x", k.code[p] & 0xFF));
      }
      sb.append(String.format("  %08x  %-30s %-36s [%s]%n", DiffLayout.CODE_VA + k.starts[i], hex,
          disassemble(k.code, k.starts[i], k.mode == 32 ? 4 : 8), k.forms[i]));
    }
    for (String s : diffs) {
      sb.append("  ").append(s).append('\n');
    }
    return sb.toString();
  }

  /** The bytes as space-separated hex pairs. */
  static String hex(byte[] code) {
    StringBuilder sb = new StringBuilder();
    for (byte b : code) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append(String.format("%02x", b & 0xFF));
    }
    return sb.toString();
  }

  static String disassemble(byte[] code, int at, int codeSize) {
    try {
      Insn i = Decoder.decode(off -> at + off < code.length ? code[at + off] : 0, codeSize);
      return i.toString();
    } catch (GuestFault f) {
      return "(jkvm's decoder: " + vectorName(f.vector) + ")";
    } catch (RuntimeException e) {
      return "(jkvm's decoder threw " + e + ")";
    }
  }
}
