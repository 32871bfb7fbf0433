package org.jkvm.lkvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A running guest driven through its control socket by the list/pause/resume/debug/stop commands. */
class ControlSocketTest {
  static final Path SPIN = Path.of("..", "guests", "tiny", "spin.bin");
  Path home;
  String oldHome;

  @BeforeEach
  void setUp() throws Exception {
    home = Files.createTempDirectory("lkvm-home");
    oldHome = System.getProperty("lkvm.home");
    System.setProperty("lkvm.home", home.toString());
  }

  @AfterEach
  void tearDown() {
    if (oldHome == null) {
      System.clearProperty("lkvm.home");
    } else {
      System.setProperty("lkvm.home", oldHome);
    }
  }

  static String run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
    int status = Main.run(args, ps, ps);
    return status + ":" + out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void runningGuest_isListedPausedResumedDumpedAndStopped() throws Exception {
    AtomicInteger status = new AtomicInteger(-1);
    ByteArrayOutputStream guestOut = new ByteArrayOutputStream();
    Thread vm = new Thread(() -> status.set(Main.run(
        new String[] {"run", "-k", SPIN.toString(), "-m", "16", "--name", "ctl-test"},
        new PrintStream(guestOut, true, StandardCharsets.UTF_8), System.err)));
    vm.start();
    Path sock = home.resolve(".lkvm").resolve("ctl-test.sock");
    for (int i = 0; i < 200 && !Files.exists(sock); i++) {
      Thread.sleep(20);
    }
    assertTrue(Files.exists(sock), "control socket appears");
    for (int i = 0; i < 500 && guestOut.size() < 9; i++) {
      Thread.sleep(10); // let the guest start before pausing it
    }

    String list = run("list", "-i");
    assertTrue(list.startsWith("0:   PID NAME                 STATE\n------------------------------------\n"), list);
    assertTrue(list.contains(String.format("%5d %-20s %s%n", ProcessHandle.current().pid(), "ctl-test", "running")),
        list);

    assertEquals("0:Guest ctl-test paused\n", run("pause", "-n", "ctl-test"));
    assertEquals("0:Guest ctl-test is already paused.\n", run("pause", "--name", "ctl-test"));
    assertTrue(run("list").contains("ctl-test             paused"));
    assertEquals("0:Guest ctl-test resumed\n", run("resume", "-n", "ctl-test"));
    assertEquals("0:Guest ctl-test is still running.\n", run("resume", "-n", "ctl-test"));

    String dump = run("debug", "-n", "ctl-test", "-d");
    assertTrue(dump.contains("# vCPU #0's dump:"), dump);
    assertTrue(dump.contains(" rip: "), dump);

    assertEquals("0:", run("stop", "-n", "ctl-test"));
    vm.join(10_000);
    assertEquals(0, status.get(), "a stopped guest ends normally");
    assertTrue(guestOut.toString(StandardCharsets.UTF_8).startsWith("spinning\n"), guestOut.toString(StandardCharsets.UTF_8));
    assertTrue(!Files.exists(sock), "the socket is removed at exit");
  }

  @Test
  void withoutNameOrAll_isUsage_unknownNameDies() {
    assertTrue(run("stop").startsWith("129:"));
    assertTrue(run("pause", "-n", "nobody-here").startsWith("128:"));
  }

  @Test
  void ghostSocket_isRemovedAndTheNameReused() throws Exception {
    Path dir = home.resolve(".lkvm");
    Files.createDirectories(dir);
    // A socket file that nobody listens on, as a crashed lkvm leaves behind.
    var ch = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX);
    ch.bind(java.net.UnixDomainSocketAddress.of(dir.resolve("ghost.sock")));
    ch.close();
    assertTrue(Files.exists(dir.resolve("ghost.sock")));
    String out = run("list", "-i");
    assertTrue(!out.contains("ghost"), out);
    assertTrue(!Files.exists(dir.resolve("ghost.sock")), "list deleted the ghost");
  }
}
