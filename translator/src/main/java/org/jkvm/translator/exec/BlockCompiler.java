package org.jkvm.translator.exec;

import static org.objectweb.asm.Opcodes.*;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.PrintWriter;
import java.io.StringWriter;
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
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Type;
import org.objectweb.asm.util.CheckClassAdapter;

/**
 * The translator (DESIGN.md rules 1-5): turns a hot {@link Block} into a hidden class whose method calls,
 * for each instruction, the same static semantics method the interpreter reaches through the row's
 * {@link Handler}, with the interpreter's checks between instructions. One compiler per VM; compiled code
 * is kept in a Caffeine cache weighed by bytecode size and keyed like blocks (physical address, decoding
 * mode).
 */
final class BlockCompiler {
  /**
   * Executions of a block before it is translated, by default; {@code -Djkvm.jit.threshold=N} overrides
   * (0 translates blocks before their first execution). Measured with {@code JitCostProbe} (JDK 17, warm
   * JVM): translating a region costs about 40-50 us per guest instruction in it (ASM with computed frames,
   * then class definition and verification, about half each), and the translated code saves about 10 ns
   * per instruction executed, so a region pays for itself after some 4000-5000 runs, before counting
   * HotSpot's own warm-up.
   */
  static final int THRESHOLD = Integer.getInteger("jkvm.jit.threshold", 5000);
  /** Run ASM's CheckClassAdapter on every generated class ({@code -Djkvm.jit.check=true}, set by tests). */
  static final boolean CHECK = Boolean.getBoolean("jkvm.jit.check");
  /**
   * Class-file bytes kept, summed over regions (about 7,000 regions of 2 KB): HotSpot's compiled code for
   * them must fit its code cache (240 MB by default) with room to spare, or it stops compiling.
   */
  static final long MAX_BYTES = 16L << 20;

  static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();
  static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BlockCompiler.class);
  static final String NAME = "org/jkvm/translator/exec/Jit";
  static final String SUPER = Type.getInternalName(Compiled.class);
  static final String CPU = Type.getInternalName(CpuState.class);
  static final String BLOCK = Type.getInternalName(Block.class);
  static final String INSN_DESC = Type.getDescriptor(Insn.class);
  static final String HANDLER = Type.getInternalName(Handler.class);
  static final String RUN_DESC = Type.getMethodDescriptor(Type.INT_TYPE, Type.getType(CpuState.class),
      Type.getType(Block.class), Type.getType(Interpreter.class), Type.INT_TYPE);
  static final String JITOPS = Type.getInternalName(JitOps.class);
  static final String MEM = "org/jkvm/translator/sem/Mem";
  static final String SEM_DESC = "(" + Type.getDescriptor(CpuState.class) + INSN_DESC + ")V";
  static final org.objectweb.asm.Handle CLASS_DATA_AT = new org.objectweb.asm.Handle(H_INVOKESTATIC,
      "java/lang/invoke/MethodHandles", "classDataAt",
      "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/Class;I)Ljava/lang/Object;", false);

  // Locals of the generated run method.
  static final int L_C = 1;
  static final int L_B = 2;
  static final int L_IT = 3;

  /** owner/name of a handler's static method, or null when it must be called through the interface. */
  static final Map<Handler, String[]> TARGETS = new IdentityHashMap<>();

  private final Cache<Long, Compiled> code;
  /** Where region members are looked up; null in tests that compile single blocks. */
  private final CodeCache blocks;

  // Statistics (guarded by this).
  long compiled;
  long compileNanos;
  long bytecodeBytes;
  long handlerCalls;
  long interfaceCalls;
  long regionBlocks;
  long inlined;
  long deadFlags;
  long tooLarge;
  long failures;
  long defineNanos;

  /** This VM's threshold. */
  final int threshold;

  BlockCompiler(CodeCache blocks, int threshold) {
    this.blocks = blocks;
    this.threshold = threshold;
    code = Caffeine.newBuilder().maximumWeight(MAX_BYTES).weigher((Long k, Compiled v) -> v.bytes)
        .executor(Runnable::run)
        .removalListener((Long k, Compiled v, com.github.benmanes.caffeine.cache.RemovalCause cause) -> {
          if (v != null && v.block.compiled == v) {
            v.block.compiled = null; // drops the last strong reference: the hidden class can be unloaded
          }
        }).build();
  }

  /**
   * Translate in the background ({@code -Djkvm.jit.async=false}: on the vCPU thread), so that translation
   * pauses stay off the guest's timeline; the block keeps being interpreted until its code is attached.
   * Thresholds of 0 and 1 (the tests') translate at once, so that translated code is what runs.
   */
  static final boolean ASYNC = !"false".equals(System.getProperty("jkvm.jit.async"));

  /** One translator thread for the whole JVM; a request beyond its queue is dropped and asked again. */
  static final java.util.concurrent.ThreadPoolExecutor BACKGROUND =
      new java.util.concurrent.ThreadPoolExecutor(1, 1, 0, java.util.concurrent.TimeUnit.SECONDS,
          new java.util.concurrent.ArrayBlockingQueue<>(4096), r -> {
            Thread t = new Thread(r, "jkvm-jit");
            t.setDaemon(true);
            return t;
          }, (r, ex) -> ((Job) r).block.queued = false);

  /** A background translation. */
  static final class Job implements Runnable {
    final BlockCompiler compiler;
    final Block block;

    Job(BlockCompiler compiler, Block block) {
      this.compiler = compiler;
      this.block = block;
    }

    @Override
    public void run() {
      try {
        compiler.compile(block);
      } catch (RuntimeException | LinkageError e) {
        LOG.error("jit: translating the block at {} failed; it stays interpreted", Long.toHexString(block.gpa), e);
        block.executions = Long.MIN_VALUE;
      } finally {
        block.queued = false;
      }
    }
  }

  /** Asks for {@code b} to be translated: at once, or by the background thread. */
  void request(Block b) {
    if (!ASYNC || threshold <= 1) {
      compile(b);
      return;
    }
    b.queued = true;
    BACKGROUND.execute(new Job(this, b));
  }

  /** Forgets the code of a block whose page was written. */
  void invalidate(long key) {
    code.invalidate(key);
  }

  long size() {
    return code.estimatedSize();
  }

  /** Translates {@code b} and attaches the code to it; a block that cannot be translated stays interpreted. */
  synchronized void compile(Block b) {
    if (b.compiled != null || !b.valid) {
      return;
    }
    long t0 = System.nanoTime();
    List<Block> r = region(b);
    byte[] bytes = generate(r);
    while (bytes.length > MAX_CLASS_BYTES && r.size() > 1) {
      r = r.subList(0, r.size() / 2);
      bytes = generate(r);
    }
    if (bytes.length > MAX_CLASS_BYTES) {
      b.executions = Long.MIN_VALUE; // HotSpot would not compile the method: leave the block interpreted
      tooLarge++;
      return;
    }
    if (CHECK) {
      check(bytes);
    }
    long t1 = System.nanoTime();
    List<Object> data = new ArrayList<>(r);
    for (Block x : r) {
      data.addAll(List.of(x.insns));
    }
    Compiled cc;
    try {
      MethodHandles.Lookup h = LOOKUP.defineHiddenClassWithClassData(bytes, List.copyOf(data), false);
      // Core reflection, not a MethodHandle: a method handle for a new class spins new lambda forms.
      cc = (Compiled) h.lookupClass().getDeclaredConstructor(Block.class, int.class).newInstance(b, bytes.length);
    } catch (ReflectiveOperationException | LinkageError e) {
      // A translator bug: tests fail on it; a running guest goes on in the interpreter, which is exact.
      if (CHECK) {
        throw new IllegalStateException("jit: generated class for block at " + Long.toHexString(b.gpa)
            + " was rejected", e);
      }
      if (failures++ == 0) {
        LOG.error("jit: generated class for block at {} was rejected; it stays interpreted",
            Long.toHexString(b.gpa), e);
      }
      b.executions = Long.MIN_VALUE;
      return;
    }
    b.compiled = cc;
    code.put(Block.key(b.gpa, b.mode), cc);
    compiled++;
    regionBlocks += r.size();
    bytecodeBytes += bytes.length;
    long t2 = System.nanoTime();
    compileNanos += t2 - t0;
    defineNanos += t2 - t1;
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

  /** Blocks of one region at most: the entry and the blocks its direct branches reach in its page. */
  static final int MAX_REGION_BLOCKS = 16;
  /** Instructions of one region at most, before the bytecode-size check. */
  static final int MAX_REGION_INSNS = 160;
  /** Class files above this size are regenerated with fewer blocks (DESIGN.md rule 5: methods < 8000 bytes). */
  static final int MAX_CLASS_BYTES = 7900;

  /**
   * The region entered at {@code entry}: the entry block, then (breadth first) the blocks already decoded
   * that its fall-through and direct branch targets reach in the same physical page, in the same code size.
   * Blocks that cross into another page are left out (they would need their second page checked).
   */
  List<Block> region(Block entry) {
    List<Block> r = new ArrayList<>();
    r.add(entry);
    if (blocks == null || entry.gpa2 >= 0) {
      return r;
    }
    long page = entry.gpa & org.jkvm.mmu.PhysicalMemory.PAGE_MASK;
    int insns = entry.insns.length;
    for (int q = 0; q < r.size() && r.size() < MAX_REGION_BLOCKS; q++) {
      for (long t : successors(r.get(q))) {
        if ((t & org.jkvm.mmu.PhysicalMemory.PAGE_MASK) != page || indexOf(r, t) >= 0) {
          continue;
        }
        Block y = blocks.get(t, entry.mode);
        if (y == null || !y.valid || y.gpa2 >= 0 || insns + y.insns.length > MAX_REGION_INSNS
            || r.size() >= MAX_REGION_BLOCKS) {
          continue;
        }
        r.add(y);
        insns += y.insns.length;
      }
    }
    return r;
  }

  static int indexOf(List<Block> r, long gpa) {
    for (int j = 0; j < r.size(); j++) {
      if (r.get(j).gpa == gpa) {
        return j;
      }
    }
    return -1;
  }

  /** Physical addresses where control may go after block {@code x}, where they are known statically. */
  static long[] successors(Block x) {
    Insn last = x.insns[x.insns.length - 1];
    long end = x.gpa + x.length;
    if (!last.endsBlock()) {
      return new long[] {end};
    }
    String br = nearBranch(last);
    if (br == null) {
      return new long[0];
    }
    switch (br) {
      case "jcc": case "loop": case "loope": case "loopne": case "jcxz":
        return new long[] {end + last.imm, end};
      case "jmp":
        return new long[] {end + last.imm};
      case "call": case "callIndirect":
        return new long[] {end}; // where the callee returns; a RET dispatches there
      default:
        return new long[0];
    }
  }

  /**
   * The name of a near branch's semantics method (it sets RIP and nothing that decoding depends on, so a
   * region may continue at the new RIP), or null.
   */
  static String nearBranch(Insn i) {
    String[] t = target(i.handler);
    if (t == null || !t[0].equals("org/jkvm/translator/sem/Branch")) {
      return null;
    }
    switch (t[1]) {
      case "jcc": case "jmp": case "loop": case "loope": case "loopne": case "jcxz": case "call": case "ret":
      case "jmpIndirect": case "callIndirect":
        return t[1];
      default:
        return null;
    }
  }

  // Locals of the generated run method.
  static final int L_BUDGET = 4;
  static final int L_ENTRY = 5;
  static final int L_BASE2 = 7;
  static final int L_K2 = 9;
  static final int L_N = 10;
  static final int L_CUR = 11;
  static final int L_GPR = 12;
  static final int L_A = 13;
  static final int L_B2 = 15;
  static final int L_R = 17;
  static final int L_T = 19;
  static final int L_F2 = 21;
  /** Guest register r lives in local L_REGS + 2 r while the region runs (DESIGN.md rule 6). */
  static final int L_REGS = 23;
  /** XMM register r lives in locals L_XMM + 4 r (low quadword) and L_XMM + 4 r + 2 (high) likewise. */
  static final int L_XMM = L_REGS + 32;

  // Inline forms.
  static final int IK_NONE = 0;
  /** MOV r, r/imm. */
  static final int IK_MOV = 1;
  /** ADD, SUB, AND, OR, XOR, CMP, TEST r, r/imm. */
  static final int IK_ALU = 2;
  /** INC, DEC r. */
  static final int IK_INCDEC = 3;
  static final int IK_LEA = 4;
  /** MOV with a memory operand (load or store). */
  static final int IK_MOVMEM = 5;
  /** ADD ... TEST with a memory operand. */
  static final int IK_ALUMEM = 6;
  /** SHL, SHR, SAR r, imm with a non-zero masked count. */
  static final int IK_SHIFT = 7;
  /** MOVZX, MOVSX r, r. */
  static final int IK_MOVX = 8;
  /** MOVZX, MOVSX r, m. */
  static final int IK_MOVXMEM = 9;
  /** ADD, SUB, MUL, DIV SD/SS/PD with an XMM source, or SD/SS with a memory source. */
  static final int IK_SSE_FP = 10;
  /** MOVSD/MOVSS (load, store, register), MOVAPS/MOVUPS and their PD forms register to register. */
  static final int IK_SSE_MOV = 11;

  /** IMUL r, r and IMUL r, r, imm (two- and three-operand forms). */
  static final int IK_IMUL = 12;
  /** IMUL r, m and IMUL r, m, imm. */
  static final int IK_IMULMEM = 13;

  static final String SSE_ARITH = "org/jkvm/translator/sem/SseArith";
  static final String SSE_MOVE = "org/jkvm/translator/sem/SseMove";

  /**
   * Which inline form, if any, {@code i} has. Register forms cannot fault and need neither RIP nor the
   * checks after them; memory forms go through the TLB fast paths of {@code sem.Mem} with RIP set and the
   * interpreter's checks after them, like a semantics call.
   */
  static int inlineKind(Insn i) {
    if (!INLINE || i.atomic || i.has(Insn.PFX_LOCK)) {
      return IK_NONE;
    }
    String[] t = target(i.handler);
    if (t == null) {
      return IK_NONE;
    }
    if (t[0].equals("org/jkvm/translator/sem/MulDiv") && (t[1].equals("imul2") || t[1].equals("imul3"))
        && i.k0 == Insn.K_REG && i.s1 == i.s0 && (i.s0 == 2 || i.s0 == 4 || i.s0 == 8)) {
      if (i.k1 == Insn.K_REG) {
        return IK_IMUL;
      }
      return i.k1 == Insn.K_MEM && memOk(i) ? IK_IMULMEM : IK_NONE;
    }
    if (i.k2 != Insn.K_NONE) {
      return IK_NONE;
    }
    if (t[0].equals(SSE_ARITH) || t[0].equals(SSE_MOVE)) {
      return sseKind(i, t);
    }
    if (i.s0 == 0 || i.s0 > 8 || Integer.bitCount(i.s0) != 1) {
      return IK_NONE;
    }
    boolean reg0 = i.k0 == Insn.K_REG;
    boolean mem0 = i.k0 == Insn.K_MEM;
    boolean regSrc = i.k1 == Insn.K_IMM || i.k1 == Insn.K_REG && i.s1 == i.s0;
    boolean memSrc = i.k1 == Insn.K_MEM && i.s1 == i.s0;
    boolean memOk = memOk(i);
    if (t[0].equals("org/jkvm/translator/sem/DataXfer")) {
      if (t[1].equals("mov")) {
        if (reg0 && regSrc) {
          return IK_MOV;
        }
        if (memOk && (reg0 && memSrc || mem0 && regSrc)) {
          return IK_MOVMEM;
        }
        return IK_NONE;
      }
      if (t[1].equals("lea") && reg0 && i.s0 >= 2 && i.k1 == Insn.K_MEM && memOk) {
        return IK_LEA;
      }
      if ((t[1].equals("movzx") || t[1].equals("movsx")) && reg0 && i.s1 < i.s0 && Integer.bitCount(i.s1) == 1) {
        if (i.k1 == Insn.K_REG) {
          return IK_MOVX;
        }
        if (i.k1 == Insn.K_MEM && memOk) {
          return IK_MOVXMEM;
        }
      }
      return IK_NONE;
    }
    if (t[0].equals("org/jkvm/translator/sem/Shift")
        && (t[1].equals("shl") || t[1].equals("shr") || t[1].equals("sar")) && reg0 && i.k1 == Insn.K_IMM
        && shiftCount(i) != 0) {
      return IK_SHIFT;
    }
    if (t[0].equals("org/jkvm/translator/sem/Alu")) {
      switch (t[1]) {
        case "add": case "sub": case "and": case "or": case "xor": case "cmp": case "test":
          if (reg0 && regSrc) {
            return IK_ALU;
          }
          if (memOk && (reg0 && memSrc || mem0 && regSrc)) {
            return IK_ALUMEM;
          }
          return IK_NONE;
        case "inc": case "dec":
          return reg0 && i.k1 == Insn.K_NONE ? IK_INCDEC : IK_NONE;
        default:
          return IK_NONE;
      }
    }
    return IK_NONE;
  }

  /** An address size the inline memory forms compute ({@code RegionEmitter.ea} masks to it). */
  static boolean memOk(Insn i) {
    return i.addrSize == 2 || i.addrSize == 4 || i.addrSize == 8;
  }

  /** The SSE inline form of a row of {@code sem.SseArith} or {@code sem.SseMove}, or IK_NONE. */
  static int sseKind(Insn i, String[] t) {
    String name = t[1];
    boolean memOk = memOk(i);
    boolean xmm0 = i.k0 == Insn.K_XMM;
    boolean xmm1 = i.k1 == Insn.K_XMM;
    if (t[0].equals(SSE_ARITH)) {
      if (name.length() == 5 && "add sub mul div".contains(name.substring(0, 3))
          && (name.endsWith("sd") || name.endsWith("ss") || name.endsWith("pd")) && xmm0
          && (xmm1 || i.k1 == Insn.K_MEM && memOk && name.charAt(3) == 's')) {
        return IK_SSE_FP;
      }
      return IK_NONE;
    }
    switch (name) {
      case "movsd":
      case "movss":
        return xmm0 && (xmm1 || i.k1 == Insn.K_MEM && memOk) || i.k0 == Insn.K_MEM && memOk && xmm1
            ? IK_SSE_MOV : IK_NONE;
      case "movAligned":
      case "movUnaligned":
        return xmm0 && xmm1 ? IK_SSE_MOV : IK_NONE;
      default:
        return IK_NONE;
    }
  }

  /**
   * Whether inline kind {@code ik} may fault, write code or raise an event (memory forms; SSE forms, which
   * check CR0/CR4 and MXCSR's unmasked exceptions): it runs with RIP set and the interpreter's checks after.
   */
  static boolean memoryForm(int ik) {
    return ik == IK_MOVMEM || ik == IK_ALUMEM || ik == IK_MOVXMEM || ik == IK_SSE_FP || ik == IK_SSE_MOV
        || ik == IK_IMULMEM;
  }

  /** Inline register forms that neither read nor write flags. */
  static boolean flagless(int ik) {
    return ik == IK_MOV || ik == IK_LEA || ik == IK_MOVX;
  }

  /** The masked count of a shift by an immediate (as {@code sem.Shift.count}). */
  static int shiftCount(Insn i) {
    return (int) (i.imm & JitOps.mask(i.s1)) & (i.s0 == 8 ? 0x3F : 0x1F);
  }

  /** Inline forms on ({@code -Djkvm.jit.inline=false} calls the semantics methods for everything). */
  static final boolean INLINE = !"false".equals(System.getProperty("jkvm.jit.inline"));

  /** Whether inline {@code i} writes all six arithmetic flags without reading any. */
  static boolean pureFlagWriter(Insn i) {
    return inlineKind(i) == IK_ALU;
  }

  /** Whether the flags of instruction {@code k} are overwritten before anything can read or fault. */
  static boolean flagsDead(Insn[] insns, int k) {
    for (int j = k + 1; j < insns.length; j++) {
      int ik = inlineKind(insns[j]);
      if (flagless(ik)) {
        continue;
      }
      return pureFlagWriter(insns[j]);
    }
    return false;
  }

  /**
   * The inline instruction whose A/B/R locals a Jcc at {@code last} can test directly (an ALU operation,
   * or INC/DEC for conditions without CF; nothing but MOV/LEA between), or null.
   */
  static Insn fusable(Block b, Insn[] insns, int last) {
    Insn j = insns[last];
    int cc = j.opcode & 0xF;
    if (!INLINE || !"jcc".equals(nearBranch(j)) || (cc >>> 1) == 5) {
      return null;
    }
    for (int k = last - 1; k >= 0; k--) {
      Insn i = insns[k];
      int ik = inlineKind(i);
      if (flagless(ik)) {
        continue;
      }
      if (ik == IK_INCDEC) {
        return (cc >>> 1) == 1 || (cc >>> 1) == 3 ? null : i;
      }
      return ik == IK_ALU || ik == IK_ALUMEM ? i : null;
    }
    return null;
  }

  /** The class file for the region {@code r} (entry first). */
  byte[] generate(List<Block> r) {
    ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS) {
      @Override
      protected String getCommonSuperClass(String a, String b2) {
        return "java/lang/Object"; // only GuestFault meets GuestFault; no other reference types merge
      }
    };
    cw.visit(V17, ACC_FINAL | ACC_SUPER, NAME, null, SUPER, null);
    MethodVisitor ctor = cw.visitMethod(ACC_PUBLIC, "<init>", "(L" + BLOCK + ";I)V", null, null);
    ctor.visitCode();
    ctor.visitVarInsn(ALOAD, 0);
    ctor.visitVarInsn(ALOAD, 1);
    ctor.visitVarInsn(ILOAD, 2);
    ctor.visitMethodInsn(INVOKESPECIAL, SUPER, "<init>", "(L" + BLOCK + ";I)V", false);
    ctor.visitInsn(RETURN);
    ctor.visitMaxs(0, 0);
    ctor.visitEnd();
    RegionEmitter e = new RegionEmitter(this, cw.visitMethod(ACC_FINAL, "run", RUN_DESC, null, null), r);
    e.emit();
    RegionEmitter.emitConstants(cw, e);
    cw.visitEnd();
    return cw.toByteArray();
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

  static String[] resolve(Handler h) {
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
    out.append(String.format("  %-22s %12d%n", "jit regions compiled", compiled));
    out.append(String.format("  %-22s %12.1f%n", "jit compile ms", compileNanos / 1e6));
    out.append(String.format("  %-22s %12.1f%n", "jit define ms", defineNanos / 1e6));
    out.append(String.format("  %-22s %12d%n", "jit bytecode bytes", bytecodeBytes));
    out.append(String.format("  %-22s %12d%n", "jit region blocks", regionBlocks));
    out.append(String.format("  %-22s %12d%n", "jit inline insns", inlined));
    out.append(String.format("  %-22s %12d%n", "jit dead flag writes", deadFlags));
    out.append(String.format("  %-22s %12d%n", "jit cached regions", code.estimatedSize()));
    out.append(String.format("  %-22s %12d%n", "jit blocks too large", tooLarge));
    out.append(String.format("  %-22s %12d%n", "jit rejected classes", failures));
    out.append(String.format("  %-22s %12d%n", "jit semantics calls", handlerCalls));
    out.append(String.format("  %-22s %12d%n", "jit interface calls", interfaceCalls));
  }
}
