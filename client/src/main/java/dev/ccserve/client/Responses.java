package dev.ccserve.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ccserve.api.tf.TensorProto;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;
import tensorflow.serving.Predict.PredictResponse;

/** Reads what the load generator needs from a gRPC {@code PredictResponse} or REST JSON. */
final class Responses {
  static final int DEFAULT_LIST_ITEMS = 10;

  private Responses() {}

  static String render(Object response, boolean full) {
    int max = full ? PyRepr.NO_LIMIT : DEFAULT_LIST_ITEMS;
    if (response instanceof PredictResponse r) {
      return PyRepr.message(r, max);
    }
    return PyRepr.json((JsonNode) response, max);
  }

  /**
   * The scores of the first batch row of output {@code preferred} (or of the only output), or null
   * when the response holds no float output.
   */
  static float[] firstRowScores(Object response, String preferred) {
    if (response instanceof PredictResponse r) {
      Map<String, TensorProto> outs = r.getOutputsMap();
      TensorProto t = outs.containsKey(preferred) ? outs.get(preferred)
          : outs.size() == 1 ? outs.values().iterator().next() : null;
      return t == null ? null : firstRow(t);
    }
    JsonNode json = (JsonNode) response;
    JsonNode out = json.has("outputs") ? json.get("outputs") : json.get("predictions");
    if (out != null && out.isObject()) {
      out = out.has(preferred) ? out.get(preferred) : out.size() == 1 ? out.elements().next() : null;
    }
    if (out == null || !out.isArray() || out.isEmpty()) {
      return null;
    }
    JsonNode row = out.get(0).isArray() ? out.get(0) : out;
    float[] s = new float[row.size()];
    for (int i = 0; i < s.length; i++) {
      s[i] = (float) row.get(i).asDouble();
    }
    return s;
  }

  private static float[] firstRow(TensorProto t) {
    long rows = t.getTensorShape().getDimCount() > 1 ? t.getTensorShape().getDim(0).getSize() : 1;
    if (t.getFloatValCount() > 0) {
      int n = (int) (t.getFloatValCount() / Math.max(1, rows));
      float[] s = new float[n];
      for (int i = 0; i < n; i++) {
        s[i] = t.getFloatVal(i);
      }
      return s;
    }
    if (!t.getTensorContent().isEmpty()) {
      FloatBuffer fb = t.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      float[] s = new float[(int) (fb.remaining() / Math.max(1, rows))];
      fb.get(s);
      return s;
    }
    return null;
  }
}
