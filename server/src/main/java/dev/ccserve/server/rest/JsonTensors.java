package dev.ccserve.server.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.ccserve.api.tf.DataType;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.api.tf.TensorShapeProto;
import dev.ccserve.server.core.ServingException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Converts between TF Serving's REST JSON values and {@link TensorProto}s: nested lists of
 * numbers, booleans, strings and {@code {"b64": …}} objects, with the dtype taken from the
 * signature. Shapes are inferred from the nesting and must be rectangular. Floats are written the
 * way TF Serving writes them (6 significant digits when that round-trips, else 9; 17 for
 * doubles), always with a decimal point or exponent so clients read them as floats. Stateless and thread-safe.
 */
final class JsonTensors {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private JsonTensors() {}

  /** The shape of a JSON value: [] for a scalar, [n, …] for nested lists. Checks raggedness. */
  static List<Long> shapeOf(String name, JsonNode v) throws ServingException {
    List<Long> dims = new ArrayList<>();
    JsonNode cur = v;
    while (cur.isArray()) {
      dims.add((long) cur.size());
      if (cur.isEmpty()) {
        break;
      }
      cur = cur.get(0);
    }
    checkRectangular(name, v, dims, 0);
    return dims;
  }

  private static void checkRectangular(String name, JsonNode v, List<Long> dims, int depth)
      throws ServingException {
    if (depth == dims.size()) {
      if (v.isArray()) {
        throw ServingException.invalidArgument("Tensor " + name + " is ragged: expected a value "
            + "at depth " + depth + " (shape " + dims + "), found a list");
      }
      return;
    }
    if (!v.isArray() || v.size() != dims.get(depth)) {
      throw ServingException.invalidArgument("Tensor " + name + " is ragged: expected a list of "
          + dims.get(depth) + " at depth " + depth + " (shape " + dims + "), found "
          + (v.isArray() ? "a list of " + v.size() : "a " + v.getNodeType().name().toLowerCase()));
    }
    for (JsonNode c : v) {
      checkRectangular(name, c, dims, depth + 1);
    }
  }

  /** Builds a typed TensorProto from a JSON value with the given leading dims prepended. */
  static TensorProto toProto(String name, List<JsonNode> values, boolean stacked, DataType dt)
      throws ServingException {
    List<Long> inner = shapeOf(name, values.get(0));
    for (int i = 1; i < values.size(); i++) {
      List<Long> s = shapeOf(name, values.get(i));
      if (!s.equals(inner)) {
        throw ServingException.invalidArgument("instances of input " + name
            + " have different shapes: instance 0 has " + inner + ", instance " + i + " has " + s);
      }
    }
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    if (stacked) {
      shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(values.size()));
    }
    for (long d : inner) {
      shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(dt).setTensorShape(shape);
    for (JsonNode v : values) {
      addLeaves(name, v, dt, b);
    }
    return b.build();
  }

  private static void addLeaves(String name, JsonNode v, DataType dt, TensorProto.Builder b)
      throws ServingException {
    if (v.isArray()) {
      for (JsonNode c : v) {
        addLeaves(name, c, dt, b);
      }
      return;
    }
    switch (dt) {
      case DT_FLOAT -> b.addFloatVal((float) number(name, v, dt));
      case DT_DOUBLE -> b.addDoubleVal(number(name, v, dt));
      case DT_INT32, DT_UINT8, DT_UINT16 -> b.addIntVal((int) integer(name, v, dt));
      case DT_INT64 -> b.addInt64Val(integer(name, v, dt));
      case DT_BOOL -> {
        if (!v.isBoolean()) {
          throw mismatch(name, v, dt, "true or false");
        }
        b.addBoolVal(v.booleanValue());
      }
      case DT_STRING -> b.addStringVal(bytes(name, v));
      case DT_HALF, DT_BFLOAT16 -> throw ServingException.invalidArgument("input " + name
          + " has dtype " + dt + ", which the REST API cannot carry; use gRPC");
      default -> throw ServingException.invalidArgument(
          "input " + name + " has dtype " + dt + ", which ccserve cannot convert from JSON");
    }
  }

  private static double number(String name, JsonNode v, DataType dt) throws ServingException {
    if (v.isNumber()) {
      return v.doubleValue();
    }
    if (v.isTextual()) {
      switch (v.textValue()) {
        case "NaN": return Double.NaN;
        case "Infinity": return Double.POSITIVE_INFINITY;
        case "-Infinity": return Double.NEGATIVE_INFINITY;
        default: break;
      }
    }
    throw mismatch(name, v, dt, "a number");
  }

  private static long integer(String name, JsonNode v, DataType dt) throws ServingException {
    if (!v.isIntegralNumber() && !(v.isNumber() && v.doubleValue() == Math.rint(v.doubleValue()))) {
      throw mismatch(name, v, dt, "an integer");
    }
    long x = v.longValue();
    boolean ok = switch (dt) {
      case DT_INT32 -> x >= Integer.MIN_VALUE && x <= Integer.MAX_VALUE;
      case DT_UINT8 -> x >= 0 && x <= 255;
      case DT_UINT16 -> x >= 0 && x <= 65535;
      default -> true;
    };
    if (!ok) {
      throw ServingException.invalidArgument("input " + name + " value " + x
          + " is out of range for " + dt);
    }
    return x;
  }

  private static ByteString bytes(String name, JsonNode v) throws ServingException {
    if (v.isTextual()) {
      return ByteString.copyFromUtf8(v.textValue());
    }
    if (v.isObject() && v.size() == 1 && v.has("b64") && v.get("b64").isTextual()) {
      try {
        return ByteString.copyFrom(Base64.getDecoder().decode(v.get("b64").textValue()));
      } catch (IllegalArgumentException e) {
        throw ServingException.invalidArgument("input " + name
            + " has a {\"b64\": …} value that is not valid base64: " + e.getMessage());
      }
    }
    throw mismatch(name, v, DataType.DT_STRING, "a string or {\"b64\": \"…\"}");
  }

  private static ServingException mismatch(String name, JsonNode v, DataType dt, String expected) {
    return ServingException.invalidArgument("input " + name + " has dtype " + dt + ": expected "
        + expected + ", found " + (v.isObject() ? "an object" : v.getNodeType().name().toLowerCase()));
  }

  /** Converts an output tensor to nested JSON lists; {@code drop0} splits off dimension 0. */
  static List<JsonNode> toJson(String alias, TensorProto t, boolean splitBatch)
      throws ServingException {
    long[] dims = t.getTensorShape().getDimList().stream().mapToLong(d -> d.getSize()).toArray();
    Leaves leaves = new Leaves(alias, t);
    if (!splitBatch) {
      return List.of(build(dims, 0, leaves));
    }
    if (dims.length == 0) {
      throw ServingException.invalidArgument("Tensor name: " + alias
          + " has no shape information; it cannot be split into instances");
    }
    List<JsonNode> out = new ArrayList<>();
    for (long i = 0; i < dims[0]; i++) {
      out.add(build(dims, 1, leaves));
    }
    return out;
  }

  private static JsonNode build(long[] dims, int depth, Leaves leaves) {
    if (depth == dims.length) {
      return leaves.next();
    }
    ArrayNode a = F.arrayNode();
    for (long i = 0; i < dims[depth]; i++) {
      a.add(build(dims, depth + 1, leaves));
    }
    return a;
  }

  /** Iterates the elements of a tensor in row-major order, from typed fields or tensor_content. */
  private static final class Leaves {
    private final TensorProto t;
    private final boolean bytesOut;
    private final ByteBuffer content;
    private int i;

    Leaves(String alias, TensorProto t) {
      this.t = t;
      this.bytesOut = alias.endsWith("_bytes");
      this.content = t.getTensorContent().isEmpty() ? null
          : t.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    JsonNode next() {
      int k = i++;
      return switch (t.getDtype()) {
        case DT_FLOAT -> floatNode(content != null ? content.getFloat() : t.getFloatVal(k));
        case DT_DOUBLE -> doubleNode(content != null ? content.getDouble() : t.getDoubleVal(k));
        case DT_INT32 -> F.numberNode(content != null ? content.getInt() : t.getIntVal(k));
        case DT_UINT8 -> F.numberNode(content != null ? content.get() & 0xff : t.getIntVal(k));
        case DT_UINT16 -> F.numberNode(content != null ? content.getShort() & 0xffff : t.getIntVal(k));
        case DT_INT64 -> F.numberNode(content != null ? content.getLong() : t.getInt64Val(k));
        case DT_BOOL -> F.booleanNode(content != null ? content.get() != 0 : t.getBoolVal(k));
        case DT_STRING -> {
          ByteString s = t.getStringVal(k);
          if (bytesOut) {
            ObjectNode o = F.objectNode();
            o.put("b64", Base64.getEncoder().encodeToString(s.toByteArray()));
            yield o;
          }
          yield F.textNode(s.toStringUtf8());
        }
        default -> F.textNode("<" + t.getDtype() + " not representable in JSON>");
      };
    }
  }

  static JsonNode floatNode(float f) {
    if (Float.isNaN(f)) {
      return F.textNode("NaN");
    }
    if (Float.isInfinite(f)) {
      return F.textNode(f > 0 ? "Infinity" : "-Infinity");
    }
    return F.numberNode(Double.parseDouble(formatFloat(f)));
  }

  static JsonNode doubleNode(double d) {
    if (Double.isNaN(d)) {
      return F.textNode("NaN");
    }
    if (Double.isInfinite(d)) {
      return F.textNode(d > 0 ? "Infinity" : "-Infinity");
    }
    BigDecimal six = new BigDecimal(d).round(new MathContext(6));
    BigDecimal out = six.doubleValue() == d ? six : new BigDecimal(d).round(new MathContext(17));
    return F.numberNode(out.doubleValue());
  }

  /** TF Serving's float rule: 6 significant digits if they round-trip, else 9. */
  static String formatFloat(float f) {
    if (f == 0f) {
      return Float.floatToRawIntBits(f) == 0 ? "0" : "-0.0";
    }
    BigDecimal exact = new BigDecimal(f);
    BigDecimal six = exact.round(new MathContext(6));
    BigDecimal out = six.floatValue() == f ? six : exact.round(new MathContext(9));
    return out.stripTrailingZeros().toString();
  }
}
