package dev.ccserve.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.ccserve.api.tf.DataType;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.api.tf.TensorShapeProto;
import dev.ccserve.server.ModelServer;
import dev.ccserve.server.ServerOptions;
import dev.ccserve.server.ServerTestSupport;
import dev.ccserve.server.ServingApi;
import dev.ccserve.server.TestModels;
import dev.ccserve.server.runtime.TfSessionOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.ModelManagement.ReloadConfigRequest;
import tensorflow.serving.ModelServerConfigOuterClass.ModelConfig;
import tensorflow.serving.ModelServerConfigOuterClass.ModelConfigList;
import tensorflow.serving.ModelServerConfigOuterClass.ModelServerConfig;
import tensorflow.serving.ModelServiceGrpc;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.PredictionServiceGrpc;

/** HandleReloadConfigRequest replaces the config; over-size messages are refused. */
class ReloadAndLimitsTest {
  @TempDir Path tmp;

  static ModelServerConfig config(String... nameAndPath) {
    ModelConfigList.Builder l = ModelConfigList.newBuilder();
    for (int i = 0; i < nameAndPath.length; i += 2) {
      l.addConfig(ModelConfig.newBuilder().setName(nameAndPath[i]).setBasePath(nameAndPath[i + 1]));
    }
    return ModelServerConfig.newBuilder().setModelConfigList(l).build();
  }

  @Test
  void reload_addsAndRemovesModels_andRejectsBadConfigs() throws Exception {
    TestModels.halfPlus(tmp.resolve("a"), 1, 1f);
    TestModels.halfPlus(tmp.resolve("b"), 1, 2f);
    try (ModelServer s = ServerTestSupport.start(
        List.of(ServerTestSupport.model("a", tmp.resolve("a"))), Duration.ZERO)) {
      ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", s.grpcPort())
          .usePlaintext().build();
      var ms = ModelServiceGrpc.newBlockingStub(ch);
      var r = ms.handleReloadConfigRequest(ReloadConfigRequest.newBuilder()
          .setConfig(config("b", tmp.resolve("b").toString())).build());
      assertThat(r.getStatus().getErrorCodeValue()).isZero();
      assertThat(s.core().availableVersions("b")).containsExactly(1L);
      assertThat(s.core().availableVersions("a")).isEmpty();
      GrpcApiTest.assertStatus(() -> ms.getModelStatus(GetModelStatusRequest.newBuilder()
          .setModelSpec(ModelSpec.newBuilder().setName("a")).build()), Status.Code.NOT_FOUND,
          "Could not find any versions of model a");
      GrpcApiTest.assertStatus(() -> ms.handleReloadConfigRequest(ReloadConfigRequest.newBuilder()
          .setConfig(config("b", "/x", "b", "/y")).build()), Status.Code.INVALID_ARGUMENT,
          "Illegal to list model b multiple times");
      GrpcApiTest.assertStatus(() -> ms.handleReloadConfigRequest(ReloadConfigRequest
          .getDefaultInstance()), Status.Code.INVALID_ARGUMENT, "Only ModelConfigList");
      // The failed reloads left the working config in place.
      assertThat(s.core().availableVersions("b")).containsExactly(1L);
      ch.shutdownNow();
    }
  }

  @Test
  void overSizeMessage_resourceExhausted_serverKeepsServing() throws Exception {
    TestModels.halfPlus(tmp.resolve("a"), 1, 1f);
    ServerOptions o = ServerTestSupport.options(List.of(ServerTestSupport.model("a",
        tmp.resolve("a"))), Duration.ZERO);
    ServerOptions small = new ServerOptions(o.bindAddress(), 0, 0, 2, 2, 30_000, 1 << 20,
        Duration.ZERO, Optional.empty(), Duration.ZERO, 0, Duration.ofSeconds(1), false,
        new TfSessionOptions(1, 1, List.of("serve"), false, true), o.models());
    try (ModelServer s = new ModelServer(small, ServerTestSupport.plainLoaders(),
        Optional.empty(), m -> ServingApi.direct())) {
      s.openPorts();
      s.loadModels();
      ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", s.grpcPort())
          .usePlaintext().build();
      var stub = PredictionServiceGrpc.newBlockingStub(ch);
      int n = 600_000;
      PredictRequest big = PredictRequest.newBuilder()
          .setModelSpec(ModelSpec.newBuilder().setName("a"))
          .putInputs("x", TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
              .setTensorShape(TensorShapeProto.newBuilder().addDim(
                  TensorShapeProto.Dim.newBuilder().setSize(n)))
              .setTensorContent(ByteString.copyFrom(new byte[4 * n])).build()).build();
      GrpcApiTest.assertStatus(() -> stub.predict(big), Status.Code.RESOURCE_EXHAUSTED, "");
      var ok = stub.predict(PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder()
          .setName("a")).putInputs("x", GrpcApiTest.floats(new long[] {1}, 2)).build());
      assertThat(ok.getOutputsOrThrow("y").getFloatVal(0)).isEqualTo(2f);
      ch.shutdownNow();
    }
  }
}
