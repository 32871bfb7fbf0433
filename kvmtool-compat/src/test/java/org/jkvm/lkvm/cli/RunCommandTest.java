package org.jkvm.lkvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import org.jkvm.lkvm.LkvmExit;
import org.jkvm.lkvm.machine.VmConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class RunCommandTest {
  static final String KERNEL = Path.of("..", "guests", "tiny", "hello.bin").toString();
  final PrintStream sink = new PrintStream(new ByteArrayOutputStream());

  VmConfig parse(String... args) {
    RunOptions o = new RunOptions();
    CommandLine cl = new CommandLine(o);
    cl.setAbbreviatedOptionsAllowed(true);
    cl.parseArgs(args);
    return RunCommand.configure(o, sink);
  }

  @Test
  void memSize_suffixesAndBareMegabytes() {
    assertEquals(512L << 20, SizeParser.parseMemSize("512"));
    assertEquals(1L << 30, SizeParser.parseMemSize("1G"));
    assertEquals(1L << 30, SizeParser.parseMemSize("1g"));
    assertEquals(64L << 10, SizeParser.parseMemSize("64K"));
    assertEquals(0x100L << 20, SizeParser.parseMemSize("0x100"));
    assertNull(SizeParser.parseMemSize("0"));
    assertNull(SizeParser.parseMemSize("lots"));
  }

  @Test
  void positionalKernel_andAttachedShortValues() {
    VmConfig c = parse(KERNEL, "-m256", "-c", "1");
    assertEquals(Path.of(KERNEL), c.kernel());
    assertEquals(256, c.ramMiB());
    assertEquals(1, c.cpus());
  }

  @Test
  void longOptions_equalsFormAndAbbreviation() {
    VmConfig c = parse("--kern=" + KERNEL, "--mem", "128", "--name", "vm1", "--params", "console=ttyS0");
    assertEquals(128, c.ramMiB());
    assertEquals("vm1", c.name());
    assertEquals("console=ttyS0", c.cmdline());
  }

  @Test
  void defaults_nameAndMemory() {
    VmConfig c = parse("-k", KERNEL);
    assertEquals("guest-" + ProcessHandle.current().pid(), c.name());
    assertEquals(64L * (c.cpus() + 3), c.ramMiB());
    assertEquals("serial", c.console());
  }

  @Test
  void kernelAndFirmwareTogether_dies() {
    LkvmExit e = assertThrows(LkvmExit.class, () -> parse("-k", KERNEL, "-f", KERNEL));
    assertEquals(128, e.status);
  }

  @Test
  void secondPositional_isUsageError() {
    LkvmExit e = assertThrows(LkvmExit.class, () -> parse(KERNEL, "extra"));
    assertEquals(129, e.status);
  }

  @Test
  void badMemory_dies() {
    assertEquals(128, assertThrows(LkvmExit.class, () -> parse("-k", KERNEL, "-m", "0")).status);
  }

  @Test
  void unknownOption_isUsageExit129() {
    assertEquals(129, RunCommand.execute(new String[] {"--frob"}, sink, sink));
  }

  @Test
  void helpFlag_printsUsage_exit129() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(129, RunCommand.execute(new String[] {"--help"}, sink, new PrintStream(err)));
    String text = err.toString();
    assertEquals(true, text.contains(" usage: lkvm run [<options>] [<kernel image>]"), text);
    assertEquals(true, text.contains("    -c, --cpus <n>        Number of CPUs"), text);
  }
}
