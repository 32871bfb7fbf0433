package org.jkvm.runtime;

/**
 * The model-specific registers a vCPU has, handled as KVM handles them in the kernel. An MSR that is not
 * listed here does not exist: reading or writing it is #GP(0), as KVM does with ignore_msrs=0.
 */
public final class Msrs {
  private Msrs() {}

  public static final int IA32_TSC = 0x10;
  public static final int IA32_PLATFORM_ID = 0x17;
  public static final int IA32_APIC_BASE = 0x1B;
  public static final int IA32_FEATURE_CONTROL = 0x3A;
  public static final int IA32_BIOS_SIGN_ID = 0x8B;
  public static final int IA32_SYSENTER_CS = 0x174;
  public static final int IA32_SYSENTER_ESP = 0x175;
  public static final int IA32_SYSENTER_EIP = 0x176;
  public static final int IA32_MISC_ENABLE = 0x1A0;
  public static final int IA32_PAT = 0x277;
  public static final int IA32_EFER = 0xC000_0080;
  public static final int IA32_STAR = 0xC000_0081;
  public static final int IA32_LSTAR = 0xC000_0082;
  public static final int IA32_CSTAR = 0xC000_0083;
  public static final int IA32_FMASK = 0xC000_0084;
  public static final int IA32_FS_BASE = 0xC000_0100;
  public static final int IA32_GS_BASE = 0xC000_0101;
  public static final int IA32_KERNEL_GS_BASE = 0xC000_0102;
  public static final int IA32_TSC_AUX = 0xC000_0103;

  /** EFER bits a guest may set: SCE, LME, LMA (read-only, kept), NXE. */
  static final long EFER_VALID = CpuState.EFER_SCE | CpuState.EFER_LME | CpuState.EFER_LMA | CpuState.EFER_NXE;

  /** True if {@code v} is a canonical 48-bit linear address. */
  public static boolean canonical(long v) {
    return (v << 16 >> 16) == v;
  }

  /** Reads MSR {@code msr} into {@code out[0]}; false if it does not exist. */
  public static boolean read(CpuState c, int msr, long tsc, long[] out) {
    long v;
    switch (msr) {
      case IA32_TSC: v = tsc + c.tscOffset; break;
      case IA32_PLATFORM_ID: v = 0; break;
      case IA32_APIC_BASE: v = c.apicBase; break;
      case IA32_FEATURE_CONTROL: v = 1; break; // locked, VMX off: what a BIOS leaves
      case IA32_BIOS_SIGN_ID: v = 0; break;
      case IA32_SYSENTER_CS: v = c.sysenterCs; break;
      case IA32_SYSENTER_ESP: v = c.sysenterEsp; break;
      case IA32_SYSENTER_EIP: v = c.sysenterEip; break;
      case IA32_MISC_ENABLE: v = c.miscEnable; break;
      case IA32_PAT: v = c.pat; break;
      case IA32_EFER: v = c.efer; break;
      case IA32_STAR: v = c.star; break;
      case IA32_LSTAR: v = c.lstar; break;
      case IA32_CSTAR: v = c.cstar; break;
      case IA32_FMASK: v = c.sfmask; break;
      case IA32_FS_BASE: v = c.segBase[CpuState.FS]; break;
      case IA32_GS_BASE: v = c.segBase[CpuState.GS]; break;
      case IA32_KERNEL_GS_BASE: v = c.kernelGsBase; break;
      case IA32_TSC_AUX: v = c.tscAux; break;
      default: return false;
    }
    out[0] = v;
    return true;
  }

  /** Writes MSR {@code msr}; false if it does not exist or {@code v} is reserved (#GP). */
  public static boolean write(CpuState c, int msr, long v, long tsc) {
    switch (msr) {
      case IA32_TSC: c.tscOffset = v - tsc; return true;
      case IA32_APIC_BASE:
        // Bits 7:0 and 10 reserved (x2APIC enable is bit 10 only when x2APIC is advertised), BSP bit 8.
        if ((v & ~(0xFF_FFFF_F000L | (1L << 11) | (1L << 8))) != 0) {
          return false;
        }
        c.apicBase = v;
        return true;
      case IA32_BIOS_SIGN_ID: return true; // microcode update trigger: ignored
      case IA32_SYSENTER_CS: c.sysenterCs = v & 0xFFFF_FFFFL; return true;
      case IA32_SYSENTER_ESP: if (!canonical(v)) return false; c.sysenterEsp = v; return true;
      case IA32_SYSENTER_EIP: if (!canonical(v)) return false; c.sysenterEip = v; return true;
      case IA32_MISC_ENABLE: c.miscEnable = v; return true;
      case IA32_PAT:
        for (int i = 0; i < 8; i++) {
          int t = (int) (v >>> (8 * i)) & 0xFF;
          if (t == 2 || t == 3 || t > 7) {
            return false; // reserved memory types
          }
        }
        c.pat = v;
        return true;
      case IA32_EFER: return writeEfer(c, v);
      case IA32_STAR: c.star = v; return true;
      case IA32_LSTAR: if (!canonical(v)) return false; c.lstar = v; return true;
      case IA32_CSTAR: if (!canonical(v)) return false; c.cstar = v; return true;
      case IA32_FMASK: c.sfmask = v & 0xFFFF_FFFFL; return true;
      case IA32_FS_BASE: if (!canonical(v)) return false; c.segBase[CpuState.FS] = v; return true;
      case IA32_GS_BASE: if (!canonical(v)) return false; c.segBase[CpuState.GS] = v; return true;
      case IA32_KERNEL_GS_BASE: if (!canonical(v)) return false; c.kernelGsBase = v; return true;
      case IA32_TSC_AUX: if ((v >>> 32) != 0) return false; c.tscAux = v; return true;
      default: return false;
    }
  }

  /** WRMSR EFER (SDM Vol. 3A, 2.2.1): LMA is read-only; LME may not change while paging is on. */
  static boolean writeEfer(CpuState c, long v) {
    if ((v & ~EFER_VALID) != 0) {
      return false;
    }
    if ((v & CpuState.EFER_NXE) != 0 && (Cpuid.EXT_EDX & Cpuid.EXT_EDX_NX) == 0) {
      return false;
    }
    boolean paging = (c.cr0 & CpuState.CR0_PG) != 0;
    if (paging && ((v ^ c.efer) & CpuState.EFER_LME) != 0) {
      return false;
    }
    long nv = (v & ~CpuState.EFER_LMA) | (c.efer & CpuState.EFER_LMA);
    if (((nv ^ c.efer) & CpuState.EFER_NXE) != 0) {
      c.tlb.flushAll();
    }
    c.efer = nv;
    return true;
  }
}
