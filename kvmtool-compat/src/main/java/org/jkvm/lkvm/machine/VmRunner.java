package org.jkvm.lkvm.machine;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicReference;
import org.jkvm.devices.IrqLine;
import org.jkvm.devices.legacy.DebugExit;
import org.jkvm.devices.legacy.DummyPorts;
import org.jkvm.devices.legacy.I8042Controller;
import org.jkvm.devices.legacy.Mc146818Rtc;
import org.jkvm.devices.legacy.Uart16550;
import org.jkvm.devices.pci.PciConfigSpace;
import org.jkvm.lkvm.boot.Bios;
import org.jkvm.lkvm.boot.BzImageLoader;
import org.jkvm.lkvm.boot.KernelCmdline;
import org.jkvm.lkvm.boot.MpTable;
import org.jkvm.lkvm.boot.MultibootLoader;
import org.jkvm.lkvm.Report;
import org.jkvm.lkvm.boot.FlatLoader;
import org.jkvm.lkvm.boot.GuestLayout;
import org.jkvm.lkvm.ipc.IpcServer;
import org.jkvm.lkvm.ipc.VmControl;
import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.ExitReason;
import org.jkvm.runtime.Flags;
import org.jkvm.runtime.GuestClock;
import org.jkvm.runtime.Hypervisor;
import org.jkvm.runtime.PortIoDevice;
import org.jkvm.runtime.RunState;
import org.jkvm.runtime.Vcpu;
import org.jkvm.runtime.Vm;
import org.jkvm.runtime.irqchip.InKernelIrqChip;
import org.jkvm.translator.TranslatorBackend;

/**
 * The composition root of {@code lkvm run}: builds the VM from a {@link VmConfig} the way kvmtool's init
 * levels do (memory, devices, boot image, vCPUs), runs vCPU 0's loop around {@link Vcpu#run()}, and turns
 * the way the guest ended into kvmtool's messages and exit status.
 */
public final class VmRunner {
  /** The four legacy UARTs: ttyS0-3 at kvmtool's ports and IRQs (hw/serial.c). */
  static final int[][] UARTS = {{0x3F8, 4}, {0x2F8, 3}, {0x3E8, 4}, {0x2E8, 3}};

  private final VmConfig cfg;
  private final OutputStream guestOut;
  private final AtomicReference<String> ioError = new AtomicReference<>();
  /** The VM while it runs (for {@link #stop()}), and how the run ended. */
  private volatile Vm running;
  private volatile boolean stopBeforeStart;
  private volatile ExitReason endReason;
  private volatile int endEventType;
  private volatile long endInstructions;
  /** Set by the control socket's PAUSE; vCPUs wait while it is set. */
  private volatile boolean paused;
  private final Object pauseLock = new Object();

  /** {@code guestOut} receives what the guest writes to its serial ports; System.out means fd 1, unbuffered. */
  public VmRunner(VmConfig cfg, OutputStream guestOut) {
    this.cfg = cfg;
    this.guestOut = guestOut == System.out ? new FileOutputStream(FileDescriptor.out) : guestOut;
  }

  /** Runs the guest to its end; returns the exit status for the lkvm process. */
  public int run() {
    Hypervisor hv = new Hypervisor(new TranslatorBackend(cfg.engine()));
    Vm vm = hv.createVm();
    addRam(vm, cfg.ramBytes());
    // KVM_CREATE_IRQCHIP and KVM_CREATE_PIT2, as kvmtool's kvm__arch_init does before anything else.
    java.util.concurrent.atomic.AtomicReference<Vcpu> boot0 = new java.util.concurrent.atomic.AtomicReference<>();
    vm.setClock(cfg.virtualClock() ? GuestClock.virtual(() -> {
      Vcpu b = boot0.get();
      return b == null ? 0 : b.instructionsRetired();
    }) : GuestClock.host());
    vm.setIrqChip(new InKernelIrqChip(vm, vm.clock(), Vcpu.TSC_KHZ));

    OutputStream out = guestOut;
    Uart16550[] ttys = new Uart16550[UARTS.length];
    for (int n = 0; n < UARTS.length; n++) {
      ttys[n] = new Uart16550("ttyS" + n, IrqLine.gsi(vm, UARTS[n][1]), out);
      vm.ioBus().register(UARTS[n][0], 8, ttys[n], "ttyS" + n);
    }
    vm.ioBus().register(DebugExit.PORT, 4, new DebugExit(vm), "isa-debug-exit");
    registerLegacyDevices(vm, out);
    Vcpu boot = vm.createVcpu();
    boot0.set(boot);
    for (int n = 1; n < cfg.cpus(); n++) {
      vm.createVcpu(); // application processors wait for INIT and SIPI from the guest
    }
    running = vm;
    if (stopBeforeStart) {
      vm.requestSystemEvent(RunState.SYSTEM_EVENT_RESET, 0);
    }
    if (cfg.debugIoport()) {
      vm.ioBus().setUnclaimedListener((in, port, size, value) -> {
        ioError.compareAndSet(null, String.format("IO error: %s port=%x, size=%d, count=%d",
            in ? "in" : "out", port, size, 1));
        boot.requestStop();
      });
    }

    FlatLoader.Entry entry = null;
    MultibootLoader.Entry multiboot = null;
    if (cfg.firmware() != null) {
      entry = FlatLoader.loadFirmware(vm.memory(), cfg.firmware());
    } else if (BzImageLoader.isBzImage(cfg.kernel())) {
      String cmdline = KernelCmdline.build(cfg.cmdline(), cfg.console(), cfg.nodefaults(), true);
      entry = BzImageLoader.load(vm.memory(), cfg.kernel(), cfg.initrd(), cmdline, cfg.ramBytes());
    } else if (MultibootLoader.isMultiboot(cfg.kernel())) {
      multiboot = MultibootLoader.load(vm.memory(), cfg.kernel(), cfg.initrd(), cfg.cmdline(), cfg.ramBytes());
    } else {
      Report.warning("Kernel image is not a bzImage.");
      Report.warning("Trying to load it as a flat binary (no cmdline support)");
      if (cfg.initrd() != null) {
        Report.warning("Loading initrd with flat binary not supported.");
      }
      entry = FlatLoader.loadFlat(vm.memory(), cfg.kernel(), cfg.ramBytes());
    }
    // kvmtool sets up its BIOS for every kernel (not for -f firmware), and the MP table in all cases.
    long biosEnd = cfg.firmware() == null ? Bios.setup(vm.memory(), cfg.ramBytes()) : 0xF0000;
    if (cfg.firmware() == null) {
      MpTable.write(vm.memory(), biosEnd, cfg.cpus(), java.util.List.of());
    }
    if (multiboot != null) {
      resetVcpuMultiboot(boot, multiboot);
    } else {
      resetVcpu(boot, entry);
    }

    Console console = new Console(ttys[0], () -> vm.requestSystemEvent(RunState.SYSTEM_EVENT_RESET, 0));
    if (cfg.console().startsWith("serial")) {
      console.start();
    }
    int status;
    java.util.List<Thread> aps = new java.util.ArrayList<>();
    try (IpcServer ipc = IpcServer.start(cfg.name(), new Control(vm, ttys[0]))) {
      for (Vcpu v : vm.vcpus()) {
        if (v != boot) {
          Thread t = new Thread(() -> apLoop(vm, v), "kvm-vcpu-" + v.id());
          t.setDaemon(true);
          t.start();
          aps.add(t);
        }
      }
      status = loop(vm, boot);
    } finally {
      if (vm.systemEventType() == 0) {
        vm.requestSystemEvent(RunState.SYSTEM_EVENT_RESET, 0); // the BSP ended the VM: so do the APs
      }
      for (Thread t : aps) {
        try {
          t.join(2000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      console.restore();
    }
    endInstructions = boot.instructionsRetired();
    if (cfg.stats()) {
      for (Vcpu v : vm.vcpus()) {
        System.err.print(v.stats());
      }
    }
    return status;
  }

  /**
   * The thread of an application processor (kvmtool's kvm_cpu_thread for vCPUs other than 0): it runs
   * until a system event ends the VM; its shutdown or internal error ends the VM too.
   */
  private void apLoop(Vm vm, Vcpu v) {
    for (;;) {
      ExitReason r = v.run();
      switch (r) {
        case SYSTEM_EVENT:
          return;
        case INTR:
          if (vm.systemEventType() != 0) {
            return;
          }
          waitWhilePaused(vm);
          continue;
        case HLT:
          waitForever(vm, v);
          if (vm.systemEventType() != 0) {
            return;
          }
          continue;
        case SHUTDOWN:
          Report.debug("vCPU %d: guest triple fault", v.id());
          vm.requestSystemEvent(RunState.SYSTEM_EVENT_RESET, 0);
          return;
        default:
          Report.error("KVM exit reason: %d (\"KVM_EXIT_%s\") on vCPU %d", r.kvmNumber, r.name(), v.id());
          if (v.runState().internalError != null) {
            Report.error("%s", v.runState().internalError);
          }
          System.out.print(CpuDump.format(v));
          System.out.flush();
          vm.requestSystemEvent(RunState.SYSTEM_EVENT_RESET, 1);
          return;
      }
    }
  }

  /**
   * Ends the guest from another thread, as {@code lkvm stop} does (a reset system event): {@link #run()}
   * returns soon after, with status 0.
   */
  public void stop() {
    stopBeforeStart = true;
    Vm vm = running;
    if (vm != null) {
      vm.requestSystemEvent(RunState.SYSTEM_EVENT_RESET, 0);
    }
  }

  /** How {@link #run()} ended: the exit reason of the last KVM_RUN, null before the end. */
  public ExitReason endReason() {
    return endReason;
  }

  /** For an end by {@link ExitReason#SYSTEM_EVENT}: RunState.SYSTEM_EVENT_SHUTDOWN (the exit port) or _RESET. */
  public int endEventType() {
    return endEventType;
  }

  /** Instructions the boot vCPU retired. */
  public long instructions() {
    return endInstructions;
  }

  /** kvmtool's dev-level devices (hw/i8042.c, hw/rtc.c, pci.c, x86/ioport.c) at their ports. */
  private static void registerLegacyDevices(Vm vm, OutputStream out) {
    I8042Controller kbd = new I8042Controller(IrqLine.gsi(vm, 1), IrqLine.gsi(vm, 12),
        () -> vm.requestSystemEvent(RunState.SYSTEM_EVENT_RESET, 0));
    // Port 0x61 belongs to the in-kernel PIT, so the controller is split around it.
    vm.ioBus().register(0x60, 1, kbd, "i8042-data");
    vm.ioBus().register(0x64, 2, new PortIoDevice() {
      @Override
      public long in(int offset, int size) {
        return kbd.in(4 + offset, size);
      }

      @Override
      public void out(int offset, int size, long value) {
        kbd.out(4 + offset, size, value);
      }
    }, "i8042-command");
    vm.ioBus().register(0x70, 2, new Mc146818Rtc(java.time.Clock.systemUTC()), "rtc");
    vm.ioBus().register(0xCF8, 8, new PciConfigSpace(), "pci-conf1");
    DummyPorts.register(vm.ioBus(), out);
  }

  static void addRam(Vm vm, long ram) {
    if (ram <= GuestLayout.GAP_START) {
      vm.addRam(0, ram);
    } else {
      vm.addRam(0, GuestLayout.GAP_START);
      vm.addRam(GuestLayout.GAP_END, ram - GuestLayout.GAP_START);
    }
  }

  /** kvmtool's kvm_cpu__reset_vcpu: real mode at selector:ip, all segments = selector, RSP = RBP = sp. */
  static void resetVcpu(Vcpu v, FlatLoader.Entry e) {
    CpuState c = v.state();
    for (int s = 0; s < 6; s++) {
      c.loadRealSegment(s, e.selector());
    }
    java.util.Arrays.fill(c.gpr, 0);
    c.gpr[CpuState.RSP] = e.sp();
    c.gpr[CpuState.RBP] = e.sp();
    c.rip = e.ip();
    c.setRflags(Flags.FIXED1);
    c.updateMode();
  }

  /**
   * The Multiboot machine state (specification 3.2): 32-bit protected mode, flat 4 GiB code and data
   * segments from the loader's GDT, paging and interrupts off, EAX = 0x2BADB002, EBX = the boot information.
   */
  static void resetVcpuMultiboot(Vcpu v, MultibootLoader.Entry e) {
    CpuState c = v.state();
    for (int s = 0; s < 6; s++) {
      boolean code = s == CpuState.CS;
      c.segSel[s] = code ? MultibootLoader.CODE_SELECTOR : MultibootLoader.DATA_SELECTOR;
      c.segBase[s] = 0;
      c.segLimit[s] = -1;
      c.segAttr[s] = (code ? 0xB : 0x3) | CpuState.SEG_S | CpuState.SEG_P | CpuState.SEG_DB | CpuState.SEG_G;
    }
    c.gdtBase = e.gdtBase();
    c.gdtLimit = e.gdtLimit();
    java.util.Arrays.fill(c.gpr, 0);
    c.gpr[CpuState.RAX] = MultibootLoader.BOOTLOADER_MAGIC & 0xFFFF_FFFFL;
    c.gpr[CpuState.RBX] = e.ebx();
    c.gpr[CpuState.RSP] = MultibootLoader.INFO_ADDR;
    c.rip = e.eip();
    c.cr0 = CpuState.CR0_PE | CpuState.CR0_ET;
    c.setRflags(Flags.FIXED1);
    c.tlb.flushAll();
    c.updateMode();
  }

  private int loop(Vm vm, Vcpu v) {
    for (;;) {
      ExitReason r = v.run();
      endReason = r;
      endEventType = v.runState().systemEventType;
      switch (r) {
        case SYSTEM_EVENT: {
          int status = vm.systemEventStatus();
          if (status == 0) {
            Report.info("KVM session ended normally.");
          }
          return status;
        }
        case SHUTDOWN:
          Report.debug("guest triple fault");
          Report.info("KVM session ended normally.");
          return 0;
        case INTR: {
          String err = ioError.get();
          if (err != null) {
            Report.error("%s", err);
            System.out.print(CpuDump.format(v));
            System.out.flush();
            return 1;
          }
          waitWhilePaused(vm);
          continue;
        }
        case HLT:
          // Without an in-kernel irqchip nothing can wake the vCPU: it stays halted, as under KVM,
          // until the user quits or a system event ends the VM.
          waitForever(vm, v);
          continue;
        case INTERNAL_ERROR:
        default:
          Report.error("KVM exit reason: %d (\"KVM_EXIT_%s\")", r.kvmNumber, r.name());
          if (v.runState().internalError != null) {
            Report.error("%s", v.runState().internalError);
          }
          System.out.print(CpuDump.format(v));
          System.out.flush();
          return 1;
      }
    }
  }

  private void waitWhilePaused(Vm vm) {
    synchronized (pauseLock) {
      while (paused && vm.systemEventType() == 0) {
        try {
          pauseLock.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** What the control socket may do to this guest (kvm.c's IPC handlers). */
  private final class Control implements VmControl {
    private final Vm vm;
    private final Uart16550 tty;

    Control(Vm vm, Uart16550 tty) {
      this.vm = vm;
      this.tty = tty;
    }

    @Override
    public void stop() {
      vm.requestSystemEvent(RunState.SYSTEM_EVENT_RESET, 0);
    }

    @Override
    public void pause() {
      paused = true;
      for (Vcpu v : vm.vcpus()) {
        v.requestStop();
      }
    }

    @Override
    public void resume() {
      synchronized (pauseLock) {
        paused = false;
        pauseLock.notifyAll();
      }
    }

    @Override
    public boolean paused() {
      return paused;
    }

    /** Each vCPU's dump as kvmtool writes it; a running guest is paused for a consistent picture. */
    @Override
    public void dump(OutputStream out) throws java.io.IOException {
      boolean wasPaused = paused;
      if (!wasPaused) {
        pause();
        Thread.onSpinWait();
      }
      try {
        for (Vcpu v : vm.vcpus()) {
          String text = String.format("%n #%n # vCPU #%d's dump:%n #%n", v.id()) + CpuDump.format(v);
          out.write(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
      } finally {
        if (!wasPaused) {
          resume();
        }
      }
    }

    @Override
    public void nmi(int cpu) {
      java.util.List<Vcpu> all = vm.vcpus();
      if (cpu >= 0 && cpu < all.size()) {
        all.get(cpu).state().raiseEvent(CpuState.EVENT_NMI);
      }
    }

    @Override
    public void sysrq(char c) {
      tty.sendBreak(c);
    }
  }

  private static void waitForever(Vm vm, Vcpu v) {
    CpuState c = v.state();
    synchronized (c) {
      while (vm.systemEventType() == 0 && (c.events & CpuState.EVENT_KICK) == 0) {
        try {
          c.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
