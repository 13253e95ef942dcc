package dev.ccserve.crypto.pf;

import static dev.ccserve.crypto.pf.PfTestSupport.encrypt;
import static dev.ccserve.crypto.pf.PfTestSupport.plaintext;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProtectedFileInfoTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(ints = {0, 3072, 3073, 7168, 7169, 3072 + 4096 * 96, 3072 + 4096 * 96 + 1, 500_000})
  void inspect_writerOutput_rangeContainsSizeAndLayoutConsistent(int size) throws IOException {
    Path f = encrypt(plaintext(size, 1), tmp.resolve("f"), "f");
    ProtectedFileInfo info = GraminePfReader.inspect(f);
    assertThat(info.layoutConsistent()).isTrue();
    assertThat(info.minPlaintextBytes()).isLessThanOrEqualTo(size);
    assertThat(info.maxPlaintextBytes()).isGreaterThanOrEqualTo(size);
    assertThat(info.maxPlaintextBytes() - info.minPlaintextBytes())
        .isLessThan(size <= 3072 ? 3073 : 4096);
    assertThat(info.nodeCount()).isEqualTo(Files.size(f) / 4096);
    assertThat(info.majorVersion()).isEqualTo(2);
    assertThat(info.supported()).isTrue();
  }

  @Test
  void inspect_nodeCountNoWriterProduces_inconsistent() throws IOException {
    // 3072 + 96 * 4096 plaintext -> 98 nodes; 99 nodes cannot occur (97 data nodes need 2 MHT)
    byte[] f = Files.readAllBytes(encrypt(plaintext(3072 + 96 * 4096, 1), tmp.resolve("f"), "f"));
    assertThat(f.length).isEqualTo(98 * 4096);
    Path g = tmp.resolve("g");
    Files.write(g, Arrays.copyOf(f, 99 * 4096));
    ProtectedFileInfo info = GraminePfReader.inspect(g);
    assertThat(info.layoutConsistent()).isFalse();
    assertThat(info.maxPlaintextBytes()).isEqualTo(3072 + 96 * 4096);
  }

  @Test
  void inspect_versionAndFlags_reportedWithoutKey() throws IOException {
    byte[] f = Files.readAllBytes(encrypt(plaintext(10, 1), tmp.resolve("f"), "f"));
    f[58] = 1;
    f[9] = 3;
    Path g = tmp.resolve("g");
    Files.write(g, f);
    ProtectedFileInfo info = GraminePfReader.inspect(g);
    assertThat(info.hasPendingWrite()).isTrue();
    assertThat(info.minorVersion()).isEqualTo(3);
    assertThat(info.supported()).isFalse();
    f[8] = 1;
    Files.write(g, f);
    assertThat(GraminePfReader.inspect(g).majorVersion()).isEqualTo(1);
    assertThat(GraminePfReader.inspect(g).featureFlags()).isZero();
  }

  @Test
  void inspect_notProtected_notAProtectedFile() throws IOException {
    Path plain = tmp.resolve("p");
    Files.write(plain, new byte[4096]);
    assertThatThrownBy(() -> GraminePfReader.inspect(plain))
        .isInstanceOf(ProtectedFileException.class).hasMessageContaining("GRAFS_PF")
        .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
            .isEqualTo(ProtectedFileException.Reason.NOT_A_PROTECTED_FILE));
    Files.write(plain, new byte[0]);
    assertThat(GraminePfReader.isProtectedFile(plain)).isFalse();
    assertThat(GraminePfReader.isProtectedFile(tmp.resolve("missing"))).isFalse();
  }
}
