package dev.ccserve.server.loader;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ccserve.api.tf.DataType;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.api.tf.TensorShapeProto;
import dev.ccserve.crypto.key.WrapKey;
import dev.ccserve.crypto.pf.ProtectedDirectory;
import dev.ccserve.server.ModelServer;
import dev.ccserve.server.ServerOptions;
import dev.ccserve.server.ServerTestSupport;
import dev.ccserve.server.ServingApi;
import dev.ccserve.server.TestModels;
import dev.ccserve.server.config.ModelConfig;
import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.ServableState;
import dev.ccserve.server.metrics.ServingMetrics.Entrypoint;
import dev.ccserve.server.runtime.TfSessionOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;

/** Encrypted (Gramine PF) models load from memory, serve like plaintext, and refuse tampering. */
class ProtectedModelTest {
  @TempDir Path tmp;
  final SecureRandom random = new SecureRandom();
  final WrapKey key = WrapKey.generate(random);

  Path encrypted(String name, long version, float c) throws Exception {
    Path plainBase = tmp.resolve("plain-" + name);
    Path plain = TestModels.halfPlus(plainBase, version, c);
    Files.createDirectories(plain.resolve("assets"));
    Files.writeString(plain.resolve("assets/vocab.txt"), "alpha\nbeta\n");
    Path out = tmp.resolve("enc").resolve(name).resolve(Long.toString(version));
    Files.createDirectories(out.getParent());
    ProtectedDirectory.encrypt(plain, out, name + "/" + version, key, random, (d, t) -> { });
    return tmp.resolve("enc").resolve(name);
  }

  ModelServer start(List<ModelConfig> models, WrapKey k) throws Exception {
    TfSessionOptions so = new TfSessionOptions(1, 1, List.of("serve"), false, true);
    ServerOptions o = ServerTestSupport.options(models, Duration.ZERO);
    ModelServer s = new ModelServer(o, Loaders.create(so, name -> k, false), Optional.empty(),
        m -> ServingApi.direct());
    s.openPorts();
    return s;
  }

  static PredictRequest request(String model) {
    return PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setName(model))
        .putInputs("x", TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
            .setTensorShape(TensorShapeProto.newBuilder().addDim(
                TensorShapeProto.Dim.newBuilder().setSize(2))).addFloatVal(2f).addFloatVal(4f)
            .build()).build();
  }

  @Test
  void encryptedModel_servesSamePredictionsAsPlaintext() throws Exception {
    Path enc = encrypted("m", 1, 7f);
    Path plainBase = tmp.resolve("plain-m");
    try (ModelServer s = start(List.of(ModelConfig.of("m", enc), ModelConfig.of("p", plainBase)),
        key)) {
      s.loadModels();
      ServingApi api = new ServingApi(s.core(), s.metrics(), ServingApi.direct());
      var a = api.predict(request("m"), 0, Entrypoint.GRPC).getOutputsMap();
      var b = api.predict(request("p"), 0, Entrypoint.GRPC).getOutputsMap();
      assertThat(a.get("y").getFloatValList()).containsExactly(8f, 9f);
      assertThat(a).isEqualTo(b);
    }
  }

  @Test
  void wrongKey_versionFailsWithDataLoss_otherModelsServe() throws Exception {
    Path enc = encrypted("m", 1, 7f);
    Path plainBase = tmp.resolve("plain-m");
    try (ModelServer s = start(List.of(ModelConfig.of("p", plainBase)),
        WrapKey.generate(random))) {
      s.loadModels();
      s.core().applyConfig(List.of(ModelConfig.of("p", plainBase)));
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.core().applyConfig(
          List.of(ModelConfig.of("p", plainBase), ModelConfig.of("m", enc))))
          .hasMessageContaining("m version 1");
      var v = s.core().monitor().version("m", 1).orElseThrow();
      assertThat(v.state()).isEqualTo(ServableState.END);
      assertThat(v.code()).isEqualTo(Code.DATA_LOSS);
      assertThat(v.message()).doesNotContain(key.toString());
      assertThat(s.core().availableVersions("p")).containsExactly(1L);
    }
  }

  @Test
  void swappedFiles_refusedByPathBinding() throws Exception {
    Path enc = encrypted("m", 1, 7f);
    Path v = enc.resolve("1");
    Path pb = v.resolve("saved_model.pb");
    Path idx = v.resolve("assets/vocab.txt");
    Path t = v.resolve("tmp");
    Files.move(pb, t);
    Files.move(idx, pb);
    Files.move(t, idx);
    assertLoadFails(enc, "path");
  }

  @Test
  void plaintextFileSwappedIn_refused() throws Exception {
    Path enc = encrypted("m", 1, 7f);
    Files.copy(tmp.resolve("plain-m/1/assets/vocab.txt"), enc.resolve("1/assets/vocab.txt"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertLoadFails(enc, "is not a protected file");
  }

  @Test
  void flippedByte_refused() throws Exception {
    Path enc = encrypted("m", 1, 7f);
    Path pb = enc.resolve("1/saved_model.pb");
    byte[] b = Files.readAllBytes(pb);
    b[b.length / 2] ^= 1;
    Files.write(pb, b);
    assertLoadFails(enc, "cannot open protected file");
  }

  void assertLoadFails(Path enc, String messagePart) throws Exception {
    try (ModelServer s = start(List.of(ModelConfig.of("m", enc)), key)) {
      org.assertj.core.api.Assertions.assertThatThrownBy(s::loadModels)
          .hasMessageContaining(messagePart);
      assertThat(s.core().monitor().version("m", 1).orElseThrow().code()).isNotEqualTo(Code.OK);
    }
  }

  @Test
  void load_writesNoPlaintextToDisk() throws Exception {
    Path enc = encrypted("m", 1, 7f);
    byte[] marker;
    try (Stream<Path> s = Files.walk(tmp.resolve("plain-m/1"))) {
      // A distinctive chunk of the plaintext graph: the constant node names plus model bytes.
      Path pb = s.filter(p -> p.getFileName().toString().equals("saved_model.pb")).findFirst()
          .orElseThrow();
      byte[] all = Files.readAllBytes(pb);
      marker = java.util.Arrays.copyOfRange(all, all.length / 3, all.length / 3 + 48);
    }
    // Remove the plaintext so any copy found afterwards was written by the load.
    deleteTree(tmp.resolve("plain-m"));
    long start = System.currentTimeMillis() - 1000;
    try (ModelServer s = start(List.of(ModelConfig.of("m", enc)), key)) {
      s.loadModels();
      assertThat(s.core().availableVersions("m")).containsExactly(1L);
    }
    List<Path> roots = List.of(tmp, Path.of(System.getProperty("java.io.tmpdir")),
        Path.of("").toAbsolutePath());
    for (Path root : roots) {
      try (Stream<Path> s = Files.walk(root)) {
        s.filter(Files::isRegularFile).filter(p -> p.toFile().lastModified() >= start)
            .filter(p -> p.toFile().length() < 512L * 1024 * 1024)
            .forEach(p -> assertThat(contains(p, marker)).as("plaintext found in " + p).isFalse());
      } catch (java.io.UncheckedIOException ignored) {
        // Files vanishing during the walk (other processes' temp files) are not evidence.
      }
    }
  }

  static boolean contains(Path p, byte[] needle) {
    try {
      byte[] h = Files.readAllBytes(p);
      outer:
      for (int i = 0; i + needle.length <= h.length; i++) {
        for (int j = 0; j < needle.length; j++) {
          if (h[i + j] != needle[j]) {
            continue outer;
          }
        }
        return true;
      }
      return false;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  static void deleteTree(Path p) throws java.io.IOException {
    try (var w = Files.walk(p)) {
      w.sorted(java.util.Comparator.reverseOrder()).forEach(q -> q.toFile().delete());
    }
  }
}
