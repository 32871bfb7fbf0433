package org.jkvm.lkvm;

/** Ends an lkvm command with an exit status; caught only by {@link Main}. */
public final class LkvmExit extends RuntimeException {
  public final int status;

  public LkvmExit(int status) {
    super("exit " + status, null, false, false);
    this.status = status;
  }
}
