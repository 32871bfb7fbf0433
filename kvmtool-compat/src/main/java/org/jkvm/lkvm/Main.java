package org.jkvm.lkvm;

import java.io.PrintStream;
import java.util.Arrays;
import org.jkvm.lkvm.cli.InstanceCommands;
import org.jkvm.lkvm.cli.RunCommand;
import org.jkvm.lkvm.ipc.LkvmDir;

/**
 * {@code lkvm}: kvmtool's command dispatcher (kvm-cmd.c). The first argument names the subcommand by
 * exact match; no argument runs {@code help}; an unknown one prints the general help and exits with
 * EINVAL (22).
 */
public final class Main {
  private Main() {}

  /** kvmtool reports its version as {@code kvm tool <version>}. */
  public static final String VERSION = "jkvm-0.1.0";

  static final String[][] COMMANDS = {
      {"run", "Start the virtual machine"},
      {"setup", "Setup a new virtual machine"},
      {"pause", "Pause the virtual machine"},
      {"resume", "Resume the virtual machine"},
      {"version", "Print the version of the kernel tree kvm tools"},
      {"list", "Print a list of running instances on the host."},
      {"debug", "Print debug information from a running instance"},
      {"balloon", "Inflate or deflate the virtio balloon"},
      {"stop", "Stop a running instance"},
      {"stat", "Print statistics about a running instance"},
      {"sandbox", "Run a command in a sandboxed guest"},
  };

  public static void main(String[] args) {
    int status = run(args, System.out, System.err);
    System.out.flush();
    System.exit(status);
  }

  /** Runs lkvm with {@code args}; returns the exit status. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    try {
      LkvmDir.get(); // kvmtool creates its state directory on every invocation
      if (args.length == 0 || args[0].equals("--help")) {
        printHelp(out);
        return 0;
      }
      String cmd = args[0];
      String[] rest = Arrays.copyOfRange(args, 1, args.length);
      switch (cmd) {
        case "run":
          return RunCommand.execute(rest, out, err);
        case "version":
        case "--version":
          out.println("kvm tool " + VERSION);
          return 0;
        case "help":
          if (rest.length == 0) {
            printHelp(out);
            return 0;
          }
          if (rest[0].equals("version")) {
            return 0;
          }
          if (rest[0].equals("run")) {
            RunCommand.printUsage(err);
            return Report.EXIT_USAGE;
          }
          if (InstanceCommands.handles(rest[0])) {
            InstanceCommands.printUsage(rest[0], err);
            return Report.EXIT_USAGE;
          }
          printHelp(out);
          return 0;
        default:
          if (InstanceCommands.handles(cmd)) {
            return InstanceCommands.execute(cmd, rest, out, err);
          }
          for (String[] c : COMMANDS) {
            if (c[0].equals(cmd)) {
              Report.error("'%s' is not implemented by jkvm yet", cmd);
              return Report.EXIT_EINVAL;
            }
          }
          printHelp(out);
          return Report.EXIT_EINVAL;
      }
    } catch (LkvmExit e) {
      return e.status;
    }
  }

  /** The general help of builtin-help.c, byte for byte. */
  static void printHelp(PrintStream out) {
    StringBuilder sb = new StringBuilder();
    sb.append("\n To start a simple non-privileged shell run 'lkvm run'\n\n");
    sb.append("usage: lkvm COMMAND [ARGS]\n\n");
    sb.append(" The most commonly used lkvm commands are:\n");
    for (String[] c : COMMANDS) {
      sb.append(String.format("   %-7s   %s%n", c[0], c[1]));
    }
    sb.append("\n See 'lkvm help COMMAND' for more information on a specific command.\n\n");
    out.print(sb);
    out.flush();
  }
}
