package org.jkvm.lkvm.ipc;

/**
 * kvmtool's control protocol (include/kvm/kvm-ipc.h): a header {@code struct kvm_ipc_head { u32 type;
 * u32 len; }} in host byte order, then {@code len} payload bytes. Replies to PID and VMSTATE are a bare
 * 4-byte value; a DEBUG dump is text, then the server closes the connection.
 */
public final class IpcMessage {
  private IpcMessage() {}

  public static final int KVM_IPC_BALLOON = 1;
  public static final int KVM_IPC_DEBUG = 2;
  public static final int KVM_IPC_STAT = 3;
  public static final int KVM_IPC_PAUSE = 4;
  public static final int KVM_IPC_RESUME = 5;
  public static final int KVM_IPC_STOP = 6;
  public static final int KVM_IPC_PID = 7;
  public static final int KVM_IPC_VMSTATE = 8;
  public static final int KVM_IPC_MAX_MSGS = 16;

  public static final int KVM_VMSTATE_RUNNING = 0;
  public static final int KVM_VMSTATE_PAUSED = 1;

  /** struct debug_cmd_params { u32 dbg_type; u32 cpu; char sysrq; }: dbg_type bits. */
  public static final int KVM_DEBUG_CMD_TYPE_DUMP = 1;
  public static final int KVM_DEBUG_CMD_TYPE_NMI = 2;
  public static final int KVM_DEBUG_CMD_TYPE_SYSRQ = 4;
  public static final int DEBUG_PARAMS_SIZE = 12;
}
