package dev.ccserve.crypto.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WrapKeyTest {
  private static final byte[] BYTES = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f");

  @TempDir Path tmp;

  @Test
  void toString_neverShowsKeyBytes_showsStableId() {
    WrapKey k = WrapKey.fromCleartextBytes(BYTES);
    assertThat(k.toString()).doesNotContain("000102030405060708090a0b0c0d0e0f")
        .doesNotContain("0001020304").contains(k.id());
    assertThat(k.id()).hasSize(16).matches("[0-9a-f]+");
    assertThat(WrapKey.fromCleartextBytes(BYTES.clone()).id()).isEqualTo(k.id());
    assertThat(WrapKey.generate(new SecureRandom()).id()).isNotEqualTo(k.id());
  }

  @Test
  void equals_sameBytesEqualDifferentBytesNot() {
    byte[] other = BYTES.clone();
    other[15] ^= 1;
    assertThat(WrapKey.fromCleartextBytes(BYTES)).isEqualTo(WrapKey.fromCleartextBytes(BYTES))
        .hasSameHashCodeAs(WrapKey.fromCleartextBytes(BYTES))
        .isNotEqualTo(WrapKey.fromCleartextBytes(other));
  }

  @Test
  void fromCleartextBytes_copiesInputAndOutput() {
    byte[] in = BYTES.clone();
    WrapKey k = WrapKey.fromCleartextBytes(in);
    in[0] = 99;
    byte[] out = k.toCleartextBytes();
    assertThat(out).isEqualTo(BYTES);
    out[1] = 99;
    assertThat(k.toCleartextBytes()).isEqualTo(BYTES);
  }

  @Test
  void fromCleartextBytes_wrongLength_namesExpectedAndFound() {
    assertThatThrownBy(() -> WrapKey.fromCleartextBytes(new byte[32]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("16")
        .hasMessageContaining("32");
  }

  @Test
  void writeTo_thenReadFrom_roundTripsWith0600AndNoTempLeft() throws IOException {
    WrapKey k = WrapKey.generate(new SecureRandom());
    Path f = tmp.resolve("model.key");
    k.writeTo(f);
    assertThat(Files.size(f)).isEqualTo(16);
    assertThat(Files.getPosixFilePermissions(f)).containsExactlyInAnyOrder(
        PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    assertThat(WrapKey.excessPermissions(f)).isEmpty();
    assertThat(WrapKey.readFrom(f)).isEqualTo(k);
    try (Stream<Path> s = Files.list(tmp)) {
      assertThat(s.count()).isEqualTo(1);
    }
  }

  @Test
  void writeTo_existingFile_refusesAndKeepsIt() throws IOException {
    Path f = tmp.resolve("k");
    Files.write(f, BYTES);
    assertThatThrownBy(() -> WrapKey.generate(new SecureRandom()).writeTo(f))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(Files.readAllBytes(f)).isEqualTo(BYTES);
  }

  @Test
  void readFrom_wrongSize_namesExpectedAndFoundSizesNotContent() throws IOException {
    for (int n : new int[] {0, 15, 17, 32, 1000}) {
      Path f = tmp.resolve("k" + n);
      Files.write(f, new byte[n]);
      assertThatThrownBy(() -> WrapKey.readFrom(f)).isInstanceOf(IOException.class)
          .hasMessageContaining("expected exactly 16").hasMessageContaining("found " + n + " bytes");
    }
  }

  @Test
  void excessPermissions_worldReadable_reported() throws IOException {
    Path f = tmp.resolve("k");
    Files.write(f, BYTES);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(WrapKey.excessPermissions(f)).containsExactlyInAnyOrder(
        PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);
  }
}
