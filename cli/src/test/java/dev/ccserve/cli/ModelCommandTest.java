package dev.ccserve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ccserve model keygen / encrypt / inspect / decrypt, through Main with string writers. */
class ModelCommandTest {
  @TempDir Path tmp;
  StringWriter out = new StringWriter();
  StringWriter err = new StringWriter();

  int run(String... args) {
    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);
    return new Main(new PrintWriter(out, true), new PrintWriter(err, true)).run(args);
  }

  @Test
  void keygenEncryptInspectDecrypt_roundTripsADirectory() throws Exception {
    Path key = tmp.resolve("wrap_key");
    assertThat(run("model", "keygen", "--out", key.toString())).isZero();
    assertThat(Files.size(key)).isEqualTo(16);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
        .isEqualTo("rw-------");
    assertThat(run("model", "keygen", "--out", key.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("exists").contains("--force");

    Path plain = tmp.resolve("plain/1");
    Files.createDirectories(plain.resolve("variables"));
    byte[] big = new byte[40_000];
    new Random(1).nextBytes(big);
    Files.write(plain.resolve("saved_model.pb"), big);
    Files.writeString(plain.resolve("variables/variables.index"), "index");
    Path enc = tmp.resolve("models/m/1");
    assertThat(run("model", "encrypt", "-w", key.toString(), "-i", plain.toString(), "-o",
        enc.toString(), "--quiet")).as(err.toString()).isZero();
    assertThat(out.toString()).contains("encrypted 2 files");
    assertThat(Files.readAllBytes(enc.resolve("saved_model.pb"))).isNotEqualTo(big);

    assertThat(run("model", "inspect", enc.resolve("saved_model.pb").toString())).isZero();
    assertThat(out.toString()).contains("Gramine protected file v2.0").contains("49,152 bytes");

    Path back = tmp.resolve("back");
    assertThat(run("model", "decrypt", "-w", key.toString(), "-i", enc.toString(), "-o",
        back.toString(), "--verify", "--quiet")).as(err.toString()).isZero();
    assertThat(Files.readAllBytes(back.resolve("saved_model.pb"))).isEqualTo(big);
    assertThat(Files.readString(back.resolve("variables/variables.index"))).isEqualTo("index");
  }

  @Test
  void decrypt_wrongKey_failsAndWritesNothing() throws Exception {
    Path key = tmp.resolve("k1");
    Path other = tmp.resolve("k2");
    run("model", "keygen", "--out", key.toString());
    run("model", "keygen", "--out", other.toString());
    Path f = tmp.resolve("f.bin");
    Files.writeString(f, "secret model bytes");
    Path enc = tmp.resolve("f.enc");
    assertThat(run("model", "encrypt", "-w", key.toString(), "-i", f.toString(), "-o",
        enc.toString())).isZero();
    Path out2 = tmp.resolve("f.out");
    assertThat(run("model", "decrypt", "-w", other.toString(), "-i", enc.toString(), "-o",
        out2.toString())).isEqualTo(1);
    assertThat(err.toString()).doesNotContain("secret model bytes");
    assertThat(out2).doesNotExist();
    try (var s = Files.list(tmp)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".tmp-"));
    }
  }

  @Test
  void encrypt_badKeyFile_isUsageError() throws Exception {
    Path key = tmp.resolve("short");
    Files.write(key, new byte[5]);
    Path f = tmp.resolve("f.bin");
    Files.writeString(f, "x");
    assertThat(run("model", "encrypt", "-w", key.toString(), "-i", f.toString(), "-o",
        tmp.resolve("o").toString())).isEqualTo(2);
    assertThat(err.toString()).contains("16").contains("5");
  }

  @Test
  void generate_unknownArch_isUsageError() {
    assertThat(run("model", "generate", "vgg", "--export_dir", tmp.toString())).isEqualTo(2);
  }
}
