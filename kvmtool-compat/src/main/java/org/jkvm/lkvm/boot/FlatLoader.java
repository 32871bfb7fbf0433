package org.jkvm.lkvm.boot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jkvm.lkvm.Report;
import org.jkvm.mmu.PhysicalMemory;

/**
 * kvmtool's flat-binary and firmware loaders (x86/kvm.c load_flat_binary, x86/boot.c kvm__load_firmware):
 * a flat binary goes to 0x10000 and starts in real mode at 1000:0000; a firmware image goes to 0xE0000
 * and starts at F000:FFF0. Both start with SP = 0x8000.
 */
public final class FlatLoader {
  private FlatLoader() {}

  /** Where and how a boot image starts. */
  public record Entry(int selector, int ip, int sp) {}

  public static Entry loadFlat(PhysicalMemory mem, Path file, long ramBytes) {
    byte[] image = read(file, "Unable to open kernel %s");
    long room = ramBytes - GuestLayout.BOOT_LOADER_ADDR;
    int n = (int) Math.min(image.length, room);
    mem.writeBytes(GuestLayout.BOOT_LOADER_ADDR, image, 0, n);
    return new Entry(GuestLayout.BOOT_LOADER_SELECTOR, 0, GuestLayout.BOOT_SP);
  }

  public static Entry loadFirmware(PhysicalMemory mem, Path file) {
    byte[] image;
    try {
      image = Files.readAllBytes(file);
    } catch (IOException e) {
      throw Report.die("unable to load firmware image %s: %s", file, reason(e));
    }
    if (image.length > GuestLayout.FIRMWARE_MAX) {
      throw Report.die("firmware image %s is too big to fit in memory (%d KB).", file, image.length / 1024);
    }
    mem.writeBytes(GuestLayout.FIRMWARE_BEGIN, image, 0, image.length);
    return new Entry(GuestLayout.FIRMWARE_SELECTOR, GuestLayout.FIRMWARE_IP, GuestLayout.BOOT_SP);
  }

  static byte[] read(Path file, String failure) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException | OutOfMemoryError e) {
      throw Report.die(failure, file);
    }
  }

  /** strerror-like text for an I/O failure. */
  static String reason(IOException e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "No such file or directory";
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "Permission denied";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
