package org.jkvm.runtime;

/**
 * VMX basic exit reasons (Intel SDM Vol. 3D, Appendix C). jkvm has no VMX hardware, but its backend leaves
 * guest code at the same points, and the statistics count exits under these numbers.
 */
public final class VmxExitReason {
  private VmxExitReason() {}

  public static final int EXCEPTION_NMI = 0;
  public static final int EXTERNAL_INTERRUPT = 1;
  public static final int TRIPLE_FAULT = 2;
  public static final int INIT_SIGNAL = 3;
  public static final int SIPI = 4;
  public static final int INTERRUPT_WINDOW = 7;
  public static final int NMI_WINDOW = 8;
  public static final int TASK_SWITCH = 9;
  public static final int CPUID = 10;
  public static final int HLT = 12;
  public static final int INVD = 13;
  public static final int INVLPG = 14;
  public static final int RDPMC = 15;
  public static final int RDTSC = 16;
  public static final int VMCALL = 18;
  public static final int CR_ACCESS = 28;
  public static final int DR_ACCESS = 29;
  public static final int IO_INSTRUCTION = 30;
  public static final int MSR_READ = 31;
  public static final int MSR_WRITE = 32;
  public static final int MWAIT = 36;
  public static final int MONITOR = 39;
  public static final int PAUSE = 40;
  public static final int GDTR_IDTR = 46;
  public static final int LDTR_TR = 47;
  public static final int EPT_VIOLATION = 48;
  public static final int INVEPT = 50;
  public static final int RDTSCP = 51;
  public static final int WBINVD = 54;
  public static final int XSETBV = 55;
  public static final int INVPCID = 58;
  public static final int COUNT = 70;

  /** Names as Linux's VMX_EXIT_REASONS table prints them (arch/x86/include/uapi/asm/vmx.h). */
  public static String name(int reason) {
    switch (reason) {
      case EXCEPTION_NMI: return "EXCEPTION_NMI";
      case EXTERNAL_INTERRUPT: return "EXTERNAL_INTERRUPT";
      case TRIPLE_FAULT: return "TRIPLE_FAULT";
      case INIT_SIGNAL: return "INIT_SIGNAL";
      case SIPI: return "SIPI_SIGNAL";
      case INTERRUPT_WINDOW: return "INTERRUPT_WINDOW";
      case NMI_WINDOW: return "NMI_WINDOW";
      case TASK_SWITCH: return "TASK_SWITCH";
      case CPUID: return "CPUID";
      case HLT: return "HLT";
      case INVD: return "INVD";
      case INVLPG: return "INVLPG";
      case RDPMC: return "RDPMC";
      case RDTSC: return "RDTSC";
      case VMCALL: return "VMCALL";
      case CR_ACCESS: return "CR_ACCESS";
      case DR_ACCESS: return "DR_ACCESS";
      case IO_INSTRUCTION: return "IO_INSTRUCTION";
      case MSR_READ: return "MSR_READ";
      case MSR_WRITE: return "MSR_WRITE";
      case MWAIT: return "MWAIT_INSTRUCTION";
      case MONITOR: return "MONITOR_INSTRUCTION";
      case PAUSE: return "PAUSE_INSTRUCTION";
      case GDTR_IDTR: return "GDTR_IDTR";
      case LDTR_TR: return "LDTR_TR";
      case EPT_VIOLATION: return "EPT_VIOLATION";
      case RDTSCP: return "RDTSCP";
      case WBINVD: return "WBINVD";
      case XSETBV: return "XSETBV";
      case INVPCID: return "INVPCID";
      default: return "REASON_" + reason;
    }
  }
}
