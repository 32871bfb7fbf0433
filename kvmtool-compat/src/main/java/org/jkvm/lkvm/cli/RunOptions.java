package org.jkvm.lkvm.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The options of {@code lkvm run}, as kvmtool's BUILD_OPTIONS table has them (builtin-run.c and
 * x86/include/kvm/kvm-config-arch.h), plus jkvm's own ({@code --engine}, {@code --stats}). Integers are
 * kept as strings and parsed the strtol(…, 0) way by {@link RunCommand}.
 */
final class RunOptions {
  /** One line of the usage text: group title, or option synopsis and help. */
  record Help(String group, String synopsis, String text) {}

  static final List<Help> HELP = new ArrayList<>();

  private static void group(String g) {
    HELP.add(new Help(g, null, null));
  }

  private static void opt(String synopsis, String text) {
    HELP.add(new Help(null, synopsis, text));
  }

  static {
    group("Basic options:");
    opt("--name <guest name>", "A name for the guest");
    opt("-c, --cpus <n>", "Number of CPUs");
    opt("-m, --mem <size[BKMGTP]>", "Virtual machine memory size, by default measured in megabytes (M)");
    opt("-d, --disk <image or rootfs_dir>", "Disk image or rootfs directory");
    opt("--balloon", "Enable virtio balloon");
    opt("--vnc", "Enable VNC framebuffer");
    opt("--gtk", "Enable GTK framebuffer");
    opt("--sdl", "Enable SDL framebuffer");
    opt("--rng", "Enable virtio Random Number Generator");
    opt("--nodefaults", "Disable implicit configuration that cannot be disabled otherwise");
    opt("--9p <dir_to_share,tag_name>", "Enable virtio 9p to share files between host and guest");
    opt("--console <serial or virtio>", "Console to use");
    opt("--vsock <cid>", "Guest virtio socket CID");
    opt("--dev <device_file>", "KVM device file");
    opt("--tty <tty id>", "Remap guest TTY into a pty on the host");
    opt("--sandbox <script>", "Run this script when booting into custom rootfs");
    opt("--hugetlbfs <path>", "Hugetlbfs path");
    opt("--virtio-legacy", "Use legacy virtio transport (Deprecated: Use --virtio-transport option instead)");
    opt("--virtio-transport <[pci|pci-legacy|mmio|mmio-legacy]>", "Type of virtio transport");
    opt("--loglevel <[error|warning|info|debug]>", "Set the verbosity level");
    group("Kernel options:");
    opt("-k, --kernel <kernel>", "Kernel to boot in virtual machine");
    opt("-i, --initrd <initrd>", "Initial RAM disk image");
    opt("-p, --params <params>", "Kernel command line arguments");
    opt("-f, --firmware <firmware>", "Firmware image to boot in virtual machine");
    opt("-F, --flash <flash>", "Flash image to present to virtual machine");
    group("Networking options:");
    opt("-n, --network <network params>", "Create a new guest NIC");
    opt("--no-dhcp", "Disable kernel DHCP in rootfs mode");
    group("VFIO options:");
    opt("--vfio-pci <[domain:]bus:dev.fn>", "Assign a PCI device to the virtual machine");
    group("Debug options:");
    opt("--debug", "Enable debug messages");
    opt("--debug-single-step", "Enable single stepping");
    opt("--debug-ioport", "Enable ioport debugging");
    opt("--debug-mmio", "Enable MMIO debugging");
    opt("--debug-iodelay <n>", "Delay IO by millisecond");
    group("BIOS options:");
    opt("--vidmode <n>", "Video mode");
    group("jkvm options:");
    opt("--engine <interp|jit>", "Engine that runs guest code (default: jit)");
    opt("--stats", "Print exit and engine statistics when the guest ends");
    opt("--clock <host|virtual>", "Guest time from the host, or from the instruction count (repeatable)");
  }

  // Basic options.
  @Option(names = "--name") String name;
  @Option(names = {"-c", "--cpus"}) String cpus;
  @Option(names = {"-m", "--mem"}) String mem;
  @Option(names = {"-d", "--disk"}) List<String> disks = new ArrayList<>();
  @Option(names = "--balloon") boolean balloon;
  @Option(names = "--vnc") boolean vnc;
  @Option(names = "--gtk") boolean gtk;
  @Option(names = "--sdl") boolean sdl;
  @Option(names = "--rng") boolean rng;
  @Option(names = "--nodefaults") boolean nodefaults;
  @Option(names = "--9p") List<String> ninep = new ArrayList<>();
  @Option(names = "--console") String console;
  @Option(names = "--vsock") String vsock;
  @Option(names = "--dev") String dev;
  @Option(names = "--tty") List<String> tty = new ArrayList<>();
  @Option(names = "--sandbox") String sandbox;
  @Option(names = "--hugetlbfs") String hugetlbfs;
  @Option(names = "--virtio-legacy") boolean virtioLegacy;
  @Option(names = "--virtio-transport") String virtioTransport;
  @Option(names = "--loglevel") String loglevel;
  // Kernel options.
  @Option(names = {"-k", "--kernel"}) String kernel;
  @Option(names = {"-i", "--initrd"}) String initrd;
  @Option(names = {"-p", "--params"}) String params;
  @Option(names = {"-f", "--firmware"}) String firmware;
  @Option(names = {"-F", "--flash"}) String flash;
  // Networking options: -n takes an optional argument.
  @Option(names = {"-n", "--network"}, arity = "0..1", fallbackValue = "") List<String> network = new ArrayList<>();
  @Option(names = "--no-dhcp") boolean noDhcp;
  // VFIO.
  @Option(names = "--vfio-pci") List<String> vfio = new ArrayList<>();
  // Debug options.
  @Option(names = "--debug") boolean debug;
  @Option(names = "--debug-single-step") boolean debugSingleStep;
  @Option(names = "--debug-ioport") boolean debugIoport;
  @Option(names = "--debug-mmio") boolean debugMmio;
  @Option(names = "--debug-iodelay") String debugIodelay;
  // BIOS options.
  @Option(names = "--vidmode") String vidmode;
  // jkvm options.
  @Option(names = "--engine") String engine;
  @Option(names = "--stats") boolean stats;
  @Option(names = "--clock") String clock;
  @Option(names = {"-h", "--help"}) boolean help;

  @Parameters List<String> positional = new ArrayList<>();
}
