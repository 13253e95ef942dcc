package dev.ccserve.server.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ccserve.api.tf.DataType;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.api.tf.TensorShapeProto;
import dev.ccserve.server.ModelServer;
import dev.ccserve.server.ServerTestSupport;
import dev.ccserve.server.TestModels;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.GetModelStatus.ModelVersionStatus;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.ModelServiceGrpc;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.PredictionServiceGrpc;

/**
 * Hot version changes while clients keep sending requests: a new version becomes "latest" without
 * a failed request, a removed one is unloaded, and a corrupt one fails alone.
 */
class VersionTransitionsTest {
  @TempDir Path tmp;

  static PredictRequest request() {
    return PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setName("m"))
        .putInputs("x", TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
            .setTensorShape(TensorShapeProto.newBuilder().addDim(
                TensorShapeProto.Dim.newBuilder().setSize(1))).addFloatVal(2f).build())
        .build();
  }

  @Test
  void newVersion_becomesLatestWithoutFailedRequests_removedVersionUnloads() throws Exception {
    Path base = tmp.resolve("m");
    TestModels.halfPlus(base, 1, 1f); // v1: y = 2
    Path staging = tmp.resolve("staging");
    Path v2staged = TestModels.halfPlus(staging, 2, 10f); // v2: y = 11
    try (ModelServer s = ServerTestSupport.start(
        List.of(ServerTestSupport.model("m", base)), Duration.ofMillis(100))) {
      ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", s.grpcPort())
          .usePlaintext().build();
      var stub = PredictionServiceGrpc.newBlockingStub(ch);
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger ok = new AtomicInteger();
      ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<Float> seen = new ConcurrentLinkedQueue<>();
      Thread load = new Thread(() -> {
        while (!stop.get()) {
          try {
            seen.add(stub.predict(request()).getOutputsOrThrow("y").getFloatVal(0));
            ok.incrementAndGet();
          } catch (Throwable t) {
            errors.add(t);
          }
        }
      });
      load.start();
      long warm = System.nanoTime() + 30_000_000_000L;
      while (System.nanoTime() < warm && seen.size() < 3) {
        Thread.sleep(20);
      }
      Files.move(v2staged, base.resolve("2")); // atomic drop-in, as a deployment would do
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (System.nanoTime() < deadline && !seen.contains(11f)) {
        Thread.sleep(50);
      }
      Thread.sleep(300);
      stop.set(true);
      load.join();
      assertThat(errors).isEmpty();
      assertThat(seen).contains(2f, 11f);
      assertThat(stub.predict(request()).getModelSpec().getVersion().getValue()).isEqualTo(2);
      var status = ModelServiceGrpc.newBlockingStub(ch).getModelStatus(GetModelStatusRequest
          .newBuilder().setModelSpec(ModelSpec.newBuilder().setName("m")).build());
      assertThat(status.getModelVersionStatusList()).extracting(ModelVersionStatus::getState)
          .containsExactly(ModelVersionStatus.State.END, ModelVersionStatus.State.AVAILABLE);

      // Removing every version unloads the model.
      deleteTree(base.resolve("2"));
      deleteTree(base.resolve("1"));
      deadline = System.nanoTime() + 10_000_000_000L;
      while (System.nanoTime() < deadline && !s.core().availableVersions("m").isEmpty()) {
        Thread.sleep(50);
      }
      assertThat(s.core().availableVersions("m")).isEmpty();
      ch.shutdownNow();
    }
  }

  @Test
  void corruptVersion_failsAloneWithStatus_olderVersionKeepsServing() throws Exception {
    Path base = tmp.resolve("m");
    TestModels.halfPlus(base, 1, 1f);
    try (ModelServer s = ServerTestSupport.start(
        List.of(ServerTestSupport.model("m", base)), Duration.ofMillis(100))) {
      Path bad = base.resolve("2");
      Files.createDirectories(bad);
      Files.write(bad.resolve("saved_model.pb"), new byte[] {1, 2, 3, 4, 5});
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (System.nanoTime() < deadline
          && s.core().monitor().version("m", 2).map(v -> v.state() != ServableState.END)
              .orElse(true)) {
        Thread.sleep(50);
      }
      var v2 = s.core().monitor().version("m", 2).orElseThrow();
      assertThat(v2.state()).isEqualTo(ServableState.END);
      assertThat(v2.code()).isNotEqualTo(Code.OK);
      assertThat(v2.message()).contains(bad.toString());
      assertThat(s.core().availableVersions("m")).containsExactly(1L);
      ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", s.grpcPort())
          .usePlaintext().build();
      assertThat(PredictionServiceGrpc.newBlockingStub(ch).predict(request())
          .getModelSpec().getVersion().getValue()).isEqualTo(1);
      ch.shutdownNow();
    }
  }

  @Test
  void halfWrittenVersion_reportsMissingSavedModel() throws Exception {
    Path base = tmp.resolve("m");
    TestModels.halfPlus(base, 1, 1f);
    try (ModelServer s = ServerTestSupport.start(
        List.of(ServerTestSupport.model("m", base)), Duration.ofMillis(100))) {
      Files.createDirectories(base.resolve("5/variables"));
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (System.nanoTime() < deadline && s.core().monitor().version("m", 5)
          .map(v -> v.state() != ServableState.END).orElse(true)) {
        Thread.sleep(50);
      }
      var v5 = s.core().monitor().version("m", 5).orElseThrow();
      assertThat(v5.code()).isEqualTo(Code.NOT_FOUND);
      assertThat(v5.message()).contains("expected saved_model.pb");
      assertThat(s.core().availableVersions("m")).containsExactly(1L);
    }
  }

  @Test
  void startup_unloadableModel_failsNamingIt() throws Exception {
    Path base = tmp.resolve("broken");
    Files.createDirectories(base.resolve("1"));
    Files.write(base.resolve("1/saved_model.pb"), new byte[] {9, 9, 9});
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ServerTestSupport.start(
        List.of(ServerTestSupport.model("broken", base)), Duration.ZERO).close())
        .isInstanceOf(ServingException.class)
        .hasMessageContaining("1 model(s) did not become available")
        .hasMessageContaining("broken version 1");
  }

  static void deleteTree(Path p) throws java.io.IOException {
    try (var w = Files.walk(p)) {
      w.sorted(java.util.Comparator.reverseOrder()).forEach(q -> q.toFile().delete());
    }
  }
}
