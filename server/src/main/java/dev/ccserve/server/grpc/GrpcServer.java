package dev.ccserve.server.grpc;

import dev.ccserve.server.Readiness;
import dev.ccserve.crypto.tls.ServerTls;
import dev.ccserve.server.ServingApi;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC port: PredictionService, ModelService and the standard health service, plaintext or
 * TLS (optionally requiring client certificates). Health is NOT_SERVING, and API calls fail with
 * UNAVAILABLE naming the reason, until {@link #markServing()}.
 */
public final class GrpcServer implements AutoCloseable {
  static final List<String> HEALTH_NAMES = List.of("", "tensorflow.serving.PredictionService",
      "tensorflow.serving.ModelService", "PredictionService", "ModelService");

  private final Server server;
  private final HealthStatusManager health = new HealthStatusManager();
  private final ExecutorService pool;

  public GrpcServer(InetSocketAddress bind, ServingApi api, Readiness readiness,
      Optional<ServerTls> tls, int maxThreads, int maxMessageBytes) {
    ServerCredentials creds = tls.<ServerCredentials>map(t -> {
      TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(t.keyManager());
      t.trustManager().ifPresent(b::trustManager);
      b.clientAuth(TlsServerCredentials.ClientAuth.valueOf(t.clientAuth().name()));
      return b.build();
    }).orElseGet(InsecureServerCredentials::create);
    pool = new ThreadPoolExecutor(maxThreads, maxThreads, 60, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "ccserve-grpc");
          t.setDaemon(true);
          return t;
        });
    ServerInterceptor gate = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        if (!readiness.isReady()) {
          call.close(Status.UNAVAILABLE.withDescription(
              "ccserve is not ready: " + readiness.reason()), new Metadata());
          return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
      }
    };
    server = NettyServerBuilder.forAddress(bind, creds)
        .executor(pool)
        .maxInboundMessageSize(maxMessageBytes)
        .addService(ServerInterceptors.intercept(new PredictionServiceAdapter(api), gate))
        .addService(ServerInterceptors.intercept(new ModelServiceAdapter(api), gate))
        .addService(health.getHealthService())
        .build();
    for (String n : HEALTH_NAMES) {
      health.setStatus(n, ServingStatus.NOT_SERVING);
    }
  }

  public GrpcServer start() throws IOException {
    server.start();
    return this;
  }

  public int port() {
    return server.getPort();
  }

  public void markServing() {
    for (String n : HEALTH_NAMES) {
      health.setStatus(n, ServingStatus.SERVING);
    }
  }

  public void markNotServing() {
    for (String n : HEALTH_NAMES) {
      health.setStatus(n, ServingStatus.NOT_SERVING);
    }
  }

  @Override
  public void close() {
    health.enterTerminalState();
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    pool.shutdownNow();
  }
}
