package org.jkvm.lkvm.boot;

/**
 * kvmtool's kernel command line (builtin-run.c kvm_run_set_real_cmdline, x86/kvm.c kvm__arch_set_cmdline):
 * the x86 base options, serial early console, the console named by --console, the root device unless -p
 * names one, then -p. With --nodefaults the command line is exactly -p.
 *
 * <p>Linux 6.1 answers this command line with "ERROR: earlyprintk= earlyser already used". That is the
 * kernel's, not ours: early parameters are parsed in place, so when setup_early_printk() has consumed
 * "serial" it steps past the value's terminating NUL into the not yet split rest of the line, finds the
 * "ttyS" of the later console=ttyS0 and registers the same early console again. kvmtool on KVM, and QEMU
 * given this line, print the same; put console= before earlyprintk= in -p with --nodefaults to avoid it.
 */
public final class KernelCmdline {
  private KernelCmdline() {}

  static final String X86_BASE = "noapic noacpi pci=conf1 reboot=k panic=1 i8042.direct=1 i8042.dumbkbd=1 "
      + "i8042.nopnp=1";

  /**
   * @param params the -p string or null
   * @param console "serial", "virtio" or "hv" (prefix matched)
   * @param rootOnDisk a disk is the root (no 9p root): add " root=/dev/vda rw " unless -p has root=
   */
  public static String build(String params, String console, boolean nodefaults, boolean rootOnDisk) {
    if (nodefaults) {
      return params == null ? "" : params;
    }
    StringBuilder sb = new StringBuilder(X86_BASE);
    sb.append(" earlyprintk=serial i8042.noaux=1");
    if (console.startsWith("serial")) {
      sb.append(" console=ttyS0");
    } else if (console.startsWith("virtio") || console.startsWith("hv")) {
      sb.append(" console=hvc0");
    }
    if (rootOnDisk && (params == null || !params.contains("root="))) {
      sb.append(" root=/dev/vda rw ");
    }
    if (params != null) {
      sb.append(' ').append(params);
    }
    return sb.toString();
  }
}
