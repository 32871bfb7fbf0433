package org.jkvm.lkvm.machine;

import org.jkvm.runtime.CpuState;
import org.jkvm.runtime.Vcpu;

/** The register dump kvmtool prints when a vCPU panics (x86/kvm-cpu.c kvm_cpu__show_registers). */
final class CpuDump {
  private CpuDump() {}

  static String format(Vcpu v) {
    CpuState c = v.state();
    long[] r = c.gpr;
    StringBuilder sb = new StringBuilder();
    sb.append("\n Registers:\n ----------\n");
    sb.append(String.format(" rip: %016x   rsp: %016x flags: %016x%n", c.rip, r[4], c.getRflags()));
    sb.append(String.format(" rax: %016x   rbx: %016x   rcx: %016x%n", r[0], r[3], r[1]));
    sb.append(String.format(" rdx: %016x   rsi: %016x   rdi: %016x%n", r[2], r[6], r[7]));
    sb.append(String.format(" rbp: %016x    r8: %016x    r9: %016x%n", r[5], r[8], r[9]));
    sb.append(String.format(" r10: %016x   r11: %016x   r12: %016x%n", r[10], r[11], r[12]));
    sb.append(String.format(" r13: %016x   r14: %016x   r15: %016x%n", r[13], r[14], r[15]));
    sb.append(String.format(" cr0: %016x   cr2: %016x   cr3: %016x%n", c.cr0, c.cr2, c.cr3));
    sb.append(String.format(" cr4: %016x   cr8: %016x%n", c.cr4, c.cr8));
    sb.append("\n Segment registers:\n ------------------\n");
    sb.append(" register  selector  base              limit     type  p dpl db s l g avl\n");
    String[] names = {"es", "cs", "ss", "ds", "fs", "gs"};
    for (int s = 0; s < 6; s++) {
      int a = c.segAttr[s];
      sb.append(String.format(" %-8s  %04x      %016x  %08x  %02x    %d %d   %d  %d %d %d %d%n", names[s],
          c.segSel[s], c.segBase[s], c.segLimit[s], a & 0xF, (a >> 7) & 1, (a >> 5) & 3, (a >> 14) & 1,
          (a >> 4) & 1, (a >> 13) & 1, (a >> 15) & 1, (a >> 12) & 1));
    }
    sb.append(String.format(" tr        %04x      %016x  %08x%n", c.trSel, c.trBase, c.trLimit));
    sb.append(String.format(" ldt       %04x      %016x  %08x%n", c.ldtSel, c.ldtBase, c.ldtLimit));
    sb.append(String.format(" gdt                 %016x  %08x%n", c.gdtBase, c.gdtLimit));
    sb.append(String.format(" idt                 %016x  %08x%n", c.idtBase, c.idtLimit));
    sb.append(String.format("\n APIC:\n -----\n efer: %016x  apic base: %016x%n", c.efer, c.apicBase));
    long rip = c.codeSize == 8 ? c.rip : c.segBase[CpuState.CS] + c.rip;
    byte[] code = new byte[64];
    int n = v.debugRead(rip - 32, code);
    sb.append("\n Code:\n -----\n rip: [<").append(String.format("%016x", rip)).append(">] <unknown>\n\n");
    for (int k = 0; k < n; k++) {
      sb.append(k == 32 ? String.format("<%02x> ", code[k]) : String.format("%02x ", code[k]));
      if (k % 16 == 15) {
        sb.append('\n');
      }
    }
    long sp = c.codeSize == 8 ? c.gpr[CpuState.RSP] : c.segBase[CpuState.SS] + (c.gpr[CpuState.RSP] & 0xFFFF_FFFFL);
    byte[] stack = new byte[256];
    int m = v.debugRead(sp, stack);
    sb.append("\n Stack:\n ------\n");
    java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(stack).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int k = 0; k + 8 <= m; k += 8) {
      sb.append(String.format(" %016x: %016x%n", sp + k, bb.getLong(k)));
    }
    String trace = v.trace();
    if (!trace.isEmpty()) {
      sb.append("\n Trace (oldest first):\n --------------------\n").append(trace);
    }
    return sb.toString();
  }
}
