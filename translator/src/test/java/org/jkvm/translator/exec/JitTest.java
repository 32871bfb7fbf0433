package org.jkvm.translator.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jkvm.runtime.CpuState;
import org.jkvm.translator.TestMachine;
import org.jkvm.translator.TranslatorBackend;
import org.jkvm.translator.isa.Decoder;
import org.jkvm.translator.isa.OpEntry;
import org.jkvm.translator.sem.GuestFault;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/** The translator itself: that it runs, that its classes verify, and that its state is precise on faults. */
class JitTest {
  static byte[] bytes(int... b) {
    byte[] r = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      r[i] = (byte) b[i];
    }
    return r;
  }

  static long stat(TestMachine m, String name) {
    Matcher x = Pattern.compile("  " + Pattern.quote(name) + " +(\\d+)").matcher(m.vcpu.stats());
    assertTrue(x.find(), name + " in\n" + m.vcpu.stats());
    return Long.parseLong(x.group(1));
  }

  @Test
  void hotLoop_runsTranslatedCode_andCountsLikeTheInterpreter() {
    assertEquals(1, BlockCompiler.THRESHOLD, "surefire sets -Djkvm.jit.threshold=1");
    assertTrue(BlockCompiler.CHECK, "surefire sets -Djkvm.jit.check=true");
    long[] retired = new long[2];
    for (TranslatorBackend.Engine e : TranslatorBackend.Engine.values()) {
      TestMachine m = new TestMachine(e);
      // mov ecx, 1000; xor eax, eax; l: add eax, ecx; loop l; hlt
      m.write(0x10_0000, bytes(0xB9, 0xE8, 3, 0, 0, 0x31, 0xC0, 0x01, 0xC8, 0xE2, 0xFC, 0xF4));
      m.longMode(0x10_0000, 0);
      m.runToHlt();
      assertEquals(500500, m.c.gpr[CpuState.RAX]);
      retired[e.ordinal()] = m.vcpu.instructionsRetired();
      if (e == TranslatorBackend.Engine.JIT) {
        assertTrue(stat(m, "jit regions compiled") >= 1);
        assertTrue(stat(m, "jit region runs") >= 1, "the loop body runs translated after its first pass");
        assertEquals(0, stat(m, "jit interface calls"));
      }
    }
    assertEquals(retired[0], retired[1]);
    assertEquals(2 + 2 * 1000 + 1, retired[0]);
  }

  /**
   * Above a threshold of 1 the translator works on its background thread while the block goes on being
   * interpreted: the result is the interpreter's, and the region appears once the thread is done.
   */
  @Test
  void backgroundTranslation_attachesCodeWhileTheGuestRuns() throws InterruptedException {
    assertTrue(BlockCompiler.ASYNC);
    TestMachine m = TestMachine.withThreshold(TranslatorBackend.Engine.JIT, 20);
    // mov ecx, 300000; xor eax, eax; l: add eax, ecx; loop l; hlt
    m.write(0x10_0000, bytes(0xB9, 0xE0, 0x93, 0x04, 0, 0x31, 0xC0, 0x01, 0xC8, 0xE2, 0xFC, 0xF4));
    m.longMode(0x10_0000, 0);
    m.runToHlt();
    assertEquals((300_000L * 300_001 / 2) & 0xFFFF_FFFFL, m.c.gpr[CpuState.RAX]);
    assertEquals(2 + 2 * 300_000 + 1, m.vcpu.instructionsRetired());
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (stat(m, "jit regions compiled") < 1 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertTrue(stat(m, "jit regions compiled") >= 1, "the background thread translated the loop");
  }

  /**
   * A #GP in the middle of a translated block: RIP on the handler's stack is the faulting instruction's,
   * the instructions before it retired, and both engines end in the same state.
   */
  @Test
  void faultInsideTranslatedBlock_isPrecise() {
    CpuState[] end = new CpuState[2];
    long[] retired = new long[2];
    for (TranslatorBackend.Engine e : TranslatorBackend.Engine.values()) {
      TestMachine m = new TestMachine(e);
      long code = 0x10_0000;
      m.write(code, bytes(
          0x31, 0xC9, // 0: xor ecx, ecx
          0xFF, 0xC3, // 2: l: inc ebx
          0x48, 0x89, 0xCE, // 4: mov rsi, rcx
          0x48, 0xC1, 0xE6, 0x2F, // 7: shl rsi, 47 (non-canonical once ecx = 1)
          0x8B, 0x06, // 11: mov eax, [rsi]  -> #GP(0) on the second pass
          0xFF, 0xC1, // 13: inc ecx
          0xEB, 0xF1, // 15: jmp l
          0xF4)); // 17: hlt (the #GP handler)
      longModeWithHandler(m, code, GuestFault.GP, code + 17);
      m.runToHlt();
      long rsp = m.c.gpr[CpuState.RSP];
      assertEquals(0, m.vm.memory().read(rsp, 8), "error code");
      assertEquals(code + 11, m.vm.memory().read(rsp + 8, 8), "RIP of the faulting MOV");
      assertEquals(2, m.c.gpr[CpuState.RBX]);
      assertEquals(1, m.c.gpr[CpuState.RCX]);
      end[e.ordinal()] = m.c;
      retired[e.ordinal()] = m.vcpu.instructionsRetired();
    }
    assertEquals(retired[0], retired[1]);
    assertArrayEquals(end[0].gpr, end[1].gpr);
    assertEquals(end[0].rip, end[1].rip);
    assertEquals(end[0].rflags, end[1].rflags);
  }

  /**
   * A REP STOSB that runs into an unmapped page faults part-way: the registers keep the progress made
   * (RCX, RDI), which the translator must not overwrite with the values it holds in locals.
   */
  @Test
  void faultPartWayThroughRepStos_keepsItsProgress() {
    CpuState[] end = new CpuState[2];
    long[] retired = new long[2];
    for (TranslatorBackend.Engine e : TranslatorBackend.Engine.values()) {
      TestMachine m = TestMachine.translatingEverything(e);
      long code = 0x10_0000;
      m.write(code, bytes(
          0xBF, 0xFB, 0xFF, 0xFF, 0x3F, // mov edi, 0x3FFFFFFB (5 bytes below the end of the mapping)
          0xB9, 10, 0, 0, 0, // mov ecx, 10
          0x31, 0xC0, // xor eax, eax
          0xFF, 0xC3, // inc ebx
          0xF3, 0xAA, // rep stosb  -> #PF after 5 bytes
          0xF4)); // 16: hlt (the #PF handler)
      longModeWithHandler(m, code, GuestFault.PF, code + 16);
      m.runToHlt();
      assertEquals(5, m.c.gpr[CpuState.RCX], e.cliName);
      assertEquals(0x4000_0000L, m.c.gpr[CpuState.RDI], e.cliName);
      assertEquals(1, m.c.gpr[CpuState.RBX], e.cliName);
      assertEquals(0x4000_0000L, m.c.cr2, e.cliName);
      assertEquals(code + 14, m.vm.memory().read(m.c.gpr[CpuState.RSP] + 8, 8), "RIP of the REP STOSB");
      end[e.ordinal()] = m.c;
      retired[e.ordinal()] = m.vcpu.instructionsRetired();
    }
    assertEquals(retired[0], retired[1]);
    assertArrayEquals(end[0].gpr, end[1].gpr);
  }

  /**
   * Long mode at {@code code}, CPL 0, with a GDT (64-bit code at 0x08, data at 0x10) and an IDT whose gate
   * for {@code vector} is a 64-bit interrupt gate to {@code handler}.
   */
  static void longModeWithHandler(TestMachine m, long code, int vector, long handler) {
    long gdt = 0x6000;
    m.vm.memory().write(gdt + 8, 8, 0x0020_9A00_0000_0000L);
    m.vm.memory().write(gdt + 16, 8, 0x0000_9200_0000_0000L);
    long idt = 0x5000;
    m.vm.memory().write(idt + 16L * vector, 8, (handler & 0xFFFF) | 0x08L << 16 | 0x8EL << 40
        | ((handler >>> 16) & 0xFFFF) << 48);
    m.vm.memory().write(idt + 16L * vector + 8, 8, handler >>> 32);
    m.longMode(code, 0);
    m.c.gdtBase = gdt;
    m.c.gdtLimit = 0x17;
    m.c.idtBase = idt;
    m.c.idtLimit = 0xFFF;
  }

  @Test
  void everyTableRow_hasAStaticMethodTheTranslatorCanCall() {
    List<OpEntry> leaves = new ArrayList<>();
    for (OpEntry[] map : List.of(Decoder.oneByteMap(), Decoder.twoByteMap(), Decoder.map38(), Decoder.map3A())) {
      for (OpEntry e : map) {
        if (e != null) {
          e.forEachLeaf(leaves::add);
        }
      }
    }
    List<String> missing = new ArrayList<>();
    for (OpEntry e : leaves) {
      if (e.handler != null && BlockCompiler.target(e.handler) == null) {
        missing.add(e.toString());
      }
    }
    assertTrue(leaves.size() > 500, "rows: " + leaves.size());
    assertEquals(List.of(), missing, "rows reached only through the Handler interface");
  }

  /** The verification the tests rely on does reject a broken class. */
  @Test
  void check_rejectsAnInvalidClass() {
    ClassWriter cw = new ClassWriter(0);
    cw.visit(Opcodes.V17, Opcodes.ACC_FINAL, "org/jkvm/translator/exec/Bad", null, "java/lang/Object", null);
    MethodVisitor mv = cw.visitMethod(Opcodes.ACC_STATIC, "f", "()I", null, null);
    mv.visitCode();
    mv.visitInsn(Opcodes.LCONST_0); // a long where an int is returned
    mv.visitInsn(Opcodes.IRETURN);
    mv.visitMaxs(2, 0);
    mv.visitEnd();
    cw.visitEnd();
    assertThrows(IllegalStateException.class, () -> BlockCompiler.check(cw.toByteArray()));
  }
}
