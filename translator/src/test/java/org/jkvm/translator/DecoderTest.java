package org.jkvm.translator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jkvm.runtime.CpuState;
import org.jkvm.translator.isa.Decoder;
import org.jkvm.translator.isa.Handler;
import org.jkvm.translator.isa.Insn;
import org.jkvm.translator.isa.OpEntry;
import org.jkvm.translator.sem.GuestFault;
import org.junit.jupiter.api.Test;

class DecoderTest {
  static Insn decode(int codeSize, int... b) {
    return Decoder.decode(off -> off < b.length ? b[off] : 0x90, codeSize);
  }

  @Test
  void oneByteMap_hasARowForEveryNonPrefixOpcode() {
    OpEntry[] t = Decoder.oneByteMap();
    Set<Integer> prefixesAndEscapes = Set.of(0x0F, 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2,
        0xF3, 0xD6);
    for (int op = 0; op < 256; op++) {
      if (prefixesAndEscapes.contains(op)) {
        assertNull(t[op], String.format("%02x is a prefix or reserved", op));
      } else {
        assertNotNull(t[op], String.format("row %02x", op));
      }
    }
  }

  @Test
  void everyHandler_isAStaticSemanticsMethodTheTranslatorCanCall() throws Exception {
    List<OpEntry> leaves = new ArrayList<>();
    for (OpEntry[] map : new OpEntry[][] {Decoder.oneByteMap(), Decoder.twoByteMap(), Decoder.map38(),
        Decoder.map3A()}) {
      for (OpEntry e : map) {
        if (e != null) {
          e.forEachLeaf(leaves::add);
        }
      }
    }
    assertTrue(leaves.size() > 300, "leaves: " + leaves.size());
    for (OpEntry e : leaves) {
      Handler h = e.handler;
      if (h == null) {
        continue; // decodes to #UD: semantics not written yet or feature not advertised
      }
      Method wr = h.getClass().getDeclaredMethod("writeReplace");
      wr.setAccessible(true);
      SerializedLambda sl = (SerializedLambda) wr.invoke(h);
      assertEquals(MethodHandleKind.INVOKE_STATIC, sl.getImplMethodKind(), e.toString());
      Class<?> owner = Class.forName(sl.getImplClass().replace('/', '.'));
      Method m = owner.getMethod(sl.getImplMethodName(), CpuState.class, Insn.class);
      assertTrue(Modifier.isStatic(m.getModifiers()), e.toString());
      assertTrue(owner.getPackageName().equals("org.jkvm.translator.sem"), e + " in " + owner);
    }
  }

  /** MethodHandleInfo.REF_invokeStatic, named here for the assertion message. */
  static final class MethodHandleKind {
    static final int INVOKE_STATIC = 6;
  }

  @Test
  void modrmSibDisp_in64BitMode() {
    Insn i = decode(8, 0x48, 0x8B, 0x44, 0x24, 0x08); // mov rax, [rsp+8]
    assertEquals(5, i.len);
    assertEquals(Insn.K_REG, i.k0);
    assertEquals(0, i.r0);
    assertEquals(8, i.s0);
    assertEquals(Insn.K_MEM, i.k1);
    assertEquals(CpuState.RSP, i.base);
    assertEquals(-1, i.index);
    assertEquals(8, i.disp);
    assertEquals(CpuState.SS, i.seg);
    assertEquals("mov rax, [rsp+0x8]", i.toString());
  }

  @Test
  void ripRelative_andRexExtendedRegisters() {
    Insn i = decode(8, 0x4C, 0x8D, 0x05, 0x10, 0, 0, 0); // lea r8, [rip+0x10]
    assertEquals(7, i.len);
    assertEquals(8, i.r0);
    assertEquals(Insn.BASE_RIP, i.base);
    assertEquals(0x10, i.disp);
  }

  @Test
  void sixteenBitAddressing_bpDefaultsToSs() {
    Insn i = decode(2, 0x8B, 0x46, 0x02); // mov ax, [bp+2]
    assertEquals(3, i.len);
    assertEquals(2, i.s0);
    assertEquals(CpuState.RBP, i.base);
    assertEquals(CpuState.SS, i.seg);
  }

  @Test
  void operandSizes_followModeAndPrefixes() {
    assertEquals(2, decode(8, 0x66, 0x89, 0xC8).s0); // mov ax, cx
    assertEquals(4, decode(8, 0x89, 0xC8).s0);
    assertEquals(8, decode(8, 0x50).opSize); // push defaults to 64 bits
    assertEquals(2, decode(8, 0x66, 0x50).opSize);
    assertEquals(4, decode(2, 0x66, 0x89, 0xC8).s0);
    assertEquals(8, decode(8, 0x66, 0xE8, 0, 0, 0, 0).opSize, "near CALL ignores 66 on Intel");
    assertEquals(10, decode(8, 0x48, 0xB8, 1, 2, 3, 4, 5, 6, 7, 8).len); // mov rax, imm64
  }

  @Test
  void rexBeforeLegacyPrefix_isIgnored() {
    Insn i = decode(8, 0x48, 0x66, 0x89, 0xC8); // REX.W then 66: REX is dropped
    assertEquals(2, i.s0);
  }

  @Test
  void highByteRegisters_onlyWithoutRex() {
    Insn i = decode(8, 0x88, 0xE0); // mov al, ah: ModRM.reg = 4 is AH without REX
    assertEquals(Insn.K_REG, i.k0);
    assertEquals(Insn.K_REGH, i.k1);
    assertEquals(0, i.r1);
    Insn withRex = decode(8, 0x40, 0x88, 0xE0); // mov al, spl
    assertEquals(Insn.K_REG, withRex.k1);
    assertEquals(4, withRex.r1);
  }

  @Test
  void invalid_forms_raiseTheRightFault() {
    GuestFault f = assertThrows(GuestFault.class, () -> decode(8, 0x06)); // push es in 64-bit mode
    assertEquals(GuestFault.UD, f.vector);
    f = assertThrows(GuestFault.class, () -> decode(8, 0xF0, 0x01, 0xC0)); // lock with register dest
    assertEquals(GuestFault.UD, f.vector);
    f = assertThrows(GuestFault.class, () -> decode(8, 0x8D, 0xC0)); // lea with register source
    assertEquals(GuestFault.UD, f.vector);
    int[] tooLong = new int[16];
    java.util.Arrays.fill(tooLong, 0x66);
    f = assertThrows(GuestFault.class, () -> decode(8, tooLong));
    assertEquals(GuestFault.GP, f.vector);
  }

  @Test
  void bmi1_vexForms_in64BitMode() {
    // C4 RXB.mmmmm W.vvvv.L.pp opcode ModRM; R, X, B and vvvv inverted.
    Insn i = decode(8, 0xC4, 0xE2, 0xF0, 0xF2, 0xC3); // W1, vvvv = 1: andn rax, rcx, rbx
    assertEquals(5, i.len);
    assertEquals("andn rax, rcx, rbx", i.toString());
    assertEquals(8, i.opSize);
    assertEquals("blsr eax, ebx", decode(8, 0xC4, 0xE2, 0x78, 0xF3, 0xCB).toString());
    assertEquals("blsmsk eax, ebx", decode(8, 0xC4, 0xE2, 0x78, 0xF3, 0xD3).toString());
    assertEquals("blsi eax, ebx", decode(8, 0xC4, 0xE2, 0x78, 0xF3, 0xDB).toString());
    // R, X, B extend ModRM.reg, SIB.index, SIB.base; vvvv reaches r15: bextr r9, [r10+r11*2], r15
    Insn b = decode(8, 0xC4, 0x02, 0x80, 0xF7, 0x0C, 0x5A);
    assertEquals("bextr r9, [r10+r11*2], r15", b.toString());
    assertEquals(15, b.r2);
    assertEquals(Insn.K_REG, b.k2);
    assertEquals(8, b.s2);
    // Legacy prefixes other than 66/F2/F3/LOCK may precede VEX; so may a REX that a legacy prefix cut off.
    assertEquals("blsr eax, ebx", decode(8, 0x48, 0x2E, 0xC4, 0xE2, 0x78, 0xF3, 0xCB).toString());
    assertEquals(4, decode(8, 0x67, 0xC4, 0xE2, 0x78, 0xF3, 0x0B).addrSize); // blsr eax, [ebx]
  }

  @Test
  void tzcnt_isTheF3FormOfBsf() {
    assertEquals("tzcnt eax, ecx", decode(8, 0xF3, 0x0F, 0xBC, 0xC1).toString());
    assertEquals("tzcnt ax, cx", decode(8, 0x66, 0xF3, 0x0F, 0xBC, 0xC1).toString());
    assertEquals("bsf eax, ecx", decode(8, 0x0F, 0xBC, 0xC1).toString());
    assertEquals("bsf eax, ecx", decode(8, 0xF2, 0x0F, 0xBC, 0xC1).toString());
  }

  @Test
  void vexEncodings_thatNoRowAccepts_areUd() {
    int[][] bad = {
        {0x66, 0xC4, 0xE2, 0x78, 0xF3, 0xCB}, // 66 before VEX
        {0xF3, 0xC4, 0xE2, 0x78, 0xF3, 0xCB}, // F3 before VEX
        {0xF2, 0xC4, 0xE2, 0x78, 0xF3, 0xCB}, // F2 before VEX
        {0xF0, 0xC4, 0xE2, 0x78, 0xF3, 0x0B}, // LOCK before VEX
        {0x40, 0xC4, 0xE2, 0x78, 0xF3, 0xCB}, // REX before VEX
        {0x48, 0xC5, 0xF8, 0x58, 0xC1}, // REX before the two-byte form
        {0xC4, 0xE2, 0x7C, 0xF3, 0xCB}, // VEX.L = 1
        {0xC4, 0xE2, 0x7C, 0xF2, 0xC3}, // VEX.L = 1 on ANDN
        {0xC5, 0xF8, 0x58, 0xC1}, // vaddps xmm0, xmm0, xmm1: AVX is not advertised
        {0xC4, 0xE1, 0x78, 0x58, 0xC1}, // the same in the three-byte form
        {0xC4, 0xE2, 0x79, 0xF2, 0xC3}, // VEX.pp = 66 on ANDN
        {0xC4, 0xE2, 0x7A, 0xF7, 0xC3}, // VEX.pp = F3 on BEXTR (BMI2's SARX: not advertised)
        {0xC4, 0xE2, 0x78, 0xF3, 0xC3}, // group 17 /0
        {0xC4, 0xE2, 0x78, 0xF3, 0xE3}, // group 17 /4
        {0xC4, 0xE2, 0x78, 0xF5, 0xC3}, // BZHI (BMI2)
        {0xC4, 0xE0, 0x78, 0xF2, 0xC3}, // VEX.mmmmm = 0: reserved
        {0xC4, 0xE4, 0x78, 0xF2, 0xC3}, // VEX.mmmmm = 4: reserved
        {0xC4, 0xE2, 0x78, 0xF0, 0x03}, // MOVBE has no VEX form
        {0xC4, 0xE1, 0x7A, 0xBC, 0xC1}, // nor has TZCNT
        {0x0F, 0x38, 0xF2, 0xC3}, // ANDN without VEX
        {0x0F, 0x38, 0xF3, 0xCB}, // BLSR without VEX
        {0x0F, 0x38, 0xF7, 0xC3}, // BEXTR without VEX
    };
    for (int[] b : bad) {
      for (int size : new int[] {8, 4}) {
        if (size == 4 && (b[0] & 0xF0) == 0x40) {
          continue; // INC/DEC outside 64-bit mode
        }
        GuestFault f = assertThrows(GuestFault.class, () -> decode(size, b),
            () -> java.util.Arrays.toString(b) + " in mode " + size);
        assertEquals(GuestFault.UD, f.vector);
      }
    }
  }

  @Test
  void c4c5_areVexOutsideLongModeOnlyBeforeARegisterModrm() {
    // 32-bit protected mode: C4/C5 with ModRM.mod != 11 are LES/LDS.
    assertEquals("les eax, [esi]", decode(4, 0xC4, 0x06).toString());
    assertEquals("lds ecx, [ebx+0x10]", decode(4, 0xC5, 0x4B, 0x10).toString());
    assertEquals("les ax, [bx+si]", decode(2, 0xC4, 0x00).toString());
    // With bits 7:6 = 11 they are VEX. VEX.W and VEX.vvvv[3] are ignored: 32-bit operands, eax.
    assertEquals("blsr eax, ebx", decode(4, 0xC4, 0xE2, 0x78, 0xF3, 0xCB).toString());
    assertEquals("blsr eax, ebx", decode(4, 0xC4, 0xE2, 0xB8, 0xF3, 0xCB).toString());
    assertEquals("blsr eax, ebx", decode(2, 0xC4, 0xE2, 0x78, 0xF3, 0xCB).toString(), "16-bit protected mode");
    assertEquals(4, decode(2, 0xC4, 0xE2, 0x78, 0xF3, 0x0F).s0); // blsr eax, [bx]: 16-bit addressing
    assertEquals(2, decode(2, 0xC4, 0xE2, 0x78, 0xF3, 0x0F).addrSize);
    // Real and virtual-8086 mode: always LES/LDS, so a register ModRM is #UD.
    assertEquals("les ax, [bx+si]", decode(2 | Decoder.NO_VEX, 0xC4, 0x00).toString());
    GuestFault f = assertThrows(GuestFault.class, () -> decode(2 | Decoder.NO_VEX, 0xC4, 0xE2, 0x78, 0xF3, 0xCB));
    assertEquals(GuestFault.UD, f.vector);
    f = assertThrows(GuestFault.class, () -> decode(2 | Decoder.NO_VEX, 0xC5, 0xF8, 0x58, 0xC1));
    assertEquals(GuestFault.UD, f.vector);
  }

  @Test
  void decodingMode_marksRealAndV86Mode() {
    CpuState c = new TestMachine(TranslatorBackend.Engine.INTERP).c;
    c.updateMode();
    assertEquals(2 | Decoder.NO_VEX, Decoder.mode(c), "real mode");
    c.cr0 |= CpuState.CR0_PE;
    c.updateMode();
    assertEquals(2, Decoder.mode(c), "16-bit protected mode");
    c.rflags |= org.jkvm.runtime.Flags.VM;
    c.updateMode();
    assertEquals(2 | Decoder.NO_VEX, Decoder.mode(c), "virtual-8086 mode");
  }

  @Test
  void incDecRows_are_rexPrefixes_in64BitMode() {
    Insn i = decode(8, 0x41, 0xFF, 0xC0); // inc r8d
    assertEquals(8, i.r0);
    assertEquals("inc r8d", i.toString());
    assertEquals("inc eax", decode(4, 0x40).toString());
  }
}
