package dev.ccserve.crypto.pf;

import static dev.ccserve.crypto.pf.PfTestSupport.KEY;
import static dev.ccserve.crypto.pf.PfTestSupport.RANDOM;
import static dev.ccserve.crypto.pf.PfTestSupport.plaintext;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProtectedDirectoryTest {
  @TempDir Path tmp;
  private Path plainDir;

  @BeforeEach
  void savedModel() throws IOException {
    plainDir = tmp.resolve("plain/1");
    Files.createDirectories(plainDir.resolve("variables"));
    Files.createDirectories(plainDir.resolve("assets"));
    Files.write(plainDir.resolve("saved_model.pb"), plaintext(23_456, 1));
    Files.write(plainDir.resolve("variables/variables.index"), plaintext(1000, 2));
    Files.write(plainDir.resolve("variables/variables.data-00000-of-00001"),
        plaintext(2_500_000, 3));
    Files.write(plainDir.resolve("fingerprint.pb"), new byte[0]);
  }

  @Test
  void encrypt_savedModel_bindsEachFileToTypedPrefixPlusRelativePath() throws IOException {
    Path out = tmp.resolve("models/resnet50-v15-fp32/1");
    ProtectedDirectory.Summary s = ProtectedDirectory.encrypt(plainDir, out,
        "./models//resnet50-v15-fp32/1/", KEY, RANDOM, ProgressListener.NONE);
    assertThat(s.files()).isEqualTo(4);
    assertThat(s.plaintextBytes()).isEqualTo(23_456 + 1000 + 2_500_000);
    assertThat(Files.isDirectory(out.resolve("assets"))).isTrue();
    Path index = out.resolve("variables/variables.index");
    assertThat(GraminePfReader.isProtectedFile(index)).isTrue();
    try (GraminePfReader r = GraminePfReader.open(index, KEY, PathBinding.exact(
        "models/resnet50-v15-fp32/1/variables/variables.index"))) {
      assertThat(r.readFully()).isEqualTo(plaintext(1000, 2));
    }
    IndependentPfReader.Result ind = IndependentPfReader.read(
        Files.readAllBytes(out.resolve("saved_model.pb")), KEY.toCleartextBytes());
    assertThat(ind.path()).isEqualTo("models/resnet50-v15-fp32/1/saved_model.pb");
    assertThat(ind.plaintext()).isEqualTo(plaintext(23_456, 1));
    assertThat(GraminePfRoundTripTest.listDir(out.getParent())).containsExactly("1");
  }

  @Test
  void decrypt_roundTripWithSuffixBinding_identicalTree() throws IOException {
    Path enc = tmp.resolve("enc/1");
    ProtectedDirectory.encrypt(plainDir, enc, "models/resnet/1", KEY, RANDOM,
        ProgressListener.NONE);
    Path back = tmp.resolve("back");
    List<long[]> progress = new ArrayList<>();
    ProtectedDirectory.Summary s = ProtectedDirectory.decrypt(enc, back, KEY,
        PathBinding.suffix("resnet/1"), (d, t) -> progress.add(new long[] {d, t}));
    assertThat(s.files()).isEqualTo(4);
    assertThat(tree(back)).isEqualTo(tree(plainDir));
    for (String rel : List.of("saved_model.pb", "variables/variables.index",
        "variables/variables.data-00000-of-00001", "fingerprint.pb")) {
      assertThat(Files.readAllBytes(back.resolve(rel))).as(rel)
          .isEqualTo(Files.readAllBytes(plainDir.resolve(rel)));
    }
    assertThat(progress.get(progress.size() - 1)).containsExactly(s.plaintextBytes(),
        s.plaintextBytes());
  }

  @Test
  void decrypt_wrongDirectoryBinding_pathMismatchAndNoOutput() throws IOException {
    Path enc = tmp.resolve("enc/1");
    ProtectedDirectory.encrypt(plainDir, enc, "models/resnet/1", KEY, RANDOM,
        ProgressListener.NONE);
    Path back = tmp.resolve("back");
    assertThatThrownBy(() -> ProtectedDirectory.decrypt(enc, back, KEY,
        PathBinding.exact("models/resnet/2"), ProgressListener.NONE))
        .isInstanceOf(ProtectedFileException.class)
        .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
            .isEqualTo(ProtectedFileException.Reason.PATH_MISMATCH));
    assertThat(GraminePfRoundTripTest.listDir(tmp)).containsExactly("enc", "plain");
    try (GraminePfReader r = GraminePfReader.open(enc.resolve("saved_model.pb"), KEY,
        PathBinding.insecureAny())) {
      assertThat(r.embeddedPath()).isEqualTo("models/resnet/1/saved_model.pb");
    }
    ProtectedDirectory.decrypt(enc, back, KEY, PathBinding.insecureAny(), null);
    assertThat(tree(back)).isEqualTo(tree(plainDir));
  }

  @Test
  void encrypt_failureMidway_leavesNothingNew() throws IOException {
    Path out = tmp.resolve("models/m/1");
    Files.createDirectories(out.getParent());
    assertThatThrownBy(() -> ProtectedDirectory.encrypt(plainDir, out, "models/m/1", KEY,
        RANDOM, (done, total) -> {
          if (done > 1_000_000) {
            throw new IllegalStateException("injected failure");
          }
        })).isInstanceOf(IllegalStateException.class).hasMessage("injected failure");
    assertThat(GraminePfRoundTripTest.listDir(out.getParent())).isEmpty();
  }

  @Test
  void decrypt_failureMidway_leavesNothingNew() throws IOException {
    Path enc = tmp.resolve("enc");
    ProtectedDirectory.encrypt(plainDir, enc, "enc", KEY, RANDOM, null);
    // corrupt a late data node of the big file: metadata opens fine, reading fails midway
    Path big = enc.resolve("variables/variables.data-00000-of-00001");
    byte[] b = Files.readAllBytes(big);
    b[b.length - 100] ^= 1;
    Files.write(big, b);
    assertThatThrownBy(() -> ProtectedDirectory.decrypt(enc, tmp.resolve("out"), KEY,
        PathBinding.exact("enc"), null))
        .isInstanceOf(ProtectedFileException.class)
        .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
            .isEqualTo(ProtectedFileException.Reason.AUTHENTICATION_FAILED));
    assertThat(GraminePfRoundTripTest.listDir(tmp)).containsExactly("enc", "plain");
  }

  @Test
  void encrypt_outputExistsNonEmpty_refusedAndUntouched() throws IOException {
    Path out = tmp.resolve("out");
    Files.createDirectories(out);
    Files.write(out.resolve("keep"), new byte[] {1});
    assertThatThrownBy(() -> ProtectedDirectory.encrypt(plainDir, out, "out", KEY, RANDOM, null))
        .isInstanceOf(ProtectedFileException.class).hasMessageContaining("exists");
    assertThat(GraminePfRoundTripTest.listDir(out)).containsExactly("keep");
  }

  @Test
  void encrypt_outputIsEmptyDirectory_filled() throws IOException {
    Path out = tmp.resolve("out");
    Files.createDirectories(out);
    ProtectedDirectory.encrypt(plainDir, out, "out", KEY, RANDOM, null);
    assertThat(tree(out)).isEqualTo(tree(plainDir));
  }

  @Test
  void encrypt_symlinkInInput_rejected() throws IOException {
    Files.createSymbolicLink(plainDir.resolve("link"), plainDir.resolve("saved_model.pb"));
    assertThatThrownBy(() -> ProtectedDirectory.encrypt(plainDir, tmp.resolve("o"), "o", KEY,
        RANDOM, null)).isInstanceOf(ProtectedFileException.class).hasMessageContaining("link");
    assertThat(Files.exists(tmp.resolve("o"))).isFalse();
  }

  @Test
  void decryptInMemory_suffixBinding_deliversEveryFileInOrder() throws IOException {
    Path enc = tmp.resolve("srv/resnet/1");
    ProtectedDirectory.encrypt(plainDir, enc, "models/resnet/1", KEY, RANDOM, null);
    java.util.Map<String, byte[]> got = new java.util.LinkedHashMap<>();
    ProtectedDirectory.Summary s = ProtectedDirectory.decryptInMemory(enc, KEY,
        PathBinding.suffix("resnet/1"), got::put, null);
    assertThat(s.files()).isEqualTo(4);
    assertThat(got.keySet()).containsExactly("fingerprint.pb", "saved_model.pb",
        "variables/variables.data-00000-of-00001", "variables/variables.index");
    for (var e : got.entrySet()) {
      assertThat(e.getValue()).as(e.getKey())
          .isEqualTo(Files.readAllBytes(plainDir.resolve(e.getKey())));
    }
  }

  @Test
  void decryptInMemory_fileSwappedBetweenVersions_pathMismatchBeforeAnyDelivery()
      throws IOException {
    Path v1 = tmp.resolve("enc/m/1");
    Path v2 = tmp.resolve("enc/m/2");
    ProtectedDirectory.encrypt(plainDir, v1, "models/m/1", KEY, RANDOM, null);
    ProtectedDirectory.encrypt(plainDir, v2, "models/m/2", KEY, RANDOM, null);
    Files.copy(v1.resolve("variables/variables.index"), v2.resolve("variables/variables.index"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    List<String> delivered = new ArrayList<>();
    assertThatThrownBy(() -> ProtectedDirectory.decryptInMemory(v2, KEY,
        PathBinding.suffix("m/2"), (rel, bytes) -> delivered.add(rel), null))
        .isInstanceOf(ProtectedFileException.class)
        .hasMessageContaining("models/m/1/variables/variables.index")
        .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
            .isEqualTo(ProtectedFileException.Reason.PATH_MISMATCH));
    assertThat(delivered).isEmpty();
  }

  @Test
  void boundPath_normalizesPrefix() {
    assertThat(ProtectedDirectory.boundPath("models/resnet50-v15-fp32/1",
        "variables/variables.index"))
        .isEqualTo("models/resnet50-v15-fp32/1/variables/variables.index");
    assertThat(ProtectedDirectory.boundPath("./out/", "a")).isEqualTo("out/a");
    assertThat(ProtectedDirectory.boundPath("/", "a")).isEqualTo("/a");
    assertThat(ProtectedDirectory.boundPath(".", "a")).isEqualTo("a");
  }

  private static List<String> tree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.map(p -> root.relativize(p).toString() + (Files.isDirectory(p) ? "/" : ""))
          .sorted().toList();
    }
  }
}
