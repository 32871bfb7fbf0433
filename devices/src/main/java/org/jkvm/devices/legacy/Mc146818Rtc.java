package org.jkvm.devices.legacy;

import java.time.Clock;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.jkvm.runtime.PortIoDevice;

/**
 * Motorola MC146818 real-time clock and CMOS RAM as kvmtool emulates it (hw/rtc.c): index port 0x70 (bit 7
 * is the NMI-disable flag), data port 0x71, 128 bytes. The time registers read the host's UTC time in BCD
 * (datasheet "MC146818A Real-Time Clock Plus RAM", register map: 0 seconds, 2 minutes, 4 hours, 6 day of
 * week, 7 day of month, 8 month, 9 year; 0x32 is the PC's century byte).
 *
 * <p>As in kvmtool: register B holds what the guest wrote (0 at reset, so BCD), register C and D are
 * read-only with D = 0x80 (valid RAM and time), register A never shows update-in-progress, and there are no
 * alarm, periodic or update interrupts (IRQ 8 never fires). Every other byte is plain RAM.
 */
public final class Mc146818Rtc implements PortIoDevice {
  static final int RTC_SECONDS = 0x00;
  static final int RTC_MINUTES = 0x02;
  static final int RTC_HOURS = 0x04;
  static final int RTC_DAY_OF_WEEK = 0x06;
  static final int RTC_DAY_OF_MONTH = 0x07;
  static final int RTC_MONTH = 0x08;
  static final int RTC_YEAR = 0x09;
  static final int RTC_REG_C = 0x0C;
  static final int RTC_REG_D = 0x0D;
  static final int RTC_CENTURY = 0x32;
  static final int RTC_REG_D_VRT = 0x80;

  private final Clock clock;
  private final byte[] cmos = new byte[128];
  private int index;
  private boolean nmiDisabled;

  public Mc146818Rtc(Clock clock) {
    this.clock = clock;
    cmos[RTC_REG_D] = (byte) RTC_REG_D_VRT;
  }

  public boolean nmiDisabled() {
    return nmiDisabled;
  }

  static int bcd(int v) {
    return (v / 10) << 4 | (v % 10);
  }

  @Override
  public synchronized long in(int offset, int size) {
    if (offset != 1) {
      return 0xFF; // the index port is write-only
    }
    ZonedDateTime t = ZonedDateTime.now(clock.withZone(ZoneOffset.UTC));
    switch (index) {
      case RTC_SECONDS: return bcd(t.getSecond());
      case RTC_MINUTES: return bcd(t.getMinute());
      case RTC_HOURS: return bcd(t.getHour());
      case RTC_DAY_OF_WEEK: return bcd(t.getDayOfWeek().getValue() % 7 + 1);
      case RTC_DAY_OF_MONTH: return bcd(t.getDayOfMonth());
      case RTC_MONTH: return bcd(t.getMonthValue());
      case RTC_YEAR: return bcd(t.getYear() % 100);
      case RTC_CENTURY: return bcd(t.getYear() / 100);
      default: return cmos[index] & 0xFF;
    }
  }

  @Override
  public synchronized void out(int offset, int size, long value) {
    int v = (int) value & 0xFF;
    if (offset == 0) {
      nmiDisabled = (v & 0x80) != 0;
      index = v & 0x7F;
      return;
    }
    if (offset == 1 && index != RTC_REG_C && index != RTC_REG_D) {
      cmos[index] = (byte) v;
    }
  }
}
