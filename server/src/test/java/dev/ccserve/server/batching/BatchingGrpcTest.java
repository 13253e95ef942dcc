package dev.ccserve.server.batching;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.server.ModelServer;
import dev.ccserve.server.ServerTestSupport;
import dev.ccserve.server.TestModels;
import dev.ccserve.server.runtime.TfSavedModel;
import dev.ccserve.server.runtime.TfSessionOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.PredictionServiceGrpc;

/** {@code --enable_batching} end to end: a real server and real gRPC clients over a socket. */
class BatchingGrpcTest {
  @TempDir Path tmp;

  @Test
  void grpcPredict_concurrentClientsWithBatching_correctRowsAndMergedBatches() throws Exception {
    Path dir = TestModels.multi(tmp.resolve("multi"), 1);
    AtomicReference<BatchingPredictor> batcher = new AtomicReference<>();
    BatchingParameters params = BatchingParameters.parse(
        "max_batch_size { value: 32 } batch_timeout_micros { value: 5000 } "
            + "num_batch_threads { value: 1 } max_enqueued_batches { value: 100 }", "test");
    int clients = 8;
    int perClient = 6;
    try (TfSavedModel reference = TfSavedModel.load(dir.toString(),
            new TfSessionOptions(1, 1, List.of("serve"), false, false));
        ModelServer server = new ModelServer(
            ServerTestSupport.options(List.of(ServerTestSupport.model("multi", dir.getParent())),
                Duration.ZERO),
            ServerTestSupport.plainLoaders(), Optional.empty(),
            m -> batcher.updateAndGet(old -> new BatchingPredictor(params, m)))) {
      server.openPorts();
      server.loadModels();
      ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort())
          .usePlaintext().build();
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      try {
        var stub = PredictionServiceGrpc.newBlockingStub(ch);
        List<Future<Integer>> done = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
          int seed = 100 + c;
          done.add(pool.submit(() -> {
            Random rnd = new Random(seed);
            for (int i = 0; i < perClient; i++) {
              Map<String, TensorProto> in = BatchingPredictorTest.request(rnd, 1 + rnd.nextInt(3));
              PredictResponse r = stub.withDeadlineAfter(20, TimeUnit.SECONDS).predict(
                  PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setName("multi"))
                      .putAllInputs(in).build());
              assertThat(r.getOutputsMap())
                  .isEqualTo(reference.predict("serving_default", in, List.of(), 0));
            }
            return perClient;
          }));
        }
        for (Future<Integer> f : done) {
          assertThat(f.get()).isEqualTo(perClient);
        }
      } finally {
        pool.shutdownNow();
        ch.shutdownNow();
      }
      String scrape = server.metrics().scrape();
      java.util.regex.Matcher m = java.util.regex.Pattern
          .compile("(?m)^ccserve_batch_size_count\\{model=\"multi\"\\} (\\S+)$").matcher(scrape);
      assertThat(m.find()).as("batch metrics exported").isTrue();
      assertThat(Double.parseDouble(m.group(1))).isBetween(1.0, clients * perClient - 1.0);
      assertThat(scrape).contains("ccserve_batch_queue_delay_seconds_count{model=\"multi\"} "
          + clients * perClient);
    } finally {
      if (batcher.get() != null) {
        batcher.get().close();
      }
    }
  }
}
