package dev.ccserve.server.modelgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SavedModelInspectorTest {
  private final SavedModelInspector inspector = new SavedModelInspector();
  @TempDir Path dir;

  @Test
  void inspect_tinyMulti_listsTagsSignatureDtypesAndShapes() throws Exception {
    new ModelGenerator().generate(Arch.TINY_MULTI, dir, 3, 0);

    SavedModelInfo info = inspector.inspect(dir.resolve("3"));

    assertThat(info.metaGraphs()).hasSize(1);
    SavedModelInfo.MetaGraph metaGraph = info.metaGraphs().get(0);
    assertThat(metaGraph.tags()).containsExactly("serve");
    assertThat(metaGraph.signatures()).extracting(SavedModelInfo.SignatureInfo::key)
        .containsExactly("serving_default");
    SavedModelInfo.SignatureInfo sig = metaGraph.signatures().get(0);
    assertThat(sig.methodName()).isEqualTo("tensorflow/serving/predict");
    assertThat(sig.inputs()).containsExactly(
        new SavedModelInfo.TensorSpec("k", "k:0", "DT_INT64", List.of(-1L), false),
        new SavedModelInfo.TensorSpec("x", "x:0", "DT_FLOAT", List.of(-1L, 3L), false));
    assertThat(sig.outputs()).containsExactly(
        new SavedModelInfo.TensorSpec("label", "label:0", "DT_STRING", List.of(-1L), false),
        new SavedModelInfo.TensorSpec("y", "y:0", "DT_FLOAT", List.of(-1L, 3L), false));
    assertThat(info.variablesBytes()).isZero();
    assertThat(info.savedModelBytes()).isEqualTo(Files.size(dir.resolve("3/saved_model.pb")));
    assertThat(info.format())
        .contains("meta graph tags: [serve]")
        .contains("signature \"serving_default\" method tensorflow/serving/predict")
        .contains("input  x: DT_FLOAT [-1,3] (x:0)")
        .contains("output label: DT_STRING [-1] (label:0)");
  }

  @Test
  void inspect_tiny_reportsSeedSignatureAndVariableBytes() throws Exception {
    new ModelGenerator().generate(Arch.TINY, dir, 1, 9);

    SavedModelInfo info = inspector.inspect(dir.resolve("1"));

    SavedModelInfo.SignatureInfo sig = info.metaGraphs().get(0).signatures().get(0);
    assertThat(sig.inputs().get(0).shapeText()).isEqualTo("[-1,224,224,3]");
    assertThat(sig.outputs().get(0).alias()).isEqualTo("predict");
    assertThat(sig.outputs().get(0).shapeText()).isEqualTo("[-1,1001]");
    // 10 553 float32 variables plus checkpoint index/header overhead.
    assertThat(info.variablesBytes()).isBetween(4L * 10_553, 4L * 10_553 + 4096);
  }

  @Test
  void inspect_modelBaseDirectory_pointsToVersions() throws Exception {
    Files.createDirectories(dir.resolve("7"));
    Files.createDirectories(dir.resolve("12"));

    assertThatThrownBy(() -> inspector.inspect(dir))
        .isInstanceOf(ModelToolException.class)
        .hasMessageContaining("model base directory with versions [7, 12]");
  }

  @Test
  void inspect_encryptedLookingFile_throwsNotASavedModel() throws Exception {
    byte[] junk = new byte[2048];
    new Random(5).nextBytes(junk);
    Files.write(dir.resolve("saved_model.pb"), junk);

    assertThatThrownBy(() -> inspector.inspect(dir))
        .isInstanceOf(ModelToolException.class)
        .hasMessageContaining("is it encrypted?");
  }
}
