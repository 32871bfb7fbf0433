package org.jkvm.lkvm.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jkvm.lkvm.LkvmExit;
import org.jkvm.lkvm.Report;
import org.jkvm.lkvm.ipc.IpcClient;
import org.jkvm.lkvm.ipc.IpcMessage;
import org.jkvm.lkvm.ipc.LkvmDir;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The commands that drive running guests through their control sockets: list, stop, pause, resume, debug,
 * balloon and stat (builtin-list.c, builtin-stop.c, builtin-pause.c, builtin-resume.c, builtin-debug.c,
 * builtin-balloon.c, builtin-stat.c). They speak kvmtool's protocol, so they also drive kvmtool guests.
 */
public final class InstanceCommands {
  private InstanceCommands() {}

  /** Options common to the commands that address guests. */
  static class Opts {
    @Option(names = {"-a", "--all"}) boolean all;
    @Option(names = {"-n", "--name"}) String name;
    @Option(names = {"-h", "--help"}) boolean help;
  }

  static final class ListOpts extends Opts {
    @Option(names = {"-i", "--run"}) boolean run;
    @Option(names = {"-r", "--rootfs"}) boolean rootfs;
  }

  static final class DebugOpts extends Opts {
    @Option(names = {"-d", "--dump"}) boolean dump;
    @Option(names = {"-m", "--nmi"}) String nmi;
    @Option(names = {"-s", "--sysrq"}) String sysrq;
  }

  static final class BalloonOpts extends Opts {
    @Option(names = {"-p", "--pid"}) String pid;
    @Option(names = {"-i", "--inflate"}) String inflate;
    @Option(names = {"-d", "--deflate"}) String deflate;
  }

  static final class StatOpts extends Opts {
    @Option(names = {"-m", "--memory"}) boolean memory;
  }

  static Opts optionsFor(String cmd) {
    switch (cmd) {
      case "list": return new ListOpts();
      case "debug": return new DebugOpts();
      case "balloon": return new BalloonOpts();
      case "stat": return new StatOpts();
      default: return new Opts();
    }
  }

  static final String[][] USAGE = {
      {"list", "lkvm list", "-i, --run|List running instances", "-r, --rootfs|List rootfs instances"},
      {"stop", "lkvm stop [--all] [-n name]", "-a, --all|Stop all instances", "-n, --name <name>|Instance name"},
      {"pause", "lkvm pause [--all] [-n name]", "-a, --all|Pause all instances", "-n, --name <name>|Instance name"},
      {"resume", "lkvm resume [--all] [-n name]", "-a, --all|Resume all instances",
          "-n, --name <name>|Instance name"},
      {"debug", "lkvm debug [--all] [-n name] [-d] [-m vcpu]", "-a, --all|Debug all instances",
          "-n, --name <name>|Instance name", "-d, --dump|Generate a debug dump from guest",
          "-m, --nmi <VCPU>|Generate NMI on VCPU", "-s, --sysrq <sysrq>|Inject a sysrq"},
      {"balloon", "lkvm balloon [-n name] [-p pid] [-i amount] [-d amount]", "-n, --name <name>|Instance name",
          "-i, --inflate <amount>|Amount to inflate (in MB)", "-d, --deflate <amount>|Amount to deflate (in MB)"},
      {"stat", "lkvm stat [command] [--all] [-n name]", "-m, --memory|Display memory statistics",
          "-a, --all|All instances", "-n, --name <name>|Instance name"},
  };

  public static boolean handles(String cmd) {
    for (String[] u : USAGE) {
      if (u[0].equals(cmd)) {
        return true;
      }
    }
    return false;
  }

  public static void printUsage(String cmd, PrintStream err) {
    for (String[] u : USAGE) {
      if (!u[0].equals(cmd)) {
        continue;
      }
      StringBuilder sb = new StringBuilder("\n usage: ").append(u[1]).append("\n\n");
      for (int k = 2; k < u.length; k++) {
        String[] parts = u[k].split("\\|");
        String syn = "    " + parts[0];
        if (syn.length() <= 24) {
          sb.append(String.format("%-24s  %s%n", syn, parts[1]));
        } else {
          sb.append(syn).append("\n").append(" ".repeat(26)).append(parts[1]).append("\n");
        }
      }
      err.print(sb.append("\n"));
    }
  }

  public static int execute(String cmd, String[] args, PrintStream out, PrintStream err) {
    Opts o = optionsFor(cmd);
    CommandLine cl = new CommandLine(o);
    cl.setAbbreviatedOptionsAllowed(true);
    try {
      cl.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      err.println("  Error: " + e.getMessage());
      printUsage(cmd, err);
      return Report.EXIT_USAGE;
    }
    if (o.help) {
      printUsage(cmd, err);
      return Report.EXIT_USAGE;
    }
    try {
      switch (cmd) {
        case "list": return list((ListOpts) o, out);
        case "stat":
          if (!((StatOpts) o).memory) {
            printUsage(cmd, err);
            return Report.EXIT_USAGE;
          }
          return forTargets(cmd, o, err, (name, c) -> stat(name, c, out));
        case "balloon": {
          BalloonOpts b = (BalloonOpts) o;
          if (b.inflate == null && b.deflate == null) {
            printUsage(cmd, err);
            return Report.EXIT_USAGE;
          }
          return forTargets(cmd, o, err, (name, c) -> balloon(b, c));
        }
        case "debug": return forTargets(cmd, o, err, (name, c) -> debug((DebugOpts) o, c, out));
        case "pause": return forTargets(cmd, o, err, (name, c) -> pause(name, c, out));
        case "resume": return forTargets(cmd, o, err, (name, c) -> resume(name, c, out));
        default: return forTargets(cmd, o, err, (name, c) -> {
          IpcClient.send(c, IpcMessage.KVM_IPC_STOP, new byte[0]);
          return 0;
        });
      }
    } catch (IOException e) {
      Report.error("%s", e.getMessage());
      return 1;
    }
  }

  interface Action {
    int run(String name, SocketChannel c) throws IOException;
  }

  /** -n NAME or --all; neither is a usage error; a name nobody answers for dies. */
  static int forTargets(String cmd, Opts o, PrintStream err, Action a) throws IOException {
    List<String> names = new ArrayList<>();
    if (o.all) {
      for (IpcClient.Instance i : IpcClient.instances()) {
        names.add(i.name());
      }
    } else if (o.name != null) {
      names.add(o.name);
    } else {
      printUsage(cmd, err);
      return Report.EXIT_USAGE;
    }
    int r = 0;
    for (String n : names) {
      SocketChannel c = IpcClient.connect(n);
      if (c == null) {
        if (o.all) {
          continue;
        }
        throw Report.die("Failed locating instance");
      }
      try (c) {
        r |= a.run(n, c);
      }
    }
    return r;
  }

  static int list(ListOpts o, PrintStream out) throws IOException {
    boolean running = o.run || !o.rootfs;
    boolean rootfs = o.rootfs || !o.run;
    out.printf("%6s %-20s %s%n", "PID", "NAME", "STATE");
    out.println("------------------------------------");
    if (running) {
      for (IpcClient.Instance i : IpcClient.instances()) {
        SocketChannel c = IpcClient.connect(i.name());
        if (c == null) {
          continue;
        }
        try (c) {
          int pid = IpcClient.ask(c, IpcMessage.KVM_IPC_PID);
          int state = IpcClient.ask(c, IpcMessage.KVM_IPC_VMSTATE);
          out.printf("%5d %-20s %s%n", pid, i.name(),
              state == IpcMessage.KVM_VMSTATE_PAUSED ? "paused" : "running");
        }
      }
    }
    if (rootfs) {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(LkvmDir.get(), Files::isDirectory)) {
        for (Path p : ds) {
          out.printf("%5s %-20s %s%n", "", p.getFileName(), "shut off");
        }
      }
    }
    return 0;
  }

  static int pause(String name, SocketChannel c, PrintStream out) throws IOException {
    if (IpcClient.ask(c, IpcMessage.KVM_IPC_VMSTATE) == IpcMessage.KVM_VMSTATE_PAUSED) {
      out.printf("Guest %s is already paused.%n", name);
      return 0;
    }
    IpcClient.send(c, IpcMessage.KVM_IPC_PAUSE, new byte[0]);
    out.printf("Guest %s paused%n", name);
    return 0;
  }

  static int resume(String name, SocketChannel c, PrintStream out) throws IOException {
    if (IpcClient.ask(c, IpcMessage.KVM_IPC_VMSTATE) == IpcMessage.KVM_VMSTATE_RUNNING) {
      out.printf("Guest %s is still running.%n", name);
      return 0;
    }
    IpcClient.send(c, IpcMessage.KVM_IPC_RESUME, new byte[0]);
    out.printf("Guest %s resumed%n", name);
    return 0;
  }

  static int debug(DebugOpts o, SocketChannel c, PrintStream out) throws IOException {
    int type = 0;
    int cpu = 0;
    byte sysrq = 0;
    if (o.dump) {
      type |= IpcMessage.KVM_DEBUG_CMD_TYPE_DUMP;
    }
    if (o.nmi != null) {
      Long n = SizeParser.parseInteger(o.nmi);
      if (n == null) {
        throw new LkvmExit(Report.EXIT_USAGE);
      }
      type |= IpcMessage.KVM_DEBUG_CMD_TYPE_NMI;
      cpu = n.intValue();
    }
    if (o.sysrq != null && !o.sysrq.isEmpty()) {
      type |= IpcMessage.KVM_DEBUG_CMD_TYPE_SYSRQ;
      sysrq = (byte) o.sysrq.charAt(0);
    }
    ByteBuffer b = ByteBuffer.allocate(IpcMessage.DEBUG_PARAMS_SIZE).order(ByteOrder.nativeOrder());
    b.putInt(type).putInt(cpu).put(sysrq);
    IpcClient.send(c, IpcMessage.KVM_IPC_DEBUG, b.array());
    if ((type & IpcMessage.KVM_DEBUG_CMD_TYPE_DUMP) != 0) {
      out.write(IpcClient.readAll(c));
      out.flush();
    }
    return 0;
  }

  static int balloon(BalloonOpts o, SocketChannel c) throws IOException {
    Long mb = SizeParser.parseInteger(o.inflate != null ? o.inflate : o.deflate);
    if (mb == null) {
      throw new LkvmExit(Report.EXIT_USAGE);
    }
    int amount = (int) (o.inflate != null ? mb : -mb);
    ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(amount);
    IpcClient.send(c, IpcMessage.KVM_IPC_BALLOON, b.array());
    return 0;
  }

  /** struct virtio_balloon_stat { u16 tag; u64 val; } x 10, packed. */
  static int stat(String name, SocketChannel c, PrintStream out) throws IOException {
    IpcClient.send(c, IpcMessage.KVM_IPC_STAT, new byte[0]);
    ByteBuffer r = ByteBuffer.allocate(10 * 10).order(ByteOrder.nativeOrder());
    while (r.hasRemaining()) {
      if (c.read(r) < 0) {
        Report.error("Guest %s did not report memory statistics (it has no balloon device)", name);
        return 1;
      }
    }
    r.flip();
    String[] names = {"Swap in", "Swap out", "Major page faults", "Minor page faults", "Free memory",
        "Total memory", "Available memory", "Disk caches", "Hugetlb allocations", "Hugetlb failures"};
    out.printf("\n*** Guest memory statistics ***\n");
    for (int k = 0; k < 10; k++) {
      int tag = r.getShort() & 0xFFFF;
      long val = r.getLong();
      if (tag < names.length) {
        out.printf("%s: %d%n", names[tag], val);
      }
    }
    return 0;
  }
}
