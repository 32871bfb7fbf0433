package org.jkvm.translator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jkvm.runtime.CpuState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Small programs on every engine (the surefire configuration translates blocks at their first run). */
class InterpreterTest {
  static byte[] bytes(int... b) {
    byte[] r = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      r[i] = (byte) b[i];
    }
    return r;
  }

  @ParameterizedTest
  @EnumSource(TranslatorBackend.Engine.class)
  void loop_sumsOneToTen_in64BitMode(TranslatorBackend.Engine engine) {
    TestMachine m = new TestMachine(engine);
    // mov ecx, 10; xor eax, eax; l: add eax, ecx; loop l; hlt
    m.write(0x10_0000, bytes(0xB9, 10, 0, 0, 0, 0x31, 0xC0, 0x01, 0xC8, 0xE2, 0xFC, 0xF4));
    m.longMode(0x10_0000, 0);
    m.runToHlt();
    assertEquals(55, m.c.gpr[CpuState.RAX]);
    assertEquals(0, m.c.gpr[CpuState.RCX]);
    assertEquals(0x10_000C, m.c.rip);
  }

  @ParameterizedTest
  @EnumSource(TranslatorBackend.Engine.class)
  void memoryAndStack_roundTrip_inRealMode(TranslatorBackend.Engine engine) {
    TestMachine m = new TestMachine(engine);
    // mov ax, 0x1234; push ax; mov bx, sp; mov cx, [bx]; pop dx; hlt
    m.write(0x2_0000, bytes(0xB8, 0x34, 0x12, 0x50, 0x89, 0xE3, 0x8B, 0x0F, 0x5A, 0xF4));
    m.realMode(0x2000, 0);
    m.runToHlt();
    assertEquals(0x1234, m.c.gpr[CpuState.RCX] & 0xFFFF);
    assertEquals(0x1234, m.c.gpr[CpuState.RDX] & 0xFFFF);
    assertEquals(0xFFFE, m.c.gpr[CpuState.RSP] & 0xFFFF);
  }

  @ParameterizedTest
  @EnumSource(TranslatorBackend.Engine.class)
  void selfModifyingCode_runsTheNewInstruction(TranslatorBackend.Engine engine) {
    TestMachine m = new TestMachine(engine);
    // l: mov eax, 1 (patched below to mov eax, 2 after the first pass); inc ebx; cmp ebx, 2; je done;
    //    mov byte [rip + (l+1 - next)], 2; jmp l; done: hlt
    byte[] code = bytes(
        0xB8, 1, 0, 0, 0, // 0: mov eax, 1
        0xFF, 0xC3, // 5: inc ebx
        0x83, 0xFB, 2, // 7: cmp ebx, 2
        0x74, 0x09, // 10: je +9 -> 21
        0xC6, 0x05, 0xEE, 0xFF, 0xFF, 0xFF, 2, // 12: mov byte [rip-18], 2  (19 - 18 = 1)
        0xEB, 0xEB, // 19: jmp -21 -> 0
        0xF4); // 21: hlt
    m.write(0x10_0000, code);
    m.longMode(0x10_0000, 0);
    m.runToHlt();
    assertEquals(2, m.c.gpr[CpuState.RAX]);
  }

  /** VMCALL answers like KVM's kvm_emulate_hypercall: -KVM_ENOSYS at CPL 0, -KVM_EPERM from user mode. */
  @ParameterizedTest
  @EnumSource(TranslatorBackend.Engine.class)
  void vmcall_answersLikeKvm(TranslatorBackend.Engine engine) {
    TestMachine m = new TestMachine(engine);
    m.write(0x10_0000, bytes(0x0F, 0x01, 0xC1, 0xF4)); // vmcall; hlt
    m.longMode(0x10_0000, 0);
    m.runToHlt();
    assertEquals(-1000L, m.c.gpr[CpuState.RAX]);

    TestMachine user = new TestMachine(engine);
    user.write(0x10_0000, bytes(0x0F, 0x01, 0xC1, 0xF4)); // vmcall; hlt (#GP at CPL 3: no IDT, shutdown)
    user.longMode(0x10_0000, 3);
    assertEquals(org.jkvm.runtime.ExitReason.SHUTDOWN, user.vcpu.run());
    assertEquals(-1L, user.c.gpr[CpuState.RAX]);
  }
}
