package org.jkvm.lkvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.jkvm.lkvm.boot.DebianGuest;
import org.jkvm.translator.TranslatorBackend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Boots Debian's stock kernel with the busybox initramfs of guests/debian (built by its build.sh on first
 * use, which downloads two Debian packages) in a child lkvm process: 1 vCPU, 512 MiB, kvmtool's default
 * command line. Each boot prints its wall time, so the cost of this class stays visible. Two boots run at
 * a time (src/test/resources/junit-platform.properties): each is one busy vCPU thread.
 */
@Tag("slow")
@Execution(ExecutionMode.CONCURRENT)
class DebianBootTest {
  static final Path HOME = Path.of("..").toAbsolutePath().normalize();
  /** Generous: the interpreter boots in about two minutes on a quiet 2-core machine. */
  static final Duration BOOT_TIMEOUT = Duration.ofMinutes(12);
  /** Kernel messages that mean the emulation is wrong somewhere, even if the boot got through. */
  static final List<String> BAD = List.of("WARNING:", "Oops", "unknown MSR", "unchecked MSR access", "BUG:",
      "Kernel panic", "general protection fault", "invalid opcode");

  static DebianGuest guest;

  @BeforeAll
  static void buildGuest() {
    guest = DebianGuest.at(HOME);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    int status = guest.build(false, new PrintStream(log, true, StandardCharsets.UTF_8));
    String text = log.toString(StandardCharsets.UTF_8);
    if (!text.isEmpty()) {
      System.out.print(text);
    }
    assertEquals(0, status, "guests/debian/build.sh failed:\n" + text);
    assertTrue(guest.built(), "build.sh left no bzImage/initrd.gz");
  }

  static Stream<Arguments> enginesAndClocks() {
    List<Arguments> a = new ArrayList<>();
    for (TranslatorBackend.Engine e : TranslatorBackend.Engine.values()) {
      a.add(Arguments.of(e, "host"));
      a.add(Arguments.of(e, "virtual"));
    }
    return a.stream();
  }

  @ParameterizedTest(name = "engine {0}, --clock={1}")
  @MethodSource("enginesAndClocks")
  void bootsToUserspaceAndPowersOff(TranslatorBackend.Engine engine, String clock) throws Exception {
    try (LkvmProcess p = boot(engine, clock, "-- exit 0")) {
      int status = p.waitFor(BOOT_TIMEOUT);
      report("boot " + engine.cliName + " clock=" + clock, p);
      assertEquals(0, status, () -> "lkvm exit status\n" + tail(p));
      assertTrue(p.stdout().contains(DebianGuest.BOOT_MARKER + "\n")
          || p.stdout().contains(DebianGuest.BOOT_MARKER + "\r\n"), () -> "no boot marker\n" + tail(p));
      assertTrue(p.stdout().contains(DebianGuest.EXIT_STATUS_PREFIX + "0"), () -> "no exit status\n" + tail(p));
      assertTrue(p.stdout().contains("reboot: Restarting system"), () -> "no orderly reboot\n" + tail(p));
      assertTrue(p.stderr().contains("Info: KVM session ended normally."), () -> "stderr:\n" + p.stderr());
      assertClean(p);
    }
  }

  @Test
  void commandAfterDoubleDashRunsAndItsStatusIsShown() throws Exception {
    TranslatorBackend.Engine engine = TranslatorBackend.Engine.JIT; // lkvm run's default
    try (LkvmProcess p = boot(engine, "host", "-- echo \"sum=$((6*7))\"; cat /proc/version; exit 3")) {
      int status = p.waitFor(BOOT_TIMEOUT);
      report("command " + engine.cliName, p);
      assertEquals(0, status, () -> "the guest rebooted, so lkvm ends normally whatever the command returned\n"
          + tail(p));
      String out = p.stdout();
      assertTrue(out.contains("sum=42"), () -> "the command did not run\n" + tail(p));
      assertTrue(out.contains("Linux version 6."), () -> "no /proc/version\n" + tail(p));
      assertTrue(out.contains(DebianGuest.EXIT_STATUS_PREFIX + "3"), () -> "status not shown\n" + tail(p));
      assertClean(p);
    }
  }

  @Test
  void interactiveShellOnTheSerialConsole() throws Exception {
    TranslatorBackend.Engine engine = TranslatorBackend.Engine.JIT; // lkvm run's default
    try (LkvmProcess p = boot(engine, "host", null)) {
      if (!p.awaitOutput(DebianGuest.SHELL_MARKER, BOOT_TIMEOUT)) {
        fail("no shell\n" + tail(p));
      }
      // The echo of the typed line shows "$((6*7))"; only the shell's arithmetic prints "hi-42".
      p.type("echo hi-$((6*7))\n");
      if (!p.awaitOutput("hi-42", Duration.ofMinutes(2))) {
        fail("the shell did not answer\n" + tail(p));
      }
      p.type("exit 5\n");
      int status = p.waitFor(Duration.ofMinutes(2));
      report("shell " + engine.cliName, p);
      assertEquals(0, status, () -> tail(p));
      assertTrue(p.stdout().contains(DebianGuest.EXIT_STATUS_PREFIX + "5"), () -> tail(p));
      assertClean(p);
    }
  }

  /** Boots with 1 vCPU and 512 MiB; {@code params} is lkvm's -p (null: none). */
  static LkvmProcess boot(TranslatorBackend.Engine engine, String clock, String params) throws Exception {
    List<String> args = new ArrayList<>(List.of("run", "-k", guest.kernel().toString(),
        "-i", guest.initrd().toString(), "-m", "512", "-c", "1", "--engine", engine.cliName, "--clock=" + clock));
    if (params != null) {
      args.add("-p");
      args.add(params);
    }
    return LkvmProcess.start(args);
  }

  static void assertClean(LkvmProcess p) {
    for (String bad : BAD) {
      assertTrue(!p.stdout().contains(bad), () -> "the boot log has \"" + bad + "\":\n" + p.stdout());
    }
    // slf4j-simple's WARN/ERROR lines: jkvm met something it does not emulate.
    assertTrue(!p.stderr().contains(" WARN ") && !p.stderr().contains(" ERROR "), () -> "stderr:\n" + p.stderr());
  }

  static void report(String what, LkvmProcess p) {
    System.out.printf("DebianBootTest: %s: %.1f s%n", what, p.seconds());
  }

  static String tail(LkvmProcess p) {
    String out = p.stdout();
    return "--- stdout (end) ---\n" + out.substring(Math.max(0, out.length() - 4000))
        + "\n--- stderr ---\n" + p.stderr();
  }
}
