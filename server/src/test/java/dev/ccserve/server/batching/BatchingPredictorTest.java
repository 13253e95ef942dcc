package dev.ccserve.server.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.ccserve.api.tf.DataType;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.api.tf.TensorShapeProto;
import dev.ccserve.server.TestModels;
import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.ServableHandle;
import dev.ccserve.server.core.ServableId;
import dev.ccserve.server.core.ServingException;
import dev.ccserve.server.metrics.ServingMetrics;
import dev.ccserve.server.runtime.TfSavedModel;
import dev.ccserve.server.runtime.TfSessionOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batching predictor against real TensorFlow models, with real concurrent clients. */
class BatchingPredictorTest {
  @TempDir static Path tmp;
  static TfSavedModel typed;
  static TfSavedModel content;

  @BeforeAll
  static void load() throws Exception {
    Path dir = TestModels.multi(tmp.resolve("multi"), 1);
    typed = TfSavedModel.load(dir.toString(), new TfSessionOptions(1, 1, List.of("serve"), false, false));
    content = TfSavedModel.load(dir.toString(), new TfSessionOptions(1, 1, List.of("serve"), true, false));
  }

  @AfterAll
  static void close() {
    typed.close();
    content.close();
  }

  /** A handle on a model that is loaded for the whole test. */
  record FixedHandle(TfSavedModel model) implements ServableHandle<TfSavedModel> {
    @Override
    public ServableId id() {
      return new ServableId("multi", 1);
    }

    @Override
    public TfSavedModel get() {
      return model;
    }

    @Override
    public void close() {}
  }

  static TensorShapeProto shape(long... dims) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    for (long d : dims) {
      b.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return b.build();
  }

  /** A request of {@code rows} rows with inputs in a random mix of encodings. */
  static Map<String, TensorProto> request(Random rnd, int rows) {
    Map<String, TensorProto> in = new LinkedHashMap<>();
    TensorProto.Builder x = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .setTensorShape(shape(rows, 3));
    switch (rnd.nextInt(3)) {
      case 0 -> {
        ByteBuffer bb = ByteBuffer.allocate(rows * 12).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < rows * 3; i++) {
          bb.putFloat(rnd.nextFloat() * 1e3f - 500f);
        }
        x.setTensorContent(ByteString.copyFrom(bb.array()));
      }
      case 1 -> {
        for (int i = 0; i < rows * 3; i++) {
          x.addFloatVal((float) rnd.nextGaussian());
        }
      }
      default -> x.addFloatVal(rnd.nextFloat()); // one value fills the shape
    }
    TensorProto.Builder k = TensorProto.newBuilder().setDtype(DataType.DT_INT64)
        .setTensorShape(shape(rows));
    if (rnd.nextBoolean()) {
      ByteBuffer bb = ByteBuffer.allocate(rows * 8).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < rows; i++) {
        bb.putLong(rnd.nextInt(1_000_000) - 500_000L);
      }
      k.setTensorContent(ByteString.copyFrom(bb.array()));
    } else {
      for (int i = 0; i < rows; i++) {
        k.addInt64Val(rnd.nextLong() >> 12);
      }
    }
    TensorProto.Builder s = TensorProto.newBuilder().setDtype(DataType.DT_STRING)
        .setTensorShape(shape(rows));
    int strings = rows > 1 && rnd.nextInt(4) == 0 ? 1 : rows;
    for (int i = 0; i < strings; i++) {
      byte[] b = new byte[rnd.nextInt(20)];
      rnd.nextBytes(b);
      s.addStringVal(ByteString.copyFrom(b));
    }
    in.put("x", x.build());
    in.put("k", k.build());
    in.put("s", s.build());
    return in;
  }

  static long metric(ServingMetrics m, String name) {
    Matcher mt = Pattern.compile("(?m)^" + name + "\\{model=\"multi\"\\} (\\S+)$")
        .matcher(m.scrape());
    return mt.find() ? (long) Double.parseDouble(mt.group(1)) : 0;
  }

  @Test
  void predict_manyConcurrentClients_equalsUnbatchedBitForBit() throws Exception {
    for (TfSavedModel model : List.of(typed, content)) {
      ServingMetrics metrics = new ServingMetrics();
      BatchingParameters p = new BatchingParameters(16, 3_000, 100, 1, "t", List.of());
      int clients = 12;
      int perClient = 15;
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      try (BatchingPredictor batching = new BatchingPredictor(p, metrics)) {
        List<Future<Integer>> done = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
          int seed = c;
          done.add(pool.submit(() -> {
            Random rnd = new Random(seed);
            FixedHandle h = new FixedHandle(model);
            for (int i = 0; i < perClient; i++) {
              Map<String, TensorProto> in = request(rnd, 1 + rnd.nextInt(5));
              String sig = rnd.nextInt(4) == 0 ? "double_only" : "serving_default";
              List<String> filter = sig.equals("double_only") ? List.of()
                  : rnd.nextBoolean() ? List.of() : List.of("y", "s_bytes");
              if (sig.equals("double_only")) {
                in = Map.of("x", in.get("x"));
              }
              Map<String, TensorProto> want = model.predict(sig, in, filter, 0);
              assertThat(batching.predict(h, sig, in, filter, 10_000)).isEqualTo(want);
            }
            return perClient;
          }));
        }
        for (Future<Integer> f : done) {
          assertThat(f.get()).isEqualTo(perClient);
        }
      } finally {
        pool.shutdownNow();
      }
      long batches = metric(metrics, "ccserve_batch_size_count");
      assertThat(batches).as("requests were merged").isGreaterThan(0)
          .isLessThan(clients * perClient);
    }
  }

  @Test
  void predict_allowedBatchSizes_padsAndDropsPadRows() throws Exception {
    ServingMetrics metrics = new ServingMetrics();
    BatchingParameters p = new BatchingParameters(8, 0, 10, 1, "t", List.of(4, 8));
    try (BatchingPredictor batching = new BatchingPredictor(p, metrics)) {
      Map<String, TensorProto> in = request(new Random(7), 3);
      Map<String, TensorProto> out = batching.predict(new FixedHandle(typed), "serving_default",
          in, List.of(), 0);
      assertThat(out).isEqualTo(typed.predict("serving_default", in, List.of(), 0));
      assertThat(out.get("y").getTensorShape()).isEqualTo(shape(3, 3));
      assertThat(out.get("s_bytes").getStringValCount()).isEqualTo(3);
      assertThat(metrics.scrape()).contains("ccserve_batch_size_bucket{model=\"multi\",le=\"4.0\"} 1");
      assertThat(metrics.scrape()).contains("ccserve_batch_size_bucket{model=\"multi\",le=\"2.0\"} 0");
    }
  }

  @Test
  void predict_moreRowsThanMaxBatchSize_runsAloneUnbatched() throws Exception {
    ServingMetrics metrics = new ServingMetrics();
    try (BatchingPredictor batching = new BatchingPredictor(
        new BatchingParameters(2, 0, 10, 1, "t", List.of()), metrics)) {
      Map<String, TensorProto> in = request(new Random(3), 5);
      assertThat(batching.predict(new FixedHandle(content), "serving_default", in, List.of(), 0))
          .isEqualTo(content.predict("serving_default", in, List.of(), 0));
      assertThat(metric(metrics, "ccserve_batch_size_count")).isZero();
    }
  }

  @Test
  void predict_invalidRequest_sameErrorAsUnbatched() throws Exception {
    Map<String, TensorProto> in = new LinkedHashMap<>(request(new Random(1), 2));
    in.put("k", TensorProto.newBuilder().setDtype(DataType.DT_INT32).setTensorShape(shape(2))
        .addIntVal(1).addIntVal(2).build());
    try (BatchingPredictor batching = new BatchingPredictor(
        new BatchingParameters(8, 0, 10, 1, "t", List.of()), new ServingMetrics())) {
      ServingException direct = catchServing(() -> typed.predict("serving_default", in, List.of(), 0));
      ServingException batched = catchServing(
          () -> batching.predict(new FixedHandle(typed), "serving_default", in, List.of(), 0));
      assertThat(batched.code()).isEqualTo(Code.INVALID_ARGUMENT).isEqualTo(direct.code());
      assertThat(batched.getMessage()).isEqualTo(direct.getMessage());
    }
  }

  @Test
  void predict_deadlinePassesWhileQueued_deadlineExceededAndNotRun() throws Exception {
    ServingMetrics metrics = new ServingMetrics();
    try (BatchingPredictor batching = new BatchingPredictor(
        new BatchingParameters(8, 400_000, 10, 1, "t", List.of()), metrics)) {
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> batching.predict(new FixedHandle(typed), "serving_default",
          request(new Random(2), 1), List.of(), 50))
          .isInstanceOfSatisfying(ServingException.class,
              e -> assertThat(e.code()).isEqualTo(Code.DEADLINE_EXCEEDED));
      assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(350);
      Thread.sleep(600); // past the batch timeout: the worker has seen the withdrawn task
      assertThat(metric(metrics, "ccserve_batch_size_count")).isZero();
      assertThat(batching.waitingBatches()).isZero();
    }
  }

  interface Call {
    Object run() throws ServingException;
  }

  static ServingException catchServing(Call c) {
    try {
      c.run();
    } catch (ServingException e) {
      return e;
    }
    throw new AssertionError("expected a ServingException");
  }
}
