package org.jkvm.translator.difftest;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The host side: compiles {@code src/test/native/difftest/runner.c} with the installed gcc into
 * {@code target/difftest/} (never committed), starts it, and exchanges batches of cases and results with it
 * over its standard input and output.
 *
 * <p>Case record (little-endian): magic "DIFT", mode, code length, patch count, data seed, 16 registers,
 * RFLAGS, a 512-byte FXSAVE image, the code bytes, then the patches (offset, length, 16 bytes). Result
 * record: magic "DIFR", kind (0 end, 1 fault), signal, trap number, error code, CR2, RIP, RFLAGS, 16
 * registers, ES/CS/SS/DS, the number of changed data quadwords, then the FXSAVE image and the changed
 * quadwords (offset, value).
 */
final class NativeRunner implements AutoCloseable {
  private static final int MAGIC_CASE = 0x54464944;
  private static final int MAGIC_SYNC = 0x434e5953;
  private static final int MAGIC_QUIT = 0x54495551;
  private static final int MAGIC_RESULT = 0x52464944;
  private static final int RESULT_HEADER = 4 * 4 + 8 * 4 + 16 * 8 + 4 * 2 + 4 + 4;

  private final Process process;
  private final OutputStream toRunner;
  private final DataInputStream fromRunner;

  /**
   * The runner stops a looping case itself (a CPU-time limit per case); this watchdog is the backstop for
   * a runner that stops answering at all: after {@link #STALL_NANOS} without a result it is killed, and
   * the read fails with the case it was waiting for.
   */
  private static final long STALL_NANOS = 60_000_000_000L;
  private volatile long waitingSince;
  private volatile boolean killedByWatchdog;
  private final Thread watchdog;

  private NativeRunner(Process p) {
    process = p;
    toRunner = new BufferedOutputStream(p.getOutputStream(), 1 << 20);
    fromRunner = new DataInputStream(new BufferedInputStream(p.getInputStream(), 1 << 20));
    watchdog = new Thread(this::watch, "difftest-runner-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }

  private void watch() {
    while (process.isAlive()) {
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        return;
      }
      long w = waitingSince;
      if (w != 0 && System.nanoTime() - w > STALL_NANOS) {
        killedByWatchdog = true;
        process.destroyForcibly();
        return;
      }
    }
  }

  /** Compiles the runner if its source is newer than the binary, and starts it. */
  static NativeRunner start(Path moduleDir) throws IOException {
    Path src = moduleDir.resolve("src/test/native/difftest/runner.c");
    if (!Files.exists(src)) {
      throw new IOException("difftest runner source not found: " + src);
    }
    Path outDir = moduleDir.resolve("target/difftest");
    Files.createDirectories(outDir);
    Path bin = outDir.resolve("runner");
    if (!Files.exists(bin) || Files.getLastModifiedTime(bin).compareTo(Files.getLastModifiedTime(src)) < 0) {
      compile(src, bin);
    }
    ProcessBuilder pb = new ProcessBuilder(bin.toString());
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    return new NativeRunner(pb.start());
  }

  private static void compile(Path src, Path bin) throws IOException {
    Path tmp = bin.resolveSibling("runner.tmp");
    List<String> cmd = new ArrayList<>(List.of("gcc", "-O2", "-std=gnu11", "-Wall", "-fPIE", "-pie",
        "-U_FORTIFY_SOURCE", "-fno-stack-protector",
        "-DCODE_VA=0x" + Long.toHexString(DiffLayout.CODE_VA) + "ull",
        "-DDATA_VA=0x" + Long.toHexString(DiffLayout.DATA_VA) + "ull",
        "-DDATA_SIZE=" + DiffLayout.DATA_SIZE,
        "-DGS_BASE=0x" + Long.toHexString(DiffLayout.GS_BASE) + "ull",
        "-DCOMPAT_VA=0x" + Long.toHexString(DiffLayout.COMPAT_VA) + "ull",
        "-o", tmp.toString(), src.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("gcc failed to build the difftest runner:\n" + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while compiling the runner");
    }
    Files.move(tmp, bin, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  /** Sends a batch of cases without waiting; the results are read by {@link #receive}. */
  void send(List<DiffCase> batch) throws IOException {
    for (DiffCase k : batch) {
      int np = k.patches.size();
      ByteBuffer b = ByteBuffer.allocate(4 * 4 + 8 + 17 * 8 + 512 + k.code.length + 24 * np)
          .order(ByteOrder.LITTLE_ENDIAN);
      b.putInt(MAGIC_CASE).putInt(k.mode).putInt(k.code.length).putInt(np).putLong(k.dataSeed);
      for (long r : k.gpr) {
        b.putLong(r);
      }
      b.putLong(k.rflags);
      b.put(k.fx);
      b.put(k.code);
      for (DiffCase.Patch p : k.patches) {
        b.putInt(p.off).putInt(p.bytes.length);
        byte[] sixteen = new byte[16];
        System.arraycopy(p.bytes, 0, sixteen, 0, p.bytes.length);
        b.put(sixteen);
      }
      toRunner.write(b.array());
    }
    ByteBuffer sync = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(MAGIC_SYNC);
    toRunner.write(sync.array());
    toRunner.flush();
  }

  /** Reads the result of one case sent earlier. */
  MachineState receive(DiffCase k) throws IOException {
    byte[] h = new byte[RESULT_HEADER];
    waitingSince = System.nanoTime();
    try {
      readFully(h);
    } catch (IOException e) {
      if (killedByWatchdog) {
        throw new IOException("difftest runner gave no result for 60 s and was killed, waiting for seed="
            + k.runSeed + " case=" + k.index + " bytes: " + Compare.hex(k.code), e);
      }
      throw e;
    } finally {
      waitingSince = 0;
    }
    ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
    if (b.getInt() != MAGIC_RESULT) {
      throw new IOException("difftest runner: bad result record");
    }
    MachineState s = new MachineState();
    int kind = b.getInt();
    b.getInt(); // signal number: the trap number says more
    int trapno = b.getInt();
    long err = b.getLong();
    long cr2 = b.getLong();
    s.rip = b.getLong();
    s.rflags = b.getLong();
    for (int r = 0; r < 16; r++) {
      s.gpr[r] = b.getLong();
    }
    for (int i = 0; i < 4; i++) {
      s.seg[i] = b.getShort() & 0xFFFF;
    }
    int nchanged = b.getInt();
    if (kind == 2) {
      s.error = "the host did not end the case within the runner's CPU-time limit (a loop)";
      s.timedOut = true;
    } else if (kind == 1) {
      s.faulted = true;
      s.vector = trapno;
      s.errorCode = err;
      s.cr2 = cr2;
    }
    readFully(s.fx);
    System.arraycopy(k.initialData, 0, s.data, 0, s.data.length);
    byte[] ch = new byte[16 * nchanged];
    readFully(ch);
    for (int i = 0; i < nchanged; i++) {
      int off = (int) MachineState.le(ch, 16 * i, 4);
      System.arraycopy(ch, 16 * i + 8, s.data, off, 8);
    }
    return s;
  }

  private void readFully(byte[] buf) throws IOException {
    try {
      fromRunner.readFully(buf);
    } catch (EOFException e) {
      throw new IOException("difftest runner died (exit " + (process.isAlive() ? "?" : process.exitValue()) + ")");
    }
  }

  @Override
  public void close() {
    watchdog.interrupt();
    try {
      ByteBuffer q = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(MAGIC_QUIT);
      toRunner.write(q.array());
      toRunner.flush();
      toRunner.close();
      InputStream in = process.getInputStream();
      in.transferTo(OutputStream.nullOutputStream());
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (IOException | InterruptedException e) {
      process.destroyForcibly();
    }
  }
}
