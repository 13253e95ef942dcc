package dev.ccserve.server.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ccserve.api.tf.DataType;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.api.tf.TensorShapeProto;
import dev.ccserve.server.TestModels;
import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.ServingException;
import dev.ccserve.server.loader.SavedModelLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.PredictionLogOuterClass.PredictLog;
import tensorflow.serving.PredictionLogOuterClass.PredictionLog;

/** TF Serving warm-up files: TFRecord framing, replay at load, corruption fails the load. */
class WarmupRecordsTest {
  @TempDir Path tmp;

  static PredictionLog predictLog(float x) {
    return PredictionLog.newBuilder().setPredictLog(PredictLog.newBuilder().setRequest(
        PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setName("m"))
            .putInputs("x", TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
                .setTensorShape(TensorShapeProto.newBuilder().addDim(
                    TensorShapeProto.Dim.newBuilder().setSize(1))).addFloatVal(x).build())))
        .build();
  }

  @Test
  void writeThenParse_roundTrips() throws Exception {
    List<PredictionLog> logs = List.of(predictLog(1), predictLog(2));
    assertThat(WarmupRecords.parse(WarmupRecords.write(logs))).isEqualTo(logs);
    assertThat(WarmupRecords.parse(new byte[0])).isEmpty();
  }

  @Test
  void parse_flippedByteOrTruncation_isDataLoss() {
    byte[] good = WarmupRecords.write(List.of(predictLog(1)));
    for (int i = 0; i < good.length; i++) {
      byte[] bad = good.clone();
      bad[i] ^= 0x40;
      assertThatThrownBy(() -> WarmupRecords.parse(bad)).isInstanceOfSatisfying(
          ServingException.class, e -> assertThat(e.code()).isEqualTo(Code.DATA_LOSS));
    }
    byte[] cut = java.util.Arrays.copyOf(good, good.length - 1);
    assertThatThrownBy(() -> WarmupRecords.parse(cut))
        .hasMessageContaining("Please verify your warmup data is in TFRecord format.");
  }

  @Test
  void parse_moreThanThousandRecords_invalidArgument() {
    byte[] many = WarmupRecords.write(Collections.nCopies(1001, predictLog(1)));
    assertThatThrownBy(() -> WarmupRecords.parse(many)).isInstanceOfSatisfying(
        ServingException.class, e -> assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT));
  }

  @Test
  void load_replaysWarmupFile_andRejectsACorruptOne() throws Exception {
    Path v = TestModels.halfPlus(tmp.resolve("m"), 1, 2f);
    Files.createDirectories(v.resolve("assets.extra"));
    Path f = v.resolve(WarmupRecords.PATH);
    Files.write(f, WarmupRecords.write(List.of(predictLog(1), predictLog(3))));
    TfSessionOptions so = new TfSessionOptions(1, 1, List.of("serve"), false, true);
    try (TfSavedModel m = new SavedModelLoader(v, so).load()) {
      assertThat(m.signatures()).containsKey("serving_default");
    }
    Files.write(f, new byte[] {1, 2, 3});
    assertThatThrownBy(() -> new SavedModelLoader(v, so).load().close())
        .isInstanceOfSatisfying(ServingException.class,
            e -> assertThat(e.code()).isEqualTo(Code.DATA_LOSS));
    // A warm-up request the model cannot run fails the load too, as in TF Serving.
    Files.write(f, WarmupRecords.write(List.of(PredictionLog.newBuilder().setPredictLog(
        PredictLog.newBuilder().setRequest(PredictRequest.newBuilder()
            .putInputs("nope", predictLog(1).getPredictLog().getRequest().getInputsOrThrow("x"))))
        .build())));
    assertThatThrownBy(() -> new SavedModelLoader(v, so).load().close())
        .isInstanceOfSatisfying(ServingException.class,
            e -> assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT));
  }
}
