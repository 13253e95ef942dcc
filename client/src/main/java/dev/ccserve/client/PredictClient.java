package dev.ccserve.client;

import dev.ccserve.crypto.tls.ClientTls;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataResponse;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.GetModelStatus.GetModelStatusResponse;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.ModelServiceGrpc;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.PredictionServiceGrpc;

/**
 * A TF Serving gRPC client over one channel (so one TCP + TLS connection): Predict,
 * GetModelMetadata and GetModelStatus, with an optional per-call deadline. TLS comes as validated
 * {@link ClientTls} (see {@link TlsOptions} for the seed's {@code -ca/-crt/-key} meaning); the
 * server-name override becomes the channel authority (SNI and host-name check). Failures surface
 * as {@link PredictException} with the gRPC status code and, for TLS problems, the handshake
 * reason. Thread-safe; close it to release the connection.
 */
public final class PredictClient implements AutoCloseable {
  /** Default inbound message limit: 256 MiB (grpc-java's own default is 4 MiB). */
  public static final int DEFAULT_MAX_INBOUND_BYTES = 256 << 20;

  private final ManagedChannel channel;
  private final Duration deadline;
  private final PredictionServiceGrpc.PredictionServiceBlockingStub predict;
  private final ModelServiceGrpc.ModelServiceBlockingStub models;

  private PredictClient(Builder b) {
    ChannelCredentials creds;
    if (b.tls == null) {
      creds = InsecureChannelCredentials.create();
    } else {
      TlsChannelCredentials.Builder tb = TlsChannelCredentials.newBuilder().trustManager(b.tls.trustManager());
      b.tls.keyManager().ifPresent(tb::keyManager);
      creds = tb.build();
    }
    ManagedChannelBuilder<?> cb = Grpc.newChannelBuilderForAddress(b.target.host(), b.target.port(), creds)
        .maxInboundMessageSize(b.maxInboundBytes);
    String override = b.serverName != null ? b.serverName
        : b.tls == null ? null : b.tls.serverNameOverride().orElse(null);
    if (override != null) {
      cb.overrideAuthority(override + ":" + b.target.port());
    }
    this.channel = cb.build();
    this.deadline = b.deadline;
    this.predict = PredictionServiceGrpc.newBlockingStub(channel);
    this.models = ModelServiceGrpc.newBlockingStub(channel);
  }

  public static Builder builder(Target target) {
    return new Builder(target);
  }

  public PredictResponse predict(PredictRequest request) {
    try {
      return withDeadline(predict).predict(request);
    } catch (StatusRuntimeException e) {
      throw GrpcErrors.toPredictException(e);
    }
  }

  /** The model's signature definitions ({@code metadata_field: signature_def}). */
  public GetModelMetadataResponse getModelMetadata(String model) {
    GetModelMetadataRequest req = GetModelMetadataRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName(model)).addMetadataField("signature_def").build();
    try {
      return withDeadline(predict).getModelMetadata(req);
    } catch (StatusRuntimeException e) {
      throw GrpcErrors.toPredictException(e);
    }
  }

  public GetModelStatusResponse getModelStatus(String model) {
    GetModelStatusRequest req = GetModelStatusRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName(model)).build();
    try {
      return withDeadline(models).getModelStatus(req);
    } catch (StatusRuntimeException e) {
      throw GrpcErrors.toPredictException(e);
    }
  }

  private <S extends io.grpc.stub.AbstractStub<S>> S withDeadline(S stub) {
    return deadline == null ? stub : stub.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Builder; only the target is required. Not thread-safe. */
  public static final class Builder {
    private final Target target;
    private ClientTls tls;
    private String serverName;
    private Duration deadline;
    private int maxInboundBytes = DEFAULT_MAX_INBOUND_BYTES;

    private Builder(Target target) {
      this.target = Objects.requireNonNull(target, "target");
    }

    /** TLS material; null (the default) means plaintext. */
    public Builder tls(ClientTls tls) {
      this.tls = tls;
      return this;
    }

    /** The TLS authority / SNI name; defaults to the ClientTls override, else the target host. */
    public Builder serverName(String serverName) {
      this.serverName = serverName == null || serverName.isBlank() ? null : serverName;
      return this;
    }

    /** Per-call deadline; null (the default, like the seed) means none. */
    public Builder deadline(Duration deadline) {
      if (deadline != null && (deadline.isNegative() || deadline.isZero())) {
        throw new IllegalArgumentException("expected a positive deadline, found " + deadline);
      }
      this.deadline = deadline;
      return this;
    }

    public Builder maxInboundMessageBytes(int bytes) {
      if (bytes < (64 << 20)) {
        throw new IllegalArgumentException("expected a max inbound message size >= 64 MiB, found " + bytes);
      }
      this.maxInboundBytes = bytes;
      return this;
    }

    public PredictClient build() {
      return new PredictClient(this);
    }
  }
}
