package dev.ccserve.server.modelgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

class ModelGeneratorTest {
  private final ModelGenerator generator = new ModelGenerator();
  @TempDir Path dir;

  @Test
  void describe_resnet50_hasResNet50v15CountsFor1001Classes() {
    ModelStatistics stats = generator.describe(Arch.RESNET50);

    // Hand count: 23 508 032 conv + BN parameters, dense 2048×1001 + 1001.
    assertThat(stats.parameters()).isEqualTo(25_559_081L);
    assertThat(stats.batchNormStatistics()).isEqualTo(53_120L);
    assertThat(stats.macsPerExample()).isEqualTo(4_089_186_304L);
  }

  @Test
  void resnet50Builder_1000Classes_matchesPublishedParameterCount() {
    try (Graph graph = new Graph()) {
      ModelGraph model = new ResNet50Builder(1000).build(Ops.create(graph), 1);

      ModelStatistics stats = VariableCensus.count(graph, model.macsPerExample());

      // The figure quoted for ResNet-50 (torchvision, platform-notes §4.1) is for 1000 classes.
      assertThat(stats.parameters()).isEqualTo(25_557_032L);
      assertThat(stats.batchNormStatistics()).isEqualTo(53_120L);
    }
  }

  @Test
  void generate_tiny_writesSeedLikeSavedModel() throws Exception {
    GeneratedModel generated = generator.generate(Arch.TINY, dir, 1, 42);

    assertThat(generated.versionDir()).isEqualTo(dir.resolve("1"));
    assertThat(generated.statistics().parameters()).isEqualTo(10_553L);
    assertThat(generated.statistics().macsPerExample()).isEqualTo(1_212_232L);
    assertThat(dir.resolve("1/saved_model.pb")).isRegularFile();
    assertThat(dir.resolve("1/variables/variables.index")).isRegularFile();
    try (SavedModelBundle bundle = TfTestSupport.load(generated.versionDir())) {
      Signature sig = bundle.function("serving_default").signature();
      assertThat(sig.methodName()).isEqualTo("tensorflow/serving/predict");
      assertThat(sig.getInputs()).containsOnlyKeys("input");
      assertThat(sig.getInputs().get("input").dataType).isEqualTo(DataType.DT_FLOAT);
      assertThat(sig.getInputs().get("input").shape.asArray()).containsExactly(-1, 224, 224, 3);
      assertThat(sig.getOutputs()).containsOnlyKeys("predict");
      assertThat(sig.getOutputs().get("predict").shape.asArray()).containsExactly(-1, 1001);
    }
    float[] p = TfTestSupport.predict(generated.versionDir(), 2, 7);
    assertThat(p).hasSize(2 * 1001);
    for (int row = 0; row < 2; row++) {
      double sum = 0;
      float max = 0;
      for (int j = 0; j < 1001; j++) {
        sum += p[row * 1001 + j];
        max = Math.max(max, p[row * 1001 + j]);
      }
      assertThat(sum).isCloseTo(1.0, within(1e-4));
      assertThat(max).as("softmax neither uniform nor one-hot").isBetween(0.002f, 0.99f);
    }
    assertThat(Files.list(dir).map(f -> f.getFileName().toString())).containsExactly("1");
  }

  @Test
  void generate_sameSeedTwice_bitIdenticalOutputs_otherSeedDiffers() throws Exception {
    generator.generate(Arch.TINY, dir, 1, 42);
    generator.generate(Arch.TINY, dir, 2, 42);
    generator.generate(Arch.TINY, dir, 3, 43);

    float[] first = TfTestSupport.predict(dir.resolve("1"), 1, 5);
    float[] second = TfTestSupport.predict(dir.resolve("2"), 1, 5);
    float[] other = TfTestSupport.predict(dir.resolve("3"), 1, 5);

    assertThat(second).isEqualTo(first);
    assertThat(Files.readAllBytes(dir.resolve("2/variables/variables.data-00000-of-00001")))
        .isEqualTo(Files.readAllBytes(dir.resolve("1/variables/variables.data-00000-of-00001")));
    assertThat(other).isNotEqualTo(first);
  }

  @Test
  void generate_existingVersion_throwsAndKeepsIt_overwriteReplaces() throws Exception {
    generator.generate(Arch.TINY, dir, 1, 42);
    float[] before = TfTestSupport.predict(dir.resolve("1"), 1, 5);

    assertThatThrownBy(() -> generator.generate(Arch.TINY, dir, 1, 43))
        .isInstanceOf(ModelToolException.class)
        .hasMessageContaining("already exists");
    assertThat(TfTestSupport.predict(dir.resolve("1"), 1, 5)).isEqualTo(before);

    generator.generate(Arch.TINY, dir, 1, 43, true);
    assertThat(TfTestSupport.predict(dir.resolve("1"), 1, 5)).isNotEqualTo(before);
    assertThat(Files.list(dir).map(f -> f.getFileName().toString())).containsExactly("1");
  }

  @Test
  void generate_tinyMulti_outputsAreDocumentedFunctionOfInputs() throws Exception {
    GeneratedModel generated = generator.generate(Arch.TINY_MULTI, dir, 5, 0);

    assertThat(generated.statistics().parameters()).isZero();
    assertThat(dir.resolve("5/variables")).doesNotExist();
    float[] x = {0.5f, -1f, 3f, 10f, 0f, -0.25f};
    long[] k = {7, -2};
    try (SavedModelBundle bundle = TfTestSupport.load(generated.versionDir());
        TFloat32 xt = TFloat32.tensorOf(Shape.of(2, 3), DataBuffers.of(x, true, false));
        TInt64 kt = TInt64.tensorOf(Shape.of(2), DataBuffers.of(k, true, false));
        Result result = bundle.function("serving_default").call(Map.of("x", xt, "k", kt))) {
      Signature sig = bundle.function("serving_default").signature();
      assertThat(sig.getInputs().get("k").dataType).isEqualTo(DataType.DT_INT64);
      assertThat(sig.getOutputs().get("label").dataType).isEqualTo(DataType.DT_STRING);
      float[] y = TfTestSupport.floats((TFloat32) result.get("y").orElseThrow());
      assertThat(y).containsExactly(8f, 5f, 13f, 18f, -2f, -2.5f);
      TString label = (TString) result.get("label").orElseThrow();
      assertThat(label.getObject(0)).isEqualTo("class_7");
      assertThat(label.getObject(1)).isEqualTo("class_-2");
    }
  }

  @Test
  void archFromCliName_acceptsCliNamesAndRejectsOthers() {
    assertThat(Arch.fromCliName("ResNet50")).isEqualTo(Arch.RESNET50);
    assertThat(Arch.fromCliName("tiny_multi")).isEqualTo(Arch.TINY_MULTI);
    assertThatThrownBy(() -> Arch.fromCliName("vgg16"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("resnet50, tiny, tiny-multi");
  }

  /** Slow (~100 MB export): run with {@code -Dccserve.slowTests=true}. */
  @Test
  @EnabledIfSystemProperty(named = "ccserve.slowTests", matches = "true")
  void generate_resnet50_loadsAndGivesNonDegenerateSoftmax() throws Exception {
    long start = System.nanoTime();
    GeneratedModel generated = generator.generate(Arch.RESNET50, dir, 1, 1);
    long generateMillis = (System.nanoTime() - start) / 1_000_000;

    float[] p = TfTestSupport.predict(generated.versionDir(), 2, 3);
    System.out.println("generate(RESNET50) took " + generateMillis + " ms; variables "
        + Files.size(dir.resolve("1/variables/variables.data-00000-of-00001")) + " bytes");
    assertThat(generated.statistics().parameters()).isEqualTo(25_559_081L);
    for (int row = 0; row < 2; row++) {
      float max = 0;
      double sum = 0;
      for (int j = 0; j < 1001; j++) {
        max = Math.max(max, p[row * 1001 + j]);
        sum += p[row * 1001 + j];
      }
      assertThat(sum).isCloseTo(1.0, within(1e-3));
      assertThat(max).isBetween(0.01f, 0.9f);
    }
  }
}
