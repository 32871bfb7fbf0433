package org.jkvm.lkvm.machine;

import java.nio.file.Path;
import org.jkvm.translator.TranslatorBackend;

/** Everything {@code lkvm run} decided from its command line, for the machine builder. */
public record VmConfig(
    String name,
    int cpus,
    long ramBytes,
    Path kernel,
    Path initrd,
    String cmdline,
    Path firmware,
    String console,
    boolean debugIoport,
    TranslatorBackend.Engine engine,
    boolean stats,
    boolean nodefaults,
    boolean virtualClock) {

  public long ramMiB() {
    return ramBytes >>> 20;
  }
}
