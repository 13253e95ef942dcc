package dev.ccserve.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Int64Value;
import dev.ccserve.api.tf.DataType;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.api.tf.TensorShapeProto;
import org.junit.jupiter.api.Test;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictResponse;

class PyReprTest {
  @Test
  void float64_matchesPythonRepr() {
    assertThat(PyRepr.float64(0.1)).isEqualTo("0.1");
    assertThat(PyRepr.float64(3.0)).isEqualTo("3.0");
    assertThat(PyRepr.float64(57.123456789)).isEqualTo("57.123456789");
    assertThat(PyRepr.float64(0.1 + 0.2)).isEqualTo("0.30000000000000004");
    assertThat(PyRepr.float64(1e-5)).isEqualTo("1e-05");
    assertThat(PyRepr.float64(0.0001)).isEqualTo("0.0001");
    assertThat(PyRepr.float64(1.5e-7)).isEqualTo("1.5e-07");
    assertThat(PyRepr.float64(1e16)).isEqualTo("1e+16");
    assertThat(PyRepr.float64(1234567890123456.0)).isEqualTo("1234567890123456.0");
    assertThat(PyRepr.float64(-2.5)).isEqualTo("-2.5");
    assertThat(PyRepr.float64(0.0)).isEqualTo("0.0");
    assertThat(PyRepr.float64(Double.NaN)).isEqualTo("nan");
  }

  @Test
  void float32_shortestRoundTripLikeProtobufToShortestFloat() {
    assertThat(PyRepr.float32(0.1f)).isEqualTo("0.1");
    assertThat(PyRepr.float32(1.0f / 3)).isEqualTo("0.33333334");
    assertThat(PyRepr.float32(9.765625E-4f)).isEqualTo("0.0009765625");
    assertThat(PyRepr.float32(1e-6f)).isEqualTo("1e-06");
  }

  @Test
  void str_quotesLikePython() {
    assertThat(PyRepr.str("abc")).isEqualTo("'abc'");
    assertThat(PyRepr.str("it's")).isEqualTo("\"it's\"");
    assertThat(PyRepr.str("a'b\"c\n")).isEqualTo("'a\\'b\"c\\n'");
  }

  @Test
  void message_predictResponse_rendersLikeMessageToDictAndCutsLongLists() {
    TensorProto.Builder t = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .setTensorShape(TensorShapeProto.newBuilder()
            .addDim(TensorShapeProto.Dim.newBuilder().setSize(1))
            .addDim(TensorShapeProto.Dim.newBuilder().setSize(1001)));
    for (int i = 0; i < 1001; i++) {
      t.addFloatVal(i == 0 ? 0.5f : 0.25f);
    }
    PredictResponse r = PredictResponse.newBuilder()
        .putOutputs("predict", t.build())
        .setModelSpec(ModelSpec.newBuilder().setName("resnet50-v15-fp32").setVersion(Int64Value.of(1))
            .setSignatureName("serving_default"))
        .build();
    String s = PyRepr.message(r, 3);
    assertThat(s).isEqualTo("{'outputs': {'predict': {'dtype': 'DT_FLOAT', 'tensorShape': {'dim': [{'size': '1'}, "
        + "{'size': '1001'}]}, 'floatVal': [0.5, 0.25, 0.25, ...<998 more>]}}, 'modelSpec': "
        + "{'name': 'resnet50-v15-fp32', 'version': '1', 'signatureName': 'serving_default'}}");
    assertThat(PyRepr.message(r, PyRepr.NO_LIMIT)).doesNotContain("more>").contains("0.25, 0.25]");
  }

  @Test
  void json_restResponse_rendersDict() throws Exception {
    var n = new ObjectMapper().readTree("{\"outputs\":[[0.5,1,1e-05]],\"ok\":true,\"none\":null}");
    assertThat(PyRepr.json(n, 10)).isEqualTo("{'outputs': [[0.5, 1, 1e-05]], 'ok': True, 'none': None}");
    assertThat(PyRepr.json(n, 2)).isEqualTo("{'outputs': [[0.5, 1, ...<1 more>]], 'ok': True, 'none': None}");
  }

  @Test
  void fixed1_roundsHalfEvenOnBinaryValueLikePythonFormat() {
    assertThat(LoadGenerator.fixed1(57.25)).isEqualTo("57.2");
    assertThat(LoadGenerator.fixed1(57.35)).isEqualTo("57.4"); // 57.35 is 57.35000000000000142...
    assertThat(LoadGenerator.fixed1(0.15)).isEqualTo("0.1");   // 0.1499999999999999944...
    assertThat(LoadGenerator.fixed1(17.0)).isEqualTo("17.0");
    assertThat(LoadGenerator.fixed1(1 / 0.0)).isEqualTo("inf");
  }
}
