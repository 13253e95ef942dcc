package dev.ccserve.keybroker;

import dev.ccserve.api.keybroker.ChallengeRequest;
import dev.ccserve.api.keybroker.KeyBrokerGrpc;
import dev.ccserve.crypto.tls.TlsContexts;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;

/** Hand-driven gRPC connections to a {@link TestBroker}, for protocol-level tests. */
final class RawGrpc implements AutoCloseable {
  final ManagedChannel channel;
  final KeyBrokerGrpc.KeyBrokerBlockingStub stub;

  RawGrpc(TestBroker b, KeyManager clientKey) {
    TlsChannelCredentials.Builder creds = TlsChannelCredentials.newBuilder()
        .trustManager(TlsContexts.client(b.ca.caCertificatePem(), null, null, null, Clock.systemUTC()).trustManager());
    if (clientKey != null) {
      creds.keyManager(clientKey);
    }
    channel = NettyChannelBuilder.forAddress("localhost", b.broker.grpcPort(), creds.build()).build();
    stub = KeyBrokerGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  static byte[] nonce(TestBroker b) {
    try (RawGrpc g = new RawGrpc(b, null)) {
      return g.stub.challenge(ChallengeRequest.getDefaultInstance()).getNonce().toByteArray();
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }
}
