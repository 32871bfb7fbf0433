package org.jkvm.perf.boot;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jkvm.lkvm.Main;
import org.jkvm.lkvm.boot.DebianGuest;
import org.jkvm.lkvm.boot.KernelCmdline;
import org.jkvm.translator.TranslatorBackend;

/**
 * The guest-level benchmarks of shared/bench/README.md, jkvm against QEMU's TCG in the same run:
 *
 * <ul>
 *   <li>boot: wall time of the whole host process, start to exit, for Debian's stock kernel and the busybox
 *       initramfs of guests/debian (/init mounts, prints its marker, runs {@code exit 0} and reboots),
 *       1 vCPU, 512 MiB; and the process's peak RSS;
 *   <li>guestbench: the same guest running {@code guestbench <scale>} (guests/debian/guestbench.c, static),
 *       the per-kernel seconds it measures inside the guest, against the same binary on the host.
 * </ul>
 *
 * Both VMMs get the same kernel, initramfs and kernel command line (kvmtool's default, which jkvm's lkvm
 * builds). jkvm runs in a child JVM with the options of the ./lkvm launcher, once per engine.
 * Run it through tools/bootbench, which builds everything first.
 */
public final class BootBench {
  private BootBench() {}

  static final String USAGE = "usage: bootbench [--runs N] [--engines interp,jit|none] [--no-boot] [--no-qemu]\n"
      + "                 [--guestbench [--scale N]] [--home DIR] [--qemu PATH]";
  static final Pattern GUESTBENCH = Pattern.compile(
      "guestbench sieve=([0-9.]+) crc=([0-9.]+) qsort=([0-9.]+) matmul=([0-9.]+) total=([0-9.]+) check=(\\d+)");
  static final long GUESTBENCH_TIMEOUT_S = 3600;

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    if (o == null) {
      System.err.println(USAGE);
      System.exit(129);
    }
    System.exit(new BootBench.Run(o, System.out).run());
  }

  static final class Options {
    int runs = 3;
    List<TranslatorBackend.Engine> engines = new ArrayList<>(Arrays.asList(TranslatorBackend.Engine.values()));
    boolean boot = true;
    boolean qemu = true;
    boolean guestbench;
    int scale = 5;
    Path home = Path.of(System.getProperty(DebianGuest.HOME_PROPERTY, ".")).toAbsolutePath().normalize();
    String qemuBinary = "qemu-system-x86_64";

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        boolean hasValue = i + 1 < args.length;
        switch (a) {
          case "--runs":
            if (!hasValue) return null;
            o.runs = Integer.parseInt(args[++i]);
            break;
          case "--engines":
            if (!hasValue) return null;
            o.engines.clear();
            for (String n : args[++i].split(",")) {
              if (n.equals("none")) {
                continue;
              }
              TranslatorBackend.Engine e = TranslatorBackend.Engine.byName(n);
              if (e == null) {
                System.err.println("bootbench: this build has no engine " + n);
                return null;
              }
              o.engines.add(e);
            }
            break;
          case "--no-boot": o.boot = false; break;
          case "--no-qemu": o.qemu = false; break;
          case "--guestbench": o.guestbench = true; break;
          case "--scale":
            if (!hasValue) return null;
            o.scale = Integer.parseInt(args[++i]);
            break;
          case "--home":
            if (!hasValue) return null;
            o.home = Path.of(args[++i]).toAbsolutePath().normalize();
            break;
          case "--qemu":
            if (!hasValue) return null;
            o.qemuBinary = args[++i];
            break;
          default:
            return null;
        }
      }
      return o.runs > 0 ? o : null;
    }
  }

  /** One finished process: wall seconds, peak RSS, exit status, what it printed. */
  record Result(double seconds, long peakRssKib, int status, String output) {}

  static final class Run {
    final Options o;
    final PrintStream out;
    final DebianGuest guest;

    Run(Options o, PrintStream out) {
      this.o = o;
      this.out = out;
      this.guest = DebianGuest.at(o.home);
    }

    int run() throws Exception {
      if (!guest.available()) {
        out.println("bootbench: no guests/debian/build.sh under " + o.home + " (use --home)");
        return 1;
      }
      if (guest.build(o.guestbench, System.err) != 0) {
        out.println("bootbench: guests/debian/build.sh failed");
        return 1;
      }
      header();
      int failures = 0;
      if (o.boot) {
        failures += boot();
      }
      if (o.guestbench) {
        failures += guestbench();
      }
      return failures == 0 ? 0 : 1;
    }

    void header() throws Exception {
      out.println("# jkvm boot benchmark, " + Instant.now());
      out.printf("JDK: %s %s (%s)%n", System.getProperty("java.vm.name"), System.getProperty("java.runtime.version"),
          System.getProperty("java.vendor"));
      out.println("host: " + cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs");
      out.println("guest: " + Files.readString(o.home.resolve("guests/debian/out/kernel-version")).trim()
          + " + busybox initramfs, 1 vCPU, 512 MiB");
      if (o.qemu) {
        out.println("QEMU: " + firstLine(new ProcessBuilder(o.qemuBinary, "--version")));
      }
      out.println("kernel command line: " + cmdline("-- exit 0"));
    }

    int boot() throws Exception {
      out.println();
      out.printf("## boot to userspace and reboot (wall time of the host process, %d run%s each)%n", o.runs,
          o.runs == 1 ? "" : "s");
      Map<String, List<Result>> results = new LinkedHashMap<>();
      int failures = 0;
      // Interleave the VMMs run by run, so that a change in the machine's load hits all of them alike.
      for (int r = 0; r < o.runs; r++) {
        if (o.qemu) {
          failures += record(results, "qemu-tcg", qemu(guest.initrd(), "-- exit 0", 600));
        }
        for (TranslatorBackend.Engine e : o.engines) {
          failures += record(results, "jkvm-" + e.cliName, jkvm(e, guest.initrd(), "-- exit 0", 1800));
        }
      }
      out.println();
      out.printf("%-12s %10s %10s %14s %12s%n", "vmm", "median s", "min s", "peak RSS MiB", "vs qemu");
      double qemuMedian = o.qemu ? median(results.get("qemu-tcg")) : Double.NaN;
      for (Map.Entry<String, List<Result>> e : results.entrySet()) {
        List<Result> rs = e.getValue();
        double med = median(rs);
        double min = rs.stream().mapToDouble(Result::seconds).min().orElse(Double.NaN);
        long rss = rs.stream().mapToLong(Result::peakRssKib).max().orElse(0);
        out.printf(Locale.ROOT, "%-12s %10.2f %10.2f %14d %12s%n", e.getKey(), med, min, rss >> 10,
            o.qemu ? String.format(Locale.ROOT, "%.1fx", med / qemuMedian) : "-");
      }
      return failures;
    }

    int guestbench() throws Exception {
      out.println();
      out.printf("## guestbench %d (seconds measured inside the guest)%n", o.scale);
      String cmd = "-- guestbench " + o.scale;
      Map<String, double[]> rows = new LinkedHashMap<>();
      Map<String, Long> checks = new LinkedHashMap<>();
      int failures = 0;
      Result host = measure(new ProcessBuilder(o.home.resolve("guests/debian/out/guestbench").toString(),
          Integer.toString(o.scale)), GUESTBENCH_TIMEOUT_S);
      failures += parseGuestbench("host", host, rows, checks);
      if (o.qemu) {
        Result q = qemu(guest.guestbenchInitrd(), cmd, GUESTBENCH_TIMEOUT_S);
        failures += parseGuestbench("qemu-tcg", q, rows, checks);
      }
      for (TranslatorBackend.Engine e : o.engines) {
        Result j = jkvm(e, guest.guestbenchInitrd(), cmd, GUESTBENCH_TIMEOUT_S);
        failures += parseGuestbench("jkvm-" + e.cliName, j, rows, checks);
      }
      out.println();
      out.printf("%-12s %8s %8s %8s %8s %8s %10s %10s%n", "where", "sieve", "crc", "qsort", "matmul", "total",
          "vs native", "vs qemu");
      double[] native_ = rows.get("host");
      double[] qemu = rows.get("qemu-tcg");
      for (Map.Entry<String, double[]> e : rows.entrySet()) {
        double[] t = e.getValue();
        out.printf(Locale.ROOT, "%-12s %8.3f %8.3f %8.3f %8.3f %8.3f %10s %10s%n", e.getKey(), t[0], t[1], t[2],
            t[3], t[4], native_ == null ? "-" : String.format(Locale.ROOT, "%.1fx", t[4] / native_[4]),
            qemu == null ? "-" : String.format(Locale.ROOT, "%.2fx", t[4] / qemu[4]));
      }
      if (checks.values().stream().distinct().count() > 1) {
        out.println("CHECKSUMS DIFFER: " + checks);
        failures++;
      } else if (!checks.isEmpty()) {
        out.println("checksum (same everywhere): " + checks.values().iterator().next());
      }
      return failures;
    }

    int parseGuestbench(String where, Result r, Map<String, double[]> rows, Map<String, Long> checks) {
      Matcher m = GUESTBENCH.matcher(r.output());
      if (r.status() != 0 || !m.find()) {
        out.printf("%s: FAILED (status %d)%n%s%n", where, r.status(), tail(r.output()));
        return 1;
      }
      double[] t = new double[5];
      for (int i = 0; i < 5; i++) {
        t[i] = Double.parseDouble(m.group(i + 1));
      }
      rows.put(where, t);
      checks.put(where, Long.parseLong(m.group(6)));
      out.printf(Locale.ROOT, "%-12s %s  (process %.1f s, peak RSS %d MiB)%n", where, m.group(), r.seconds(),
          r.peakRssKib() >> 10);
      return 0;
    }

    int record(Map<String, List<Result>> results, String what, Result r) {
      boolean ok = r.status() == 0 && r.output().contains(DebianGuest.BOOT_MARKER)
          && r.output().contains(DebianGuest.EXIT_STATUS_PREFIX + "0");
      out.printf(Locale.ROOT, "%-12s %7.2f s  peak RSS %4d MiB%s%n", what, r.seconds(), r.peakRssKib() >> 10,
          ok ? "" : "  FAILED (status " + r.status() + ")");
      if (!ok) {
        out.println(tail(r.output()));
        return 1;
      }
      results.computeIfAbsent(what, k -> new ArrayList<>()).add(r);
      return 0;
    }

    String cmdline(String params) {
      return KernelCmdline.build(params, "serial", false, true);
    }

    Result qemu(Path initrd, String params, long timeoutS) throws Exception {
      return measure(new ProcessBuilder(o.qemuBinary, "-accel", "tcg", "-m", "512", "-smp", "1", "-nographic",
          "-no-reboot", "-kernel", guest.kernel().toString(), "-initrd", initrd.toString(),
          "-append", cmdline(params)), timeoutS);
    }

    Result jkvm(TranslatorBackend.Engine e, Path initrd, String params, long timeoutS) throws Exception {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      // What the ./lkvm launcher gives the JVM.
      cmd.addAll(List.of("-XX:MaxRAMPercentage=75", "-XX:+UseParallelGC"));
      if (Runtime.version().feature() >= 23) {
        cmd.add("--sun-misc-unsafe-memory-access=allow");
      }
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "run",
          "-k", guest.kernel().toString(), "-i", initrd.toString(), "-m", "512", "-c", "1",
          "--engine", e.cliName, "-p", params));
      return measure(new ProcessBuilder(cmd), timeoutS);
    }
  }

  /**
   * Runs a process with stdin from /dev/null and stdout+stderr captured; the wall time runs from just
   * before the start to the exit. Peak RSS is the kernel's VmHWM, sampled until the process ends.
   */
  static Result measure(ProcessBuilder pb, long timeoutS) throws IOException, InterruptedException {
    pb.redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    StringBuffer text = new StringBuffer();
    long t0 = System.nanoTime();
    Process p = pb.start();
    Thread pump = new Thread(() -> {
      byte[] buf = new byte[8192];
      try (InputStream in = p.getInputStream()) {
        for (int n; (n = in.read(buf)) >= 0;) {
          text.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
        }
      } catch (IOException ignored) {
        // the process is gone; what it printed so far is all there is
      }
    }, "bootbench-output");
    pump.start();
    Path status = Path.of("/proc", Long.toString(p.pid()), "status");
    long peak = 0;
    long deadline = t0 + TimeUnit.SECONDS.toNanos(timeoutS);
    boolean ended = false;
    while (!ended && System.nanoTime() < deadline) {
      peak = Math.max(peak, vmHwmKib(status));
      ended = p.waitFor(20, TimeUnit.MILLISECONDS);
    }
    long t1 = System.nanoTime();
    if (!ended) {
      p.destroyForcibly().waitFor();
    }
    pump.join(5000);
    return new Result((t1 - t0) / 1e9, peak, ended ? p.exitValue() : -1, text.toString());
  }

  static long vmHwmKib(Path status) {
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process ended between two samples
    }
    return 0;
  }

  static double median(List<Result> rs) {
    if (rs == null || rs.isEmpty()) {
      return Double.NaN;
    }
    double[] s = rs.stream().mapToDouble(Result::seconds).sorted().toArray();
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  static String tail(String s) {
    return s.substring(Math.max(0, s.length() - 3000));
  }

  static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException e) {
      // not Linux
    }
    return System.getProperty("os.arch");
  }

  static String firstLine(ProcessBuilder pb) {
    try {
      Process p = pb.redirectErrorStream(true).start();
      String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor();
      return s.lines().findFirst().orElse("?");
    } catch (IOException e) {
      return "not found (" + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "?";
    }
  }
}
