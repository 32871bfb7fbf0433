package org.jkvm.runtime;

/**
 * Why {@link Vcpu#run()} returned: the user-visible KVM exit reasons (linux/kvm.h KVM_EXIT_*), with
 * KVM's numbers.
 */
public enum ExitReason {
  UNKNOWN(0),
  IO(2),
  DEBUG(4),
  HLT(5),
  MMIO(6),
  SHUTDOWN(8),
  FAIL_ENTRY(9),
  /** The run was interrupted from outside (a signal, in KVM): pause, stop, or a requested kick. */
  INTR(10),
  INTERNAL_ERROR(17),
  SYSTEM_EVENT(24);

  public final int kvmNumber;

  ExitReason(int kvmNumber) {
    this.kvmNumber = kvmNumber;
  }
}
