package org.jkvm.lkvm.boot;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * jkvm's own test guest: Debian's stock kernel and a busybox initramfs, built from Debian packages by
 * {@code guests/debian/build.sh} under a jkvm checkout. {@code lkvm run} boots it when neither -k nor a
 * kernel in kvmtool's default places is given, and the slow tests and the boot benchmark boot it too.
 *
 * <p>The initramfs's /init runs whatever follows {@code " -- "} on the kernel command line with
 * {@code sh -c}, prints {@link #EXIT_STATUS_PREFIX} and the status, and reboots; without a command it runs
 * a shell on the console. It prints {@link #BOOT_MARKER} once userspace is up.
 */
public final class DebianGuest {
  /** The line /init prints once proc, sys and devtmpfs are mounted. */
  public static final String BOOT_MARKER = "JKVM-BOOT-OK";
  /** /init prints this followed by the command's (or the shell's) exit status before it reboots. */
  public static final String EXIT_STATUS_PREFIX = "JKVM-EXIT-STATUS=";
  /** /init prints a line starting with this just before it starts the interactive shell. */
  public static final String SHELL_MARKER = "JKVM-SHELL";
  /** The system property naming the jkvm checkout (the ./lkvm launcher sets it). */
  public static final String HOME_PROPERTY = "lkvm.home";

  private final Path home;

  private DebianGuest(Path home) {
    this.home = home;
  }

  /** The guest of the checkout at {@code home}. */
  public static DebianGuest at(Path home) {
    return new DebianGuest(home);
  }

  /** The guest of the checkout named by {@code -Dlkvm.home}, or null when the property is not set. */
  public static DebianGuest fromSystemProperty() {
    String h = System.getProperty(HOME_PROPERTY);
    return h == null || h.isEmpty() ? null : new DebianGuest(Path.of(h));
  }

  public Path buildScript() {
    return home.resolve("guests/debian/build.sh");
  }

  public Path kernel() {
    return home.resolve("guests/debian/out/bzImage");
  }

  public Path initrd() {
    return home.resolve("guests/debian/out/initrd.gz");
  }

  /** The initramfs that also holds /bin/guestbench (build.sh --guestbench). */
  public Path guestbenchInitrd() {
    return home.resolve("guests/debian/out/initrd-guestbench.gz");
  }

  /** True when this checkout has the build script. */
  public boolean available() {
    return Files.isRegularFile(buildScript());
  }

  /**
   * Runs build.sh (which returns at once when everything is up to date); its output goes to {@code log}.
   *
   * @return build.sh's exit status, or -1 when it could not be started
   */
  public int build(boolean withGuestbench, PrintStream log) {
    List<String> cmd = new ArrayList<>(List.of("bash", buildScript().toString()));
    if (withGuestbench) {
      cmd.add("--guestbench");
    }
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
      try (InputStream in = p.getInputStream()) {
        in.transferTo(log);
      }
      log.flush();
      return p.waitFor();
    } catch (IOException e) {
      log.println("  Error: cannot run " + buildScript() + ": " + e.getMessage());
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** True when the kernel and the initramfs exist (built earlier). */
  public boolean built() {
    return Files.isRegularFile(kernel()) && Files.isRegularFile(initrd());
  }
}
