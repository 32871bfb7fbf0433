package org.jkvm.lkvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jkvm.lkvm.machine.VmConfig;
import org.jkvm.lkvm.machine.VmRunner;
import org.jkvm.runtime.ExitReason;
import org.jkvm.runtime.RunState;
import org.jkvm.translator.TranslatorBackend;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every system guest (guests/system, guests/tiny) on every engine: each checks one feature of the CPU's
 * system half, prints PASS/FAIL lines on COM1 and ends through the isa-debug-exit port, with a triple
 * fault, or (the robustness guests) keeps running until the watchdog stops it. Whatever the guest does,
 * the VMM must end cleanly: never an internal error (a Java exception) and never a hang.
 */
class SystemGuestsTest {
  static final Path SYSTEM = Path.of("..", "guests", "system");
  static final Path TINY = Path.of("..", "guests", "tiny");

  /** How a guest must end. */
  enum Expect {
    /** Through the exit port with status 0 (lkvm status 1), PASS lines and no FAIL line. */
    PASS,
    /** With a triple fault (KVM_EXIT_SHUTDOWN), after PASS lines and no FAIL line. */
    SHUTDOWN,
    /** Still running when the watchdog stops it, the output matching a pattern. */
    RUNS,
    /** Any clean end: exit port, triple fault, or stopped by the watchdog; never an internal error. */
    NO_CRASH
  }

  record Guest(Path file, String args, Path module, Expect expect, int seconds, String mustPrint) {
    String name() {
      return file.getFileName() + (args == null ? "" : " " + args);
    }
  }

  static List<Guest> guests() throws IOException {
    List<Guest> g = new ArrayList<>();
    g.add(new Guest(SYSTEM.resolve("exceptions.elf"), null, null, Expect.PASS, 60, null));
    return g;
  }

  @TestFactory
  Stream<DynamicTest> everyGuestOnEveryEngine() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (Guest g : guests()) {
      for (TranslatorBackend.Engine e : TranslatorBackend.Engine.values()) {
        tests.add(DynamicTest.dynamicTest(g.name() + " on " + e.cliName, () -> check(g, e)));
      }
    }
    return tests.stream();
  }

  /** What a run printed and how it ended. */
  record Result(String output, String messages, int status, ExitReason reason, int eventType, long insns) {}

  static Result run(Guest g, TranslatorBackend.Engine engine) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream msgs = new ByteArrayOutputStream();
    VmConfig cfg = new VmConfig("jkvm-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime(), 1,
        64L << 20, g.file(), g.module(), g.args(), null, "none", false, engine, false, false, false);
    VmRunner runner = new VmRunner(cfg, out);
    ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor();
    watchdog.schedule(runner::stop, g.seconds(), TimeUnit.SECONDS);
    Report.setStream(new PrintStream(msgs, true, StandardCharsets.UTF_8));
    try {
      // The watchdog's stop must end the run within a few seconds, or the VMM hangs.
      int status = assertTimeoutPreemptively(Duration.ofSeconds(g.seconds() + 20L), runner::run,
          () -> g.name() + " on " + engine.cliName + ": the VMM did not stop");
      return new Result(out.toString(StandardCharsets.UTF_8), msgs.toString(StandardCharsets.UTF_8), status,
          runner.endReason(), runner.endEventType(), runner.instructions());
    } finally {
      Report.setStream(System.err);
      watchdog.shutdownNow();
    }
  }

  static void check(Guest g, TranslatorBackend.Engine engine) {
    assertTrue(Files.isRegularFile(g.file()), g.file() + " missing: run its build.sh");
    Result r = run(g, engine);
    String where = g.name() + " on " + engine.cliName + " ended with " + r.reason() + " (event type "
        + r.eventType() + ", status " + r.status() + ", " + r.insns() + " instructions)\n" + r.output()
        + r.messages();
    assertTrue(r.reason() != ExitReason.INTERNAL_ERROR, "internal error (a Java exception): " + where);
    List<String> lines = r.output().lines().toList();
    long passes = lines.stream().filter(l -> l.startsWith("PASS")).count();
    long fails = lines.stream().filter(l -> l.startsWith("FAIL")).count();
    boolean stopped = r.reason() == ExitReason.SYSTEM_EVENT && r.eventType() == RunState.SYSTEM_EVENT_RESET;
    boolean exitPort = r.reason() == ExitReason.SYSTEM_EVENT && r.eventType() == RunState.SYSTEM_EVENT_SHUTDOWN;
    switch (g.expect()) {
      case PASS:
        assertTrue(exitPort, "expected the exit port: " + where);
        assertEquals(1, r.status(), "status (0 << 1) | 1: " + where);
        assertTrue(passes > 0 && fails == 0, where);
        break;
      case SHUTDOWN:
        assertEquals(ExitReason.SHUTDOWN, r.reason(), "expected a triple fault: " + where);
        assertTrue(passes > 0 && fails == 0, where);
        break;
      case RUNS:
        assertTrue(stopped, "expected to run until stopped: " + where);
        assertTrue(fails == 0, where);
        break;
      case NO_CRASH:
        assertTrue(stopped || exitPort || r.reason() == ExitReason.SHUTDOWN, where);
        break;
      default:
        fail();
    }
    if (g.mustPrint() != null) {
      assertTrue(java.util.regex.Pattern.compile(g.mustPrint(), java.util.regex.Pattern.MULTILINE)
          .matcher(r.output()).find(), "output must match /" + g.mustPrint() + "/: " + where);
    }
  }
}
