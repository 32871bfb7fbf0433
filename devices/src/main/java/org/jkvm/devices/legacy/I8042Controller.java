package org.jkvm.devices.legacy;

import org.jkvm.devices.IrqLine;
import org.jkvm.runtime.PortIoDevice;

/**
 * Intel 8042 keyboard controller with a PS/2 mouse behind it, as kvmtool emulates it (hw/i8042.c): data
 * port 0x60, status/command port 0x64 (registered at 0x60-0x61 and 0x64-0x65 like kvmtool; the PIT owns
 * 0x61 here, as KVM's in-kernel PIT does). IRQ 1 for keyboard data, IRQ 12 for mouse data.
 *
 * <p>Implemented: the controller configuration byte (0x20/0x60), aux enable/disable/test/loop/send
 * (mouse commands acknowledged with 0xFA: E6, E8, E9, F2, F3, F4, F5, F6, FF), keyboard commands answered
 * with ACK and the ID bytes AB 41, and command 0xFE, which resets the system (lkvm ends the session, as
 * kvmtool's kvm__reboot does). No host keyboard input: the serial console is the input device.
 */
public final class I8042Controller implements PortIoDevice {
  static final int I8042_CMD_CTL_RCTR = 0x20;
  static final int I8042_CMD_CTL_WCTR = 0x60;
  static final int I8042_CMD_AUX_DISABLE = 0xA7;
  static final int I8042_CMD_AUX_ENABLE = 0xA8;
  static final int I8042_CMD_AUX_TEST = 0xA9;
  static final int I8042_CMD_AUX_LOOP = 0xD3;
  static final int I8042_CMD_AUX_SEND = 0xD4;
  static final int I8042_CMD_SYSTEM_RESET = 0xFE;
  static final int RESPONSE_ACK = 0xFA;
  static final int MODE_DISABLE_AUX = 0x20;
  static final int I8042_STR_AUXDATA = 0x20;
  static final int I8042_STR_KEYLOCK = 0x10;
  static final int I8042_STR_CMDDAT = 0x08;
  static final int I8042_STR_MUXERR = 0x04;
  static final int I8042_STR_OBF = 0x01;
  static final int KBD_MODE_KBD_INT = 0x01;
  static final int KBD_MODE_SYS = 0x02;
  static final int AUX_ENABLE_REPORTING = 0x20;
  static final int AUX_SCALING_FLAG = 0x10;
  static final int AUX_DEFAULT_RESOLUTION = 2;
  static final int AUX_DEFAULT_SAMPLE = 100;
  static final int QUEUE_SIZE = 128;

  private final IrqLine kbdIrq;
  private final IrqLine auxIrq;
  private final Runnable reset;
  private final java.util.ArrayDeque<Integer> kq = new java.util.ArrayDeque<>();
  private final java.util.ArrayDeque<Integer> mq = new java.util.ArrayDeque<>();
  private int lastKbd;
  private int mstatus;
  private int mres = AUX_DEFAULT_RESOLUTION;
  private int msample = AUX_DEFAULT_SAMPLE;
  private int mode = KBD_MODE_KBD_INT | KBD_MODE_SYS;
  private int status = I8042_STR_MUXERR | I8042_STR_CMDDAT | I8042_STR_KEYLOCK;
  private int writeCmd;

  /** {@code reset} is what the 0xFE command does to the machine. */
  public I8042Controller(IrqLine kbdIrq, IrqLine auxIrq, Runnable reset) {
    this.kbdIrq = kbdIrq;
    this.auxIrq = auxIrq;
    this.reset = reset;
  }

  /** Offsets: 0 = port 0x60 (data), 4 = port 0x64 (status/command); 1 and 5 read as port 0x61/0x65. */
  @Override
  public synchronized long in(int offset, int size) {
    switch (offset) {
      case 4:
        return status;
      case 0:
        return readData();
      case 1:
        return 0x20;
      default:
        return 0xFF;
    }
  }

  @Override
  public void out(int offset, int size, long value) {
    boolean doReset = false;
    synchronized (this) {
      if (offset == 4) {
        doReset = writeCommand((int) value & 0xFF);
      } else if (offset == 0) {
        writeData((int) value & 0xFF);
      }
    }
    if (doReset) {
      reset.run();
    }
  }

  private void kbdQueue(int c) {
    if (kq.size() < QUEUE_SIZE) {
      kq.add(c & 0xFF);
      updateIrq();
    }
  }

  private void mouseQueue(int c) {
    if (mq.size() < QUEUE_SIZE) {
      mq.add(c & 0xFF);
      updateIrq();
    }
  }

  /** Keyboard data has priority over mouse data; OBF/AUXDATA and the IRQ levels follow the queues. */
  private void updateIrq() {
    status &= ~(I8042_STR_OBF | I8042_STR_AUXDATA);
    boolean k = !kq.isEmpty();
    boolean m = !k && !mq.isEmpty();
    if (k) {
      status |= I8042_STR_OBF;
    }
    if (m) {
      status |= I8042_STR_OBF | I8042_STR_AUXDATA;
    }
    kbdIrq.set(k);
    auxIrq.set(m);
  }

  private boolean writeCommand(int v) {
    switch (v) {
      case I8042_CMD_CTL_RCTR:
        kbdQueue(mode);
        break;
      case I8042_CMD_CTL_WCTR:
      case I8042_CMD_AUX_SEND:
      case I8042_CMD_AUX_LOOP:
        writeCmd = v;
        break;
      case I8042_CMD_AUX_TEST:
        mouseQueue(0); // 0: a normal PS/2 mouse
        break;
      case I8042_CMD_AUX_DISABLE:
        mode |= MODE_DISABLE_AUX;
        break;
      case I8042_CMD_AUX_ENABLE:
        mode &= ~MODE_DISABLE_AUX;
        break;
      case I8042_CMD_SYSTEM_RESET:
        return true;
      default:
        break;
    }
    return false;
  }

  private int readData() {
    Integer v = kq.poll();
    if (v != null) {
      lastKbd = v;
      kbdIrq.set(false);
      updateIrq();
      return v;
    }
    v = mq.poll();
    if (v != null) {
      auxIrq.set(false);
      updateIrq();
      return v;
    }
    return lastKbd; // an empty buffer reads the last keyboard byte again
  }

  private void writeData(int v) {
    switch (writeCmd) {
      case I8042_CMD_CTL_WCTR:
        mode = v;
        updateIrq();
        break;
      case I8042_CMD_AUX_LOOP:
        mouseQueue(v);
        mouseQueue(RESPONSE_ACK);
        break;
      case I8042_CMD_AUX_SEND:
        mouseQueue(RESPONSE_ACK);
        mouseCommand(v);
        break;
      case 0:
        // A keyboard command: answer with ACK and the MF2 keyboard ID.
        kbdQueue(RESPONSE_ACK);
        kbdQueue(0xAB);
        kbdQueue(0x41);
        break;
      default:
        break;
    }
    writeCmd = 0;
  }

  private void mouseCommand(int v) {
    switch (v) {
      case 0xE6:
        mstatus &= ~AUX_SCALING_FLAG;
        break;
      case 0xE8:
        mres = v;
        break;
      case 0xE9:
        mouseQueue(mstatus);
        mouseQueue(mres);
        mouseQueue(msample);
        break;
      case 0xF2:
        mouseQueue(0);
        break;
      case 0xF3:
        msample = v;
        break;
      case 0xF4:
        mstatus |= AUX_ENABLE_REPORTING;
        break;
      case 0xF5:
        mstatus &= ~AUX_ENABLE_REPORTING;
        break;
      case 0xF6:
      case 0xFF:
        mstatus = 0;
        mres = AUX_DEFAULT_RESOLUTION;
        msample = AUX_DEFAULT_SAMPLE;
        break;
      default:
        break;
    }
  }
}
