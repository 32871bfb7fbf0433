package org.jkvm.runtime;

/**
 * The shared exit record of one vCPU, like KVM's mmap'ed {@code struct kvm_run}: {@link Vcpu#run()} fills
 * the part that belongs to the exit reason it returns.
 */
public final class RunState {
  public static final int IO_IN = 0;
  public static final int IO_OUT = 1;

  public static final int SYSTEM_EVENT_SHUTDOWN = 1;
  public static final int SYSTEM_EVENT_RESET = 2;
  public static final int SYSTEM_EVENT_CRASH = 3;

  public ExitReason exitReason = ExitReason.UNKNOWN;
  /** The VMX basic exit reason behind the exit, for statistics. */
  public int vmxReason;

  // KVM_EXIT_IO
  public int ioDirection;
  public int ioPort;
  public int ioSize;
  public int ioCount;
  public long ioData;

  // KVM_EXIT_MMIO
  public long mmioAddr;
  public int mmioLen;
  public boolean mmioIsWrite;
  public long mmioData;

  // KVM_EXIT_SYSTEM_EVENT
  public int systemEventType;

  // KVM_EXIT_INTERNAL_ERROR: what went wrong, for the error report.
  public String internalError;
}
