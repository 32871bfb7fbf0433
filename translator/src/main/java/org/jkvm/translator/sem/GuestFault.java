package org.jkvm.translator.sem;

/**
 * An architectural exception the guest must see (#DE, #UD, #GP, #PF …). Never used for emulator bugs.
 * It carries no stack trace: it is control flow, thrown by semantics and caught only by the execution
 * loop, which restores the instruction's RIP and delivers the exception through the guest's IDT.
 */
public final class GuestFault extends RuntimeException {
  public static final int DE = 0;
  public static final int DB = 1;
  public static final int NMI = 2;
  public static final int BP = 3;
  public static final int OF = 4;
  public static final int BR = 5;
  public static final int UD = 6;
  public static final int NM = 7;
  public static final int DF = 8;
  public static final int TS = 10;
  public static final int NP = 11;
  public static final int SS = 12;
  public static final int GP = 13;
  public static final int PF = 14;
  public static final int MF = 16;
  public static final int AC = 17;
  public static final int MC = 18;
  public static final int XM = 19;

  public final int vector;
  public final int errorCode;
  public final boolean hasErrorCode;

  private GuestFault(int vector, int errorCode, boolean hasErrorCode) {
    super(null, null, false, false);
    this.vector = vector;
    this.errorCode = errorCode;
    this.hasErrorCode = hasErrorCode;
  }

  /** An exception without an error code. */
  public static GuestFault of(int vector) {
    return new GuestFault(vector, 0, false);
  }

  /** An exception with an error code. */
  public static GuestFault withCode(int vector, int errorCode) {
    return new GuestFault(vector, errorCode, true);
  }

  public static GuestFault ud() {
    return of(UD);
  }

  public static GuestFault gp(int errorCode) {
    return withCode(GP, errorCode);
  }

  public static GuestFault gp0() {
    return withCode(GP, 0);
  }

  @Override
  public String getMessage() {
    return "vector " + vector + (hasErrorCode ? " error " + Integer.toHexString(errorCode) : "");
  }
}
