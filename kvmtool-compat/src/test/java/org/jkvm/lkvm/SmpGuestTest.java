package org.jkvm.lkvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.jkvm.translator.TranslatorBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Two vCPUs on two threads: the guest starts its application processor with INIT and a startup IPI, and
 * both add to one counter with LOCK INC millions of times. Without atomic locked instructions increments
 * are lost (the same guest without LOCK fails), so the sum proves both the AP start and the atomicity.
 */
class SmpGuestTest {
  static final Path SMP = Path.of("..", "guests", "tiny", "smp.bin");

  @ParameterizedTest
  @EnumSource(TranslatorBackend.Engine.class)
  void applicationProcessorStarts_andLockedIncrementsAreAtomic(TranslatorBackend.Engine engine) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(new String[] {"run", "-k", SMP.toString(), "-m", "32", "-c", "2", "--engine", engine.cliName},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals("smp: PASS: 2 vCPUs, LOCK INC is atomic\n", out.toString(StandardCharsets.UTF_8));
    assertEquals(1, status, "the guest wrote 0 to port 0xf4");
  }
}
