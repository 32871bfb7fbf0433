package org.jkvm.lkvm.cli;

import com.sun.management.OperatingSystemMXBean;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jkvm.lkvm.LkvmExit;
import org.jkvm.lkvm.Report;
import org.jkvm.lkvm.boot.DebianGuest;
import org.jkvm.lkvm.machine.VmConfig;
import org.jkvm.lkvm.machine.VmRunner;
import org.jkvm.runtime.Hypervisor;
import org.jkvm.translator.TranslatorBackend;
import picocli.CommandLine;

/**
 * {@code lkvm run} (builtin-run.c): option parsing with kvmtool's rules (git-style options, unambiguous
 * abbreviations, the first non-option argument as the kernel), defaults, the start-up line, then the VM.
 */
public final class RunCommand {
  private RunCommand() {}

  static final String USAGE = "lkvm run [<options>] [<kernel image>]";

  /** Runs {@code lkvm run args}; returns the exit status. */
  public static int execute(String[] args, PrintStream out, PrintStream err) {
    RunOptions o = new RunOptions();
    CommandLine cl = new CommandLine(o);
    cl.setAbbreviatedOptionsAllowed(true);
    cl.setPosixClusteredShortOptionsAllowed(false);
    cl.setUnmatchedOptionsArePositionalParams(false);
    try {
      cl.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      err.println("  Error: " + e.getMessage());
      printUsage(err);
      return Report.EXIT_USAGE;
    }
    if (o.help) {
      printUsage(err);
      return Report.EXIT_USAGE;
    }
    VmConfig cfg = configure(o, err);
    return new VmRunner(cfg, out).run();
  }

  /** The usage text kvmtool's parse-options prints: groups, options padded to column 24. */
  public static void printUsage(PrintStream err) {
    StringBuilder sb = new StringBuilder();
    sb.append("\n usage: ").append(USAGE).append("\n");
    for (RunOptions.Help h : RunOptions.HELP) {
      if (h.group() != null) {
        sb.append("\n").append(h.group()).append("\n");
        continue;
      }
      String syn = "    " + h.synopsis();
      if (syn.length() <= 24) {
        sb.append(String.format("%-24s  %s%n", syn, h.text()));
      } else {
        sb.append(syn).append("\n").append(" ".repeat(26)).append(h.text()).append("\n");
      }
    }
    sb.append("\n");
    err.print(sb);
  }

  static VmConfig configure(RunOptions o, PrintStream err) {
    if (o.loglevel != null || o.debug) {
      String l = o.debug ? "debug" : o.loglevel;
      switch (l) {
        case "error": Report.setLevel(Report.LEVEL_ERROR); break;
        case "warning": Report.setLevel(Report.LEVEL_WARNING); break;
        case "info": Report.setLevel(Report.LEVEL_INFO); break;
        case "debug": Report.setLevel(Report.LEVEL_DEBUG); break;
        default: throw Report.die("Unknown loglevel: %s", l);
      }
    }
    // The first non-option argument is the kernel when -k was not given; a second one is an error.
    List<String> pos = new ArrayList<>(o.positional);
    String kernel = o.kernel;
    if (kernel == null && !pos.isEmpty()) {
      kernel = pos.remove(0);
    }
    if (!pos.isEmpty()) {
      Report.error("Cannot handle parameter: %s", pos.get(0));
      printUsage(err);
      throw new LkvmExit(Report.EXIT_USAGE);
    }
    if (kernel != null && o.firmware != null) {
      throw Report.die("Only one of --kernel or --firmware can be specified");
    }
    if (o.vnc && o.sdl || o.vnc && o.gtk || o.sdl && o.gtk) {
      throw Report.die("Only one of --vnc, --sdl or --gtk can be specified");
    }
    int hostCpus = Runtime.getRuntime().availableProcessors();
    int cpus = hostCpus;
    if (o.cpus != null) {
      Long n = SizeParser.parseInteger(o.cpus);
      if (n == null) {
        Report.error("option `cpus' expects a numerical value");
        printUsage(err);
        throw new LkvmExit(Report.EXIT_USAGE);
      }
      cpus = n.intValue();
      if (cpus <= 0) {
        throw Report.die("Number of CPUs %d is out of [1;%d] range", cpus, Hypervisor.MAX_VCPUS);
      }
      if (cpus > Hypervisor.MAX_VCPUS) {
        Report.warning("Limiting the number of CPUs to %d", Hypervisor.MAX_VCPUS);
        cpus = Hypervisor.MAX_VCPUS;
      }
    }
    long hostRam = hostRamBytes();
    long ram;
    if (o.mem != null) {
      Long m = SizeParser.parseMemSize(o.mem);
      if (m == null) {
        throw Report.die("Invalid RAM size: %s", o.mem);
      }
      ram = m;
      if (ram > hostRam) {
        Report.warning("Requesting %d MB of RAM, but host only has %d MB", ram >>> 20, hostRam >>> 20);
      }
    } else {
      ram = Math.min(64L * (cpus + 3) << 20, hostRam / 10 * 8);
    }
    ram &= ~0xFFFL;
    if (ram < (1L << 20)) {
      throw Report.die("Invalid RAM size: %s", o.mem);
    }
    String console = o.console == null ? "serial" : o.console;
    if (!console.startsWith("serial") && !console.startsWith("virtio") && !console.startsWith("hv")) {
      Report.warning("No console!");
    } else if (!console.startsWith("serial")) {
      Report.warning("--console %s is not supported by jkvm yet; the guest has no console", console);
    }
    if (o.virtioTransport != null && !o.virtioTransport.equals("pci") && !o.virtioTransport.equals("pci-legacy")) {
      Report.error("virtio-transport: unknown type \"%s\"", o.virtioTransport);
      printUsage(err);
      throw new LkvmExit(Report.EXIT_USAGE);
    }
    warnUnsupported(o);
    TranslatorBackend.Engine engine = TranslatorBackend.Engine.JIT;
    if (o.engine != null) {
      engine = TranslatorBackend.Engine.byName(o.engine);
      if (engine == null) {
        Report.error("unknown engine '%s' (interp or jit)", o.engine);
        printUsage(err);
        throw new LkvmExit(Report.EXIT_USAGE);
      }
    }
    String name = o.name != null ? o.name : "guest-" + ProcessHandle.current().pid();
    Path kernelPath = null;
    Path firmwarePath = null;
    Path initrdPath = null;
    if (o.firmware != null) {
      firmwarePath = Path.of(o.firmware);
      if (o.initrd != null) {
        Report.warning("Ignoring initrd file when loading a firmware image");
      }
    } else {
      String initrd = o.initrd;
      if (kernel == null) {
        kernel = findDefaultKernel(defaultKernels());
        if (kernel == null) {
          DebianGuest guest = DebianGuest.fromSystemProperty();
          if (guest == null || !guest.available() || !buildDebianGuest(guest, err)) {
            throw noDefaultKernel(defaultKernels());
          }
          kernel = guest.kernel().toString();
          if (initrd == null) {
            initrd = guest.initrd().toString();
          }
        }
      }
      kernelPath = Path.of(kernel);
      if (!Files.isReadable(kernelPath) || Files.isDirectory(kernelPath)) {
        throw Report.die("Unable to open kernel %s", kernel);
      }
      if (initrd != null) {
        initrdPath = Path.of(initrd);
        if (!Files.isReadable(initrdPath) || Files.isDirectory(initrdPath)) {
          throw Report.die("Unable to open initrd %s", initrd);
        }
      }
    }
    if (firmwarePath != null) {
      Report.info("# lkvm run --firmware %s -m %d -c %d --name %s", o.firmware, ram >>> 20, cpus, name);
    } else {
      Report.info("# lkvm run -k %s -m %d -c %d --name %s", kernel, ram >>> 20, cpus, name);
    }
    boolean virtualClock = false;
    if (o.clock != null) {
      if (!o.clock.equals("host") && !o.clock.equals("virtual")) {
        Report.error("unknown clock '%s' (host or virtual)", o.clock);
        printUsage(err);
        throw new LkvmExit(Report.EXIT_USAGE);
      }
      virtualClock = o.clock.equals("virtual");
    }
    return new VmConfig(name, cpus, ram, kernelPath, initrdPath, o.params, firmwarePath, console,
        o.debugIoport, engine, o.stats, o.nodefaults, virtualClock);
  }

  private static void warnUnsupported(RunOptions o) {
    List<String> u = new ArrayList<>();
    if (!o.disks.isEmpty()) u.add("--disk");
    if (o.balloon) u.add("--balloon");
    if (o.vnc || o.gtk || o.sdl) u.add("--vnc/--gtk/--sdl");
    if (o.rng) u.add("--rng");
    if (!o.ninep.isEmpty()) u.add("--9p");
    if (o.vsock != null) u.add("--vsock");
    if (!o.tty.isEmpty()) u.add("--tty");
    if (o.sandbox != null) u.add("--sandbox");
    if (o.hugetlbfs != null) u.add("--hugetlbfs");
    if (!o.network.isEmpty()) u.add("--network");
    if (!o.vfio.isEmpty()) u.add("--vfio-pci");
    if (o.debugSingleStep) u.add("--debug-single-step");
    if (o.debugIodelay != null) u.add("--debug-iodelay");
    if (o.flash != null) u.add("--flash");
    for (String s : u) {
      Report.warning("%s is not supported by jkvm yet; ignored", s);
    }
  }

  /** kvmtool's find_kernel() candidates: ./bzImage, arch/x86/boot/bzImage, ../../arch/x86/boot/bzImage, /boot. */
  static List<String> defaultKernels() {
    String rel = System.getProperty("os.version");
    return List.of("./bzImage", "arch/x86/boot/bzImage", "../../arch/x86/boot/bzImage",
        "/boot/vmlinuz-" + rel, "/boot/bzImage-" + rel);
  }

  /** The first candidate that is a regular file, or null. */
  static String findDefaultKernel(List<String> candidates) {
    for (String c : candidates) {
      if (Files.isRegularFile(Path.of(c))) {
        return c;
      }
    }
    return null;
  }

  /** kvmtool's message when no kernel was given and none was found; exits with status 234 (-EINVAL). */
  static LkvmExit noDefaultKernel(List<String> candidates) {
    Report.error("Could not find default kernel image in:");
    for (String c : candidates) {
      Report.error("\t%s", c);
    }
    Report.info("Please see 'lkvm run --help' for more options.");
    throw new LkvmExit(Report.EXIT_MINUS_EINVAL);
  }

  /**
   * Where kvmtool would give up for want of a kernel, jkvm boots its own Debian test guest (building it
   * on first use), so that a bare {@code lkvm run} starts a shell as kvmtool's does.
   */
  static boolean buildDebianGuest(DebianGuest guest, PrintStream err) {
    if (!guest.built()) {
      Report.info("No kernel given and none in kvmtool's default places: building jkvm's Debian guest "
          + "(guests/debian/build.sh, first use only)");
    }
    int status = guest.build(false, err);
    if (status != 0 || !guest.built()) {
      Report.error("Building jkvm's Debian guest failed (%s exited with status %d)", guest.buildScript(), status);
      return false;
    }
    return true;
  }

  static long hostRamBytes() {
    try {
      OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      return os.getTotalMemorySize();
    } catch (ClassCastException e) {
      return Runtime.getRuntime().maxMemory();
    }
  }
}
