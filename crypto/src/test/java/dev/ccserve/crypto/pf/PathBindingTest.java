package dev.ccserve.crypto.pf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PathBindingTest {
  @ParameterizedTest
  @CsvSource({
    "models/m/1/a.pb, models/m/1/a.pb",
    "./models//m/./1/a.pb, models/m/1/a.pb",
    "/srv/models/../m/1, /srv/m/1",
    "../x/./y, ../x/y",
    "/../a, /a",
    "a/b/, a/b"
  })
  void normalize_gramineStyle(String in, String expected) {
    assertThat(PathBinding.normalize(in)).isEqualTo(expected);
  }

  @Test
  void exact_comparesBytesWithoutNormalizing() {
    PathBinding b = PathBinding.exact("enc/a.bin");
    assertThat(b.matches("enc/a.bin")).isTrue();
    assertThat(b.matches("./enc/a.bin")).isFalse();
    assertThat(b.matches("/enc/a.bin")).isFalse();
    assertThat(b.matches("enc/a.bi")).isFalse();
  }

  @ParameterizedTest
  @CsvSource({
    "resnet/1/saved_model.pb, models/resnet/1/saved_model.pb, true",
    "resnet/1/saved_model.pb, /srv/resnet/1/saved_model.pb, true",
    "resnet/1/saved_model.pb, resnet/1/saved_model.pb, true",
    "resnet/1/saved_model.pb, ./models//resnet/1/saved_model.pb, true",
    "./resnet//1/saved_model.pb, models/resnet/1/saved_model.pb, true",
    "resnet/1/saved_model.pb, models/xresnet/1/saved_model.pb, false",
    "resnet/1/saved_model.pb, models/resnet/2/saved_model.pb, false",
    "resnet/1/saved_model.pb, 1/saved_model.pb, false",
    "resnet/1/saved_model.pb, models/resnet/1/saved_model.pb.old, false"
  })
  void suffix_matchesWholeComponents(String suffix, String embedded, boolean expected) {
    assertThat(PathBinding.suffix(suffix).matches(embedded)).isEqualTo(expected);
  }

  @Test
  void resolve_appendsRelativePath() {
    assertThat(PathBinding.exact("models/m/1").resolve("variables/variables.index"))
        .isEqualTo(PathBinding.exact("models/m/1/variables/variables.index"));
    assertThat(PathBinding.suffix("m/1").resolve("./saved_model.pb"))
        .isEqualTo(PathBinding.suffix("m/1/saved_model.pb"));
    assertThat(PathBinding.insecureAny().resolve("x")).isEqualTo(PathBinding.insecureAny());
    assertThatThrownBy(() -> PathBinding.exact("a").resolve("../b"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PathBinding.exact("a").resolve("/b"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void insecureAny_matchesEverythingAndSaysSo() {
    assertThat(PathBinding.insecureAny().matches("anything")).isTrue();
    assertThat(PathBinding.insecureAny().isInsecure()).isTrue();
    assertThat(PathBinding.insecureAny().toString()).contains("INSECURE");
    assertThat(PathBinding.exact("a").isInsecure()).isFalse();
  }

  @Test
  void factories_rejectUselessArguments() {
    assertThatThrownBy(() -> PathBinding.exact("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PathBinding.suffix("./")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PathBinding.suffix("a/../b"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
