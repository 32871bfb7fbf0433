package org.jkvm.lkvm.ipc;

import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jkvm.lkvm.LkvmExit;
import org.jkvm.lkvm.Report;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control socket of a running guest (kvm-ipc.c, kvm.c kvm__create_socket): {@code ~/.lkvm/<name>.sock},
 * so that {@code lkvm list/stop/pause/resume/debug} — jkvm's or kvmtool's — can find and drive it. A stale
 * socket file nobody listens on is removed ("ghost socket"); a live one means the name is taken.
 */
public final class IpcServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(IpcServer.class);

  private final Path path;
  private final ServerSocketChannel server;
  private final VmControl vm;
  private final Thread thread;

  private IpcServer(Path path, ServerSocketChannel server, VmControl vm) {
    this.path = path;
    this.server = server;
    this.vm = vm;
    this.thread = new Thread(this::serve, "kvm-ipc");
    this.thread.setDaemon(true);
  }

  /** Binds the socket for guest {@code name}; dies with kvmtool's messages when the name is taken. */
  public static IpcServer start(String name, VmControl vm) {
    Path p = LkvmDir.socket(name);
    ServerSocketChannel s;
    try {
      s = bind(p);
    } catch (IOException e) {
      if (Files.exists(p)) {
        if (IpcClient.alive(p)) {
          Report.error("Guest socket file %s already exists.", p);
          Report.warning("Failed init: kvm_ipc__init");
          throw Report.die("Initialisation failed");
        }
        try {
          Files.deleteIfExists(p);
          Report.info("Removed ghost socket file \"%s\".", p);
          s = bind(p);
        } catch (IOException e2) {
          throw failed(p, e2);
        }
      } else {
        throw failed(p, e);
      }
    }
    IpcServer srv = new IpcServer(p, s, vm);
    srv.thread.start();
    return srv;
  }

  private static LkvmExit failed(Path p, IOException e) {
    Report.error("Failed creating socket %s: %s", p, e.getMessage());
    Report.warning("Failed init: kvm_ipc__init");
    return Report.die("Initialisation failed");
  }

  private static ServerSocketChannel bind(Path p) throws IOException {
    ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      s.bind(UnixDomainSocketAddress.of(p));
    } catch (IOException e) {
      s.close();
      throw e;
    }
    return s;
  }

  private void serve() {
    while (server.isOpen()) {
      try (SocketChannel c = server.accept()) {
        handle(c);
      } catch (IOException e) {
        if (server.isOpen()) {
          LOG.debug("control connection failed: {}", e.toString());
        }
      }
    }
  }

  /** Reads messages until the client closes, as kvm_ipc__receive's loop does. */
  private void handle(SocketChannel c) throws IOException {
    ByteBuffer head = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
    for (;;) {
      head.clear();
      if (!readFully(c, head)) {
        return;
      }
      head.flip();
      int type = head.getInt();
      int len = head.getInt();
      if (len < 0 || len > 4096) {
        return;
      }
      ByteBuffer payload = ByteBuffer.allocate(len).order(ByteOrder.nativeOrder());
      if (!readFully(c, payload)) {
        return;
      }
      payload.flip();
      if (!dispatch(c, type, len, payload)) {
        return;
      }
    }
  }

  private boolean dispatch(SocketChannel c, int type, int len, ByteBuffer msg) throws IOException {
    switch (type) {
      case IpcMessage.KVM_IPC_PID:
        reply(c, (int) ProcessHandle.current().pid());
        return true;
      case IpcMessage.KVM_IPC_VMSTATE:
        reply(c, vm.paused() ? IpcMessage.KVM_VMSTATE_PAUSED : IpcMessage.KVM_VMSTATE_RUNNING);
        return true;
      case IpcMessage.KVM_IPC_STOP:
        if (len == 0) {
          vm.stop();
        }
        return true;
      case IpcMessage.KVM_IPC_PAUSE:
        if (len == 0 && !vm.paused()) {
          vm.pause();
        }
        return true;
      case IpcMessage.KVM_IPC_RESUME:
        if (len == 0 && vm.paused()) {
          vm.resume();
        }
        return true;
      case IpcMessage.KVM_IPC_DEBUG: {
        if (len != IpcMessage.DEBUG_PARAMS_SIZE) {
          return true;
        }
        int dbgType = msg.getInt();
        int cpu = msg.getInt();
        char sysrq = (char) (msg.get() & 0xFF);
        if ((dbgType & IpcMessage.KVM_DEBUG_CMD_TYPE_NMI) != 0) {
          vm.nmi(cpu);
        }
        if ((dbgType & IpcMessage.KVM_DEBUG_CMD_TYPE_SYSRQ) != 0) {
          vm.sysrq(sysrq);
        }
        if ((dbgType & IpcMessage.KVM_DEBUG_CMD_TYPE_DUMP) != 0) {
          OutputStream out = Channels.newOutputStream(c);
          vm.dump(out);
          out.flush();
          vm.sysrq('p'); // kvmtool follows a dump with sysrq-p on ttyS0
          return false; // the dump ends with the connection closed
        }
        return true;
      }
      default:
        Report.warning("No device handles type %d", type);
        return true;
    }
  }

  private static void reply(SocketChannel c, int value) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value);
    b.flip();
    while (b.hasRemaining()) {
      c.write(b);
    }
  }

  static boolean readFully(SocketChannel c, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (c.read(b) < 0) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      LOG.debug("closing control socket: {}", e.toString());
    }
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      LOG.debug("removing {}: {}", path, e.toString());
    }
  }
}
