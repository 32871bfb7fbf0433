package org.jkvm.runtime;

/**
 * The virtual {@code /dev/kvm}: the root of the three-level API (hypervisor, VM, vCPU) that KVM offers to
 * kvmtool. It binds a {@link Backend}, the engine that will run guest code.
 */
public final class Hypervisor {
  /** KVM_GET_API_VERSION answers 12 on every Linux since 2.6.22; kvmtool refuses anything else. */
  public static final int API_VERSION = 12;
  /** KVM_CAP_MAX_VCPUS as this machine offers it; the MP table caps at 255 anyway. */
  public static final int MAX_VCPUS = 255;

  private final Backend backend;

  public Hypervisor(Backend backend) {
    this.backend = backend;
  }

  public Backend backend() {
    return backend;
  }

  /** KVM_CREATE_VM. */
  public Vm createVm() {
    return new Vm(this);
  }
}
