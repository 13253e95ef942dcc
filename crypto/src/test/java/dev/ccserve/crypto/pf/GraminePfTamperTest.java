package dev.ccserve.crypto.pf;

import static dev.ccserve.crypto.pf.PfTestSupport.KEY;
import static dev.ccserve.crypto.pf.PfTestSupport.encrypt;
import static dev.ccserve.crypto.pf.PfTestSupport.plaintext;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ccserve.crypto.key.WrapKey;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of modification of a ccserve-written file must fail with ProtectedFileException. */
class GraminePfTamperTest {
  private static final String BOUND = "models/m/1/variables/variables.data-00000-of-00001";
  // 101 data nodes -> 2 MHT nodes -> 104 physical nodes
  private static final int SIZE = 3072 + 4096 * 100 + 500;
  private static final Set<Integer> UNAUTHENTICATED_NODE0 = unauthenticatedOffsets();

  @TempDir Path tmp;
  private byte[] plain;
  private byte[] file;
  private Path tampered;

  @BeforeEach
  void setUp() throws IOException {
    plain = plaintext(SIZE, 11);
    file = Files.readAllBytes(encrypt(plain, tmp.resolve("orig"), BOUND));
    tampered = tmp.resolve("tampered");
    assertThat(file.length).isEqualTo(104 * 4096);
  }

  @Test
  void decrypt_oneByteFlippedInEveryNode_authenticationFailedWithUniformMessage()
      throws IOException {
    Set<String> messages = new HashSet<>();
    Files.write(tampered, file);
    try (FileChannel ch = FileChannel.open(tampered, StandardOpenOption.WRITE)) {
      for (int node = 0; node < file.length / 4096; node++) {
        int[] offsets = node == 0 ? new int[] {59, 59 + 771, 831, 839, 855, 871, 3942}
            : new int[] {node * 4096, node * 4096 + 1234 + node, node * 4096 + 4095};
        for (int off : offsets) {
          ch.write(ByteBuffer.wrap(new byte[] {(byte) (file[off] ^ (1 << (off % 8)))}), off);
          ProtectedFileException e = catchFailureOf(tampered);
          assertThat(e.reason()).as("offset %d", off)
              .isEqualTo(ProtectedFileException.Reason.AUTHENTICATION_FAILED);
          messages.add(e.getMessage());
          ch.write(ByteBuffer.wrap(new byte[] {file[off]}), off);
        }
      }
    }
    assertThat(messages).hasSize(1);
    assertThat(messages.iterator().next()).contains("failed authentication")
        .doesNotContain(BOUND);
  }

  @Test
  void decrypt_bytesOfSmallFileFlipped_failUnlessUnauthenticatedAndHarmless()
      throws IOException {
    byte[] smallPlain = plaintext(3073, 2);
    Path small = encrypt(smallPlain, tmp.resolve("s"), BOUND);
    assertThat(Files.size(small)).isEqualTo(3 * 4096);
    try (FileChannel ch = FileChannel.open(small, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      // every byte of the metadata node; every 13th byte of the root MHT and data node
      for (int off = 0; off < 3 * 4096; off += off < 4096 ? 1 : 13) {
        ByteBuffer one = ByteBuffer.allocate(1);
        ch.read(one, off);
        byte original = one.get(0);
        ch.write(ByteBuffer.wrap(new byte[] {(byte) ~original}), off);
        try {
          if (off == 58) {
            assertThat(catchFailureOf(small)).satisfies(e -> assertThat(e.reason())
                .isEqualTo(ProtectedFileException.Reason.UNSUPPORTED_FEATURE));
          } else if (UNAUTHENTICATED_NODE0.contains(off)) {
            assertThat(Arrays.equals(read(small), smallPlain)).as("offset %d", off).isTrue();
          } else {
            assertThat(catchFailureOf(small)).as("offset %d", off).isNotNull();
          }
        } finally {
          ch.write(ByteBuffer.wrap(new byte[] {original}), off);
        }
      }
    }
    assertThat(Arrays.equals(read(small), smallPlain)).isTrue();
  }

  @Test
  void decrypt_nonceTagOrEncryptedMetadataFlipped_authenticationFailed() throws IOException {
    for (int off : new int[] {10, 25, 41, 42, 50, 57, 59, 500, 3942}) {
      byte[] b = file.clone();
      b[off] ^= 0x40;
      expectFailure(b, ProtectedFileException.Reason.AUTHENTICATION_FAILED);
    }
  }

  @Test
  void decrypt_twoDataNodesSwapped_authenticationFailed() throws IOException {
    expectFailure(swap(file, 5, 6), ProtectedFileException.Reason.AUTHENTICATION_FAILED);
  }

  @Test
  void decrypt_mhtNodeSwappedWithDataNode_authenticationFailed() throws IOException {
    expectFailure(swap(file, 98, 99), ProtectedFileException.Reason.AUTHENTICATION_FAILED);
    expectFailure(swap(file, 1, 2), ProtectedFileException.Reason.AUTHENTICATION_FAILED);
  }

  @Test
  void decrypt_nodesRotated_authenticationFailed() throws IOException {
    byte[] b = file.clone();
    System.arraycopy(file, 2 * 4096, b, 3 * 4096, 50 * 4096);
    System.arraycopy(file, 52 * 4096, b, 2 * 4096, 4096);
    expectFailure(b, ProtectedFileException.Reason.AUTHENTICATION_FAILED);
  }

  @Test
  void decrypt_nodeFromOtherEncryptionOfSamePlaintext_authenticationFailed() throws IOException {
    byte[] other = Files.readAllBytes(encrypt(plain, tmp.resolve("other"), BOUND));
    for (int node : new int[] {1, 2, 50, 98, 103}) {
      byte[] b = file.clone();
      System.arraycopy(other, node * 4096, b, node * 4096, 4096);
      expectFailure(b, ProtectedFileException.Reason.AUTHENTICATION_FAILED);
    }
    byte[] b = file.clone();
    System.arraycopy(other, 0, b, 0, 4096); // metadata of the other file: root MHT mismatch
    expectFailure(b, ProtectedFileException.Reason.AUTHENTICATION_FAILED);
  }

  @Test
  void decrypt_truncatedByOneByte_notAProtectedFile() throws IOException {
    expectFailure(Arrays.copyOf(file, file.length - 1),
        ProtectedFileException.Reason.NOT_A_PROTECTED_FILE);
  }

  @Test
  void decrypt_truncatedByWholeNodes_authenticationFailed() throws IOException {
    expectFailure(Arrays.copyOf(file, file.length - 4096),
        ProtectedFileException.Reason.AUTHENTICATION_FAILED);
    expectFailure(Arrays.copyOf(file, 4096), ProtectedFileException.Reason.AUTHENTICATION_FAILED);
  }

  @Test
  void decrypt_extendedByPartialNode_notAProtectedFile() throws IOException {
    expectFailure(Arrays.copyOf(file, file.length + 1),
        ProtectedFileException.Reason.NOT_A_PROTECTED_FILE);
  }

  @Test
  void decrypt_extendedByWholeNode_contentUnchangedLikeGramine() throws IOException {
    byte[] b = Arrays.copyOf(file, file.length + 4096);
    System.arraycopy(file, 4096, b, file.length, 4096);
    Files.write(tampered, b);
    assertThat(Arrays.equals(read(tampered), plain)).isTrue();
  }

  @Test
  void decrypt_wrongKey_authenticationFailed() throws IOException {
    Files.write(tampered, file);
    WrapKey other = WrapKey.generate(PfTestSupport.RANDOM);
    assertThatThrownBy(() -> GraminePfReader.open(tampered, other, PathBinding.exact(BOUND)))
        .isInstanceOf(ProtectedFileException.class)
        .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
            .isEqualTo(ProtectedFileException.Reason.AUTHENTICATION_FAILED));
  }

  @Test
  void decrypt_pathMismatch_exactAndSuffix() throws IOException {
    Files.write(tampered, file);
    for (PathBinding wrong : new PathBinding[] {
        PathBinding.exact("models/m/2/variables/variables.data-00000-of-00001"),
        PathBinding.exact("/" + BOUND),
        PathBinding.suffix("x/m/1/variables/variables.data-00000-of-00001"),
        PathBinding.suffix("1/variables/variables.index")}) {
      assertThatThrownBy(() -> GraminePfReader.open(tampered, KEY, wrong))
          .isInstanceOf(ProtectedFileException.class)
          .hasMessageContaining(BOUND)
          .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
              .isEqualTo(ProtectedFileException.Reason.PATH_MISMATCH));
    }
    try (GraminePfReader r = GraminePfReader.open(tampered, KEY,
        PathBinding.suffix("m/1/variables/variables.data-00000-of-00001"))) {
      assertThat(r.size()).isEqualTo(SIZE);
    }
  }

  @Test
  void read_tamperedLateNode_failsOnlyWhenReachedAndWipesDestination() throws IOException {
    byte[] b = file.clone();
    b[102 * 4096 + 7] ^= 1; // last-but-one data node
    Files.write(tampered, b);
    try (GraminePfReader r = GraminePfReader.open(tampered, KEY, PathBinding.exact(BOUND))) {
      byte[] dst = new byte[SIZE];
      assertThatThrownBy(() -> r.readAllInto(dst)).isInstanceOf(ProtectedFileException.class);
      assertThat(dst).containsOnly(0);
    }
  }

  @Test
  void open_authenticMetadataClaimingHugeOrNegativeSize_authenticationFailed() throws IOException {
    for (long size : new long[] {Long.MAX_VALUE, -1L, 1L << 40, SIZE + 4096L * 200}) {
      byte[] meta = new byte[PfFormat.ENCRYPTED_SIZE];
      meta[0] = 'x';
      PfFormat.writeLongLe(meta, PfFormat.REL_FILE_SIZE, size);
      Files.write(tampered, craft(meta, 3));
      assertThatThrownBy(() -> GraminePfReader.open(tampered, KEY, PathBinding.exact("x")))
          .as("size %d", size).isInstanceOf(ProtectedFileException.class)
          .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
              .isEqualTo(ProtectedFileException.Reason.AUTHENTICATION_FAILED));
    }
  }

  @Test
  void open_authenticPathWithoutNul_notAProtectedFile() throws IOException {
    byte[] meta = new byte[PfFormat.ENCRYPTED_SIZE];
    Arrays.fill(meta, 0, PfFormat.PATH_FIELD_SIZE, (byte) 'a');
    Files.write(tampered, craft(meta, 1));
    assertThatThrownBy(() -> GraminePfReader.open(tampered, KEY, PathBinding.insecureAny()))
        .isInstanceOf(ProtectedFileException.class).hasMessageContaining("NUL")
        .satisfies(e -> assertThat(((ProtectedFileException) e).reason())
            .isEqualTo(ProtectedFileException.Reason.NOT_A_PROTECTED_FILE));
  }

  /** A file whose metadata (decrypted part {@code meta}) authenticates under {@link #KEY}. */
  private static byte[] craft(byte[] meta, int nodes) {
    byte[] f = new byte[nodes * 4096];
    System.arraycopy(PfFormat.FILE_ID, 0, f, 0, 8);
    f[PfFormat.OFF_MAJOR] = 2;
    byte[] metadataKey = PfCrypto.deriveMetadataKey(KEY.toCleartextBytes(), f, PfFormat.OFF_NONCE);
    new PfCrypto().encrypt(metadataKey, meta, 0, meta.length, f, PfFormat.OFF_ENCRYPTED, f,
        PfFormat.OFF_MAC);
    return f;
  }

  private String expectFailure(byte[] content, ProtectedFileException.Reason reason)
      throws IOException {
    Throwable t = catchFailure(content);
    assertThat(t).isInstanceOf(ProtectedFileException.class);
    assertThat(((ProtectedFileException) t).reason()).isEqualTo(reason);
    return t.getMessage();
  }

  private Throwable catchFailure(byte[] content) throws IOException {
    Files.write(tampered, content);
    return catchFailureOf(tampered);
  }

  private static ProtectedFileException catchFailureOf(Path f) {
    try {
      byte[] out = read(f);
      throw new AssertionError("expected a failure; decrypted " + out.length + " bytes");
    } catch (ProtectedFileException e) {
      return e;
    }
  }

  private static byte[] read(Path f) throws ProtectedFileException {
    return GraminePfReader.decrypt(f, KEY, PathBinding.exact(BOUND));
  }

  private static byte[] swap(byte[] f, int a, int b) {
    byte[] out = f.clone();
    System.arraycopy(f, a * 4096, out, b * 4096, 4096);
    System.arraycopy(f, b * 4096, out, a * 4096, 4096);
    return out;
  }

  private static Set<Integer> unauthenticatedOffsets() {
    Set<Integer> s = new HashSet<>();
    s.add(9); // minor version
    for (int i = 3943; i < 4096; i++) {
      s.add(i); // padding
    }
    return s;
  }
}
