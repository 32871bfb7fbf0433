package org.jkvm.runtime;

/** General registers, as KVM_GET_REGS/KVM_SET_REGS carry them ({@code struct kvm_regs}). */
public final class Regs {
  /** RAX..R15 in encoding order. */
  public final long[] gpr = new long[16];
  public long rip;
  public long rflags;
}
