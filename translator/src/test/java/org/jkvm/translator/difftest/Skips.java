package org.jkvm.translator.difftest;

import org.jkvm.translator.isa.FormCatalog;
import org.jkvm.translator.isa.FormCatalog.Form;

/**
 * The forms the differential tester does not run, each with the reason. Everything else in the opcode maps
 * is generated, including privileged and I/O instructions, whose #GP at CPL 3 is compared like any result.
 */
final class Skips {
  private Skips() {}

  /** Why a form is not tested in 64-bit mode, or null if it is. */
  static String reason(Form f) {
    String m = f.mnemonic();
    int map = f.map;
    int op = f.opcode;
    if (f.handler() == null && !m.equals("RSM")) { // RSM is #UD outside SMM on every CPU: compared
      return "no semantics in jkvm: decodes to #UD (" + m + ")";
    }
    switch (m) {
      case "XGETBV":
        return "jkvm has no XSAVE (CR4.OSXSAVE = 0: #UD); the host reads its XCR0";
      case "XSETBV":
        return "needs CR4.OSXSAVE: Linux sets it on the host, jkvm's test guest has no XSAVE (#GP vs #UD)";
      case "INT1":
        return "host-specific: under the host's hypervisor the #DB of INT1 (ICEBP) reports the INT1's own address";
      case "SYSCALL":
        return "enters the host kernel";
      case "SYSENTER": case "SYSEXIT":
        return "vendor-specific in long mode (AMD: #UD, Intel: #GP/executes)";
      case "VMCALL":
        return "a hypercall: leaves the guest in jkvm, #UD or a host-hypervisor exit natively";
      default:
        break;
    }
    if (map == FormCatalog.MAP_0F && (op == 0xA1 || op == 0xA9 || op == 0xB4 || op == 0xB5)) {
      return "loads FS/GS: would replace the runner's FS base (glibc's TLS) or GS base";
    }
    return null;
  }
}
