package org.jkvm.lkvm;

import java.io.PrintStream;

/**
 * kvmtool's user messages (util/util.c {@code report()}): on stderr, as {@code " " + " Info: " + msg}.
 * Info and warning lines obey {@code --loglevel}. {@link #die} ends the process with kvmtool's status 128.
 */
public final class Report {
  private Report() {}

  public static final int LEVEL_ERROR = 0;
  public static final int LEVEL_WARNING = 1;
  public static final int LEVEL_INFO = 2;
  public static final int LEVEL_DEBUG = 3;

  /** kvmtool's exit statuses. */
  public static final int EXIT_DIE = 128;
  public static final int EXIT_USAGE = 129;
  public static final int EXIT_EINVAL = 22;
  /** A subcommand returning -EINVAL: main() returns it, truncated to 8 bits. */
  public static final int EXIT_MINUS_EINVAL = 234;

  private static volatile int level = LEVEL_INFO;
  private static PrintStream err = System.err;

  public static void setLevel(int l) {
    level = l;
  }

  public static int level() {
    return level;
  }

  /** Redirects messages (tests). */
  public static void setStream(PrintStream s) {
    err = s;
  }

  public static void info(String fmt, Object... args) {
    if (level >= LEVEL_INFO) {
      err.println("  Info: " + String.format(fmt, args));
    }
  }

  public static void warning(String fmt, Object... args) {
    if (level >= LEVEL_WARNING) {
      err.println("  Warning: " + String.format(fmt, args));
    }
  }

  public static void error(String fmt, Object... args) {
    err.println("  Error: " + String.format(fmt, args));
  }

  public static void debug(String fmt, Object... args) {
    if (level >= LEVEL_DEBUG) {
      err.println("  Debug: " + String.format(fmt, args));
    }
  }

  /** Prints {@code "  Fatal: " + msg} and throws {@link LkvmExit} with status 128. */
  public static LkvmExit die(String fmt, Object... args) {
    err.println("  Fatal: " + String.format(fmt, args));
    throw new LkvmExit(EXIT_DIE);
  }
}
