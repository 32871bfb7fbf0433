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
import org.junit.jupiter.api.Test;

/**
 * The differential tester as part of the build: {@link #CASES} cases of a fixed seed run on this host's
 * CPU and on every engine in {@link TranslatorBackend.Engine#values()}, and must agree on all of them.
 * Every form the generator does not skip leads at least one case. Needs an x86-64 Linux host with gcc.
 */
class DiffTestTest {
  static final long CASES = Long.getLong("difftest.cases", 200_000);
  static final long SEED = Long.getLong("difftest.seed", 2026);

  @Test
  void hostCpuAndEveryEngineAgree() throws Exception {
    String arch = System.getProperty("os.arch");
    assumeTrue((arch.equals("amd64") || arch.equals("x86_64")) && System.getProperty("os.name").equals("Linux"),
        "the host oracle needs an x86-64 Linux host");
    ByteArrayOutputStream reports = new ByteArrayOutputStream();
    long t0 = System.nanoTime();
    DiffTest.Summary s;
    try (PrintStream out = new PrintStream(reports, true, StandardCharsets.UTF_8)) {
      s = DiffTest.run(0, CASES, SEED, null, null, 20, false, out);
    }
    String text = reports.toString(StandardCharsets.UTF_8);
    System.out.print(text);
    System.out.printf("engines: %s; %.1f s%n", DiffTest.engines(null), (System.nanoTime() - t0) / 1e9);
    System.out.println(s.line());
    assertEquals(CASES, s.cases);
    List<String> uncovered = new ArrayList<>();
    for (Form f : new CaseGenerator(SEED, null).selectedForms()) {
      if (!s.forms.contains(f.key)) {
        uncovered.add(f.key);
      }
    }
    assertTrue(uncovered.isEmpty(), "forms no case ran: " + uncovered);
    for (TranslatorBackend.Engine e : TranslatorBackend.Engine.values()) {
      assertEquals(0L, s.mismatchesByEngine.getOrDefault(e.cliName, 0L),
          () -> "mismatches on engine " + e.cliName + ":\n" + text);
    }
    assertEquals(0L, s.mismatches, text);
    assertEquals(0L, s.harnessErrors, text);
  }
}
