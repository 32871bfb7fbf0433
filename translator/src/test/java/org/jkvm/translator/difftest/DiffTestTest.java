package org.jkvm.translator.difftest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jkvm.translator.TranslatorBackend;
import org.jkvm.translator.isa.FormCatalog.Form;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The differential tester as part of the build: {@link #CASES} cases of a fixed seed run on this host's
 * CPU and on every engine in {@link TranslatorBackend.Engine#values()}, and must agree on all of them;
 * every form the generator does not skip leads at least one case. The interpreter's run takes about 30 s
 * on two cores; the other engines translate every case before running it (about ten times the work), so
 * their run is tagged slow: {@code mvn -B verify} runs both, {@code -Dskip.slow} only the interpreter's.
 * Needs an x86-64 Linux host with gcc.
 */
class DiffTestTest {
  static final long CASES = Long.getLong("difftest.cases", 200_000);
  static final long SEED = Long.getLong("difftest.seed", 2026);

  @Test
  void interpreterAgreesWithHostCpu() throws Exception {
    check(List.of(TranslatorBackend.Engine.INTERP));
  }

  @Test
  @Tag("slow")
  void everyOtherEngineAgreesWithHostCpu() throws Exception {
    List<TranslatorBackend.Engine> others = new ArrayList<>();
    for (TranslatorBackend.Engine e : TranslatorBackend.Engine.values()) {
      if (e != TranslatorBackend.Engine.INTERP) {
        others.add(e);
      }
    }
    assumeTrue(!others.isEmpty(), "no engine but the interpreter");
    check(others);
  }

  private static void check(List<TranslatorBackend.Engine> engines) throws Exception {
    String arch = System.getProperty("os.arch");
    assumeTrue((arch.equals("amd64") || arch.equals("x86_64")) && System.getProperty("os.name").equals("Linux"),
        "the host oracle needs an x86-64 Linux host");
    for (TranslatorBackend.Engine e : engines) {
      ByteArrayOutputStream reports = new ByteArrayOutputStream();
      long t0 = System.nanoTime();
      DiffTest.Summary s;
      try (PrintStream out = new PrintStream(reports, true, StandardCharsets.UTF_8)) {
        s = DiffTest.run(0, CASES, SEED, null, e.cliName, 20, false, out);
      }
      String text = reports.toString(StandardCharsets.UTF_8);
      System.out.print(text);
      System.out.printf("engines: [%s]; %.1f s%n", e, (System.nanoTime() - t0) / 1e9);
      System.out.println(s.line());
      assertEquals(CASES, s.cases);
      List<String> uncovered = new ArrayList<>();
      for (Form f : new CaseGenerator(SEED, null).selectedForms()) {
        if (!s.forms.contains(f.key)) {
          uncovered.add(f.key);
        }
      }
      assertTrue(uncovered.isEmpty(), "forms no case ran: " + uncovered);
      assertEquals(0L, s.mismatchesByEngine.getOrDefault(e.cliName, 0L), () -> "mismatches on " + e + ":\n" + text);
      assertEquals(0L, s.mismatches, text);
      assertEquals(0L, s.harnessErrors, text);
    }
  }
}
