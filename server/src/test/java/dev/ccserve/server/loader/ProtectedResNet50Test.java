package dev.ccserve.server.loader;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.crypto.key.WrapKey;
import dev.ccserve.crypto.pf.ProtectedDirectory;
import dev.ccserve.server.modelgen.Arch;
import dev.ccserve.server.modelgen.ModelGenerator;
import dev.ccserve.server.runtime.RamFileSystem;
import dev.ccserve.server.runtime.TfSavedModel;
import dev.ccserve.server.runtime.TfSessionOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated ResNet-50 (25.6 M parameters, ~100 MB of variables), encrypted, predicts exactly
 * what the plaintext model predicts, through both load paths (variables decrypted straight into
 * tensors, and the ram:// checkpoint), and loading it writes no plaintext model bytes to disk.
 */
class ProtectedResNet50Test {
  @TempDir Path tmp;

  @Test
  void encryptedResNet50_predictsBitIdenticallyAndWritesNoPlaintext() throws Exception {
    SecureRandom random = new SecureRandom();
    WrapKey key = WrapKey.generate(random);
    Path plain = new ModelGenerator().generate(Arch.RESNET50, tmp.resolve("plain/resnet"), 1, 5)
        .versionDir();
    Path enc = tmp.resolve("enc/resnet/1");
    Files.createDirectories(enc.getParent());
    ProtectedDirectory.encrypt(plain, enc, "resnet/1", key, random, (d, t) -> { });
    TfSessionOptions options = new TfSessionOptions(0, 0, List.of("serve"), false, false);
    Map<String, TensorProto> in = Map.of("input", DirectRestoreTest.images(11));

    Map<String, TensorProto> expected;
    try (TfSavedModel m = TfSavedModel.load(plain.toString(), options)) {
      expected = m.predict("serving_default", in, List.of(), 0);
    }
    assertThat(expected.get("predict").getTensorContent().size()
        + expected.get("predict").getFloatValCount()).isPositive();
    // 64 bytes from the middle of the plaintext variables; then the plaintext goes, so any copy
    // found afterwards was written by loading the encrypted model.
    byte[] data = Files.readAllBytes(plain.resolve("variables/variables.data-00000-of-00001"));
    byte[] marker = Arrays.copyOfRange(data, data.length / 2, data.length / 2 + 64);
    ProtectedModelTest.deleteTree(tmp.resolve("plain"));
    Path control = Files.write(tmp.resolve("control.bin"), marker);
    assertThat(ProtectedModelTest.contains(control, marker)).as("the scan finds a copy").isTrue();
    Files.delete(control);
    long start = System.currentTimeMillis() - 1000;

    try (RamFileSystem ram = new RamFileSystem()) {
      for (int threads : new int[] {2, 0}) { // direct restore, then the ram:// checkpoint
        try (TfSavedModel m =
            new ProtectedSavedModelLoader(enc, () -> key, options, ram, threads).load()) {
          assertThat(m.predict("serving_default", in, List.of(), 0))
              .as("predictions with %d decrypt threads", threads).isEqualTo(expected);
        }
      }
    }
    for (Path root : List.of(tmp, Path.of(System.getProperty("java.io.tmpdir")),
        Path.of("").toAbsolutePath())) {
      try (Stream<Path> s = Files.walk(root)) {
        s.filter(Files::isRegularFile).filter(p -> p.toFile().lastModified() >= start)
            .filter(p -> p.toFile().length() < 512L * 1024 * 1024)
            .forEach(p -> assertThat(ProtectedModelTest.contains(p, marker))
                .as("plaintext variables found in " + p).isFalse());
      } catch (java.io.UncheckedIOException ignored) {
        // Files vanishing during the walk (other processes' temp files) are not evidence.
      }
    }
  }
}
