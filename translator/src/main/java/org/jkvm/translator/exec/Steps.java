package org.jkvm.translator.exec;

import static org.objectweb.asm.Opcodes.*;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.ConcurrentHashMap;
import org.jkvm.runtime.CpuState;
import org.jkvm.translator.isa.Handler;
import org.jkvm.translator.isa.Insn;
import org.jkvm.translator.isa.Step;
import org.jkvm.translator.sem.Locked;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Type;

/**
 * The interpreter's {@link Step} for each handler: a tiny hidden class per semantics method whose
 * {@code exec} is an {@code invokestatic} of it (the method {@link BlockCompiler#target} names), made the
 * first time an instruction with that handler is decoded. Handlers that are not such a method are called
 * through their interface.
 */
final class Steps {
  private Steps() {}

  private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();
  private static final ConcurrentHashMap<Handler, Step> STEPS = new ConcurrentHashMap<>();
  private static final String STEP = Type.getInternalName(Step.class);

  static Step of(Handler h) {
    Step s = STEPS.get(h);
    return s != null ? s : STEPS.computeIfAbsent(h, Steps::make);
  }

  private static final ConcurrentHashMap<Handler, Step> LOCKED = new ConcurrentHashMap<>();

  /**
   * The step of an instruction that must be atomic on an SMP guest (LOCK, XCHG with memory): through
   * {@link Locked} when the VM has more than one vCPU, else the plain step. Chosen at decode time so that
   * the interpreter's loop does not test every instruction for it.
   */
  static Step locked(Handler h) {
    Step s = LOCKED.get(h);
    return s != null ? s : LOCKED.computeIfAbsent(h, k -> new LockedStep(of(k)));
  }

  private static final class LockedStep extends Step {
    private final Step plain;

    LockedStep(Step plain) {
      this.plain = plain;
    }

    @Override
    public void exec(CpuState c, Insn i) {
      if (c.atomics) {
        Locked.exec(c, i);
      } else {
        plain.exec(c, i);
      }
    }
  }

  /** Calls a handler that names no static method through its interface. */
  private static final class Wrapped extends Step {
    private final Handler h;

    Wrapped(Handler h) {
      this.h = h;
    }

    @Override
    public void exec(CpuState c, Insn i) {
      h.exec(c, i);
    }
  }

  private static Step make(Handler h) {
    String[] t = BlockCompiler.target(h);
    if (t == null) {
      return new Wrapped(h);
    }
    try {
      MethodHandles.Lookup l = LOOKUP.defineHiddenClass(generate(t), true);
      return (Step) l.findConstructor(l.lookupClass(), MethodType.methodType(void.class)).invoke();
    } catch (Throwable e) {
      throw new IllegalStateException("step for " + t[0] + "." + t[1], e);
    }
  }

  static byte[] generate(String[] t) {
    ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
    cw.visit(V17, ACC_FINAL | ACC_SUPER, "org/jkvm/translator/exec/HandlerStep", null, STEP, null);
    MethodVisitor init = cw.visitMethod(0, "<init>", "()V", null, null);
    init.visitCode();
    init.visitVarInsn(ALOAD, 0);
    init.visitMethodInsn(INVOKESPECIAL, STEP, "<init>", "()V", false);
    init.visitInsn(RETURN);
    init.visitMaxs(0, 0);
    init.visitEnd();
    MethodVisitor mv = cw.visitMethod(ACC_PUBLIC, "exec", BlockCompiler.SEM_DESC, null, null);
    mv.visitCode();
    mv.visitVarInsn(ALOAD, 1);
    mv.visitVarInsn(ALOAD, 2);
    mv.visitMethodInsn(INVOKESTATIC, t[0], t[1], BlockCompiler.SEM_DESC, false);
    mv.visitInsn(RETURN);
    mv.visitMaxs(0, 0);
    mv.visitEnd();
    cw.visitEnd();
    return cw.toByteArray();
  }
}
