package dev.ccserve.server.rest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** TF Serving's float printing rule, and signed zero. */
class JsonTensorsTest {
  @Test
  void formatFloat_sixDigitsWhenTheyRoundTrip_elseNine() {
    assertThat(JsonTensors.formatFloat(3.5f)).isEqualTo("3.5");
    assertThat(Float.parseFloat(JsonTensors.formatFloat(0.1f))).isEqualTo(0.1f);
    float f = 6.78030483E-4f;
    assertThat(Float.parseFloat(JsonTensors.formatFloat(f))).isEqualTo(f);
    assertThat(JsonTensors.formatFloat(f).replace("E-4", "")).hasSizeGreaterThan(7);
  }

  @Test
  void floatNode_keepsNegativeZero() {
    assertThat(Float.floatToRawIntBits((float) JsonTensors.floatNode(-0f).asDouble()))
        .isEqualTo(Float.floatToRawIntBits(-0f));
    assertThat(Float.floatToRawIntBits((float) JsonTensors.floatNode(0f).asDouble())).isZero();
  }
}
