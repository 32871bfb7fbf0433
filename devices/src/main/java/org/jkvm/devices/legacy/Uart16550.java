package org.jkvm.devices.legacy;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.atomic.LongAdder;
import org.jkvm.devices.IrqLine;
import org.jkvm.runtime.PortIoDevice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * National Semiconductor PC16550D UART with its FIFOs (64 bytes deep here), as kvmtool emulates it
 * (hw/serial.c): datasheet "PC16550D Universal Asynchronous Receiver/Transmitter with FIFOs", June 1995,
 * section 8 (registers). Register names are Linux's (include/uapi/linux/serial_reg.h).
 *
 * <p>Implemented: all eight registers with DLAB, receive FIFO with data-ready and receiver interrupts,
 * transmit (bytes go to the host at once, so THR is always empty), THR-empty interrupts, loopback, the
 * scratch register, FIFO clear through FCR.
 *
 * <p>Ambiguities and choices, following kvmtool so that guests see the same device:
 * <ul>
 *   <li>IIR reads always show FIFOs enabled (bits 7:6 set), as kvmtool returns {@code iir | 0xC0}.
 *   <li>The THR-empty interrupt stays asserted while IER.THRI is set (transmission is instant); reading
 *       IIR does not clear it. The interrupt line is level and follows IIR.
 *   <li>No modem-status or line-status interrupts; MSR reads DCD|DSR|CTS outside loopback.
 *   <li>Receive overrun drops the byte and sets LSR.OE, cleared on the next LSR read.
 * </ul>
 */
public final class Uart16550 implements PortIoDevice {
  private static final Logger LOG = LoggerFactory.getLogger(Uart16550.class);

  // Register offsets.
  static final int UART_RX = 0; // in: receive buffer (DLAB = 0)
  static final int UART_TX = 0; // out: transmit holding (DLAB = 0)
  static final int UART_DLL = 0; // divisor latch low (DLAB = 1)
  static final int UART_IER = 1; // interrupt enable (DLAB = 0)
  static final int UART_DLM = 1; // divisor latch high (DLAB = 1)
  static final int UART_IIR = 2; // in: interrupt identification
  static final int UART_FCR = 2; // out: FIFO control
  static final int UART_LCR = 3;
  static final int UART_MCR = 4;
  static final int UART_LSR = 5;
  static final int UART_MSR = 6;
  static final int UART_SCR = 7;

  static final int UART_IER_RDI = 0x01;
  static final int UART_IER_THRI = 0x02;
  static final int UART_IIR_NO_INT = 0x01;
  static final int UART_IIR_THRI = 0x02;
  static final int UART_IIR_RDI = 0x04;
  static final int UART_IIR_FIFO_BITS = 0xC0;
  static final int UART_FCR_CLEAR_RCVR = 0x02;
  static final int UART_FCR_CLEAR_XMIT = 0x04;
  static final int UART_LCR_DLAB = 0x80;
  static final int UART_MCR_DTR = 0x01;
  static final int UART_MCR_RTS = 0x02;
  static final int UART_MCR_OUT1 = 0x04;
  static final int UART_MCR_OUT2 = 0x08;
  static final int UART_MCR_LOOP = 0x10;
  static final int UART_LSR_DR = 0x01;
  static final int UART_LSR_OE = 0x02;
  static final int UART_LSR_BI = 0x10;
  static final int UART_LSR_THRE = 0x20;
  static final int UART_LSR_TEMT = 0x40;
  static final int UART_MSR_CTS = 0x10;
  static final int UART_MSR_DSR = 0x20;
  static final int UART_MSR_RI = 0x40;
  static final int UART_MSR_DCD = 0x80;

  static final int FIFO_LEN = 64;

  private final String name;
  private final IrqLine irq;
  private final OutputStream out;

  private int dll = 0x0C; // 9600 baud, as firmware leaves it
  private int dlm;
  private int ier;
  private int iir = UART_IIR_NO_INT;
  private int lcr;
  private int mcr = UART_MCR_OUT2;
  private int lsr = UART_LSR_TEMT | UART_LSR_THRE;
  private int msr = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
  private int scr;
  private final byte[] rx = new byte[FIFO_LEN];
  private int rxHead;
  private int rxCount;
  private boolean irqState;

  /** Guest accesses the device could not make sense of (bad width). */
  public final LongAdder missedAccesses = new LongAdder();

  public Uart16550(String name, IrqLine irq, OutputStream out) {
    this.name = name;
    this.irq = irq;
    this.out = out;
  }

  @Override
  public synchronized long in(int offset, int size) {
    if (size != 1) {
      missedAccesses.increment();
      LOG.debug("{}: {}-byte read at offset {}", name, size, offset);
    }
    int v;
    switch (offset) {
      case UART_RX:
        if ((lcr & UART_LCR_DLAB) != 0) {
          v = dll;
        } else {
          v = popRx();
        }
        break;
      case UART_IER:
        v = (lcr & UART_LCR_DLAB) != 0 ? dlm : ier;
        break;
      case UART_IIR:
        v = iir | UART_IIR_FIFO_BITS;
        break;
      case UART_LCR:
        v = lcr;
        break;
      case UART_MCR:
        v = mcr;
        break;
      case UART_LSR:
        v = lsr;
        lsr &= ~(UART_LSR_OE | UART_LSR_BI);
        break;
      case UART_MSR:
        v = modemStatus();
        break;
      case UART_SCR:
        v = scr;
        break;
      default:
        missedAccesses.increment();
        v = 0xFF;
        break;
    }
    updateIrq();
    return v & 0xFF;
  }

  @Override
  public synchronized void out(int offset, int size, long value) {
    if (size != 1) {
      missedAccesses.increment();
      LOG.debug("{}: {}-byte write at offset {}", name, size, offset);
    }
    int v = (int) value & 0xFF;
    switch (offset) {
      case UART_TX:
        if ((lcr & UART_LCR_DLAB) != 0) {
          dll = v;
        } else if ((mcr & UART_MCR_LOOP) != 0) {
          pushRx(v);
        } else {
          transmit(v);
        }
        break;
      case UART_IER:
        if ((lcr & UART_LCR_DLAB) != 0) {
          dlm = v;
        } else {
          ier = v & 0x0F;
        }
        break;
      case UART_FCR:
        if ((v & UART_FCR_CLEAR_RCVR) != 0) {
          rxHead = 0;
          rxCount = 0;
          lsr &= ~UART_LSR_DR;
        }
        break;
      case UART_LCR:
        lcr = v;
        break;
      case UART_MCR:
        mcr = v & 0x1F;
        break;
      case UART_SCR:
        scr = v;
        break;
      default:
        // LSR and MSR are read-only (factory test writes are ignored).
        missedAccesses.increment();
        break;
    }
    updateIrq();
  }

  /** Bytes typed on the host: queued for the guest if the FIFO has room. */
  public synchronized void receive(byte[] data, int off, int len) {
    for (int k = 0; k < len; k++) {
      pushRx(data[off + k] & 0xFF);
    }
    updateIrq();
  }

  /** A break condition followed by {@code ch}, as a terminal's BREAK key sends (Linux's sysrq trigger). */
  public synchronized void sendBreak(int ch) {
    lsr |= UART_LSR_BI;
    pushRx(0);
    pushRx(ch);
    updateIrq();
  }

  /** Free space in the receive FIFO, so that the console reader can hold back instead of dropping. */
  public synchronized int rxSpace() {
    return FIFO_LEN - rxCount;
  }

  private void transmit(int v) {
    try {
      out.write(v);
      out.flush();
    } catch (IOException e) {
      LOG.debug("{}: host output failed: {}", name, e.toString());
    }
  }

  private void pushRx(int v) {
    if (rxCount == FIFO_LEN) {
      lsr |= UART_LSR_OE;
      return;
    }
    rx[(rxHead + rxCount) % FIFO_LEN] = (byte) v;
    rxCount++;
    lsr |= UART_LSR_DR;
  }

  private int popRx() {
    if (rxCount == 0) {
      return 0;
    }
    int v = rx[rxHead] & 0xFF;
    rxHead = (rxHead + 1) % FIFO_LEN;
    rxCount--;
    if (rxCount == 0) {
      lsr &= ~UART_LSR_DR;
    }
    return v;
  }

  /** In loopback the modem inputs are wired to the modem outputs (datasheet 8.6.4). */
  private int modemStatus() {
    if ((mcr & UART_MCR_LOOP) == 0) {
      return msr;
    }
    int m = 0;
    if ((mcr & UART_MCR_RTS) != 0) {
      m |= UART_MSR_CTS;
    }
    if ((mcr & UART_MCR_DTR) != 0) {
      m |= UART_MSR_DSR;
    }
    if ((mcr & UART_MCR_OUT1) != 0) {
      m |= UART_MSR_RI;
    }
    if ((mcr & UART_MCR_OUT2) != 0) {
      m |= UART_MSR_DCD;
    }
    return m;
  }

  private void updateIrq() {
    int id = 0;
    if ((ier & UART_IER_RDI) != 0 && (lsr & UART_LSR_DR) != 0) {
      id = UART_IIR_RDI;
    } else if ((ier & UART_IER_THRI) != 0 && (lsr & UART_LSR_TEMT) != 0) {
      id = UART_IIR_THRI;
    }
    iir = id == 0 ? UART_IIR_NO_INT : id;
    boolean level = id != 0;
    if (level != irqState) {
      irqState = level;
      irq.set(level);
    }
  }
}
