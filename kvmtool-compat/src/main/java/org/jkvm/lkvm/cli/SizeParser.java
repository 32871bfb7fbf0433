package org.jkvm.lkvm.cli;

import java.util.Locale;

/** kvmtool's number and size parsing: {@code strtol(…, 0)} integers and {@code <size[BKMGTP]>} sizes. */
public final class SizeParser {
  private SizeParser() {}

  /** Parses like strtol(s, 0): decimal, 0x hex or leading-0 octal; null if there is junk. */
  public static Long parseInteger(String s) {
    if (s == null) {
      return null;
    }
    String t = s.trim();
    boolean neg = t.startsWith("-");
    if (neg || t.startsWith("+")) {
      t = t.substring(1);
    }
    try {
      long v;
      if (t.startsWith("0x") || t.startsWith("0X")) {
        v = Long.parseUnsignedLong(t.substring(2), 16);
      } else if (t.length() > 1 && t.startsWith("0")) {
        v = Long.parseLong(t.substring(1), 8);
      } else {
        v = Long.parseLong(t);
      }
      return neg ? -v : v;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * A memory size in bytes: a bare number is MiB; a suffix B, K, M, G, T or P (either case) sets the unit.
   * Returns null for junk or zero.
   */
  public static Long parseMemSize(String s) {
    if (s == null || s.isEmpty()) {
      return null;
    }
    String t = s.trim();
    char last = Character.toUpperCase(t.charAt(t.length() - 1));
    long unit = 1L << 20;
    if ("BKMGTP".indexOf(last) >= 0) {
      t = t.substring(0, t.length() - 1);
      switch (last) {
        case 'B': unit = 1; break;
        case 'K': unit = 1L << 10; break;
        case 'M': unit = 1L << 20; break;
        case 'G': unit = 1L << 30; break;
        case 'T': unit = 1L << 40; break;
        default: unit = 1L << 50; break;
      }
    }
    Long n = parseInteger(t.toLowerCase(Locale.ROOT));
    if (n == null || n <= 0 || n > Long.MAX_VALUE / unit) {
      return null;
    }
    return n * unit;
  }
}
