package org.jkvm.lkvm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code lkvm} in a child JVM on this test's class path, for guests that need their own stdin (the
 * surefire JVM's stdin belongs to surefire) and for boots whose wall time should be a process's own.
 * The child gets the JVM options the ./lkvm launcher gives it.
 */
final class LkvmProcess implements AutoCloseable {
  private final Process process;
  private final StringBuffer out = new StringBuffer();
  private final StringBuffer err = new StringBuffer();
  private final Thread outPump;
  private final Thread errPump;
  private final long startNanos = System.nanoTime();
  private long endNanos;

  private LkvmProcess(Process process) {
    this.process = process;
    outPump = pump(process.getInputStream(), out, "lkvm-stdout");
    errPump = pump(process.getErrorStream(), err, "lkvm-stderr");
  }

  /** Starts {@code lkvm args...}. */
  static LkvmProcess start(List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-XX:+UseParallelGC");
    cmd.add("-XX:MaxRAMPercentage=50");
    if (Runtime.version().feature() >= 23) {
      cmd.add("--sun-misc-unsafe-memory-access=allow");
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(args);
    return new LkvmProcess(new ProcessBuilder(cmd).start());
  }

  private static Thread pump(InputStream in, StringBuffer sink, String name) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[8192];
      try {
        for (int n; (n = in.read(buf)) >= 0;) {
          sink.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
        }
      } catch (IOException e) {
        sink.append("\n[pump ended: ").append(e).append("]\n");
      }
    }, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Waits until stdout contains {@code text}; false when the process ended or the time ran out first. */
  boolean awaitOutput(String text, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (out.indexOf(text) >= 0) {
        return true;
      }
      if (!process.isAlive()) {
        outPump.join(1000);
        return out.indexOf(text) >= 0;
      }
      Thread.sleep(50);
    }
    return false;
  }

  /** Types {@code text} on the guest's serial console. */
  void type(String text) throws IOException {
    OutputStream in = process.getOutputStream();
    in.write(text.getBytes(StandardCharsets.US_ASCII));
    in.flush();
  }

  /** Waits for the exit; returns its status, or -1 after killing a process that outlived the timeout. */
  int waitFor(Duration timeout) throws InterruptedException {
    boolean ended = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    endNanos = System.nanoTime();
    if (!ended) {
      process.destroyForcibly().waitFor();
    }
    outPump.join(5000);
    errPump.join(5000);
    return ended ? process.exitValue() : -1;
  }

  /** Seconds from start to the end seen by {@link #waitFor}. */
  double seconds() {
    return (endNanos - startNanos) / 1e9;
  }

  String stdout() {
    return out.toString();
  }

  String stderr() {
    return err.toString();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
  }
}
