package org.jkvm.translator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.jkvm.runtime.CpuState;
import org.jkvm.translator.isa.Decoder;
import org.jkvm.translator.isa.Insn;
import org.jkvm.translator.isa.OpEntry;
import org.jkvm.translator.sem.GuestFault;
import org.jkvm.translator.sem.X87Control;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the host oracle cannot show because a user-mode process never sees it: #MF raised by the next
 * waiting instruction after an unmasked exception (SDM Vol. 1, 8.6), the no-wait forms that do not raise
 * it, CR0.NE, FWAIT, #NM from CR0.EM and CR0.TS (Vol. 3A, 2.5 and Table 2-2), and FOP/FIP/FDP and the
 * tag word as FXSAVE and FNSTENV report them in 32-bit code.
 */
class X87SemanticsTest {
  static final long DATA = 0x30_0000;
  TestMachine m;
  CpuState c;

  @BeforeEach
  void setUp() {
    m = new TestMachine(TranslatorBackend.Engine.INTERP);
    m.longMode(0x10_0000, 0);
    c = m.c;
    c.gpr[CpuState.RBX] = DATA;
  }

  /** Decodes and executes one instruction at RIP; returns the fault vector, or -1. */
  int exec(int... b) {
    Insn i = Decoder.decode(off -> off < b.length ? b[off] : 0x90, c.codeSize);
    long start = c.rip;
    c.rip = start + i.len;
    try {
      i.handler.exec(c, i);
      return -1;
    } catch (GuestFault f) {
      c.rip = start;
      return f.vector;
    }
  }

  void ok(int... b) {
    assertEquals(-1, exec(b), "fault from " + hex(b));
  }

  static String hex(int... b) {
    StringBuilder sb = new StringBuilder();
    for (int x : b) {
      sb.append(String.format("%02x ", x));
    }
    return sb.toString().trim();
  }

  /** FNINIT, FLDCW with ZE unmasked, then 1/0: ZE, ES and B pending. */
  void pendingZeroDivide() {
    ok(0xDB, 0xE3); // fninit
    m.vm.memory().write(DATA, 2, 0x37B);
    ok(0xD9, 0x2B); // fldcw [rbx]
    ok(0xD9, 0xE8); // fld1
    ok(0xD9, 0xEE); // fldz
    ok(0xDE, 0xF9); // fdivp st1, st0: 1/0
    assertEquals(0x8084, X87Control.statusWord(c) & 0x80FF, "ZE, ES and B");
  }

  @Test
  void unmaskedException_raisesMfAtTheNextWaitingInstruction() {
    pendingZeroDivide();
    // The destination was left alone and the stack not popped: an unmasked ZE stops the instruction.
    assertEquals(2, inUse(), "two registers in use");
    assertEquals(GuestFault.MF, exec(0xD9, 0xE8)); // fld1
    assertEquals(GuestFault.MF, exec(0xD8, 0xC1)); // fadd
    assertEquals(GuestFault.MF, exec(0x9B)); // fwait
    assertEquals(GuestFault.MF, exec(0xD9, 0x2B)); // fldcw is a waiting instruction
    assertEquals(GuestFault.MF, exec(0xD9, 0xD0)); // fnop too
    ok(0xDF, 0xE0); // fnstsw ax: no wait
    assertEquals(0x8084, c.gpr[CpuState.RAX] & 0x80FF);
    ok(0xD9, 0x3B); // fnstcw
    ok(0xD9, 0x33); // fnstenv
    ok(0x0F, 0xAE, 0x03); // fxsave
    ok(0xDB, 0xE2); // fnclex
    assertEquals(0, X87Control.statusWord(c) & 0x80FF);
    ok(0xD9, 0xE8);
  }

  private int inUse() {
    int n = 0;
    for (int r = 0; r < 8; r++) {
      if (((c.fpTag >> (2 * r)) & 3) != 3) {
        n++;
      }
    }
    return n;
  }

  @Test
  void fnsaveAndFninit_doNotWait_andClearThePendingException() {
    pendingZeroDivide();
    ok(0xDD, 0x33); // fnsave [rbx]
    assertEquals(0, X87Control.statusWord(c));
    ok(0xD9, 0xE8);
    pendingZeroDivide();
    ok(0xDB, 0xE3); // fninit
    ok(0xD9, 0xE8);
  }

  @Test
  void frstorOfAnImageWithAnUnmaskedFlag_raisesMfLater() {
    pendingZeroDivide();
    ok(0xDD, 0x33); // fnsave [rbx]: the image keeps ZE and ES
    ok(0xDD, 0x23); // frstor [rbx]
    assertEquals(0x8084, X87Control.statusWord(c) & 0x80FF);
    assertEquals(GuestFault.MF, exec(0xD9, 0xE8));
  }

  @Test
  void withoutCr0Ne_theErrorStaysPending() {
    pendingZeroDivide();
    c.cr0 &= ~CpuState.CR0_NE;
    ok(0xD9, 0xE8);
    ok(0x9B);
    assertEquals(0x8084, X87Control.statusWord(c) & 0x80FF);
  }

  @Test
  void maskedException_raisesNothing() {
    ok(0xDB, 0xE3);
    ok(0xD9, 0xE8);
    ok(0xD9, 0xEE);
    ok(0xDE, 0xF9);
    assertEquals(0x0004, X87Control.statusWord(c) & 0x80FF);
    ok(0xD9, 0xE8);
    ok(0x9B);
  }

  @Test
  void cr0EmOrTs_raiseNm_butFwaitOnlyWithMpAndTs() {
    c.cr0 |= CpuState.CR0_TS;
    assertEquals(GuestFault.NM, exec(0xD9, 0xE8));
    assertEquals(GuestFault.NM, exec(0xDB, 0xE3)); // even the no-wait forms
    assertEquals(GuestFault.NM, exec(0x0F, 0xAE, 0x03)); // fxsave
    assertEquals(GuestFault.NM, exec(0x9B)); // MP is set by TestMachine
    c.cr0 &= ~CpuState.CR0_MP;
    ok(0x9B);
    c.cr0 &= ~CpuState.CR0_TS;
    c.cr0 |= CpuState.CR0_EM;
    assertEquals(GuestFault.NM, exec(0xD9, 0xE8));
    assertEquals(GuestFault.NM, exec(0xDD, 0x03)); // fld m64
    ok(0x9B); // WAIT ignores EM
    c.cr0 &= ~CpuState.CR0_EM;
    ok(0xD9, 0xE8);
  }

  @Test
  void faultingMemoryOperand_leavesTheX87StateAlone() {
    ok(0xDB, 0xE3);
    ok(0xD9, 0xE8);
    int sw = X87Control.statusWord(c);
    int tag = c.fpTag;
    assertEquals(0x1E8, c.fop, "FOP of FLD1");
    c.gpr[CpuState.RBX] = 0x8000_0000_0000L; // non-canonical: #GP
    assertEquals(GuestFault.GP, exec(0xD9, 0x03)); // fld m32
    assertEquals(GuestFault.GP, exec(0xD9, 0x1B)); // fstp m32
    assertEquals(GuestFault.GP, exec(0xDB, 0x3B)); // fstp m80
    assertEquals(GuestFault.GP, exec(0xDF, 0x33)); // fbstp
    assertEquals(sw, X87Control.statusWord(c));
    assertEquals(tag, c.fpTag);
    assertEquals(0x1E8, c.fop, "FOP not updated by a faulting instruction");
  }

  @Test
  void lastInstructionPointers_in32BitCode() {
    // 32-bit flat code segment at CPL 0; FXSAVE without REX.W stores FIP, FCS, FDP, FDS.
    c.efer &= ~CpuState.EFER_LMA;
    c.cr0 &= ~CpuState.CR0_PG;
    c.segAttr[CpuState.CS] = (c.segAttr[CpuState.CS] & ~CpuState.SEG_L) | CpuState.SEG_DB;
    c.segSel[CpuState.DS] = 0x23;
    c.updateMode();
    assertEquals(4, c.codeSize);
    c.rip = 0x1234;
    c.gpr[CpuState.RBX] = DATA;
    ok(0xDB, 0xE3);
    m.vm.memory().write(DATA + 0x200, 8, Double.doubleToRawLongBits(2.5));
    c.gpr[CpuState.RSI] = DATA + 0x200;
    c.rip = 0x5000;
    ok(0x3E, 0xDD, 0x06); // ds: fld qword [esi]
    ok(0x0F, 0xAE, 0x03); // fxsave [ebx]
    var mem = m.vm.memory();
    assertEquals(0x506, mem.read(DATA + 6, 2), "FOP = (DD & 7) << 8 | ModRM 06");
    assertEquals(0x5000, mem.read(DATA + 8, 4), "FIP points at the prefix");
    assertEquals(0x08, mem.read(DATA + 12, 2), "FCS");
    assertEquals(DATA + 0x200, mem.read(DATA + 16, 4), "FDP");
    assertEquals(0x23, mem.read(DATA + 20, 2), "FDS");
    assertEquals(0x80, mem.read(DATA + 4, 1), "abridged tag: R7 in use");
    // FNSTENV: the full tag word, computed from the contents (valid = 00).
    ok(0xD9, 0xEE); // fldz: R6 zero
    ok(0xD9, 0x33); // fnstenv [ebx]
    assertEquals(0x1FFF, mem.read(DATA + 8, 2), "tags: R7 valid, R6 zero, the rest empty");
  }

  @Test
  void realModeEnvironment_holdsLinearPointers_andRoundTrips() {
    c.cr0 = CpuState.CR0_ET | CpuState.CR0_NE;
    c.efer = 0;
    m.realMode(0x1234, 0x100);
    assertEquals(2, c.codeSize);
    c.gpr[CpuState.RBX] = 0x200;
    ok(0xDB, 0xE3); // fninit
    c.rip = 0x100;
    ok(0xD9, 0xE8); // fld1 at 1234:0100, linear 0x12440
    var mem = m.vm.memory();
    long img = 0x12340 + 0x200;
    ok(0xD9, 0x37); // fnstenv [bx], 14 bytes
    assertEquals(0x037F, mem.read(img, 2));
    assertEquals(0x2440, mem.read(img + 6, 2), "FIP[15:0]");
    assertEquals(0x11E8, mem.read(img + 8, 2), "FIP[19:16] in bits 15:12, FOP");
    ok(0x66, 0xD9, 0x37); // fnstenv [bx], 28 bytes
    assertEquals(0xFFFF_2440L, mem.read(img + 12, 4), "FIP[15:0], reserved ones above");
    assertEquals(0x11E8, mem.read(img + 16, 4), "FIP[31:16] in bits 27:12, FOP");
    ok(0x66, 0xD9, 0x27); // fldenv [bx]
    assertEquals(0x12440, c.fip);
    assertEquals(0, c.fcs);
    assertEquals(0x1E8, c.fop);
    byte[] before = new byte[28];
    mem.readBytes(img, before, 0, 28);
    ok(0x66, 0xD9, 0x37);
    byte[] after = new byte[28];
    mem.readBytes(img, after, 0, 28);
    assertEquals(java.util.Arrays.toString(before), java.util.Arrays.toString(after), "image round-trips");
  }

  /** Hostile input: random escape encodings on random states end in guest faults at worst. */
  @Test
  void randomX87Instructions_neverThrowAnythingButGuestFaults() {
    java.util.Random r = new java.util.Random(87);
    var mem = m.vm.memory();
    byte[] junk = new byte[256];
    long start = c.rip;
    for (int n = 0; n < 200_000; n++) {
      c.rip = start;
      if (n % 64 == 0) {
        for (int k = 0; k < 8; k++) {
          c.fpMant[k] = r.nextLong();
          c.fpExp[k] = r.nextInt(0x10000);
        }
        c.fpTag = r.nextInt(0x10000);
        c.fpTop = r.nextInt(8);
        c.fcw = r.nextInt(0x10000) & 0x1F7F | 0x40;
        c.fsw = 0;
        r.nextBytes(junk);
        mem.writeBytes(DATA, junk, 0, junk.length);
      }
      int op = 0xD8 + r.nextInt(8);
      int modrm = r.nextBoolean() ? 0xC0 | r.nextInt(64) : (r.nextInt(8) << 3) | 3;
      Insn i;
      try {
        i = Decoder.decode(off -> off == 0 ? op : off == 1 ? modrm : 0x90, c.codeSize);
      } catch (GuestFault f) {
        continue;
      }
      c.rip = start + i.len;
      try {
        i.handler.exec(c, i);
      } catch (GuestFault f) {
        c.fsw &= ~0x8080; // a pending #MF: clear it and go on
      }
      assertTrue(c.fpTop >= 0 && c.fpTop < 8);
      for (int k = 0; k < 8; k++) {
        assertTrue(c.fpExp[k] >= 0 && c.fpExp[k] <= 0xFFFF, "exponent field");
      }
    }
  }

  @Test
  void everyX87Row_hasAHandler() {
    List<OpEntry> leaves = new ArrayList<>();
    OpEntry[] one = Decoder.oneByteMap();
    for (int op = 0xD8; op <= 0xDF; op++) {
      one[op].forEachLeaf(leaves::add);
    }
    assertTrue(leaves.size() > 100, "rows: " + leaves.size());
    for (OpEntry e : leaves) {
      assertNotEquals(null, e.handler, e.mnemonic);
    }
  }

  @Test
  void fxamOfAnEmptyRegister_andFtstOfADenormal() {
    ok(0xDB, 0xE3);
    ok(0xD9, 0xE5); // fxam on empty ST(0)
    assertEquals(0x4100, X87Control.statusWord(c) & 0x4500, "C3 and C0: empty");
    c.fpTop = 7;
    c.fpMant[7] = 1;
    c.fpExp[7] = 0;
    c.fpTag = 0xFFFF & ~(3 << 14) | (2 << 14);
    c.fsw = 0;
    ok(0xD9, 0xE4); // ftst: denormal > 0
    assertEquals(0x0002, X87Control.statusWord(c) & 0x47FF & ~0x3800, "DE, C3=C2=C0=0");
  }

  @Test
  void stackOverflow_pushesTheIndefiniteWhenMasked() {
    ok(0xDB, 0xE3);
    for (int k = 0; k < 8; k++) {
      ok(0xD9, 0xE8);
    }
    ok(0xD9, 0xEE); // the ninth push
    assertEquals(0x0241, X87Control.statusWord(c) & 0x02FF, "IE, SF, C1 = 1 (overflow)");
    assertEquals(0xC000_0000_0000_0000L, c.fpMant[c.fpTop]);
    assertEquals(0xFFFF, c.fpExp[c.fpTop]);
    assertEquals(2, (c.fpTag >> (2 * c.fpTop)) & 3, "the indefinite is tagged special");
    assertEquals(8, inUse());
  }
}
