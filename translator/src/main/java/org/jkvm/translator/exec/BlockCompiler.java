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

  private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BlockCompiler.class);
  private static final String NAME = "org/jkvm/translator/exec/Jit";
  private static final String SUPER = Type.getInternalName(Compiled.class);
  private static final String CPU = Type.getInternalName(CpuState.class);
  private static final String BLOCK = Type.getInternalName(Block.class);
  private static final String INSN_DESC = Type.getDescriptor(Insn.class);
  private static final String HANDLER = Type.getInternalName(Handler.class);
  private static final String RUN_DESC = Type.getMethodDescriptor(Type.INT_TYPE, Type.getType(CpuState.class),
      Type.getType(Block.class), Type.getType(Interpreter.class), Type.INT_TYPE);
  private static final String JITOPS = Type.getInternalName(JitOps.class);
  private static final String MEM = "org/jkvm/translator/sem/Mem";
  private static final String SEM_DESC = "(" + Type.getDescriptor(CpuState.class) + INSN_DESC + ")V";
  private static final org.objectweb.asm.Handle CLASS_DATA_AT = new org.objectweb.asm.Handle(H_INVOKESTATIC,
      "java/lang/invoke/MethodHandles", "classDataAt",
      "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/Class;I)Ljava/lang/Object;", false);

  // Locals of the generated run method.
  private static final int L_C = 1;
  private static final int L_B = 2;
  private static final int L_IT = 3;

  /** owner/name of a handler's static method, or null when it must be called through the interface. */
  private static final Map<Handler, String[]> TARGETS = new IdentityHashMap<>();

  private final Cache<Long, Compiled> code;
  /** Where region members are looked up; null in tests that compile single blocks. */
  private final CodeCache blocks;
  /** The emitter at work (compilation is serialised by this compiler's lock). */
  private Emitter emitter;

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
  private static final java.util.concurrent.ThreadPoolExecutor BACKGROUND =
      new java.util.concurrent.ThreadPoolExecutor(1, 1, 0, java.util.concurrent.TimeUnit.SECONDS,
          new java.util.concurrent.ArrayBlockingQueue<>(4096), r -> {
            Thread t = new Thread(r, "jkvm-jit");
            t.setDaemon(true);
            return t;
          }, (r, ex) -> ((Job) r).block.queued = false);

  /** A background translation. */
  private static final class Job implements Runnable {
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
    code.put(Block.key(b.gpa, b.codeSize), cc);
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
        Block y = blocks.get(t, entry.codeSize);
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

  private static int indexOf(List<Block> r, long gpa) {
    for (int j = 0; j < r.size(); j++) {
      if (r.get(j).gpa == gpa) {
        return j;
      }
    }
    return -1;
  }

  /** Physical addresses where control may go after block {@code x}, where they are known statically. */
  private static long[] successors(Block x) {
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
  private static final int L_BUDGET = 4;
  private static final int L_ENTRY = 5;
  private static final int L_BASE2 = 7;
  private static final int L_K2 = 9;
  private static final int L_N = 10;
  private static final int L_CUR = 11;
  private static final int L_GPR = 12;
  private static final int L_A = 13;
  private static final int L_B2 = 15;
  private static final int L_R = 17;
  private static final int L_T = 19;
  private static final int L_F2 = 21;
  /** Guest register r lives in local L_REGS + 2 r while the region runs (DESIGN.md rule 6). */
  private static final int L_REGS = 23;

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

  /**
   * Which inline form, if any, {@code i} has. Register forms cannot fault and need neither RIP nor the
   * checks after them; memory forms go through the TLB fast paths of {@code sem.Mem} with RIP set and the
   * interpreter's checks after them, like a semantics call.
   */
  static int inlineKind(Insn i) {
    if (!INLINE || i.atomic || i.has(Insn.PFX_LOCK) || i.k2 != Insn.K_NONE || i.s0 == 0 || i.s0 > 8
        || Integer.bitCount(i.s0) != 1) {
      return IK_NONE;
    }
    String[] t = target(i.handler);
    if (t == null) {
      return IK_NONE;
    }
    boolean reg0 = i.k0 == Insn.K_REG;
    boolean mem0 = i.k0 == Insn.K_MEM;
    boolean regSrc = i.k1 == Insn.K_IMM || i.k1 == Insn.K_REG && i.s1 == i.s0;
    boolean memSrc = i.k1 == Insn.K_MEM && i.s1 == i.s0;
    boolean memOk = (i.addrSize == 2 || i.addrSize == 4 || i.addrSize == 8);
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

  /** Whether inline kind {@code ik} touches memory (so it may fault, write code or raise an event). */
  static boolean memoryForm(int ik) {
    return ik == IK_MOVMEM || ik == IK_ALUMEM || ik == IK_MOVXMEM;
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
  private static boolean pureFlagWriter(Insn i) {
    return inlineKind(i) == IK_ALU;
  }

  /** Whether the flags of instruction {@code k} are overwritten before anything can read or fault. */
  private static boolean flagsDead(Insn[] insns, int k) {
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
  private static Insn fusable(Block b, Insn[] insns, int last) {
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
    new Emitter(cw.visitMethod(ACC_FINAL, "run", RUN_DESC, null, null), r).emit();
    cw.visitEnd();
    return cw.toByteArray();
  }

  /** Emits the run method of one region. */
  private final class Emitter {
    final MethodVisitor mv;
    final List<Block> r;
    final Block entry;
    final Label[] enter;
    final Label[] body;
    final int[] firstInsn;
    final Label retN = new Label();
    final Label chain = new Label();
    /** Registers the inline forms of this region use: kept in locals, written back before calls and exits. */
    final boolean[] inLocal = new boolean[16];
    /** Registers whose local is newer than c.gpr, at the point being emitted. */
    final boolean[] dirty = new boolean[16];

    Emitter(MethodVisitor mv, List<Block> r) {
      emitter = this;
      this.mv = mv;
      this.r = r;
      this.entry = r.get(0);
      enter = new Label[r.size()];
      body = new Label[r.size()];
      firstInsn = new int[r.size()];
      int f = r.size();
      for (int j = 0; j < r.size(); j++) {
        enter[j] = new Label();
        body[j] = new Label();
        firstInsn[j] = f;
        f += r.get(j).insns.length;
        for (Insn i : r.get(j).insns) {
          if (inlineKind(i) != IK_NONE) {
            if (i.k0 == Insn.K_REG) {
              inLocal[i.r0] = true;
            }
            if (i.k1 == Insn.K_REG) {
              inLocal[i.r1] = true;
            }
            if (i.hasMem() && i.base >= 0 && i.base < 16) {
              inLocal[i.base] = true;
            }
            if (i.hasMem() && i.index >= 0 && i.index < 16) {
              inLocal[i.index] = true;
            }
          }
        }
      }
    }

    /** Loads every register kept in a local from c.gpr. */
    void reload() {
      for (int g = 0; g < 16; g++) {
        if (inLocal[g]) {
          mv.visitVarInsn(ALOAD, L_GPR);
          push(mv, g);
          mv.visitInsn(LALOAD);
          mv.visitVarInsn(LSTORE, L_REGS + 2 * g);
        }
      }
    }

    /** Writes back the registers in {@code which} (dirty ones, or all kept in locals). */
    void writeBack(boolean[] which) {
      for (int g = 0; g < 16; g++) {
        if (which[g]) {
          mv.visitVarInsn(ALOAD, L_GPR);
          push(mv, g);
          mv.visitVarInsn(LLOAD, L_REGS + 2 * g);
          mv.visitInsn(LASTORE);
        }
      }
    }

    /** c.gpr up to date: before a semantics call or a memory form, and at block ends. */
    void sync() {
      writeBack(dirty);
      java.util.Arrays.fill(dirty, false);
    }

    void emit() {
      mv.visitCode();
      Label start = new Label();
      Label end = new Label();
      Label handler = new Label();
      mv.visitTryCatchBlock(start, end, handler, Type.getInternalName(GuestFault.class));
      mv.visitVarInsn(ALOAD, L_C);
      mv.visitFieldInsn(GETFIELD, CPU, "rip", "J");
      mv.visitInsn(DUP2);
      mv.visitVarInsn(LSTORE, L_ENTRY);
      mv.visitVarInsn(LSTORE, L_BASE2);
      mv.visitInsn(ICONST_0);
      mv.visitVarInsn(ISTORE, L_K2);
      mv.visitInsn(ICONST_0);
      mv.visitVarInsn(ISTORE, L_N);
      mv.visitVarInsn(ALOAD, L_B);
      mv.visitVarInsn(ASTORE, L_CUR);
      mv.visitVarInsn(ALOAD, L_C);
      mv.visitFieldInsn(GETFIELD, CPU, "gpr", "[J");
      mv.visitVarInsn(ASTORE, L_GPR);
      reload();
      mv.visitLabel(start);
      mv.visitJumpInsn(GOTO, body[0]);
      for (int j = 0; j < r.size(); j++) {
        block(j);
      }
      // Between blocks: the budget, deliverable events, then the block at the new RIP if it is ours.
      mv.visitLabel(chain);
      checks(null);
      // Instructions that change the code size end their blocks and are not near branches, so this
      // holds; checked anyway, as the jump cache checks its mode.
      mv.visitVarInsn(ALOAD, L_C);
      mv.visitFieldInsn(GETFIELD, CPU, "codeSize", "I");
      push(mv, entry.codeSize);
      mv.visitJumpInsn(IF_ICMPNE, retN);
      dispatch();
      mv.visitLabel(end);
      mv.visitLabel(retN);
      mv.visitVarInsn(ILOAD, L_N);
      mv.visitInsn(IRETURN);
      mv.visitLabel(handler);
      mv.visitVarInsn(ASTORE, L_F2);
      // Nothing to write back: c.gpr is brought up to date before every instruction that can fault, and
      // what a faulting semantics method left there (REP progress, say) stands.
      mv.visitVarInsn(ALOAD, L_C);
      mv.visitVarInsn(ALOAD, L_CUR);
      mv.visitVarInsn(ALOAD, L_IT);
      mv.visitVarInsn(LLOAD, L_BASE2);
      mv.visitVarInsn(ILOAD, L_K2);
      mv.visitVarInsn(ILOAD, L_N);
      mv.visitVarInsn(ALOAD, L_F2);
      mv.visitMethodInsn(INVOKESTATIC, SUPER, "fault", "(L" + CPU + ";L" + BLOCK + ";"
          + Type.getDescriptor(Interpreter.class) + "JII" + Type.getDescriptor(GuestFault.class) + ")"
          + Type.getDescriptor(GuestFault.class), false);
      mv.visitInsn(ATHROW);
      mv.visitMaxs(0, 0);
      mv.visitEnd();
    }

    /** Budget and events: return n if the region must stop, else go on (to {@code go}, or fall through). */
    void checks(Label go) {
      mv.visitVarInsn(ILOAD, L_N);
      mv.visitVarInsn(ILOAD, L_BUDGET);
      mv.visitJumpInsn(IF_ICMPGE, retN);
      Label ok = go != null ? go : new Label();
      mv.visitVarInsn(ALOAD, L_C);
      mv.visitFieldInsn(GETFIELD, CPU, "events", "I");
      mv.visitJumpInsn(IFEQ, ok);
      mv.visitVarInsn(ALOAD, L_C);
      mv.visitMethodInsn(INVOKESTATIC, Type.getInternalName(Interpreter.class), "eventDeliverable",
          "(L" + CPU + ";)Z", false);
      mv.visitJumpInsn(IFNE, retN);
      if (go != null) {
        mv.visitJumpInsn(GOTO, go);
      } else {
        mv.visitLabel(ok);
      }
    }

    /** Continues at the region block that starts at c.rip, or returns. */
    void dispatch() {
      long lo = Long.MAX_VALUE;
      long hi = Long.MIN_VALUE;
      for (Block x : r) {
        lo = Math.min(lo, x.gpa - entry.gpa);
        hi = Math.max(hi, x.gpa - entry.gpa);
      }
      mv.visitVarInsn(ALOAD, L_C);
      mv.visitFieldInsn(GETFIELD, CPU, "rip", "J");
      mv.visitVarInsn(LLOAD, L_ENTRY);
      mv.visitInsn(LSUB);
      mv.visitVarInsn(LSTORE, L_T);
      mv.visitVarInsn(LLOAD, L_T);
      mv.visitLdcInsn(lo);
      mv.visitInsn(LCMP);
      mv.visitJumpInsn(IFLT, retN);
      mv.visitVarInsn(LLOAD, L_T);
      mv.visitLdcInsn(hi);
      mv.visitInsn(LCMP);
      mv.visitJumpInsn(IFGT, retN);
      mv.visitVarInsn(LLOAD, L_T);
      mv.visitInsn(L2I);
      Integer[] order = new Integer[r.size()];
      for (int j = 0; j < order.length; j++) {
        order[j] = j;
      }
      java.util.Arrays.sort(order, (x, y) -> Long.compare(r.get(x).gpa, r.get(y).gpa));
      int[] keys = new int[order.length];
      Label[] labels = new Label[order.length];
      for (int q = 0; q < order.length; q++) {
        keys[q] = (int) (r.get(order[q]).gpa - entry.gpa);
        labels[q] = enter[order[q]];
      }
      mv.visitLookupSwitchInsn(retN, keys, labels);
    }

    void blockConst(int j) {
      mv.visitLdcInsn(new ConstantDynamic("_", "L" + BLOCK + ";", CLASS_DATA_AT, j));
    }

    void insnConst(int j, int k) {
      mv.visitLdcInsn(new ConstantDynamic("_", INSN_DESC, CLASS_DATA_AT, firstInsn[j] + k));
    }

    void setShadowFalse() {
      mv.visitVarInsn(ALOAD, L_C);
      mv.visitInsn(ICONST_0);
      mv.visitFieldInsn(PUTFIELD, CPU, "interruptShadow", "Z");
    }

    /** c.rip = base + {@code off}. */
    void setRip(long off) {
      mv.visitVarInsn(ALOAD, L_C);
      mv.visitVarInsn(LLOAD, L_BASE2);
      if (off != 0) {
        mv.visitLdcInsn(off);
        mv.visitInsn(LADD);
      }
      mv.visitFieldInsn(PUTFIELD, CPU, "rip", "J");
    }

    void block(int j) {
      Block x = r.get(j);
      Insn[] insns = x.insns;
      int n = insns.length;
      // Entered from another region block: it must still be valid (and within the CS limit).
      mv.visitLabel(enter[j]);
      blockConst(j);
      mv.visitFieldInsn(GETFIELD, BLOCK, "valid", "Z");
      mv.visitJumpInsn(IFEQ, retN);
      if (x.codeSize != 8) {
        mv.visitVarInsn(ALOAD, L_C);
        mv.visitFieldInsn(GETFIELD, CPU, "rip", "J");
        mv.visitLdcInsn(0xFFFF_FFFFL);
        mv.visitInsn(LAND);
        mv.visitVarInsn(ALOAD, L_C);
        mv.visitFieldInsn(GETFIELD, CPU, "segLimit", "[I");
        push(mv, CpuState.CS);
        mv.visitInsn(IALOAD);
        mv.visitInsn(I2L);
        mv.visitLdcInsn(0xFFFF_FFFFL);
        mv.visitInsn(LAND);
        mv.visitInsn(LCMP);
        mv.visitJumpInsn(IFGT, retN);
      }
      mv.visitVarInsn(LLOAD, L_ENTRY);
      if (x.gpa != entry.gpa) {
        mv.visitLdcInsn(x.gpa - entry.gpa);
        mv.visitInsn(LADD);
      }
      mv.visitVarInsn(LSTORE, L_BASE2);
      blockConst(j);
      mv.visitVarInsn(ASTORE, L_CUR);
      mv.visitLabel(body[j]);
      java.util.Arrays.fill(dirty, false); // c.gpr and the locals agree at every block entry
      Insn fused = fusable(x, insns, n - 1);
      boolean lastInline = false;
      for (int k = 0; k < n; k++) {
        Insn i = insns[k];
        int ik = inlineKind(i);
        lastInline = ik != IK_NONE && !memoryForm(ik);
        if (ik != IK_NONE && !memoryForm(ik)) {
          inline(i, ik, k, insns);
          continue;
        }
        push(mv, k);
        mv.visitVarInsn(ISTORE, L_K2);
        if (k == n - 1 && fused != null) {
          fusedJcc(j, x, i, fused);
          return;
        }
        setRip(i.offsetInBlock + i.len);
        Label after = new Label();
        sync(); // before anything that can fault or read registers in c.gpr
        if (ik != IK_NONE) {
          inline(i, ik, k, insns);
        } else if (i.atomic) {
          Label plain = new Label();
          mv.visitVarInsn(ALOAD, L_C);
          mv.visitFieldInsn(GETFIELD, CPU, "atomics", "Z");
          mv.visitJumpInsn(IFEQ, plain);
          mv.visitVarInsn(ALOAD, L_C);
          insnConst(j, k);
          mv.visitMethodInsn(INVOKESTATIC, "org/jkvm/translator/sem/Locked", "exec", SEM_DESC, false);
          mv.visitJumpInsn(GOTO, after);
          mv.visitLabel(plain);
          call(mv, i, j, k);
        } else {
          call(mv, i, j, k);
        }
        mv.visitLabel(after);
        if (ik == IK_NONE) {
          reload();
        }
        if (k < n - 1) {
          // the interpreter's checks after an instruction: self-modified block, deliverable event
          Label stop = new Label();
          Label next = new Label();
          Label ok = new Label();
          mv.visitVarInsn(ALOAD, L_CUR);
          mv.visitFieldInsn(GETFIELD, BLOCK, "valid", "Z");
          mv.visitJumpInsn(IFNE, ok);
          mv.visitLabel(stop);
          writeBack(dirty);
          setShadowFalse();
          mv.visitVarInsn(ILOAD, L_N);
          push(mv, k + 1);
          mv.visitInsn(IADD);
          mv.visitInsn(IRETURN);
          mv.visitLabel(ok);
          mv.visitVarInsn(ALOAD, L_C);
          mv.visitFieldInsn(GETFIELD, CPU, "events", "I");
          mv.visitJumpInsn(IFEQ, next);
          mv.visitVarInsn(ALOAD, L_C);
          mv.visitMethodInsn(INVOKESTATIC, Type.getInternalName(Interpreter.class), "eventDeliverable",
              "(L" + CPU + ";)Z", false);
          mv.visitJumpInsn(IFNE, stop);
          mv.visitLabel(next);
        }
      }
      Insn last = insns[n - 1];
      if (lastInline) {
        setRip(x.length);
      }
      sync();
      mv.visitIincInsn(L_N, n);
      if ((last.entry.flags & org.jkvm.translator.isa.OpEntry.SHADOW) == 0) {
        setShadowFalse();
      }
      if (!last.endsBlock() || nearBranch(last) != null) {
        mv.visitJumpInsn(GOTO, chain);
      } else {
        mv.visitJumpInsn(GOTO, retN);
      }
    }

    /** A Jcc that tests the locals of the ALU instruction {@code alu} before it. */
    void fusedJcc(int j, Block x, Insn i, Insn alu) {
      sync();
      int cc = i.opcode & 0xF;
      String op = target(alu.handler)[1];
      push(mv, cc);
      push(mv, alu.s0);
      if (op.equals("sub") || op.equals("cmp") || op.equals("add")) {
        mv.visitVarInsn(LLOAD, L_A);
        mv.visitVarInsn(LLOAD, L_B2);
        mv.visitVarInsn(LLOAD, L_R);
        mv.visitMethodInsn(INVOKESTATIC, JITOPS, op.equals("add") ? "condAdd" : "condSub", "(IIJJJ)Z", false);
      } else if (op.equals("inc") || op.equals("dec")) {
        mv.visitInsn(op.equals("inc") ? ICONST_1 : ICONST_0);
        mv.visitVarInsn(LLOAD, L_R);
        mv.visitMethodInsn(INVOKESTATIC, JITOPS, "condIncDec", "(IIZJ)Z", false);
      } else {
        mv.visitVarInsn(LLOAD, L_R);
        mv.visitMethodInsn(INVOKESTATIC, JITOPS, "condLogic", "(IIJ)Z", false);
      }
      Label notTaken = new Label();
      mv.visitJumpInsn(IFEQ, notTaken);
      long end = i.offsetInBlock + i.len;
      transfer(x, i, end + i.imm, true);
      mv.visitLabel(notTaken);
      transfer(x, i, end, false);
    }

    /**
     * Sets RIP to base + {@code off} (through {@code sem.Branch.nearTarget} for a taken branch: masking, the
     * canonical or CS limit check) and goes on at the region block there (after the checks), or returns.
     * In 64-bit code the target is known here; in other modes it is found by dispatch on the new RIP.
     */
    void transfer(Block x, Insn jcc, long off, boolean branch) {
      int n = x.insns.length;
      if (branch && (x.codeSize != 8 || jcc.opSize != 8)) {
        mv.visitVarInsn(ALOAD, L_C);
        mv.visitVarInsn(ALOAD, L_C);
        mv.visitVarInsn(LLOAD, L_BASE2);
        mv.visitLdcInsn(off);
        mv.visitInsn(LADD);
        push(mv, jcc.opSize);
        mv.visitMethodInsn(INVOKESTATIC, "org/jkvm/translator/sem/Branch", "nearTarget", "(L" + CPU + ";JI)J",
            false);
        mv.visitFieldInsn(PUTFIELD, CPU, "rip", "J");
        mv.visitIincInsn(L_N, n);
        setShadowFalse();
        mv.visitJumpInsn(GOTO, chain);
        return;
      }
      int m = indexOf(r, x.gpa + off);
      if (branch && m < 0) {
        mv.visitVarInsn(ALOAD, L_C);
        mv.visitVarInsn(LLOAD, L_BASE2);
        mv.visitLdcInsn(off);
        mv.visitInsn(LADD);
        mv.visitMethodInsn(INVOKESTATIC, JITOPS, "near64", "(J)J", false);
        mv.visitFieldInsn(PUTFIELD, CPU, "rip", "J");
      } else {
        setRip(off);
      }
      mv.visitIincInsn(L_N, n);
      setShadowFalse();
      if (m < 0) {
        mv.visitJumpInsn(GOTO, retN);
      } else {
        checks(enter[m]);
      }
    }

    void loadReg(int reg, int size) {
      if (inLocal[reg]) {
        mv.visitVarInsn(LLOAD, L_REGS + 2 * reg);
      } else {
        mv.visitVarInsn(ALOAD, L_GPR);
        push(mv, reg);
        mv.visitInsn(LALOAD);
      }
      maskTo(size);
    }

    /**
     * gpr[reg] = local {@code from}, zero-extended to {@code size} bytes: 8- and 16-bit writes merge,
     * 32-bit writes zero-extend (as {@code sem.Ops.setReg}).
     */
    void storeReg(int reg, int size, int from) {
      if (!inLocal[reg]) {
        throw new IllegalStateException("register " + reg + " is not kept in a local");
      }
      if (size <= 2) {
        mv.visitVarInsn(LLOAD, L_REGS + 2 * reg);
        mv.visitLdcInsn(~JitOps.mask(size));
        mv.visitInsn(LAND);
        mv.visitVarInsn(LLOAD, from);
        mv.visitInsn(LOR);
      } else {
        mv.visitVarInsn(LLOAD, from);
      }
      mv.visitVarInsn(LSTORE, L_REGS + 2 * reg);
      dirty[reg] = true;
    }

    /** Operand 1 of a register or immediate form, zero-extended to the size of operand 0. */
    void loadSrc(Insn i) {
      if (i.k1 == Insn.K_IMM) {
        mv.visitLdcInsn(i.imm & JitOps.mask(i.s0));
      } else {
        loadReg(i.r1, i.s0);
      }
    }

    void maskTo(int size) {
      if (size < 8) {
        mv.visitLdcInsn(JitOps.mask(size));
        mv.visitInsn(LAND);
      }
    }

    /** The effective address of the memory operand (as {@code sem.Ops.ea}). */
    void ea(Insn i) {
      mv.visitLdcInsn(i.disp);
      if (i.base == Insn.BASE_RIP) {
        mv.visitVarInsn(LLOAD, L_BASE2);
        mv.visitLdcInsn((long) (i.offsetInBlock + i.len));
        mv.visitInsn(LADD);
        mv.visitInsn(LADD);
      } else if (i.base >= 0) {
        loadReg(i.base, 8);
        mv.visitInsn(LADD);
      }
      if (i.index >= 0) {
        loadReg(i.index, 8);
        if (i.scale != 0) {
          push(mv, i.scale);
          mv.visitInsn(LSHL);
        }
        mv.visitInsn(LADD);
      }
      maskTo(i.addrSize);
    }

    /** Local {@code L_T} = the checked linear address of the memory operand ({@code sem.Ops.la}). */
    void la(Insn i, int size, boolean write) {
      mv.visitVarInsn(ALOAD, L_C);
      push(mv, i.seg);
      ea(i);
      push(mv, size);
      mv.visitInsn(write ? ICONST_1 : ICONST_0);
      mv.visitMethodInsn(INVOKESTATIC, MEM, "linear", "(L" + CPU + ";IJIZ)J", false);
      mv.visitVarInsn(LSTORE, L_T);
    }

    /** Reads {@code size} bytes at linear {@code L_T} (for a read-modify-write: checked for write). */
    void readT(int size, boolean forWrite) {
      mv.visitVarInsn(ALOAD, L_C);
      mv.visitVarInsn(LLOAD, L_T);
      push(mv, size);
      mv.visitMethodInsn(INVOKESTATIC, MEM, forWrite ? "readLaForWrite" : "readLa", "(L" + CPU + ";JI)J",
          false);
    }

    void writeT(int size, int from) {
      mv.visitVarInsn(ALOAD, L_C);
      mv.visitVarInsn(LLOAD, L_T);
      push(mv, size);
      mv.visitVarInsn(LLOAD, from);
      mv.visitMethodInsn(INVOKESTATIC, MEM, "writeLa", "(L" + CPU + ";JIJ)V", false);
    }

    void flags(int kind, int size, int src) {
      mv.visitVarInsn(ALOAD, L_C);
      push(mv, org.jkvm.runtime.Flags.ccOp(kind, size));
      mv.visitFieldInsn(PUTFIELD, CPU, "ccOp", "I");
      mv.visitVarInsn(ALOAD, L_C);
      mv.visitVarInsn(LLOAD, L_R);
      mv.visitFieldInsn(PUTFIELD, CPU, "ccDst", "J");
      mv.visitVarInsn(ALOAD, L_C);
      if (src < 0) {
        mv.visitInsn(LCONST_0);
      } else {
        mv.visitVarInsn(LLOAD, src);
      }
      mv.visitFieldInsn(PUTFIELD, CPU, "ccSrc", "J");
    }

    void inline(Insn i, int ik, int k, Insn[] insns) {
      inlined++;
      switch (ik) {
        case IK_MOV:
          loadSrc(i);
          mv.visitVarInsn(LSTORE, L_R);
          storeReg(i.r0, i.s0, L_R);
          return;
        case IK_MOVMEM:
          if (i.k0 == Insn.K_MEM) { // store: the value first, then the checked address and the write
            loadSrc(i);
            mv.visitVarInsn(LSTORE, L_R);
            la(i, i.s0, true);
            writeT(i.s0, L_R);
          } else {
            la(i, i.s1, false);
            readT(i.s1, false);
            mv.visitVarInsn(LSTORE, L_R);
            storeReg(i.r0, i.s0, L_R);
          }
          return;
        case IK_LEA:
          ea(i);
          maskTo(i.s0);
          mv.visitVarInsn(LSTORE, L_R);
          storeReg(i.r0, i.s0, L_R);
          return;
        case IK_ALU:
        case IK_ALUMEM: {
          String op = target(i.handler)[1];
          boolean writes = !op.equals("cmp") && !op.equals("test");
          // operand 0, then operand 1, in the order of sem.Alu (get0Rmw / get0, then get1Ext)
          if (i.k0 == Insn.K_MEM) {
            la(i, i.s0, writes);
            readT(i.s0, writes);
          } else {
            loadReg(i.r0, i.s0);
          }
          mv.visitVarInsn(LSTORE, L_A);
          if (i.k1 == Insn.K_MEM) {
            la(i, i.s1, false);
            readT(i.s1, false);
          } else {
            loadSrc(i);
          }
          mv.visitVarInsn(LSTORE, L_B2);
          mv.visitVarInsn(LLOAD, L_A);
          mv.visitVarInsn(LLOAD, L_B2);
          int kind;
          switch (op) {
            case "add": mv.visitInsn(LADD); kind = org.jkvm.runtime.Flags.ADD; break;
            case "sub": case "cmp": mv.visitInsn(LSUB); kind = org.jkvm.runtime.Flags.SUB; break;
            case "and": case "test": mv.visitInsn(LAND); kind = org.jkvm.runtime.Flags.LOGIC; break;
            case "or": mv.visitInsn(LOR); kind = org.jkvm.runtime.Flags.LOGIC; break;
            default: mv.visitInsn(LXOR); kind = org.jkvm.runtime.Flags.LOGIC; break;
          }
          maskTo(i.s0);
          mv.visitVarInsn(LSTORE, L_R);
          if (writes) {
            if (i.k0 == Insn.K_MEM) {
              writeT(i.s0, L_R);
            } else {
              storeReg(i.r0, i.s0, L_R);
            }
          }
          if (ik == IK_ALUMEM || !flagsDead(insns, k)) {
            flags(kind, i.s0, kind == org.jkvm.runtime.Flags.LOGIC ? -1 : L_B2);
          } else {
            deadFlags++;
          }
          return;
        }
        case IK_MOVX:
        case IK_MOVXMEM: {
          if (ik == IK_MOVX) {
            loadReg(i.r1, i.s1);
          } else {
            la(i, i.s1, false);
            readT(i.s1, false);
          }
          if (target(i.handler)[1].equals("movsx")) {
            push(mv, 64 - 8 * i.s1);
            mv.visitInsn(LSHL);
            push(mv, 64 - 8 * i.s1);
            mv.visitInsn(LSHR);
            maskTo(i.s0);
          }
          mv.visitVarInsn(LSTORE, L_R);
          storeReg(i.r0, i.s0, L_R);
          return;
        }
        case IK_SHIFT: {
          // as sem.Shift for a count n != 0: the value, the value shifted by n - 1 (the lazy CF), the result
          String op = target(i.handler)[1];
          int n = shiftCount(i);
          int sz = i.s0;
          loadReg(i.r0, sz);
          if (op.equals("sar")) {
            push(mv, 64 - 8 * sz);
            mv.visitInsn(LSHL);
            push(mv, 64 - 8 * sz);
            mv.visitInsn(LSHR);
          }
          mv.visitVarInsn(LSTORE, L_A);
          int shift = op.equals("shl") ? LSHL : op.equals("shr") ? LUSHR : LSHR;
          mv.visitVarInsn(LLOAD, L_A);
          push(mv, n - 1);
          mv.visitInsn(shift);
          if (!op.equals("shr")) {
            maskTo(sz);
          }
          mv.visitVarInsn(LSTORE, L_B2);
          mv.visitVarInsn(LLOAD, L_A);
          push(mv, n);
          mv.visitInsn(shift);
          if (!op.equals("shr")) {
            maskTo(sz);
          }
          mv.visitVarInsn(LSTORE, L_R);
          storeReg(i.r0, sz, L_R);
          if (!flagsDead(insns, k)) {
            flags(op.equals("shl") ? org.jkvm.runtime.Flags.SHL : org.jkvm.runtime.Flags.SAR, sz, L_B2);
          } else {
            deadFlags++;
          }
          return;
        }
        case IK_INCDEC: {
          boolean inc = target(i.handler)[1].equals("inc");
          boolean dead = flagsDead(insns, k);
          if (!dead) {
            mv.visitVarInsn(ALOAD, L_C);
            mv.visitMethodInsn(INVOKESTATIC, "org/jkvm/runtime/Flags", "cf", "(L" + CPU + ";)Z", false);
            mv.visitInsn(I2L);
            mv.visitVarInsn(LSTORE, L_B2);
          } else {
            deadFlags++;
          }
          loadReg(i.r0, i.s0);
          mv.visitInsn(LCONST_1);
          mv.visitInsn(inc ? LADD : LSUB);
          maskTo(i.s0);
          mv.visitVarInsn(LSTORE, L_R);
          storeReg(i.r0, i.s0, L_R);
          if (!dead) {
            flags(inc ? org.jkvm.runtime.Flags.INC : org.jkvm.runtime.Flags.DEC, i.s0, L_B2);
          }
          return;
        }
        default:
          throw new IllegalStateException("inline kind " + ik);
      }
    }
  }

  /** handler(c, insn): invokestatic of the row's method, else through the Handler interface. */
  private void call(MethodVisitor mv, Insn i, int j, int k) {
    String[] t = target(i.handler);
    Emitter e = emitter;
    if (t != null) {
      mv.visitVarInsn(ALOAD, L_C);
      e.insnConst(j, k);
      mv.visitMethodInsn(INVOKESTATIC, t[0], t[1], SEM_DESC, false);
      handlerCalls++;
    } else {
      e.insnConst(j, k);
      mv.visitFieldInsn(GETFIELD, Type.getInternalName(Insn.class), "handler", "L" + HANDLER + ";");
      mv.visitVarInsn(ALOAD, L_C);
      e.insnConst(j, k);
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
