package org.jkvm.translator.difftest;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jkvm.translator.TranslatorBackend;

/**
 * The differential tester: generates cases, runs each on the host CPU (through {@link NativeRunner}) and
 * in jkvm on every engine, compares, and reports. {@code tools/difftest} runs {@link #main}; the JUnit
 * test {@code DiffTestTest} runs a fixed seed as part of the build.
 *
 * <pre>
 *   DiffTest --cases N --seed S [--family F[,F...]] [--engine E] [--max-reports K] [--first I] [--verbose]
 *            [--progress] [--no-skips]
 * </pre>
 * The last line printed is {@code difftest: N cases, F forms, M mismatches}.
 */
public final class DiffTest {
  static final int BATCH = 2048;
  static final long PROGRESS_EVERY = 100_000;

  /** What a run found. */
  static final class Summary {
    long cases;
    long mismatches;
    /** Cases without a verdict: both sides looped (see {@link Compare#harnessError}). */
    long harnessErrors;
    /** Mismatches per engine, by command-line name. */
    final Map<String, Long> mismatchesByEngine = new java.util.LinkedHashMap<>();
    final Set<String> forms = new LinkedHashSet<>();
    final List<String> reports = new ArrayList<>();
    int skippedForms;
    Map<String, List<String>> skipped;

    String line() {
      return String.format("difftest: %d cases, %d forms, %d mismatches", cases, forms.size(), mismatches)
          + (harnessErrors == 0 ? "" : ", " + harnessErrors + " harness errors");
    }

    boolean clean() {
      return mismatches == 0 && harnessErrors == 0;
    }
  }

  private DiffTest() {}

  /** The translator module's directory (it holds the runner's source and target/). */
  static Path moduleDir() {
    String p = System.getProperty("difftest.moduleDir");
    if (p != null) {
      return Path.of(p);
    }
    for (Path c : new Path[] {Path.of("."), Path.of("translator")}) {
      if (Files.exists(c.resolve("src/test/native/difftest/runner.c"))) {
        return c;
      }
    }
    throw new IllegalStateException("cannot find the translator module; set -Ddifftest.moduleDir");
  }

  static List<TranslatorBackend.Engine> engines(String name) {
    List<TranslatorBackend.Engine> out = new ArrayList<>();
    for (TranslatorBackend.Engine e : TranslatorBackend.Engine.values()) {
      if (name == null || e.cliName.equals(name) || e.name().equalsIgnoreCase(name)) {
        out.add(e);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no engine named " + name);
    }
    return out;
  }

  /** Runs {@code cases} cases from {@code seed}; mismatch reports go to {@code out} as they are found. */
  static Summary run(long cases, long seed, String family, String engine, int maxReports, PrintStream out)
      throws IOException, InterruptedException {
    return run(0, cases, seed, family, engine, maxReports, false, out);
  }

  /** Runs cases {@code first} to {@code first + cases - 1}; with {@code verbose}, dumps every case's states. */
  static Summary run(long first, long cases, long seed, String family, String engine, int maxReports,
      boolean verbose, PrintStream out) throws IOException, InterruptedException {
    return run(first, cases, seed, family, engine, maxReports, verbose, out, null);
  }

  /** As above; with {@code progress}, a line there every {@link #PROGRESS_EVERY} cases. */
  static Summary run(long first, long cases, long seed, String family, String engine, int maxReports,
      boolean verbose, PrintStream out, PrintStream progress) throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    CaseGenerator gen = new CaseGenerator(seed, family);
    List<JkvmRunner> guests = new ArrayList<>();
    for (TranslatorBackend.Engine e : engines(engine)) {
      guests.add(new JkvmRunner(e));
    }
    Summary sum = new Summary();
    sum.skippedForms = gen.skippedCount();
    sum.skipped = gen.skipped;
    ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "difftest-writer");
      t.setDaemon(true);
      return t;
    });
    try (NativeRunner host = NativeRunner.start(moduleDir())) {
      for (long base = 0; base < cases; base += BATCH) {
        int n = (int) Math.min(BATCH, cases - base);
        List<DiffCase> batch = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          DiffCase k = gen.generate(first + base + i);
          batch.add(k);
          for (String f : k.forms) {
            sum.forms.add(f);
          }
        }
        Future<?> sent = writer.submit(() -> {
          host.send(batch);
          return null;
        });
        MachineState[][] results = new MachineState[guests.size()][n];
        for (int gi = 0; gi < guests.size(); gi++) {
          for (int i = 0; i < n; i++) {
            results[gi][i] = guests.get(gi).run(batch.get(i));
          }
        }
        // Results are read while the writer may still be sending: the runner blocks when nobody reads it.
        for (int i = 0; i < n; i++) {
          DiffCase k = batch.get(i);
          MachineState h = host.receive(k);
          for (int gi = 0; gi < guests.size(); gi++) {
            List<String> d = Compare.diff(k, h, results[gi][i]);
            if (verbose) {
              out.print(Compare.report(k, guests.get(gi).engine().cliName, d));
              out.print(Dump.states(k, h, results[gi][i]));
            }
            if (!d.isEmpty()) {
              boolean harness = Compare.harnessError(h, results[gi][i]);
              if (harness) {
                sum.harnessErrors++;
              } else {
                sum.mismatches++;
                sum.mismatchesByEngine.merge(guests.get(gi).engine().cliName, 1L, Long::sum);
              }
              if (sum.reports.size() < maxReports) {
                String rep = Compare.report(harness ? "HARNESS ERROR" : "MISMATCH", k,
                    guests.get(gi).engine().cliName, d);
                sum.reports.add(rep);
                out.print(rep);
                out.flush();
              }
            }
          }
        }
        try {
          sent.get();
        } catch (ExecutionException e) {
          throw new IOException("sending cases to the runner failed", e.getCause());
        }
        long before = sum.cases;
        sum.cases += n;
        if (progress != null && before / PROGRESS_EVERY != sum.cases / PROGRESS_EVERY) {
          progress.printf("difftest: %d cases, %d mismatches, %d harness errors, %.1f s%n", sum.cases,
              sum.mismatches, sum.harnessErrors, (System.nanoTime() - t0) / 1e9);
        }
      }
    } finally {
      writer.shutdownNow();
      for (JkvmRunner g : guests) {
        g.close();
      }
    }
    return sum;
  }

  /** The skipped forms, grouped by reason. */
  static void printSkips(Summary s, PrintStream out) {
    out.printf("skipped %d forms:%n", s.skippedForms);
    for (Map.Entry<String, List<String>> e : s.skipped.entrySet()) {
      out.printf("  %3d  %s%n", e.getValue().size(), e.getKey());
      StringBuilder sb = new StringBuilder("       ");
      for (String f : e.getValue()) {
        if (sb.length() + f.length() > 118) {
          out.println(sb);
          sb = new StringBuilder("       ");
        }
        sb.append(f).append("; ");
      }
      out.println(sb);
    }
  }

  public static void main(String[] args) throws Exception {
    long cases = 10_000;
    long seed = 1;
    String family = null;
    String engine = null;
    int maxReports = 20;
    long first = 0;
    boolean verbose = false;
    boolean listSkips = true;
    boolean progress = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--cases": cases = Long.parseLong(args[++i]); break;
        case "--seed": seed = Long.parseLong(args[++i]); break;
        case "--family": family = args[++i]; break;
        case "--engine": engine = args[++i]; break;
        case "--max-reports": maxReports = Integer.parseInt(args[++i]); break;
        case "--no-skips": listSkips = false; break;
        case "--first": first = Long.parseLong(args[++i]); break;
        case "--verbose": verbose = true; break;
        case "--progress": progress = true; break;
        default:
          System.err.println("usage: difftest --cases N --seed S [--family F] [--engine E] [--max-reports K]"
              + " [--first I] [--verbose] [--progress] [--no-skips]");
          System.exit(129);
          return;
      }
    }
    long t0 = System.nanoTime();
    Summary s = run(first, cases, seed, family, engine, maxReports, verbose, System.out,
        progress ? System.err : null);
    if (listSkips) {
      printSkips(s, System.out);
    }
    System.out.printf("engines: %s; %.1f s%n", engines(engine), (System.nanoTime() - t0) / 1e9);
    System.out.println(s.line());
    System.exit(s.clean() ? 0 : 1);
  }
}
