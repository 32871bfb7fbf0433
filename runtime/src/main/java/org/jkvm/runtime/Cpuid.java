package org.jkvm.runtime;

/**
 * The CPUID model every vCPU reports. It must say exactly what jkvm implements: a guest that sees a bit
 * uses the feature without asking again, so a bit set here is a promise the backend keeps.
 *
 * <p>The processor is "GenuineIntel" family 6, as KVM reports on an Intel host, with the hypervisor bit
 * (leaf 1 ECX[31]) set and KVM's hypervisor leaves at 0x40000000 ("KVMKVMKVM"), because the guest kernels
 * we run look for that signature. Leaf 1 EBX[31:24] is the initial APIC id, as kvmtool's filter sets it.
 */
public final class Cpuid {
  // Leaf 1 EDX.
  public static final int EDX_FPU = 1;
  public static final int EDX_VME = 1 << 1;
  public static final int EDX_DE = 1 << 2;
  public static final int EDX_PSE = 1 << 3;
  public static final int EDX_TSC = 1 << 4;
  public static final int EDX_MSR = 1 << 5;
  public static final int EDX_PAE = 1 << 6;
  public static final int EDX_MCE = 1 << 7;
  public static final int EDX_CX8 = 1 << 8;
  public static final int EDX_APIC = 1 << 9;
  public static final int EDX_SEP = 1 << 11;
  public static final int EDX_MTRR = 1 << 12;
  public static final int EDX_PGE = 1 << 13;
  public static final int EDX_MCA = 1 << 14;
  public static final int EDX_CMOV = 1 << 15;
  public static final int EDX_PAT = 1 << 16;
  public static final int EDX_PSE36 = 1 << 17;
  public static final int EDX_CLFSH = 1 << 19;
  public static final int EDX_MMX = 1 << 23;
  public static final int EDX_FXSR = 1 << 24;
  public static final int EDX_SSE = 1 << 25;
  public static final int EDX_SSE2 = 1 << 26;
  // Leaf 1 ECX.
  public static final int ECX_SSE3 = 1;
  public static final int ECX_SSSE3 = 1 << 9;
  public static final int ECX_CX16 = 1 << 13;
  public static final int ECX_X2APIC = 1 << 21;
  public static final int ECX_MOVBE = 1 << 22;
  public static final int ECX_POPCNT = 1 << 23;
  public static final int ECX_TSC_DEADLINE = 1 << 24;
  public static final int ECX_HYPERVISOR = 1 << 31;
  // Leaf 0x80000001.
  public static final int EXT_ECX_LAHF_LM = 1;
  public static final int EXT_ECX_ABM = 1 << 5; // LZCNT
  public static final int EXT_EDX_SYSCALL = 1 << 11;
  public static final int EXT_EDX_NX = 1 << 20;
  public static final int EXT_EDX_PDPE1GB = 1 << 26;
  public static final int EXT_EDX_RDTSCP = 1 << 27;
  public static final int EXT_EDX_LM = 1 << 29;
  // Leaf 7 EBX.
  public static final int L7_EBX_BMI1 = 1 << 3; // ANDN, BEXTR, BLSI, BLSMSK, BLSR (VEX-encoded) and TZCNT
  public static final int L7_EBX_SMEP = 1 << 7;
  public static final int L7_EBX_SMAP = 1 << 20;
  public static final int LEAF7_EBX = L7_EBX_BMI1 | L7_EBX_SMEP | L7_EBX_SMAP;

  /** Leaf 1 EAX: family 6, model 0x0F (Core 2), stepping 11, encoded per SDM Vol. 2A, CPUID. */
  static final int SIGNATURE = 0x0000_06FB;

  public static final int LEAF1_EDX = EDX_FPU | EDX_DE | EDX_PSE | EDX_TSC | EDX_MSR | EDX_PAE | EDX_CX8
      | EDX_APIC | EDX_SEP | EDX_PGE | EDX_CMOV | EDX_PAT | EDX_PSE36 | EDX_CLFSH | EDX_MMX | EDX_FXSR | EDX_SSE
      | EDX_SSE2;
  public static final int LEAF1_ECX = ECX_SSE3 | ECX_SSSE3 | ECX_CX16 | ECX_X2APIC | ECX_MOVBE | ECX_POPCNT
      | ECX_TSC_DEADLINE | ECX_HYPERVISOR;
  public static final int EXT_EDX = EXT_EDX_SYSCALL | EXT_EDX_NX | EXT_EDX_PDPE1GB | EXT_EDX_RDTSCP | EXT_EDX_LM;
  public static final int EXT_ECX = EXT_ECX_LAHF_LM | EXT_ECX_ABM;

  private static final String BRAND = "jkvm virtual CPU (x86-64 on the JVM)";

  private final int vcpuId;
  private final java.util.function.IntSupplier vcpuCount;

  /** {@code vcpuCount} is asked at query time, since vCPUs are created one after the other. */
  public Cpuid(int vcpuId, java.util.function.IntSupplier vcpuCount) {
    this.vcpuId = vcpuId;
    this.vcpuCount = vcpuCount;
  }

  /**
   * Leaf 4, deterministic cache parameters: a 32 KiB L1 data and instruction cache per core and a 1 MiB
   * L2 per core (8-way, 64-byte lines). EAX[31:26] says the package has {@code n} cores, EAX[25:14] that
   * no cache is shared between logical processors: without this leaf Linux takes leaf 1's logical count
   * for SMT siblings and reports "SMT on".
   */
  private static void cacheLeaf(int subleaf, int n, int[] out) {
    int type;
    int level;
    int sets;
    switch (subleaf) {
      case 0: type = 1; level = 1; sets = 64; break; // data
      case 1: type = 2; level = 1; sets = 64; break; // instruction
      case 2: type = 3; level = 2; sets = 2048; break; // unified
      default: return; // type 0: no more caches
    }
    out[0] = type | (level << 5) | (1 << 8) | ((Math.min(n, 64) - 1) << 26);
    out[1] = (7 << 22) | 63; // 8 ways, 1 partition, 64-byte lines
    out[2] = sets - 1;
  }

  /**
   * Leaf 0xB, x2APIC topology: one thread per core, {@code n} cores per package, the x2APIC id in EDX.
   */
  private void topologyLeaf(int subleaf, int n, int[] out) {
    out[3] = vcpuId;
    switch (subleaf) {
      case 0:
        out[0] = 0;
        out[1] = 1;
        out[2] = (1 << 8); // level 0: SMT, one logical processor
        break;
      case 1:
        out[0] = 32 - Integer.numberOfLeadingZeros(n - 1); // bits of the APIC id below the package
        out[1] = n;
        out[2] = 1 | (2 << 8); // level 1: core
        break;
      default:
        out[2] = subleaf & 0xFF; // invalid level
        break;
    }
  }

  /** Fills {@code out} = {EAX, EBX, ECX, EDX} for leaf {@code eax}, subleaf {@code ecx}. */
  public void query(int eax, int ecx, int[] out) {
    out[0] = out[1] = out[2] = out[3] = 0;
    switch (eax) {
      case 0:
        out[0] = 0xD;
        vendor(out, "GenuineIntel");
        break;
      case 1: {
        int n = Math.max(1, vcpuCount.getAsInt());
        out[0] = SIGNATURE;
        // EBX: brand index 0, CLFLUSH line size 8 (x 8 bytes), logical processor count, initial APIC id.
        out[1] = (8 << 8) | (Math.min(n, 255) << 16) | (vcpuId << 24);
        out[2] = LEAF1_ECX;
        out[3] = LEAF1_EDX | (n > 1 ? 1 << 28 : 0);
        break;
      }
      case 4:
        cacheLeaf(ecx, Math.max(1, vcpuCount.getAsInt()), out);
        break;
      case 0xB:
        topologyLeaf(ecx, Math.max(1, vcpuCount.getAsInt()), out);
        break;
      case 7:
        if (ecx == 0) {
          out[1] = LEAF7_EBX;
        }
        break;
      case 0xD:
        if (ecx == 0) {
          out[0] = 3; // XCR0 bits that may be set: x87 and SSE (XSAVE itself is not advertised yet)
          out[1] = 512 + 64;
          out[2] = 512 + 64;
        }
        break;
      case 0x4000_0000:
        out[0] = 0x4000_0001;
        vendorHv(out, "KVMKVMKVM\0\0\0");
        break;
      case 0x4000_0001:
        out[0] = KvmClock.KVM_FEATURE_CLOCKSOURCE2 | KvmClock.KVM_FEATURE_CLOCKSOURCE_STABLE_BIT;
        break;
      case 0x8000_0000:
        out[0] = 0x8000_0008;
        vendor(out, "GenuineIntel");
        break;
      case 0x8000_0001:
        out[2] = EXT_ECX;
        out[3] = EXT_EDX;
        break;
      case 0x8000_0002:
      case 0x8000_0003:
      case 0x8000_0004:
        brand(eax - 0x8000_0002, out);
        break;
      case 0x8000_0008:
        out[0] = (48 << 8) | org.jkvm.mmu.PageWalker.MAXPHYADDR; // linear and physical address widths
        break;
      default:
        // Leaves above the maximum return the highest basic leaf's data on Intel; leaves in between and
        // unsupported subleaves return zeros. A guest asking for them gets the conservative answer.
        if (eax > 0xD && eax < 0x4000_0000) {
          query(0xD, ecx, out);
        }
        break;
    }
  }

  private static void vendor(int[] out, String v) {
    out[1] = word(v, 0);
    out[3] = word(v, 4);
    out[2] = word(v, 8);
  }

  private static void vendorHv(int[] out, String v) {
    out[1] = word(v, 0);
    out[2] = word(v, 4);
    out[3] = word(v, 8);
  }

  private static void brand(int part, int[] out) {
    for (int i = 0; i < 4; i++) {
      out[i] = word(BRAND, part * 16 + i * 4);
    }
  }

  private static int word(String s, int at) {
    int w = 0;
    for (int i = 0; i < 4; i++) {
      int ch = at + i < s.length() ? s.charAt(at + i) & 0xFF : 0;
      w |= ch << (8 * i);
    }
    return w;
  }
}
