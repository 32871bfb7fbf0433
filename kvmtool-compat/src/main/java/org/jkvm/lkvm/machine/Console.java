package org.jkvm.lkvm.machine;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.jkvm.devices.legacy.Uart16550;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host side of the serial console (kvmtool term.c): bytes read from stdin go to ttyS0; Ctrl-A x quits
 * and Ctrl-A Ctrl-A sends a literal Ctrl-A. When stdin and stdout are terminals the terminal is put in raw
 * mode for the session and restored afterwards. Unlike kvmtool, piped stdin is fed to the guest too, so
 * that a script can drive the guest's shell.
 */
final class Console {
  private static final Logger LOG = LoggerFactory.getLogger(Console.class);
  static final int ESCAPE = 0x01; // Ctrl-A

  private final Uart16550 uart;
  private final Runnable quit;
  private String savedTty;

  Console(Uart16550 uart, Runnable quit) {
    this.uart = uart;
    this.quit = quit;
  }

  void start() {
    if (isTerminal()) {
      savedTty = stty("-g");
      if (savedTty != null) {
        stty("raw", "-echo");
        Runtime.getRuntime().addShutdownHook(new Thread(this::restore, "tty-restore"));
      }
    }
    if (Boolean.parseBoolean(System.getProperty("lkvm.console.stdin", "true"))) {
      Thread t = new Thread(this::pump, "term-poll");
      t.setDaemon(true);
      t.start();
    }
  }

  void restore() {
    String s = savedTty;
    if (s != null) {
      savedTty = null;
      stty(s.trim());
    }
  }

  private void pump() {
    InputStream in = System.in;
    boolean escape = false;
    byte[] one = new byte[1];
    try {
      for (;;) {
        int b = in.read();
        if (b < 0) {
          return;
        }
        if (escape) {
          escape = false;
          if (b == 'x') {
            quit.run();
            return;
          }
          if (b != ESCAPE) {
            continue;
          }
        } else if (b == ESCAPE) {
          escape = true;
          continue;
        }
        // The UART FIFO is small: wait for room rather than drop typed or piped input.
        while (uart.rxSpace() == 0) {
          Thread.sleep(1);
        }
        one[0] = (byte) b;
        uart.receive(one, 0, 1);
      }
    } catch (IOException e) {
      LOG.debug("console input ended: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** True when stdin and stdout are both terminals (kvmtool's condition for raw mode). */
  static boolean isTerminal() {
    java.io.Console c = System.console();
    if (c == null) {
      return false;
    }
    try {
      // JDK 22+ returns a console even when redirected; isTerminal() tells the truth there.
      return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
    } catch (ReflectiveOperationException e) {
      return true;
    }
  }

  private static String stty(String... args) {
    String[] cmd = new String[args.length + 1];
    cmd[0] = "stty";
    System.arraycopy(args, 0, cmd, 1, args.length);
    try {
      Process p = new ProcessBuilder(cmd).redirectInput(new File("/dev/tty"))
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String outText = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      return p.waitFor() == 0 ? outText : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
