package org.jkvm.lkvm.ipc;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The client side of kvmtool's control protocol: finding guests and sending them messages. */
public final class IpcClient {
  private IpcClient() {}

  /** A guest found in the state directory. */
  public record Instance(String name, Path socket) {}

  /** Sockets in ~/.lkvm named {@code *.sock}, in directory order (kvm__enumerate_instances). */
  public static List<Instance> instances() {
    List<Instance> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(LkvmDir.get(), "*.sock")) {
      for (Path p : ds) {
        String f = p.getFileName().toString();
        if (!Files.isDirectory(p)) {
          out.add(new Instance(f.substring(0, f.length() - ".sock".length()), p));
        }
      }
    } catch (IOException e) {
      return out;
    }
    return out;
  }

  /** True if somebody listens on {@code socket}. */
  static boolean alive(Path socket) {
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(socket));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Connects to guest {@code name}; a socket nobody answers on is a ghost and is deleted
   * (kvm__get_sock_by_instance). Returns null if the guest is not running.
   */
  public static SocketChannel connect(String name) {
    Path p = LkvmDir.socket(name);
    try {
      SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        c.connect(UnixDomainSocketAddress.of(p));
        return c;
      } catch (IOException e) {
        c.close();
        if (Files.exists(p)) {
          Files.deleteIfExists(p);
        }
        return null;
      }
    } catch (IOException e) {
      return null;
    }
  }

  public static void send(SocketChannel c, int type, byte[] payload) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(8 + payload.length).order(ByteOrder.nativeOrder());
    b.putInt(type).putInt(payload.length).put(payload);
    b.flip();
    while (b.hasRemaining()) {
      c.write(b);
    }
  }

  /** Sends a request without payload and reads the 4-byte answer; -1 if there is none. */
  public static int ask(SocketChannel c, int type) throws IOException {
    send(c, type, new byte[0]);
    ByteBuffer r = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder());
    if (!IpcServer.readFully(c, r)) {
      return -1;
    }
    r.flip();
    return r.getInt();
  }

  /** Everything the server sends until it closes the connection. */
  public static byte[] readAll(SocketChannel c) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer b = ByteBuffer.allocate(4096);
    while (c.read(b) >= 0) {
      b.flip();
      out.write(b.array(), 0, b.limit());
      b.clear();
    }
    return out.toByteArray();
  }
}
