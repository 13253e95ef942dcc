package dev.ccserve.server.modelgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

class GraphDefConverterTest {
  private final GraphDefConverter converter = new GraphDefConverter();
  @TempDir Path dir;

  @Test
  void convert_frozenGraph_savedModelGivesOriginalOutputs() throws Exception {
    Path pb = FrozenGraphFixture.write(dir.resolve("model.pb"));
    Path export = dir.resolve("models/m");

    ConvertedModel converted = converter.convert(pb, export, 1, "input", "predict");

    assertThat(converted.versionDir()).isEqualTo(export.resolve("1"));
    assertThat(converted.removedNodes()).isPositive();
    assertThat(export.resolve("1/saved_model.pb")).isRegularFile();
    assertThat(export.resolve("1/variables")).doesNotExist();
    try (SavedModelBundle bundle = TfTestSupport.load(converted.versionDir());
        TFloat32 in = FrozenGraphFixture.input(3, 99)) {
      Signature sig = bundle.function("serving_default").signature();
      assertThat(sig.methodName()).isEqualTo("tensorflow/serving/predict");
      assertThat(sig.getInputs().get("input").name).isEqualTo("input:0");
      assertThat(sig.getOutputs().get("predict").name).isEqualTo("predict:0");
      assertThat(bundle.graph().operation("unused_side_branch")).isNull();
      float[] converted1 = TfTestSupport.runFloats(bundle, "input", in, "predict");
      float[] original = FrozenGraphFixture.runOriginal(in);
      assertThat(converted1).hasSize(3 * FrozenGraphFixture.CLASSES).isEqualTo(original);
    }
  }

  @Test
  void convert_tensorNameSuffix_isAccepted() throws Exception {
    Path pb = FrozenGraphFixture.write(dir.resolve("model.pb"));

    ConvertedModel converted = converter.convert(pb, dir, 2, "input:0", "predict:0");

    assertThat(converted.inputNode()).isEqualTo("input");
    assertThat(converted.outputNode()).isEqualTo("predict");
  }

  @Test
  void convert_missingFile_throwsNotFound() {
    assertThatThrownBy(() -> converter.convert(dir.resolve("nope.pb"), dir, 1, "input", "predict"))
        .isInstanceOf(ModelToolException.class)
        .hasMessageContaining("frozen graph file not found")
        .hasMessageContaining("nope.pb");
  }

  @Test
  void convert_randomBytes_throwsNotAGraphDef() throws Exception {
    byte[] junk = new byte[4096];
    new Random(3).nextBytes(junk);
    Path file = Files.write(dir.resolve("junk.pb"), junk);

    assertThatThrownBy(() -> converter.convert(file, dir, 1, "input", "predict"))
        .isInstanceOf(ModelToolException.class)
        .hasMessageContaining("not a GraphDef");
    assertThat(dir.resolve("1")).doesNotExist();
  }

  @Test
  void convert_unknownNodes_listCandidates() throws Exception {
    Path pb = FrozenGraphFixture.write(dir.resolve("model.pb"));

    assertThatThrownBy(() -> converter.convert(pb, dir, 1, "images", "predict"))
        .isInstanceOf(ModelToolException.class)
        .hasMessageContaining("input node \"images\" not found")
        .hasMessageContaining("[input]");
    assertThatThrownBy(() -> converter.convert(pb, dir, 1, "input", "logits"))
        .isInstanceOf(ModelToolException.class)
        .hasMessageContaining("output node \"logits\" not found")
        .hasMessageContaining("predict")
        .hasMessageContaining("unused_side_branch");
  }

  @Test
  void convert_graphWithVariables_throwsNotFrozen() throws Exception {
    Path pb = dir.resolve("unfrozen.pb");
    try (Graph graph = new Graph(); OutputStream out = Files.newOutputStream(pb)) {
      Ops tf = Ops.create(graph);
      var x = tf.withName("input").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 2)));
      var w = tf.withName("w").variable(tf.withInitScope().constant(new float[][] {{1f}, {2f}}));
      tf.withName("predict").linalg.matMul(x, w);
      graph.toGraphDef().writeTo(out);
    }

    assertThatThrownBy(() -> converter.convert(pb, dir, 1, "input", "predict"))
        .isInstanceOf(ModelToolException.class)
        .hasMessageContaining("not a frozen graph")
        .hasMessageContaining("\"w\"");
  }

  @Test
  void convert_existingVersion_throws() throws Exception {
    Path pb = FrozenGraphFixture.write(dir.resolve("model.pb"));
    converter.convert(pb, dir, 1, "input", "predict");

    assertThatThrownBy(() -> converter.convert(pb, dir, 1, "input", "predict"))
        .isInstanceOf(ModelToolException.class)
        .hasMessageContaining("already exists");
  }
}
