package dev.ccserve.keybroker;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelConfig;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.DefaultChannelConfig;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.DefaultEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.local.LocalAddress;
import io.grpc.netty.shaded.io.netty.channel.local.LocalChannel;
import io.grpc.netty.shaded.io.netty.channel.local.LocalServerChannel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * Serves gRPC on the broker's TLS port. The {@link TlsFrontDoor} terminates TLS (JSSE) and, when a
 * connection starts with the HTTP/2 preface, hands its decrypted byte stream to this bridge. The
 * bridge relays it over an in-JVM Netty {@code LocalChannel} to a plaintext gRPC server that has
 * no network listener. The TLS session and peer address of each relayed connection are registered
 * under the local channel's address before the first byte is relayed, so the gRPC layer sees the
 * real peer and its RA-TLS certificate ({@link #identity(SocketAddress)}).
 *
 * <p>Two threads per relayed connection: the caller's (socket to gRPC) and a writer from {@code
 * writers} (gRPC to socket), so a client that reads slowly blocks only its own writer. Thread-safe.
 */
final class GrpcBridge implements AutoCloseable {
  /** The TLS side of one relayed connection. */
  record Identity(SSLSession session, String peer) {}

  private static final byte[] EOF = new byte[0];
  private final DefaultEventLoopGroup loop;
  private final LocalAddress address;
  private final Server server;
  private final ExecutorService writers;
  private final Duration idleTimeout;
  private final Map<SocketAddress, Identity> identities = new ConcurrentHashMap<>();

  GrpcBridge(BindableService service, ExecutorService callExecutor, ExecutorService writers,
      Duration idleTimeout) throws IOException {
    this.loop = new DefaultEventLoopGroup(2, r -> {
      Thread t = new Thread(r, "keybroker-grpc-bridge");
      t.setDaemon(true);
      return t;
    });
    this.address = new LocalAddress("ccserve-keybroker-" + UUID.randomUUID());
    this.writers = writers;
    this.idleTimeout = idleTimeout;
    this.server = NettyServerBuilder.forAddress(address, InsecureServerCredentials.create())
        .channelFactory(KeepAliveTolerantServerChannel::new)
        .bossEventLoopGroup(loop)
        .workerEventLoopGroup(loop)
        .executor(callExecutor)
        .addService(ServerInterceptors.intercept(service, identityInterceptor()))
        .maxInboundMessageSize(256 * 1024)
        .maxConnectionIdle(idleTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .build()
        .start();
  }

  /** Puts the TLS session and peer of each call's relayed connection into the gRPC context. */
  private ServerInterceptor identityInterceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        Identity id = identity(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
        Context ctx = Context.current().withValues(KeyBrokerGrpcService.SESSION, id == null ? null : id.session(),
            KeyBrokerGrpcService.PEER, id == null ? "unknown" : id.peer());
        return Contexts.interceptCall(ctx, call, headers, next);
      }
    };
  }

  /** The TLS identity of the relayed connection whose local address is {@code remote}. */
  Identity identity(SocketAddress remote) {
    return remote == null ? null : identities.get(remote);
  }

  /** Relays {@code socket} (whose first bytes {@code head} were already read) until either side closes. */
  void relay(SSLSocket socket, byte[] head, String peer) throws IOException {
    BlockingQueue<byte[]> toClient = new LinkedBlockingQueue<>();
    Channel ch;
    try {
      ch = new Bootstrap().group(loop).channel(LocalChannel.class)
          .handler(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
              ByteBuf b = (ByteBuf) msg;
              try {
                byte[] copy = new byte[b.readableBytes()];
                b.readBytes(copy);
                toClient.add(copy);
              } finally {
                b.release();
              }
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
              toClient.add(EOF);
            }
          })
          .connect(address).sync().channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while connecting the gRPC bridge", e);
    }
    SocketAddress key = ch.localAddress();
    identities.put(key, new Identity(socket.getSession(), peer));
    try {
      writers.execute(() -> pump(toClient, socket, ch));
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, idleTimeout.toMillis()));
      ch.writeAndFlush(Unpooled.wrappedBuffer(head)).syncUninterruptibly();
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[16 * 1024];
      int n;
      while (ch.isActive() && (n = in.read(buf)) >= 0) {
        ch.writeAndFlush(Unpooled.copiedBuffer(buf, 0, n)).syncUninterruptibly();
      }
    } finally {
      ch.close();
      identities.remove(key);
    }
  }

  private static void pump(BlockingQueue<byte[]> toClient, SSLSocket socket, Channel ch) {
    try {
      OutputStream out = socket.getOutputStream();
      while (true) {
        byte[] b = toClient.take();
        if (b == EOF) {
          break;
        }
        out.write(b);
        out.flush();
      }
    } catch (IOException e) {
      // the client went away; closing below ends the relay
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      ch.close();
      try {
        socket.close();
      } catch (IOException e) {
        // nothing to do
      }
    }
  }

  /**
   * grpc-netty sets SO_KEEPALIVE on every accepted channel; in-JVM channels have no such option
   * and Netty would log a warning per connection. This server channel's children accept (and
   * ignore) it.
   */
  private static final class KeepAliveTolerantServerChannel extends LocalServerChannel {
    @Override
    protected LocalChannel newLocalChannel(LocalChannel peer) {
      return new KeepAliveTolerantChannel(this, peer);
    }
  }

  private static final class KeepAliveTolerantChannel extends LocalChannel {
    // No initializer on purpose: LocalChannel's constructor already calls config(), before
    // field initializers of this class would run (and would overwrite the lazily made config).
    private ChannelConfig tolerant;

    KeepAliveTolerantChannel(LocalServerChannel parent, LocalChannel peer) {
      super(parent, peer);
    }

    @Override
    public ChannelConfig config() {
      if (tolerant == null) {
        tolerant = new DefaultChannelConfig(this) {
          @Override
          public <T> boolean setOption(ChannelOption<T> option, T value) {
            return option == ChannelOption.SO_KEEPALIVE || super.setOption(option, value);
          }
        };
      }
      return tolerant;
    }
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
