package org.jkvm.lkvm.ipc;

import java.io.IOException;
import java.io.OutputStream;

/** What a running guest offers its control socket; implemented by the machine that runs it. */
public interface VmControl {
  /** KVM_IPC_STOP: ends the guest like kvm__reboot(). */
  void stop();

  /** KVM_IPC_PAUSE: stops every vCPU until {@link #resume}. */
  void pause();

  void resume();

  boolean paused();

  /** KVM_IPC_DEBUG with DUMP: writes every vCPU's register dump. */
  void dump(OutputStream out) throws IOException;

  /** KVM_IPC_DEBUG with NMI: injects an NMI into vCPU {@code cpu}. */
  void nmi(int cpu);

  /** KVM_IPC_DEBUG with SYSRQ: a break plus {@code c} on ttyS0. */
  void sysrq(char c);
}
