package org.jkvm.runtime;

/**
 * A device on the x86 I/O port bus. Offsets are relative to the base it was registered at; the device does
 * not know where it sits. Implementations never throw on guest misuse: a bad width or offset is ignored and
 * counted, and reads of nothing return all-ones.
 */
public interface PortIoDevice {
  /** Returns {@code size} (1, 2 or 4) bytes read at {@code offset}, zero-extended. */
  long in(int offset, int size);

  /** Writes the low {@code size} bytes of {@code value} at {@code offset}. */
  void out(int offset, int size, long value);
}
