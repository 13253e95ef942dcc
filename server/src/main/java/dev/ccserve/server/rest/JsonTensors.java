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
 * numbers, booleans, strings and {@code {"b64": …}} objects (read by streaming, see
 * {@link StreamedValue}), with the dtype taken from the signature. Shapes are inferred from the
 * nesting and must be rectangular. Floats are written the
 * way TF Serving writes them (6 significant digits when that round-trips, else 9; 17 for
 * doubles), always with a decimal point or exponent so clients read them as floats. Stateless and thread-safe.
 */
final class JsonTensors {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private JsonTensors() {}

  /**
   * Builds a TensorProto of dtype {@code dt} from streamed values; with {@code stacked} the values
   * are instances stacked on a new dimension 0 and must all have the same shape. Numeric, boolean
   * and integer dtypes are written straight into {@code tensor_content}.
   */
  static TensorProto toProto(String name, List<StreamedValue> values, boolean stacked, DataType dt)
      throws ServingException {
    long[] inner = values.get(0).shape();
    long total = 0;
    for (int i = 0; i < values.size(); i++) {
      long[] s = values.get(i).shape();
      if (!java.util.Arrays.equals(s, inner)) {
        throw ServingException.invalidArgument("instances of input " + name
            + " have different shapes: instance 0 has " + java.util.Arrays.toString(inner)
            + ", instance " + i + " has " + java.util.Arrays.toString(s));
      }
      total += values.get(i).size;
    }
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    if (stacked) {
      shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(values.size()));
    }
    for (long d : inner) {
      shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(dt).setTensorShape(shape);
    if (dt == DataType.DT_STRING) {
      for (StreamedValue v : values) {
        for (int i = 0; i < v.size; i++) {
          b.addStringVal(bytes(name, v, i));
        }
      }
      return b.build();
    }
    int es = switch (dt) {
      case DT_FLOAT, DT_INT32 -> 4;
      case DT_DOUBLE, DT_INT64 -> 8;
      case DT_UINT8, DT_BOOL -> 1;
      case DT_UINT16 -> 2;
      case DT_HALF, DT_BFLOAT16 -> throw ServingException.invalidArgument("input " + name
          + " has dtype " + dt + ", which the REST API cannot carry; use gRPC");
      default -> throw ServingException.invalidArgument(
          "input " + name + " has dtype " + dt + ", which ccserve cannot convert from JSON");
    };
    if (total * es > Integer.MAX_VALUE - 8) {
      throw ServingException.invalidArgument("input " + name + " is too large for one tensor");
    }
    ByteBuffer out = ByteBuffer.allocate((int) (total * es)).order(ByteOrder.LITTLE_ENDIAN);
    for (StreamedValue v : values) {
      for (int i = 0; i < v.size; i++) {
        switch (dt) {
          case DT_FLOAT -> out.putFloat((float) number(name, v, i, dt));
          case DT_DOUBLE -> out.putDouble(number(name, v, i, dt));
          case DT_INT32 -> out.putInt((int) integer(name, v, i, dt));
          case DT_INT64 -> out.putLong(integer(name, v, i, dt));
          case DT_UINT8 -> out.put((byte) integer(name, v, i, dt));
          case DT_UINT16 -> out.putShort((short) integer(name, v, i, dt));
          case DT_BOOL -> {
            if (v.kinds[i] != StreamedValue.BOOL) {
              throw mismatch(name, v, i, dt, "true or false");
            }
            out.put((byte) (v.numbers[i] != 0 ? 1 : 0));
          }
          default -> throw new IllegalStateException("unreachable dtype " + dt);
        }
      }
    }
    return b.setTensorContent(com.google.protobuf.UnsafeByteOperations.unsafeWrap(out.array()))
        .build();
  }

  private static double number(String name, StreamedValue v, int i, DataType dt)
      throws ServingException {
    byte k = v.kinds[i];
    if (k == StreamedValue.NUMBER || k == StreamedValue.INTEGER) {
      return v.numbers[i];
    }
    if (k == StreamedValue.STRING) {
      switch (v.strings.get((int) v.integers[i])) {
        case "NaN": return Double.NaN;
        case "Infinity": return Double.POSITIVE_INFINITY;
        case "-Infinity": return Double.NEGATIVE_INFINITY;
        default: break;
      }
    }
    throw mismatch(name, v, i, dt, "a number");
  }

  private static long integer(String name, StreamedValue v, int i, DataType dt)
      throws ServingException {
    long x;
    if (v.kinds[i] == StreamedValue.INTEGER) {
      x = v.integers[i];
    } else if (v.kinds[i] == StreamedValue.NUMBER && v.numbers[i] == Math.rint(v.numbers[i])) {
      x = (long) v.numbers[i];
    } else {
      throw mismatch(name, v, i, dt, "an integer");
    }
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

  private static ByteString bytes(String name, StreamedValue v, int i) throws ServingException {
    byte k = v.kinds[i];
    if (k == StreamedValue.STRING) {
      return ByteString.copyFromUtf8(v.strings.get((int) v.integers[i]));
    }
    if (k == StreamedValue.B64) {
      try {
        return ByteString.copyFrom(Base64.getDecoder().decode(v.strings.get((int) v.integers[i])));
      } catch (IllegalArgumentException e) {
        throw ServingException.invalidArgument("input " + name
            + " has a {\"b64\": …} value that is not valid base64: " + e.getMessage());
      }
    }
    throw mismatch(name, v, i, DataType.DT_STRING, "a string or {\"b64\": \"…\"}");
  }

  private static ServingException mismatch(String name, StreamedValue v, int i, DataType dt,
      String expected) {
    return ServingException.invalidArgument("input " + name + " has dtype " + dt + ": expected "
        + expected + ", found " + StreamedValue.kindName(v.kinds[i]));
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
