package dev.ccserve.attestation.simulated;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DistributionMeasurementTest {
  @TempDir Path dir;

  @Test
  void of_sameContentDifferentLocationAndOrder_sameMeasurement() throws Exception {
    Path a = Files.createDirectories(dir.resolve("a"));
    Path b = Files.createDirectories(dir.resolve("b"));
    Files.write(a.resolve("x.jar"), new byte[] {1});
    Files.write(a.resolve("y.jar"), new byte[] {2});
    Files.write(b.resolve("x.jar"), new byte[] {1});
    Files.write(b.resolve("y.jar"), new byte[] {2});
    DistributionMeasurement m1 = DistributionMeasurement.of(
        List.of(a.resolve("x.jar"), a.resolve("y.jar")), Map.of("k", "v"));
    DistributionMeasurement m2 = DistributionMeasurement.of(
        List.of(b.resolve("y.jar"), b.resolve("x.jar")), Map.of("k", "v"));
    assertThat(m1.hex()).isEqualTo(m2.hex()).hasSize(64);
    assertThat(m1.entries()).isEqualTo(2);
  }

  @Test
  void of_changedJar_changesMeasurement() throws Exception {
    Path jar = Files.write(dir.resolve("x.jar"), new byte[] {1});
    String before = DistributionMeasurement.of(List.of(jar), Map.of()).hex();
    Files.write(jar, new byte[] {1, 0});
    assertThat(DistributionMeasurement.of(List.of(jar), Map.of()).hex()).isNotEqualTo(before);
  }

  @Test
  void of_renamedOrAddedJarOrChangedConfig_changesMeasurement() throws Exception {
    Path x = Files.write(dir.resolve("x.jar"), new byte[] {1});
    Path y = Files.write(dir.resolve("y.jar"), new byte[] {1});
    Path z = Files.write(dir.resolve("z.jar"), new byte[] {9});
    String base = DistributionMeasurement.of(List.of(x), Map.of("a", "1")).hex();
    assertThat(DistributionMeasurement.of(List.of(y), Map.of("a", "1")).hex()).isNotEqualTo(base);
    assertThat(DistributionMeasurement.of(List.of(x, z), Map.of("a", "1")).hex()).isNotEqualTo(base);
    assertThat(DistributionMeasurement.of(List.of(x), Map.of("a", "2")).hex()).isNotEqualTo(base);
    assertThat(DistributionMeasurement.of(List.of(x), Map.of("a1", "")).hex())
        .isNotEqualTo(DistributionMeasurement.of(List.of(x), Map.of("a", "1")).hex());
  }

  @Test
  void of_directory_measuresFilesInside() throws Exception {
    Path classes = Files.createDirectories(dir.resolve("classes/p"));
    Files.write(classes.resolve("A.class"), new byte[] {1});
    String before = DistributionMeasurement.of(List.of(dir.resolve("classes")), Map.of()).hex();
    Files.write(classes.resolve("A.class"), new byte[] {2});
    assertThat(DistributionMeasurement.of(List.of(dir.resolve("classes")), Map.of()).hex())
        .isNotEqualTo(before);
  }

  @Test
  void ofRunningClassPath_isStableAcrossCalls() throws Exception {
    assertThat(DistributionMeasurement.ofRunningClassPath(Map.of()).hex())
        .isEqualTo(DistributionMeasurement.ofRunningClassPath(Map.of()).hex());
  }
}
