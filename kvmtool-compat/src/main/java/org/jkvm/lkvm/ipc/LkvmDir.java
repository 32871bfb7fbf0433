package org.jkvm.lkvm.ipc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * kvmtool's state directory, {@code $HOME/.lkvm/} (main.c kvm__set_dir): created by every invocation; each
 * running guest's control socket is {@code <dir>/<name>.sock}.
 */
public final class LkvmDir {
  private LkvmDir() {}

  /** The directory, created if missing. {@code LKVM_HOME} overrides $HOME (tests). */
  public static Path get() {
    String home = System.getenv("LKVM_HOME");
    if (home == null) {
      home = System.getProperty("lkvm.home");
    }
    if (home == null) {
      home = System.getProperty("user.home");
    }
    Path dir = Path.of(home, ".lkvm");
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir);
        try {
          Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        } catch (UnsupportedOperationException | IOException e) {
          // mkdir(…, 0777) is subject to the umask anyway; keep what we got.
        }
      }
      return dir.toRealPath();
    } catch (IOException e) {
      return dir;
    }
  }

  public static Path socket(String name) {
    return get().resolve(name + ".sock");
  }
}
