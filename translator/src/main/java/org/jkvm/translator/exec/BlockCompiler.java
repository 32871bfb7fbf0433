package org.jkvm.translator.exec;

import static org.objectweb.asm.Opcodes.*;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandleInfo;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.jkvm.runtime.CpuState;
import org.jkvm.translator.isa.Handler;
import org.jkvm.translator.isa.Insn;
import org.jkvm.translator.sem.GuestFault;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.ConstantDynamic;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Type;
import org.objectweb.asm.util.CheckClassAdapter;

/**
 * The translator (DESIGN.md rules 1-5): turns a hot {@link Block} into a hidden class whose method calls,
 * for each instruction, the same static semantics method the interpreter reaches through the row's
 * {@link Handler}, with the interpreter's checks between instructions. One compiler per VM; compiled code
 * is kept in a Caffeine cache weighed by bytecode size and keyed like blocks (physical address, code size).
 */
final class BlockCompiler {
  /** Executions of a block before it is translated; {@code -Djkvm.jit.threshold=N} overrides. */
  static final int THRESHOLD = Integer.getInteger("jkvm.jit.threshold", 2000);
  /** Run ASM's CheckClassAdapter on every generated class ({@code -Djkvm.jit.check=true}, set by tests). */
  static final boolean CHECK = Boolean.getBoolean("jkvm.jit.check");
  /** Bytecode kept, summed over classes. */
  static final long MAX_BYTES = 64L << 20;

  private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();
  private static final String NAME = "org/jkvm/translator/exec/Jit";
  private static final String SUPER = Type.getInternalName(Compiled.class);
  private static final String CPU = Type.getInternalName(CpuState.class);
  private static final String BLOCK = Type.getInternalName(Block.class);
  private static final String INSN_DESC = Type.getDescriptor(Insn.class);
  private static final String HANDLER = Type.getInternalName(Handler.class);
  private static final String RUN_DESC = Type.getMethodDescriptor(Type.INT_TYPE, Type.getType(CpuState.class),
      Type.getType(Block.class), Type.getType(Interpreter.class));
  private static final String SEM_DESC = "(" + Type.getDescriptor(CpuState.class) + INSN_DESC + ")V";
  private static final org.objectweb.asm.Handle CLASS_DATA_AT = new org.objectweb.asm.Handle(H_INVOKESTATIC,
      "java/lang/invoke/MethodHandles", "classDataAt",
      "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/Class;I)Ljava/lang/Object;", false);

  // Locals of the generated run method.
  private static final int L_C = 1;
  private static final int L_B = 2;
  private static final int L_IT = 3;
  private static final int L_BASE = 4;
  private static final int L_K = 6;
  private static final int L_F = 7;

  /** owner/name of a handler's static method, or null when it must be called through the interface. */
  private static final Map<Handler, String[]> TARGETS = new IdentityHashMap<>();

  private final Cache<Long, Compiled> cache;

  // Statistics (guarded by this).
  long compiled;
  long compileNanos;
  long bytecodeBytes;
  long handlerCalls;
  long interfaceCalls;

  BlockCompiler() {
    cache = Caffeine.newBuilder().maximumWeight(MAX_BYTES).weigher((Long k, Compiled v) -> v.bytes)
        .executor(Runnable::run)
        .removalListener((Long k, Compiled v, com.github.benmanes.caffeine.cache.RemovalCause cause) -> {
          if (v != null && v.block.compiled == v) {
            v.block.compiled = null; // drops the last strong reference: the hidden class can be unloaded
          }
        }).build();
  }

  /** Forgets the code of a block whose page was written. */
  void invalidate(long key) {
    cache.invalidate(key);
  }

  long size() {
    return cache.estimatedSize();
  }

  /** Translates {@code b} and attaches the code to it; a block that cannot be translated stays interpreted. */
  synchronized void compile(Block b) {
    if (b.compiled != null || !b.valid) {
      return;
    }
    long t0 = System.nanoTime();
    byte[] code = generate(b);
    if (CHECK) {
      check(code);
    }
    Compiled cc;
    try {
      MethodHandles.Lookup h = LOOKUP.defineHiddenClassWithClassData(code, List.of(b.insns), false);
      MethodHandle ctor = h.findConstructor(h.lookupClass(), MethodType.methodType(void.class, Block.class,
          int.class));
      cc = (Compiled) ctor.invoke(b, code.length);
    } catch (Throwable e) {
      throw new IllegalStateException("jit: generated class for block at " + Long.toHexString(b.gpa)
          + " was rejected", e);
    }
    b.compiled = cc;
    cache.put(Block.key(b.gpa, b.codeSize), cc);
    compiled++;
    bytecodeBytes += code.length;
    compileNanos += System.nanoTime() - t0;
  }

  /** Runs ASM's verifier over a generated class; a failure is a translator bug. */
  static void check(byte[] code) {
    StringWriter sw = new StringWriter();
    CheckClassAdapter.verify(new ClassReader(code), BlockCompiler.class.getClassLoader(), false,
        new PrintWriter(sw));
    if (sw.getBuffer().length() > 0) {
      throw new IllegalStateException("jit: generated class fails verification:\n" + sw);
    }
  }

  /** The class file for {@code b}. */
  byte[] generate(Block b) {
    ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS) {
      @Override
      protected String getCommonSuperClass(String a, String b2) {
        return "java/lang/Object"; // only GuestFault meets GuestFault; no other reference types merge
      }
    };
    cw.visit(V17, ACC_FINAL | ACC_SUPER, NAME, null, SUPER, null);
    MethodVisitor ctor = cw.visitMethod(0, "<init>", "(L" + BLOCK + ";I)V", null, null);
    ctor.visitCode();
    ctor.visitVarInsn(ALOAD, 0);
    ctor.visitVarInsn(ALOAD, 1);
    ctor.visitVarInsn(ILOAD, 2);
    ctor.visitMethodInsn(INVOKESPECIAL, SUPER, "<init>", "(L" + BLOCK + ";I)V", false);
    ctor.visitInsn(RETURN);
    ctor.visitMaxs(0, 0);
    ctor.visitEnd();

    MethodVisitor mv = cw.visitMethod(ACC_FINAL, "run", RUN_DESC, null, null);
    mv.visitCode();
    Label start = new Label();
    Label end = new Label();
    Label handler = new Label();
    mv.visitTryCatchBlock(start, end, handler, Type.getInternalName(GuestFault.class));
    mv.visitVarInsn(ALOAD, L_C);
    mv.visitFieldInsn(GETFIELD, CPU, "rip", "J");
    mv.visitVarInsn(LSTORE, L_BASE);
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, L_K);
    mv.visitLabel(start);
    Insn[] insns = b.insns;
    int n = insns.length;
    for (int k = 0; k < n; k++) {
      Insn i = insns[k];
      if (k > 0) {
        push(mv, k);
        mv.visitVarInsn(ISTORE, L_K);
      }
      // c.rip = base + end of the instruction, as the interpreter sets it before the handler runs
      mv.visitVarInsn(ALOAD, L_C);
      mv.visitVarInsn(LLOAD, L_BASE);
      mv.visitLdcInsn((long) (i.offsetInBlock + i.len));
      mv.visitInsn(LADD);
      mv.visitFieldInsn(PUTFIELD, CPU, "rip", "J");
      Label after = new Label();
      if (i.atomic) {
        Label plain = new Label();
        mv.visitVarInsn(ALOAD, L_C);
        mv.visitFieldInsn(GETFIELD, CPU, "atomics", "Z");
        mv.visitJumpInsn(IFEQ, plain);
        mv.visitVarInsn(ALOAD, L_C);
        insn(mv, k);
        mv.visitMethodInsn(INVOKESTATIC, "org/jkvm/translator/sem/Locked", "exec", SEM_DESC, false);
        mv.visitJumpInsn(GOTO, after);
        mv.visitLabel(plain);
      }
      call(mv, i, k);
      mv.visitLabel(after);
      if (k < n - 1) {
        // the interpreter's checks after an instruction: self-modified block, deliverable event
        Label ok = new Label();
        mv.visitVarInsn(ALOAD, L_B);
        mv.visitFieldInsn(GETFIELD, BLOCK, "valid", "Z");
        mv.visitJumpInsn(IFNE, ok);
        push(mv, k + 1);
        mv.visitInsn(IRETURN);
        mv.visitLabel(ok);
        Label next = new Label();
        mv.visitVarInsn(ALOAD, L_C);
        mv.visitFieldInsn(GETFIELD, CPU, "events", "I");
        mv.visitJumpInsn(IFEQ, next);
        mv.visitVarInsn(ALOAD, L_C);
        mv.visitMethodInsn(INVOKESTATIC, Type.getInternalName(Interpreter.class), "eventDeliverable",
            "(L" + CPU + ";)Z", false);
        mv.visitJumpInsn(IFEQ, next);
        push(mv, k + 1);
        mv.visitInsn(IRETURN);
        mv.visitLabel(next);
      }
    }
    mv.visitLabel(end);
    push(mv, n);
    mv.visitInsn(IRETURN);
    mv.visitLabel(handler);
    mv.visitVarInsn(ASTORE, L_F);
    mv.visitVarInsn(ALOAD, L_C);
    mv.visitVarInsn(ALOAD, L_B);
    mv.visitVarInsn(ALOAD, L_IT);
    mv.visitVarInsn(LLOAD, L_BASE);
    mv.visitVarInsn(ILOAD, L_K);
    mv.visitVarInsn(ALOAD, L_F);
    mv.visitMethodInsn(INVOKESTATIC, SUPER, "fault", "(L" + CPU + ";L" + BLOCK + ";"
        + Type.getDescriptor(Interpreter.class) + "JI" + Type.getDescriptor(GuestFault.class) + ")"
        + Type.getDescriptor(GuestFault.class), false);
    mv.visitInsn(ATHROW);
    mv.visitMaxs(0, 0);
    mv.visitEnd();
    cw.visitEnd();
    return cw.toByteArray();
  }

  /** Pushes instruction {@code k} of the class data: a dynamic constant, folded by HotSpot. */
  private static void insn(MethodVisitor mv, int k) {
    mv.visitLdcInsn(new ConstantDynamic("_", INSN_DESC, CLASS_DATA_AT, k));
  }

  /** handler(c, insn_k): invokestatic of the row's method, else through the Handler interface. */
  private void call(MethodVisitor mv, Insn i, int k) {
    String[] t = target(i.handler);
    if (t != null) {
      mv.visitVarInsn(ALOAD, L_C);
      insn(mv, k);
      mv.visitMethodInsn(INVOKESTATIC, t[0], t[1], SEM_DESC, false);
      handlerCalls++;
    } else {
      insn(mv, k);
      mv.visitFieldInsn(GETFIELD, Type.getInternalName(Insn.class), "handler", "L" + HANDLER + ";");
      mv.visitVarInsn(ALOAD, L_C);
      insn(mv, k);
      mv.visitMethodInsn(INVOKEINTERFACE, HANDLER, "exec", SEM_DESC, true);
      interfaceCalls++;
    }
  }

  static void push(MethodVisitor mv, int v) {
    if (v >= -1 && v <= 5) {
      mv.visitInsn(ICONST_0 + v);
    } else if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) {
      mv.visitIntInsn(BIPUSH, v);
    } else if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) {
      mv.visitIntInsn(SIPUSH, v);
    } else {
      mv.visitLdcInsn(v);
    }
  }

  /**
   * The static method behind a handler (DESIGN.md rule 1): a method reference to {@code static void
   * m(CpuState, Insn)} is a serializable lambda whose {@link SerializedLambda} names it. Null when it is
   * not such a method or not accessible from this package.
   */
  static String[] target(Handler h) {
    synchronized (TARGETS) {
      if (TARGETS.containsKey(h)) {
        return TARGETS.get(h);
      }
      String[] t = resolve(h);
      TARGETS.put(h, t);
      return t;
    }
  }

  private static String[] resolve(Handler h) {
    try {
      Method wr = h.getClass().getDeclaredMethod("writeReplace");
      wr.setAccessible(true);
      Object o = wr.invoke(h);
      if (!(o instanceof SerializedLambda)) {
        return null;
      }
      SerializedLambda sl = (SerializedLambda) o;
      if (sl.getImplMethodKind() != MethodHandleInfo.REF_invokeStatic || sl.getCapturedArgCount() != 0
          || !sl.getImplMethodSignature().equals(SEM_DESC)) {
        return null;
      }
      Class<?> owner = Class.forName(sl.getImplClass().replace('/', '.'), false,
          BlockCompiler.class.getClassLoader());
      // A full-privilege lookup in this package sees exactly what the hidden classes (same package) see.
      LOOKUP.findStatic(owner, sl.getImplMethodName(),
          MethodType.methodType(void.class, CpuState.class, Insn.class));
      return new String[] {sl.getImplClass(), sl.getImplMethodName()};
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /** Statistics lines for {@code --stats}. */
  synchronized void appendStats(StringBuilder out) {
    out.append(String.format("  %-22s %12d%n", "jit blocks compiled", compiled));
    out.append(String.format("  %-22s %12.1f%n", "jit compile ms", compileNanos / 1e6));
    out.append(String.format("  %-22s %12d%n", "jit bytecode bytes", bytecodeBytes));
    out.append(String.format("  %-22s %12d%n", "jit cached blocks", cache.estimatedSize()));
    out.append(String.format("  %-22s %12d%n", "jit interface calls", interfaceCalls));
  }

  /** For tests: the handlers that have no accessible static method and are called through the interface. */
  static List<String> unresolvedHandlers() {
    List<String> r = new ArrayList<>();
    synchronized (TARGETS) {
      for (Map.Entry<Handler, String[]> e : TARGETS.entrySet()) {
        if (e.getValue() == null) {
          r.add(e.getKey().toString());
        }
      }
    }
    return r;
  }
}
