package org.jkvm.mmu;

/**
 * A device window in guest physical address space. Offsets are relative to the start of the window, so a
 * device does not know where it sits. Implementations never throw on guest misuse: a bad width or offset is
 * ignored (reads return all-ones or zero as the device defines) and counted.
 */
public interface MmioHandler {
  /** Reads {@code size} (1, 2, 4 or 8) bytes at {@code offset}; returns them zero-extended. */
  long read(long offset, int size);

  /** Writes the low {@code size} bytes of {@code value} at {@code offset}. */
  void write(long offset, int size, long value);
}
