package dev.ccserve.crypto.pf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ccserve.crypto.key.WrapKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Known-answer tests against files produced by Gramine's own pf_crypt. */
class GraminePfVectorsTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"empty.bin", "small100.bin", "exact3072.bin", "p3073.bin", "p7168.bin",
      "p40000.bin"})
  void decrypt_gramineVector_equalsPlaintext(String name) throws IOException {
    byte[] expected = TestData.plain(name);
    try (GraminePfReader r = GraminePfReader.open(TestData.enc(name), TestData.wrapKey(),
        PathBinding.exact("enc/" + name))) {
      assertThat(r.size()).isEqualTo(expected.length);
      assertThat(r.embeddedPath()).isEqualTo("enc/" + name);
      assertThat(r.readFully()).isEqualTo(expected);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"empty.bin", "small100.bin", "exact3072.bin", "p3073.bin", "p7168.bin",
      "p40000.bin"})
  void independentReader_gramineVector_equalsPlaintext(String name) throws IOException {
    IndependentPfReader.Result r = IndependentPfReader.read(
        Files.readAllBytes(TestData.enc(name)), TestData.wrapKey().toCleartextBytes());
    assertThat(r.path()).isEqualTo("enc/" + name);
    assertThat(r.plaintext()).isEqualTo(TestData.plain(name));
  }

  @ParameterizedTest
  @CsvSource({
    "empty.bin, 92e313a727406ca14c17e0e934351299503b3b6b9b1a79f2fd5d1add2934f9cd, "
        + "06dbf40099f41322753009ca68174c87, 814aae6a04d5e7340ca4a5bb412c454b",
    "small100.bin, 9543181b39136f9e19b452eb9173bf837563bf1159009d7f2c01c814bb1a6bd9, "
        + "159f899b850a16d2952cb606e26f95be, f5423f073636cc5856506fbe3bc49be3"
  })
  void deriveMetadataKey_knownAnswer_matches(String name, String nonceHex, String macHex,
      String keyHex) throws IOException {
    byte[] node0 = Arrays.copyOf(Files.readAllBytes(TestData.enc(name)), 4096);
    HexFormat hex = HexFormat.of();
    assertThat(hex.formatHex(node0, 10, 42)).isEqualTo(nonceHex);
    assertThat(hex.formatHex(node0, 42, 58)).isEqualTo(macHex);
    byte[] wrap = TestData.wrapKey().toCleartextBytes();
    assertThat(hex.formatHex(PfCrypto.deriveMetadataKey(wrap, node0, 10))).isEqualTo(keyHex);
    byte[] kdf = new byte[104];
    kdf[0] = 1;
    System.arraycopy("SGX-PROTECTED-FS-METADATA-KEY".getBytes(), 0, kdf, 4, 29);
    System.arraycopy(node0, 10, kdf, 68, 32);
    kdf[100] = (byte) 128;
    assertThat(hex.formatHex(IndependentPfReader.cmac(wrap, kdf))).isEqualTo(keyHex);
  }

  @Test
  void open_wrongKey_authenticationFailed() throws IOException {
    byte[] k = TestData.wrapKey().toCleartextBytes();
    k[15] ^= 1;
    assertThatThrownBy(() -> GraminePfReader.open(TestData.enc("p40000.bin"),
        WrapKey.fromCleartextBytes(k), PathBinding.exact("enc/p40000.bin")))
        .isInstanceOf(ProtectedFileException.class)
        .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
            .isEqualTo(ProtectedFileException.Reason.AUTHENTICATION_FAILED));
  }

  @ParameterizedTest
  @ValueSource(strings = {"enc/other.bin", "/enc/p40000.bin", "enc//p40000.bin", "p40000.bin"})
  void open_wrongExactPath_pathMismatchNamesBoth(String expected) {
    assertThatThrownBy(() -> GraminePfReader.open(TestData.enc("p40000.bin"),
        TestData.wrapKey(), PathBinding.exact(expected)))
        .isInstanceOf(ProtectedFileException.class)
        .hasMessageContaining("\"enc/p40000.bin\"")
        .hasMessageContaining(expected)
        .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
            .isEqualTo(ProtectedFileException.Reason.PATH_MISMATCH));
  }

  @Test
  void open_suffixBinding_acceptsMatchingSuffixRejectsOther() throws IOException {
    Path f = TestData.enc("small100.bin");
    WrapKey key = TestData.wrapKey();
    try (GraminePfReader r = GraminePfReader.open(f, key, PathBinding.suffix("small100.bin"))) {
      assertThat(r.readFully()).isEqualTo(TestData.plain("small100.bin"));
    }
    assertThatThrownBy(() -> GraminePfReader.open(f, key, PathBinding.suffix("x/enc/small100.bin")))
        .isInstanceOf(ProtectedFileException.class)
        .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
            .isEqualTo(ProtectedFileException.Reason.PATH_MISMATCH));
  }

  @ParameterizedTest
  @ValueSource(ints = {10, 42, 59, 871, 4096, 8192, 49151, 20000, 6000})
  void open_flippedBitInAuthenticatedByte_authenticationFailed(int offset) throws IOException {
    Path f = copyWithFlip("p40000.bin", offset, 0x01);
    assertThatThrownBy(() -> decryptP40000(f))
        .isInstanceOf(ProtectedFileException.class)
        .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
            .isEqualTo(ProtectedFileException.Reason.AUTHENTICATION_FAILED));
  }

  @ParameterizedTest
  @ValueSource(ints = {9, 4000, 3943, 4095})
  void open_flippedUnauthenticatedByte_contentUnchanged(int offset) throws IOException {
    Path f = copyWithFlip("p40000.bin", offset, 0x01);
    assertThat(decryptP40000(f)).isEqualTo(TestData.plain("p40000.bin"));
  }

  @Test
  void open_pendingWriteFlag_unsupportedFeature() throws IOException {
    Path f = copyWithFlip("p40000.bin", 58, 0x01);
    assertThatThrownBy(() -> decryptP40000(f))
        .isInstanceOf(ProtectedFileException.class)
        .hasMessageContaining("HAS_PENDING_WRITE")
        .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
            .isEqualTo(ProtectedFileException.Reason.UNSUPPORTED_FEATURE));
  }

  @Test
  void open_otherFlagBits_ignoredLikeGramine() throws IOException {
    Path f = copyWithFlip("p40000.bin", 58, 0x80);
    assertThat(decryptP40000(f)).isEqualTo(TestData.plain("p40000.bin"));
  }

  @Test
  void open_version1_unsupportedVersion() throws IOException {
    Path f = copyWithFlip("p40000.bin", 8, 0x03); // 2 -> 1
    assertThatThrownBy(() -> decryptP40000(f))
        .isInstanceOf(ProtectedFileException.class)
        .hasMessageContaining("expected format major version 2, found 1")
        .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
            .isEqualTo(ProtectedFileException.Reason.UNSUPPORTED_VERSION));
  }

  @Test
  void open_badFileId_notAProtectedFile() throws IOException {
    Path f = copyWithFlip("p40000.bin", 0, 0x20);
    assertThatThrownBy(() -> decryptP40000(f))
        .isInstanceOf(ProtectedFileException.class)
        .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
            .isEqualTo(ProtectedFileException.Reason.NOT_A_PROTECTED_FILE));
  }

  @Test
  void open_truncatedByOneByte_notAProtectedFile() throws IOException {
    byte[] b = Files.readAllBytes(TestData.enc("p40000.bin"));
    Path f = write("p40000.bin", Arrays.copyOf(b, 49151));
    assertThatThrownBy(() -> decryptP40000(f))
        .isInstanceOf(ProtectedFileException.class)
        .hasMessageContaining("found 49151")
        .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
            .isEqualTo(ProtectedFileException.Reason.NOT_A_PROTECTED_FILE));
  }

  @Test
  void open_lastNodeDropped_authenticationFailed() throws IOException {
    byte[] b = Files.readAllBytes(TestData.enc("p40000.bin"));
    Path f = write("p40000.bin", Arrays.copyOf(b, 49152 - 4096));
    assertThatThrownBy(() -> decryptP40000(f))
        .isInstanceOf(ProtectedFileException.class)
        .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
            .isEqualTo(ProtectedFileException.Reason.AUTHENTICATION_FAILED));
  }

  @Test
  void open_dataNodeSwappedFromOtherFile_authenticationFailed() throws IOException {
    byte[] a = Files.readAllBytes(TestData.enc("p3073.bin"));
    byte[] b = Files.readAllBytes(TestData.enc("p7168.bin"));
    System.arraycopy(b, 8192, a, 8192, 4096);
    Path f = write("p3073.bin", a);
    assertThatThrownBy(() -> GraminePfReader.decrypt(f, TestData.wrapKey(),
        PathBinding.exact("enc/p3073.bin")))
        .isInstanceOf(ProtectedFileException.class)
        .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
            .isEqualTo(ProtectedFileException.Reason.AUTHENTICATION_FAILED));
  }

  @Test
  void open_renamedFile_pathMismatch() throws IOException {
    Path f = write("p7168.bin", Files.readAllBytes(TestData.enc("p3073.bin")));
    assertThatThrownBy(() -> GraminePfReader.decrypt(f, TestData.wrapKey(),
        PathBinding.exact("enc/p7168.bin")))
        .isInstanceOf(ProtectedFileException.class)
        .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
            .isEqualTo(ProtectedFileException.Reason.PATH_MISMATCH));
  }

  @Test
  void inspect_gramineVector_reportsHeaderAndRange() throws IOException {
    ProtectedFileInfo info = GraminePfReader.inspect(TestData.enc("p40000.bin"));
    assertThat(info.majorVersion()).isEqualTo(2);
    assertThat(info.minorVersion()).isZero();
    assertThat(info.featureFlags()).isZero();
    assertThat(info.nodeCount()).isEqualTo(12);
    assertThat(info.layoutConsistent()).isTrue();
    assertThat(info.minPlaintextBytes()).isLessThanOrEqualTo(40000);
    assertThat(info.maxPlaintextBytes()).isGreaterThanOrEqualTo(40000);
    assertThat(info.supported()).isTrue();
    assertThat(GraminePfReader.isProtectedFile(TestData.enc("p40000.bin"))).isTrue();
    assertThat(GraminePfReader.isProtectedFile(TestData.pfDir().resolve("plain/p40000.bin")))
        .isFalse();
  }

  private byte[] decryptP40000(Path f) throws IOException {
    return GraminePfReader.decrypt(f, TestData.wrapKey(), PathBinding.exact("enc/p40000.bin"));
  }

  private Path copyWithFlip(String name, int offset, int mask) throws IOException {
    byte[] b = Files.readAllBytes(TestData.enc(name));
    b[offset] ^= (byte) mask;
    return write(name, b);
  }

  private Path write(String name, byte[] content) throws IOException {
    Path f = tmp.resolve(name);
    Files.write(f, content);
    return f;
  }
}
