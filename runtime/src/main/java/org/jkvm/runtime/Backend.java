package org.jkvm.runtime;

/**
 * The engine that runs guest code, as {@code kvm_x86_ops} is for KVM. The {@code translator} module
 * implements it; {@code runtime} never sees instructions.
 */
public interface Backend {
  /** A short name for messages and statistics ("interp", "jit"). */
  String name();

  /** Creates the per-vCPU part of the engine. */
  VcpuBackend createVcpu(CpuState state);

  /** The per-vCPU engine. */
  interface VcpuBackend {
    /**
     * Runs guest code until something the hypervisor must handle: returns a VMX basic exit reason
     * ({@link VmxExitReason}): HLT, TRIPLE_FAULT, IO_INSTRUCTION (an unclaimed port when the VM asked to
     * stop on those), EXTERNAL_INTERRUPT (an event was raised on the vCPU: a kick), or -1 for an internal
     * error, with the message in {@code run.internalError}.
     */
    int run(RunState run);

    /** Guest-visible instruction count, for statistics and the virtual clock. */
    long instructionsRetired();

    /** Appends the recent-instruction trace, if the engine keeps one (debugging aid). */
    default void appendTrace(StringBuilder out) {
    }

    /** Prints engine statistics lines (code cache, translations) for {@code lkvm run --stats}. */
    default void appendStats(StringBuilder out) {
    }
  }
}
