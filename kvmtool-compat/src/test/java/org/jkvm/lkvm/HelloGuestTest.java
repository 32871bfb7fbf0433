package org.jkvm.lkvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.jkvm.translator.TranslatorBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** End to end: lkvm run on the prebuilt tiny guest, as the README's first command does. */
class HelloGuestTest {
  static final Path HELLO = Path.of("..", "guests", "tiny", "hello.bin");

  @ParameterizedTest
  @EnumSource(TranslatorBackend.Engine.class)
  void hello_printsOnCom1_andExitsWithTheGuestsStatus(TranslatorBackend.Engine engine) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(new String[] {"run", "-k", HELLO.toString(), "-m", "32", "--engine", engine.cliName},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals("Hello from jkvm\n", out.toString(StandardCharsets.UTF_8));
    assertEquals(1, status, "the guest wrote 0 to port 0xf4: (0 << 1) | 1");
  }

  @Test
  void missingKernel_isOneFatalLine_withKvmtoolsStatus() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    Report.setStream(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int status = Main.run(new String[] {"run", "-k", "/nonexistent"}, System.out, System.err);
      assertEquals(128, status);
      String text = err.toString(StandardCharsets.UTF_8);
      assertTrue(text.contains("  Fatal: Unable to open kernel /nonexistent\n"), text);
      assertEquals(1, text.lines().filter(l -> l.contains("Fatal")).count());
    } finally {
      Report.setStream(old);
    }
  }

  @Test
  void help_andVersion_andUnknownCommand() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
    assertEquals(0, Main.run(new String[0], ps, ps));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("usage: lkvm COMMAND [ARGS]"));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("   run       Start the virtual machine\n"));
    out.reset();
    assertEquals(0, Main.run(new String[] {"version"}, ps, ps));
    assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("kvm tool "));
    assertEquals(22, Main.run(new String[] {"frobnicate"}, ps, ps));
  }
}
