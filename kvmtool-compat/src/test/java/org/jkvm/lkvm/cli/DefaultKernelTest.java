package org.jkvm.lkvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jkvm.lkvm.LkvmExit;
import org.jkvm.lkvm.Report;
import org.jkvm.lkvm.boot.DebianGuest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kvmtool's default-kernel search, and jkvm's fallback to its Debian guest where that search fails. */
class DefaultKernelTest {
  @TempDir Path dir;

  @Test
  void firstExistingCandidateWins_noneGivesNull() throws IOException {
    Path a = dir.resolve("a");
    Path b = Files.createFile(dir.resolve("b"));
    Path c = Files.createFile(dir.resolve("c"));
    assertEquals(b.toString(), RunCommand.findDefaultKernel(List.of(a.toString(), b.toString(), c.toString())));
    assertNull(RunCommand.findDefaultKernel(List.of(a.toString(), dir.toString())), "a directory is no kernel");
  }

  @Test
  void noKernelAnywhere_isKvmtoolsMinusEinval() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Report.setStream(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      LkvmExit e = assertThrows(LkvmExit.class, () -> RunCommand.noDefaultKernel(List.of("./bzImage", "/x")));
      assertEquals(Report.EXIT_MINUS_EINVAL, e.status);
    } finally {
      Report.setStream(System.err);
    }
    assertEquals("  Error: Could not find default kernel image in:\n  Error: \t./bzImage\n  Error: \t/x\n"
        + "  Info: Please see 'lkvm run --help' for more options.\n", err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void debianGuestIsBuiltByItsScript() throws IOException {
    DebianGuest g = fakeCheckout("mkdir -p \"$(dirname \"$0\")/out\"; cd \"$(dirname \"$0\")/out\"; "
        + "echo k > bzImage; echo i > initrd.gz; echo \"args=$*\"");
    assertTrue(g.available());
    assertFalse(g.built());
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    assertEquals(0, g.build(true, new PrintStream(log, true, StandardCharsets.UTF_8)));
    assertEquals("args=--guestbench\n", log.toString(StandardCharsets.UTF_8));
    assertTrue(g.built());
    assertTrue(RunCommand.buildDebianGuest(g, new PrintStream(new ByteArrayOutputStream(), true,
        StandardCharsets.UTF_8)));
  }

  @Test
  void aFailingBuildIsReported() throws IOException {
    DebianGuest g = fakeCheckout("echo no network >&2; exit 7");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(err, true, StandardCharsets.UTF_8);
    Report.setStream(ps);
    try {
      assertFalse(RunCommand.buildDebianGuest(g, ps));
    } finally {
      Report.setStream(System.err);
    }
    String text = err.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("no network\n"), text);
    assertTrue(text.contains("exited with status 7"), text);
  }

  private DebianGuest fakeCheckout(String script) throws IOException {
    Path d = Files.createDirectories(dir.resolve("guests/debian"));
    Files.writeString(d.resolve("build.sh"), "#!/bin/bash\n" + script + "\n");
    return DebianGuest.at(dir);
  }
}
