package dev.ccserve.crypto.pf;

import static dev.ccserve.crypto.pf.PfTestSupport.KEY;
import static dev.ccserve.crypto.pf.PfTestSupport.assertSameBytes;
import static dev.ccserve.crypto.pf.PfTestSupport.decrypt;
import static dev.ccserve.crypto.pf.PfTestSupport.encrypt;
import static dev.ccserve.crypto.pf.PfTestSupport.nodesFor;
import static dev.ccserve.crypto.pf.PfTestSupport.plaintext;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GraminePfRoundTripTest {
  private static final int TWO_LEVEL_SIZE = 4096 * 96 * 33 + 5000;

  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 100, 3071, 3072, 3073, 7168, 7169, 40000, 4096 * 96 - 1, 4096 * 96,
      4096 * 96 + 1, 3072 + 4096 * 96, 3072 + 4096 * 96 + 1, 400_000, 1_000_000})
  void roundTrip_size_decryptsWithBothReadersAndHasFormulaSize(int size) throws IOException {
    byte[] plain = plaintext(size, size);
    Path f = encrypt(plain, tmp.resolve("f.bin"), "models/m/1/f.bin");
    assertThat(Files.size(f)).isEqualTo(4096 * nodesFor(size));
    assertSameBytes(decrypt(f, "models/m/1/f.bin"), plain);
    IndependentPfReader.Result ind =
        IndependentPfReader.read(Files.readAllBytes(f), KEY.toCleartextBytes());
    assertSameBytes(ind.plaintext(), plain);
    assertThat(ind.path()).isEqualTo("models/m/1/f.bin");
    assertThat(ind.nodesUsed()).isEqualTo(Files.size(f) / 4096);
  }

  @Test
  void warmUp_everyThrowAwayNodeAuthenticates() {
    assertThat(GraminePfReader.warmUp(300)).isEqualTo(300);
    assertThat(GraminePfReader.warmUp(0)).isZero();
  }

  @Test
  void warmUpFile_readsItsThrowAwayFileAndDeletesIt(@TempDir Path dir)
      throws Exception {
    int bytes = 5 * 4096 + 17;
    // pass 0 reads from the start, pass 1 from a seek past the metadata node's 3072 bytes
    assertThat(GraminePfReader.warmUpFile(dir, bytes, 2)).isEqualTo(2L * bytes - 3073);
    try (var left = Files.list(dir)) {
      assertThat(left).isEmpty();
    }
    Path missing = dir.resolve("no/such/dir");
    assertThatThrownBy(() -> GraminePfReader.warmUpFile(missing, 4096, 1))
        .isInstanceOf(ProtectedFileException.class);
  }

  @Test
  void seek_anyPosition_readsTheSameBytesAsSequentialRead() throws IOException {
    byte[] plain = plaintext(TWO_LEVEL_SIZE, 11);
    Path f = encrypt(plain, tmp.resolve("seek.bin"), "seek.bin");
    java.util.Random rnd = new java.util.Random(5);
    try (GraminePfReader r = GraminePfReader.open(f, KEY, PathBinding.exact("seek.bin"))) {
      // Backwards, forwards, inside the metadata node, across node and MHT boundaries, the end.
      long[] positions = {TWO_LEVEL_SIZE - 10, 0, 3000, 3072 + 4096 * 96 * 2 - 7, 5, 3072,
          rnd.nextInt(TWO_LEVEL_SIZE), rnd.nextInt(TWO_LEVEL_SIZE), TWO_LEVEL_SIZE};
      for (long pos : positions) {
        r.seek(pos);
        assertThat(r.position()).isEqualTo(pos);
        int len = (int) Math.min(9000, TWO_LEVEL_SIZE - pos);
        byte[] got = new byte[len];
        int n = len == 0 ? 0 : r.read(got, 0, len);
        assertThat(n).as("bytes read at %d", pos).isEqualTo(len);
        assertSameBytes(got, Arrays.copyOfRange(plain, (int) pos, (int) pos + len));
      }
      assertThat(r.read()).isEqualTo(-1);
      assertThatThrownBy(() -> r.seek(TWO_LEVEL_SIZE + 1L))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("found");
      assertThatThrownBy(() -> r.seek(-1)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void roundTrip_referenceSizes_matchDocumentedFileSizes() throws IOException {
    long[][] table = {{3073, 12288}, {7168, 12288}, {40000, 49152}, {400_000, 409_600},
        {1_000_000, 1_015_808}};
    for (long[] row : table) {
      Path f = encrypt(plaintext((int) row[0], 1), tmp.resolve("s" + row[0]), "s");
      assertThat(Files.size(f)).as("size for %d", row[0]).isEqualTo(row[1]);
    }
  }

  @Test
  void roundTrip_twoMhtLevels_structureAndContent() throws IOException {
    byte[] plain = plaintext(TWO_LEVEL_SIZE, 7);
    Path f = encrypt(plain, tmp.resolve("big.bin"), "big.bin");
    long d = (TWO_LEVEL_SIZE - 3072 + 4095) / 4096;
    long m = (d + 95) / 96;
    assertThat(m).isGreaterThan(33); // MHT 33 is a child of MHT 1: a second level
    assertThat(Files.size(f)).isEqualTo(4096 * (1 + d + m));
    IndependentPfReader.Result ind =
        IndependentPfReader.read(Files.readAllBytes(f), KEY.toCleartextBytes());
    assertSameBytes(ind.plaintext(), plain);
    List<byte[]> mhts = ind.mhtNodes();
    assertThat(mhts).hasSize((int) m);
    // MHT 0 holds child entries for MHT 1..32; MHT 1 holds the entry of MHT 33 at byte 3072
    assertThat(Arrays.copyOfRange(mhts.get(0), 3072, 3072 + 32)).isNotEqualTo(new byte[32]);
    assertThat(Arrays.copyOfRange(mhts.get(0), 3072 + 31 * 32, 4096)).isNotEqualTo(new byte[32]);
    assertThat(Arrays.copyOfRange(mhts.get(1), 3072, 3072 + 32)).isNotEqualTo(new byte[32]);
    assertThat(Arrays.copyOfRange(mhts.get(1), 3072 + 32, 3072 + 64))
        .as("MHT 34 exists only if m > 34").satisfies(e -> {
          if (m <= 34) {
            assertThat(e).isEqualTo(new byte[32]);
          }
        });
    assertThat(PfFormat.mhtNodePhysical(1)).isEqualTo(98);
    assertThat(PfFormat.mhtNodePhysical(33)).isEqualTo(97 * 33 + 1);
    assertSameBytes(decrypt(f, "big.bin"), plain);
  }

  @Test
  void read_variousChunkSizes_sameContent() throws IOException {
    byte[] plain = plaintext(3072 + 4096 * 5 + 77, 3);
    Path f = encrypt(plain, tmp.resolve("c.bin"), "c.bin");
    for (int chunk : new int[] {1, 7, 3072, 4095, 4096, 4097, 10000, 1 << 20}) {
      try (GraminePfReader r = GraminePfReader.open(f, KEY, PathBinding.exact("c.bin"))) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[chunk];
        int n;
        while ((n = r.read(buf, 0, chunk)) >= 0) {
          out.write(buf, 0, n);
        }
        assertThat(out.toByteArray()).as("chunk %d", chunk).isEqualTo(plain);
        assertThat(r.read()).isEqualTo(-1);
      }
    }
  }

  @Test
  void read_singleBytesAndReadAllIntoAfterPartialRead_sameContent() throws IOException {
    byte[] plain = plaintext(9000, 4);
    Path f = encrypt(plain, tmp.resolve("c.bin"), "c.bin");
    try (GraminePfReader r = GraminePfReader.open(f, KEY, PathBinding.exact("c.bin"))) {
      for (int i = 0; i < 5000; i++) {
        assertThat(r.read()).isEqualTo(plain[i] & 0xFF);
      }
      byte[] rest = new byte[9000 - 5000 + 10];
      assertThat(r.readAllInto(rest)).isEqualTo(4000);
      assertThat(Arrays.copyOf(rest, 4000)).isEqualTo(Arrays.copyOfRange(plain, 5000, 9000));
      assertThat(r.position()).isEqualTo(9000);
    }
  }

  @Test
  void encrypt_sameInputTwice_ciphertextsDifferEverywhere() throws IOException {
    byte[] plain = plaintext(3072 + 4096 * 3, 5);
    byte[] a = Files.readAllBytes(encrypt(plain, tmp.resolve("a"), "x"));
    byte[] b = Files.readAllBytes(encrypt(plain, tmp.resolve("b"), "x"));
    assertThat(a).hasSameSizeAs(b);
    for (int node = 0; node < a.length / 4096; node++) {
      int off = node == 0 ? 10 : node * 4096;
      assertThat(Arrays.copyOfRange(a, off, off + 32))
          .as("node %d", node).isNotEqualTo(Arrays.copyOfRange(b, off, off + 32));
    }
  }

  @Test
  void encrypt_inputFailsMidway_noOutputAndNoTempFiles() throws IOException {
    Path out = tmp.resolve("out.bin");
    InputStream failing = new InputStream() {
      private int left = 300_000;

      @Override
      public int read() throws IOException {
        if (left-- <= 0) {
          throw new IOException("injected failure");
        }
        return 42;
      }
    };
    assertThatThrownBy(() -> new GraminePfWriter(KEY, PfTestSupport.RANDOM)
        .encrypt(failing, out, "out.bin"))
        .isInstanceOf(ProtectedFileException.class)
        .hasMessageContaining("injected failure")
        .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
            .isEqualTo(ProtectedFileException.Reason.IO));
    assertThat(listDir(tmp)).isEmpty();
  }

  @Test
  void encrypt_failureWithExistingOutput_keepsOldFileIntact() throws IOException {
    byte[] old = plaintext(5000, 1);
    Path out = encrypt(old, tmp.resolve("out.bin"), "out.bin");
    byte[] before = Files.readAllBytes(out);
    assertThatThrownBy(() -> new GraminePfWriter(KEY, PfTestSupport.RANDOM).encryptFile(
        tmp.resolve("missing"), out, "out.bin", ProgressListener.NONE))
        .isInstanceOf(ProtectedFileException.class);
    assertThat(Files.readAllBytes(out)).isEqualTo(before);
    assertThat(listDir(tmp)).containsExactly("out.bin");
  }

  @Test
  void encryptFile_progress_reachesTotal() throws IOException {
    byte[] plain = plaintext(3 << 20, 6);
    Path in = PfTestSupport.withBytes(tmp, "in", plain);
    List<long[]> calls = new ArrayList<>();
    new GraminePfWriter(KEY, PfTestSupport.RANDOM).encryptFile(in, tmp.resolve("o"), "o",
        (done, total) -> calls.add(new long[] {done, total}));
    assertThat(calls).hasSizeGreaterThanOrEqualTo(3);
    assertThat(calls.get(calls.size() - 1)).containsExactly(plain.length, plain.length);
  }

  @Test
  void encrypt_badBoundPath_rejected() throws IOException {
    byte[] p = new byte[1];
    assertThatThrownBy(() -> encrypt(p, tmp.resolve("x"), "")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> encrypt(p, tmp.resolve("x"), "a".repeat(772)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("found 772");
    assertThat(decrypt(uncheckedEncrypt(p, tmp.resolve("y"), "a".repeat(771)), "a".repeat(771)))
        .isEqualTo(p);
  }

  @Test
  void readAllInto_destinationTooSmall_rejected() {
    assertThatThrownBy(() -> {
      try (GraminePfReader r = GraminePfReader.open(
          encrypt(plaintext(5000, 1), tmp.resolve("z"), "z"), KEY, PathBinding.exact("z"))) {
        r.readAllInto(new byte[4999]);
      }
    }).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("5000");
  }

  @Test
  void decryptToFile_good_writesPlaintextAtomically() throws IOException {
    byte[] plain = plaintext(50_000, 8);
    Path f = encrypt(plain, tmp.resolve("e.pf"), "e.pf");
    List<long[]> calls = new ArrayList<>();
    long n = GraminePfReader.decryptToFile(f, tmp.resolve("e.plain"), KEY,
        PathBinding.exact("e.pf"), (done, total) -> calls.add(new long[] {done, total}));
    assertThat(n).isEqualTo(plain.length);
    assertThat(Files.readAllBytes(tmp.resolve("e.plain"))).isEqualTo(plain);
    assertThat(calls.get(calls.size() - 1)).containsExactly(50_000L, 50_000L);
    assertThat(listDir(tmp)).containsExactly("e.pf", "e.plain");
  }

  @Test
  void decryptToFile_tamperedLateNode_noOutputNoTemp() throws IOException {
    Path f = encrypt(plaintext(50_000, 8), tmp.resolve("e.pf"), "e.pf");
    byte[] b = Files.readAllBytes(f);
    b[b.length - 1] ^= 1;
    Files.write(f, b);
    assertThatThrownBy(() -> GraminePfReader.decryptToFile(f, tmp.resolve("e.plain"), KEY,
        PathBinding.exact("e.pf"), null))
        .isInstanceOf(ProtectedFileException.class)
        .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
            .isEqualTo(ProtectedFileException.Reason.AUTHENTICATION_FAILED));
    assertThat(listDir(tmp)).containsExactly("e.pf");
  }

  private static Path uncheckedEncrypt(byte[] p, Path out, String bound) {
    try {
      return encrypt(p, out, bound);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  static List<String> listDir(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
