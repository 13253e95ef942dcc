package dev.ccserve.it.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The INSECURE terminating config ({@code deploy/nginx/terminating-INSECURE.conf.template}) with
 * real gRPC: nginx ends TLS, re-encrypts to two verified TLS backends, balances per request on one
 * client channel, and answers UNAVAILABLE "no live backend" (grpc-status 14) when all are down.
 */
class NginxTerminatingInsecureTest {

  private static final String NAME = "grpc.tf-serving.service.com";

  @TempDir Path tmp;
  private final List<Server> servers = new ArrayList<>();
  private Process nginx;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (nginx != null) {
      nginx.destroy();
      if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
        nginx.destroyForcibly();
      }
    }
    for (Server s : servers) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void terminating_oneChannel_spreadsCallsAndReportsUnavailableWhenAllBackendsDown() throws Exception {
    Path nginxBin = NginxSupport.requireNginx();
    TestPki.Identity backendId = TestPki.selfSigned(tmp, "backend", NAME);
    TestPki.Identity lbId = TestPki.selfSigned(tmp, "lb", NAME);
    AtomicInteger a = new AtomicInteger();
    AtomicInteger b = new AtomicInteger();
    Server sa = startBackend(backendId, a);
    Server sb = startBackend(backendId, b);

    int grpc = NginxSupport.freePort();
    Path prefix = tmp.resolve("nginx");
    NginxSupport.render(prefix, "--mode", "terminating-INSECURE", "--workers", "1",
        "--backends", "127.0.0.1:" + sa.getPort() + ":" + sa.getPort() + ",127.0.0.1:" + sb.getPort()
            + ":" + sb.getPort(),
        "--listen-grpc", "127.0.0.1:" + grpc, "--listen-rest", "127.0.0.1:" + NginxSupport.freePort(),
        "--tls-cert", lbId.certPem().toString(), "--tls-key", lbId.keyPem().toString(),
        "--backend-ca", backendId.certPem().toString(), "--backend-tls-name", NAME);
    nginx = new ProcessBuilder(NginxSupport.nginxCommand(nginxBin, prefix, "-g", "daemon off;"))
        .redirectErrorStream(true).redirectOutput(tmp.resolve("nginx.out").toFile()).start();
    NginxSupport.awaitListening(grpc, Duration.ofSeconds(10), nginx);

    // The client trusts the balancer's certificate, not the backends': TLS ends at nginx.
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", grpc,
            TlsChannelCredentials.newBuilder().trustManager(lbId.certPem().toFile()).build())
        .overrideAuthority(NAME).build();
    HealthGrpc.HealthBlockingStub stub = HealthGrpc.newBlockingStub(channel);
    for (int i = 0; i < 10; i++) {
      assertThat(stub.withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
    }
    assertThat(a.get() + b.get()).isEqualTo(10);
    assertThat(a.get()).as("calls on backend a of 10 on ONE channel").isGreaterThanOrEqualTo(3);
    assertThat(b.get()).as("calls on backend b of 10 on ONE channel").isGreaterThanOrEqualTo(3);

    sa.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    sb.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
        () -> stub.withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()));
    assertThat(e).isNotNull();
    // nginx's error_page answers for the dead upstreams; a 204 would arrive as UNKNOWN in grpc-java.
    assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).isEqualTo("no live backend");
  }

  private Server startBackend(TestPki.Identity id, AtomicInteger calls) throws Exception {
    HealthStatusManager health = new HealthStatusManager();
    health.setStatus("", ServingStatus.SERVING);
    ServerInterceptor counter = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        calls.incrementAndGet();
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
            next.startCall(call, headers)) {};
      }
    };
    Server s = Grpc.newServerBuilderForPort(0, TlsServerCredentials.newBuilder()
            .keyManager(id.certPem().toFile(), id.keyPem().toFile()).build())
        .addService(ServerInterceptors.intercept(health.getHealthService(), counter)).build().start();
    servers.add(s);
    return s;
  }
}
