package org.jkvm.runtime.irqchip;

/**
 * Intel 8254 programmable interval timer (datasheet 231164-005, "8254 Programmable Interval Timer",
 * September 1993), clocked at 1.193182 MHz, as the PC wires it: counter 0's OUT to IRQ0, counter 2's GATE
 * from port 0x61 bit 0 and its OUT readable at port 0x61 bit 5 (the PC speaker and timing loops).
 *
 * <p>Counters are not stepped: their value is computed from the guest time elapsed since the count was
 * loaded, so an idle timer costs nothing.
 *
 * <p>Implemented: modes 0-5, binary and BCD, LSB/MSB/LSB-then-MSB access, counter latch, read-back (count
 * and status), gate control of counter 2, OUT state, IRQ0 edges from counter 0 in modes 0, 2, 3 and 4.
 *
 * <p>Ambiguities and choices:
 * <ul>
 *   <li>Periodic IRQ0 ticks that the guest could not take (a host pause) are coalesced into one, as KVM's
 *       "discard" policy does; the guest's clocksource accounts for the lost time.
 *   <li>Modes 1 and 5 (hardware triggered) only start on a rising GATE; only counter 2's gate can change.
 *   <li>Mode 3 with an odd count is treated as count - 1 for the half periods (the datasheet's (N+1)/2 and
 *       (N-1)/2 halves differ by one tick, below what guests measure).
 * </ul>
 */
final class I8254Pit {
  static final long FREQ_HZ = 1_193_182;

  static final class Counter {
    int mode;
    /** 1 LSB, 2 MSB, 3 LSB then MSB. */
    int rw = 3;
    boolean bcd;
    /** The initial count; 0 means 65536 (10000 in BCD). */
    int count = 0x10000;
    long loadNanos;
    boolean gate;
    /** Whether a count has been loaded since the mode was set (null count clears on load). */
    boolean loaded;
    // Latches and flip-flops.
    int latched = -1;
    int latchedBytes;
    int status = -1;
    boolean readMsbNext;
    boolean writeMsbNext;
    int writeLsb;
    /** IRQ0 bookkeeping: the time of the next output rising edge, or MAX_VALUE. */
    long nextEdge = Long.MAX_VALUE;
  }

  final Counter[] counters = {new Counter(), new Counter(), new Counter()};
  /** Port 0x61 bits 1:0 (speaker data enable, gate 2). */
  int port61;

  I8254Pit() {
    counters[0].gate = true;
    counters[1].gate = true;
  }

  /** Elapsed PIT ticks since the count was loaded; exact for any realistic uptime. */
  static long elapsed(Counter c, long now) {
    long ns = Math.max(0, now - c.loadNanos);
    return ns / 1_000_000_000L * FREQ_HZ + (ns % 1_000_000_000L) * FREQ_HZ / 1_000_000_000L;
  }

  /** Guest time of {@code ticks} PIT ticks after the load. */
  static long timeOf(Counter c, long ticks) {
    return c.loadNanos + ticks / FREQ_HZ * 1_000_000_000L + (ticks % FREQ_HZ) * 1_000_000_000L / FREQ_HZ
        + ((ticks % FREQ_HZ) * 1_000_000_000L % FREQ_HZ != 0 ? 1 : 0);
  }

  /** The current count of counter {@code c}. */
  int value(Counter c, long now) {
    if (!c.loaded) {
      return 0;
    }
    int n = c.count;
    if (!c.gate && (c.mode == 0 || c.mode == 2 || c.mode == 3 || c.mode == 4)) {
      // Counting is suspended while GATE is low: report the count frozen at load time (simplified).
      return n & 0xFFFF;
    }
    long d = elapsed(c, now);
    switch (c.mode) {
      case 2:
        return (int) (n - d % n) & 0xFFFF;
      case 3:
        return (int) (n - (2 * d) % n) & 0xFFFE;
      default: // 0, 1, 4, 5 count down and wrap
        return (int) ((n - d) & 0xFFFF);
    }
  }

  /** The OUT pin of counter {@code c}. */
  boolean out(Counter c, long now) {
    if (!c.loaded) {
      return c.mode != 0;
    }
    long d = c.gate || c.mode == 1 || c.mode == 5 ? elapsed(c, now) : 0;
    int n = c.count;
    switch (c.mode) {
      case 0:
        return d >= n;
      case 1:
        return d >= n;
      case 2:
        return d % n != n - 1;
      case 3:
        return d % n < (n + 1) / 2;
      case 4:
      case 5:
        return d != n;
      default:
        return true;
    }
  }

  /** Plans counter 0's next IRQ0 rising edge after {@code now}. */
  void planEdge(Counter c, long now) {
    if (!c.loaded || !c.gate) {
      c.nextEdge = Long.MAX_VALUE;
      return;
    }
    long d = elapsed(c, now);
    int n = c.count;
    long edgeTick;
    switch (c.mode) {
      case 0:
      case 4:
        edgeTick = d < n ? n : Long.MAX_VALUE; // one edge, at terminal count
        break;
      case 2:
      case 3:
        edgeTick = (d / n + 1) * n; // a rising edge at the start of every period
        break;
      default:
        edgeTick = Long.MAX_VALUE;
        break;
    }
    c.nextEdge = edgeTick == Long.MAX_VALUE ? Long.MAX_VALUE : timeOf(c, edgeTick);
  }

  /** Port 0x40-0x43 writes. */
  void write(int port, int v, long now) {
    v &= 0xFF;
    if (port == 3) {
      int sel = v >> 6;
      if (sel == 3) {
        readBack(v, now);
        return;
      }
      Counter c = counters[sel];
      int rw = (v >> 4) & 3;
      if (rw == 0) {
        if (c.latched < 0) { // counter latch command; a second latch is ignored
          c.latched = value(c, now);
          c.latchedBytes = c.rw == 3 ? 2 : 1;
        }
        return;
      }
      c.rw = rw;
      c.mode = (v >> 1) & 7;
      if (c.mode > 5) {
        c.mode -= 4; // modes 6 and 7 are aliases of 2 and 3
      }
      c.bcd = (v & 1) != 0;
      c.loaded = false;
      c.readMsbNext = false;
      c.writeMsbNext = false;
      c.latched = -1;
      c.status = -1;
      c.nextEdge = Long.MAX_VALUE;
      return;
    }
    Counter c = counters[port];
    switch (c.rw) {
      case 1:
        load(c, v, now);
        break;
      case 2:
        load(c, v << 8, now);
        break;
      default:
        if (!c.writeMsbNext) {
          c.writeLsb = v;
          c.writeMsbNext = true;
          if (c.mode == 0) {
            c.loaded = false; // mode 0: writing the first byte stops the count and drops OUT
          }
        } else {
          c.writeMsbNext = false;
          load(c, c.writeLsb | v << 8, now);
        }
        break;
    }
    if (port == 0) {
      planEdge(c, now);
    }
  }

  private void load(Counter c, int n, long now) {
    int count = c.bcd ? fromBcd(n) : n;
    c.count = count == 0 ? (c.bcd ? 10000 : 0x10000) : count;
    if (c.mode == 2 || c.mode == 3) {
      c.count = Math.max(c.count, 2); // a count of 1 is illegal in the periodic modes
    }
    c.loadNanos = now;
    c.loaded = true;
  }

  private static int fromBcd(int v) {
    return (v & 0xF) + ((v >> 4) & 0xF) * 10 + ((v >> 8) & 0xF) * 100 + ((v >> 12) & 0xF) * 1000;
  }

  private static int toBcd(int v) {
    v %= 10000;
    return (v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 | (v / 1000) << 12;
  }

  private void readBack(int v, long now) {
    for (int k = 0; k < 3; k++) {
      if ((v & (2 << k)) == 0) {
        continue;
      }
      Counter c = counters[k];
      if ((v & 0x10) == 0 && c.status < 0) {
        c.status = (out(c, now) ? 0x80 : 0) | (c.loaded ? 0 : 0x40) | c.rw << 4 | c.mode << 1 | (c.bcd ? 1 : 0);
      }
      if ((v & 0x20) == 0 && c.latched < 0) {
        c.latched = value(c, now);
        c.latchedBytes = c.rw == 3 ? 2 : 1;
      }
    }
  }

  /** Port 0x40-0x42 reads. */
  int read(int port, long now) {
    if (port == 3) {
      return 0xFF; // the control word register cannot be read
    }
    Counter c = counters[port];
    if (c.status >= 0) {
      int s = c.status;
      c.status = -1;
      return s;
    }
    int v;
    boolean fromLatch = c.latched >= 0;
    int val = fromLatch ? c.latched : value(c, now);
    if (c.bcd) {
      val = toBcd(val);
    }
    switch (c.rw) {
      case 1:
        v = val & 0xFF;
        c.latched = -1;
        break;
      case 2:
        v = (val >> 8) & 0xFF;
        c.latched = -1;
        break;
      default:
        if (!c.readMsbNext) {
          v = val & 0xFF;
          c.readMsbNext = true;
        } else {
          v = (val >> 8) & 0xFF;
          c.readMsbNext = false;
          c.latched = -1;
        }
        break;
    }
    return v;
  }

  /** Port 0x61: bit 0 GATE2, bit 1 speaker; reads add the refresh toggle (bit 4) and OUT2 (bit 5). */
  int readPort61(long now) {
    int refresh = (int) ((now / 15_085) & 1); // the DRAM refresh request toggles every 15.085 us
    return port61 & 3 | refresh << 4 | (out(counters[2], now) ? 0x20 : 0);
  }

  void writePort61(int v, long now) {
    Counter c2 = counters[2];
    boolean gate = (v & 1) != 0;
    if (gate && !c2.gate) {
      // A rising GATE restarts modes 1, 2, 3 and 5 (and starts mode 1/5 one-shots).
      if (c2.loaded && c2.mode != 0 && c2.mode != 4) {
        c2.loadNanos = now;
      }
    }
    c2.gate = gate;
    port61 = v & 3;
  }
}
