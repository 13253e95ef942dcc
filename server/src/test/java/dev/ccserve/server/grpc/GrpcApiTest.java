package dev.ccserve.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import dev.ccserve.api.tf.DataType;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.api.tf.TensorShapeProto;
import dev.ccserve.server.ModelServer;
import dev.ccserve.server.ServerTestSupport;
import dev.ccserve.server.TestModels;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataResponse;
import tensorflow.serving.GetModelMetadata.SignatureDefMap;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.GetModelStatus.ModelVersionStatus;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.ModelServiceGrpc;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.PredictionServiceGrpc;
import tensorflow.serving.PredictionServiceGrpc.PredictionServiceBlockingStub;

/** The gRPC API over a real socket, against real TensorFlow models. */
class GrpcApiTest {
  @TempDir static Path tmp;
  static ModelServer server;
  static ManagedChannel channel;
  static PredictionServiceBlockingStub stub;

  @BeforeAll
  static void start() throws Exception {
    TestModels.halfPlus(tmp.resolve("half"), 1, 2f);
    TestModels.halfPlus(tmp.resolve("half"), 3, 3f);
    TestModels.multi(tmp.resolve("multi"), 7);
    server = ServerTestSupport.start(List.of(
        new dev.ccserve.server.config.ModelConfig("half", tmp.resolve("half"),
            new dev.ccserve.server.config.VersionPolicy.All(), java.util.Map.of("stable", 1L)),
        ServerTestSupport.model("multi", tmp.resolve("multi"))), Duration.ZERO);
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext()
        .build();
    stub = PredictionServiceGrpc.newBlockingStub(channel);
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    server.close();
  }

  static TensorProto floats(long[] shape, float... v) {
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .setTensorShape(shape(shape));
    for (float f : v) {
      b.addFloatVal(f);
    }
    return b.build();
  }

  static TensorShapeProto shape(long... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : dims) {
      s.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return s.build();
  }

  static PredictRequest.Builder req(String model) {
    return PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setName(model));
  }

  @Test
  void predict_typedFloats_latestVersion() {
    PredictResponse r = stub.predict(req("half").putInputs("x", floats(new long[] {3}, 1, 2, 4))
        .build());
    assertThat(r.getOutputsOrThrow("y").getFloatValList()).containsExactly(3.5f, 4f, 5f);
    assertThat(r.getModelSpec().getName()).isEqualTo("half");
    assertThat(r.getModelSpec().getVersion().getValue()).isEqualTo(3);
    assertThat(r.getModelSpec().getSignatureName()).isEqualTo("serving_default");
  }

  @Test
  void predict_tensorContent_specificVersion() {
    ByteBuffer bb = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(2f)
        .putFloat(-4f);
    TensorProto t = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .setTensorShape(shape(2)).setTensorContent(ByteString.copyFrom(bb.array())).build();
    PredictResponse r = stub.predict(PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder()
        .setName("half").setVersion(Int64Value.of(1))).putInputs("x", t).build());
    assertThat(r.getOutputsOrThrow("y").getFloatValList()).containsExactly(3f, 0f);
    assertThat(r.getModelSpec().getVersion().getValue()).isEqualTo(1);
  }

  @Test
  void predict_versionLabel_resolvesToLabelledVersion() {
    PredictResponse r = stub.predict(PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder()
        .setName("half").setVersionLabel("stable")).putInputs("x", floats(new long[] {1}, 2))
        .build());
    assertThat(r.getModelSpec().getVersion().getValue()).isEqualTo(1);
    assertThat(r.getOutputsOrThrow("y").getFloatValList()).containsExactly(3f);
  }

  @Test
  void predict_singleValueFillsShape() {
    PredictResponse r = stub.predict(req("half").putInputs("x", floats(new long[] {4}, 2))
        .build());
    assertThat(r.getOutputsOrThrow("y").getFloatValList()).containsExactly(4f, 4f, 4f, 4f);
  }

  @Test
  void predict_multiInputs_outputFilterAndDtypes() {
    TensorProto k = TensorProto.newBuilder().setDtype(DataType.DT_INT64).setTensorShape(shape(2))
        .addInt64Val(10).addInt64Val(20).build();
    TensorProto s = TensorProto.newBuilder().setDtype(DataType.DT_STRING).setTensorShape(shape(2))
        .addStringVal(ByteString.copyFromUtf8("a")).addStringVal(ByteString.copyFrom(new byte[] {0, -1}))
        .build();
    PredictResponse r = stub.predict(req("multi")
        .putInputs("x", floats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6)).putInputs("k", k)
        .putInputs("s", s).addOutputFilter("y").addOutputFilter("s_bytes").build());
    assertThat(r.getOutputsMap()).containsOnlyKeys("y", "s_bytes");
    assertThat(r.getOutputsOrThrow("y").getFloatValList())
        .containsExactly(12f, 14f, 16f, 28f, 30f, 32f);
    assertThat(r.getOutputsOrThrow("y").getTensorShape()).isEqualTo(shape(2, 3));
    assertThat(r.getOutputsOrThrow("s_bytes").getStringVal(1).toByteArray())
        .containsExactly(0, -1);
  }

  @Test
  void predict_unknownModel_notFound() {
    assertStatus(() -> stub.predict(req("nope").putInputs("x", floats(new long[] {1}, 1))
        .build()), Status.Code.NOT_FOUND, "Servable not found for request: Latest(nope)");
  }

  @Test
  void predict_unknownVersion_notFound() {
    assertStatus(() -> stub.predict(PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder()
        .setName("half").setVersion(Int64Value.of(9))).build()), Status.Code.NOT_FOUND,
        "Specific(half, 9)");
  }

  @Test
  void predict_unknownLabel_invalidArgument() {
    assertStatus(() -> stub.predict(PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder()
        .setName("half").setVersionLabel("canary")).build()), Status.Code.INVALID_ARGUMENT,
        "Unrecognized servable version label: canary");
  }

  @Test
  void predict_unknownSignature_failedPrecondition() {
    assertStatus(() -> stub.predict(PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder()
        .setName("half").setSignatureName("nope")).build()), Status.Code.FAILED_PRECONDITION,
        "Serving signature key \"nope\" not found.");
  }

  @Test
  void predict_wrongDtype_invalidArgument() {
    TensorProto t = TensorProto.newBuilder().setDtype(DataType.DT_INT32).setTensorShape(shape(1))
        .addIntVal(1).build();
    assertStatus(() -> stub.predict(req("half").putInputs("x", t).build()),
        Status.Code.INVALID_ARGUMENT, "expects dtype DT_FLOAT, found DT_INT32");
  }

  @Test
  void predict_wrongShape_invalidArgument() {
    assertStatus(() -> stub.predict(req("half").putInputs("x", floats(new long[] {1, 1}, 1))
        .build()), Status.Code.INVALID_ARGUMENT, "expects shape [-1], found [1,1]");
  }

  @Test
  void predict_wrongValueCount_invalidArgument() {
    assertStatus(() -> stub.predict(req("half").putInputs("x", floats(new long[] {3}, 1, 2))
        .build()), Status.Code.INVALID_ARGUMENT, "has 2 values in float_val, expected 3");
  }

  @Test
  void predict_shortTensorContent_invalidArgument() {
    TensorProto t = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(2))
        .setTensorContent(ByteString.copyFrom(new byte[7])).build();
    assertStatus(() -> stub.predict(req("half").putInputs("x", t).build()),
        Status.Code.INVALID_ARGUMENT, "tensor_content has 7 bytes, expected 8");
  }

  @Test
  void predict_missingAndExtraInputs_invalidArgument() {
    assertStatus(() -> stub.predict(req("half").putInputs("z", floats(new long[] {1}, 1))
        .build()), Status.Code.INVALID_ARGUMENT,
        "input size does not match signature: 1!=1 len([z]) != len([x]). Sent extra: [z]. "
            + "Missing but required: [x].");
  }

  @Test
  void predict_badOutputFilter_invalidArgument() {
    assertStatus(() -> stub.predict(req("half").putInputs("x", floats(new long[] {1}, 1))
        .addOutputFilter("q").build()), Status.Code.INVALID_ARGUMENT,
        "output tensor alias not found in signature: q");
    assertStatus(() -> stub.predict(req("half").putInputs("x", floats(new long[] {1}, 1))
        .addOutputFilter("y").addOutputFilter("y").build()), Status.Code.INVALID_ARGUMENT,
        "duplicate output tensor alias: y");
  }

  @Test
  void predict_noModelName_invalidArgument() {
    assertStatus(() -> stub.predict(PredictRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT, "ModelSpec has no name specified.");
  }

  @Test
  void metadata_returnsAllSignaturesInAny() throws Exception {
    GetModelMetadataResponse r = stub.getModelMetadata(GetModelMetadataRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName("multi")).addMetadataField("signature_def")
        .build());
    assertThat(r.getMetadataOrThrow("signature_def").getTypeUrl())
        .isEqualTo("type.googleapis.com/tensorflow.serving.SignatureDefMap");
    SignatureDefMap m = r.getMetadataOrThrow("signature_def").unpack(SignatureDefMap.class);
    assertThat(m.getSignatureDefMap()).containsKeys("serving_default", "double_only");
    assertThat(m.getSignatureDefOrThrow("serving_default").getInputsMap()).containsOnlyKeys("x", "k", "s");
    assertThat(m.getSignatureDefOrThrow("serving_default").getMethodName())
        .isEqualTo("tensorflow/serving/predict");
    assertThat(r.getModelSpec().getVersion().getValue()).isEqualTo(7);
  }

  @Test
  void metadata_badFields_invalidArgument() {
    ModelSpec spec = ModelSpec.newBuilder().setName("multi").build();
    assertStatus(() -> stub.getModelMetadata(GetModelMetadataRequest.newBuilder()
        .setModelSpec(spec).build()), Status.Code.INVALID_ARGUMENT,
        "must specify at least one metadata_field");
    assertStatus(() -> stub.getModelMetadata(GetModelMetadataRequest.newBuilder()
        .setModelSpec(spec).addMetadataField("bogus").build()), Status.Code.INVALID_ARGUMENT,
        "Metadata field bogus is not supported");
  }

  @Test
  void status_listsVersionsWithStates() {
    var ms = ModelServiceGrpc.newBlockingStub(channel);
    var r = ms.getModelStatus(GetModelStatusRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName("half")).build());
    assertThat(r.getModelVersionStatusList()).extracting(ModelVersionStatus::getVersion)
        .containsExactly(1L, 3L);
    assertThat(r.getModelVersionStatus(1).getState()).isEqualTo(ModelVersionStatus.State.AVAILABLE);
    assertStatus(() -> ms.getModelStatus(GetModelStatusRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName("half").setVersion(Int64Value.of(5)))
        .build()), Status.Code.NOT_FOUND, "Could not find version 5 of model half");
  }

  @Test
  void classify_unimplementedWithHint() {
    assertStatus(() -> stub.classify(tensorflow.serving.Classification.ClassificationRequest
        .getDefaultInstance()), Status.Code.UNIMPLEMENTED, "call Predict");
  }

  @Test
  void health_servingAfterLoad() {
    HealthCheckResponse h = HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest
        .newBuilder().setService("tensorflow.serving.PredictionService").build());
    assertThat(h.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  static void assertStatus(Runnable call, Status.Code code, String messagePart) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).contains(messagePart);
    });
  }
}
