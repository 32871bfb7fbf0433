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
  void incDecRows_are_rexPrefixes_in64BitMode() {
    Insn i = decode(8, 0x41, 0xFF, 0xC0); // inc r8d
    assertEquals(8, i.r0);
    assertEquals("inc r8d", i.toString());
    assertEquals("inc eax", decode(4, 0x40).toString());
  }
}
