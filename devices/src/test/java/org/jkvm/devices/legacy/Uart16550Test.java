package org.jkvm.devices.legacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Uart16550Test {
  ByteArrayOutputStream host;
  boolean irq;
  Uart16550 u;

  @BeforeEach
  void setUp() {
    host = new ByteArrayOutputStream();
    u = new Uart16550("ttyS0", level -> irq = level, host);
  }

  int in(int reg) {
    return (int) u.in(reg, 1);
  }

  void out(int reg, int v) {
    u.out(reg, 1, v);
  }

  @Test
  void reset_registersHaveKvmtoolValues() {
    assertEquals(0x01 | 0xC0, in(Uart16550.UART_IIR));
    assertEquals(0x60, in(Uart16550.UART_LSR));
    assertEquals(0xB0, in(Uart16550.UART_MSR));
    assertEquals(0x08, in(Uart16550.UART_MCR));
  }

  @Test
  void write_thr_goesToHostAndKeepsThrEmpty() {
    out(Uart16550.UART_TX, 'h');
    out(Uart16550.UART_TX, 'i');
    assertEquals("hi", host.toString());
    assertEquals(0x60, in(Uart16550.UART_LSR) & 0x60);
  }

  @Test
  void write_lcrDlab_selectsDivisorLatch() {
    out(Uart16550.UART_LCR, 0x80);
    out(Uart16550.UART_DLL, 0x01);
    out(Uart16550.UART_DLM, 0x02);
    assertEquals(0x01, in(Uart16550.UART_DLL));
    assertEquals(0x02, in(Uart16550.UART_DLM));
    assertEquals("", host.toString());
    out(Uart16550.UART_LCR, 0x03);
    assertEquals(0, in(Uart16550.UART_IER));
  }

  @Test
  void receive_setsDataReadyAndRaisesIrqWhenEnabled() {
    out(Uart16550.UART_IER, Uart16550.UART_IER_RDI);
    assertFalse(irq);
    u.receive(new byte[] {'a', 'b'}, 0, 2);
    assertTrue(irq);
    assertEquals(0x04 | 0xC0, in(Uart16550.UART_IIR));
    assertEquals(1, in(Uart16550.UART_LSR) & 1);
    assertEquals('a', in(Uart16550.UART_RX));
    assertEquals('b', in(Uart16550.UART_RX));
    assertEquals(0, in(Uart16550.UART_LSR) & 1);
    assertFalse(irq);
  }

  @Test
  void thri_assertedWhileEnabled() {
    out(Uart16550.UART_IER, Uart16550.UART_IER_THRI);
    assertTrue(irq);
    assertEquals(0x02 | 0xC0, in(Uart16550.UART_IIR));
    out(Uart16550.UART_IER, 0);
    assertFalse(irq);
  }

  @Test
  void loopback_echoesIntoReceiverAndMirrorsModemLines() {
    out(Uart16550.UART_MCR, Uart16550.UART_MCR_LOOP | 0x0A);
    assertEquals(0x90, in(Uart16550.UART_MSR) & 0xF0);
    out(Uart16550.UART_TX, 0x5A);
    assertEquals(0x5A, in(Uart16550.UART_RX));
    assertEquals("", host.toString());
  }

  @Test
  void fifo_overrunSetsOeAndClearsOnRead() {
    byte[] b = new byte[Uart16550.FIFO_LEN + 1];
    u.receive(b, 0, b.length);
    assertEquals(Uart16550.UART_LSR_OE, in(Uart16550.UART_LSR) & Uart16550.UART_LSR_OE);
    assertEquals(0, in(Uart16550.UART_LSR) & Uart16550.UART_LSR_OE);
    assertEquals(0, u.rxSpace());
  }

  @Test
  void scratch_holdsAByte() {
    out(Uart16550.UART_SCR, 0xA5);
    assertEquals(0xA5, in(Uart16550.UART_SCR));
  }

  @Test
  void registerFuzz_neverThrows() {
    Random r = new Random(7);
    for (int n = 0; n < 100_000; n++) {
      int off = r.nextInt(10) - 1;
      int size = 1 << r.nextInt(3);
      if (r.nextBoolean()) {
        u.in(off, size);
      } else {
        u.out(off, size, r.nextLong());
      }
    }
  }
}
