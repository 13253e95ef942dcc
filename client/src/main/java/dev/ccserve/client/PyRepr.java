package dev.ccserve.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Renders protobuf messages and JSON trees the way the seed's Python client prints them:
 * {@code print(MessageToDict(response))}, i.e. a Python dict with camelCase keys, fields in field
 * number order, int64 values as strings, enums by name, bytes as base64, floats in Python's
 * shortest {@code repr} (float fields as the shortest decimal that round-trips to float32).
 *
 * <p>Lists longer than {@code maxListItems} are cut after that many items and end with a marker
 * {@code ...<N more>}, which is not Python syntax, so nobody mistakes a cut list for the whole.
 * Stateless and thread-safe.
 */
public final class PyRepr {
  /** Show every list element. */
  public static final int NO_LIMIT = Integer.MAX_VALUE;

  private PyRepr() {}

  public static String message(Message m, int maxListItems) {
    StringBuilder sb = new StringBuilder();
    appendMessage(sb, m, maxListItems);
    return sb.toString();
  }

  public static String json(JsonNode n, int maxListItems) {
    StringBuilder sb = new StringBuilder();
    appendJson(sb, n, maxListItems);
    return sb.toString();
  }

  private static void appendMessage(StringBuilder sb, Message m, int max) {
    String type = m.getDescriptorForType().getFullName();
    if (type.startsWith("google.protobuf.") && type.endsWith("Value")) {
      FieldDescriptor value = m.getDescriptorForType().findFieldByName("value");
      if (value != null) {
        appendScalar(sb, value, m.getField(value));
        return;
      }
    }
    sb.append('{');
    boolean first = true;
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      if (!first) {
        sb.append(", ");
      }
      first = false;
      FieldDescriptor fd = e.getKey();
      sb.append(str(fd.getJsonName())).append(": ");
      if (fd.isMapField()) {
        appendMap(sb, (List<?>) e.getValue(), max);
      } else if (fd.isRepeated()) {
        List<?> items = (List<?>) e.getValue();
        sb.append('[');
        for (int i = 0; i < items.size(); i++) {
          if (i >= max) {
            sb.append(", ...<").append(items.size() - i).append(" more>");
            break;
          }
          if (i > 0) {
            sb.append(", ");
          }
          appendScalar(sb, fd, items.get(i), max);
        }
        sb.append(']');
      } else {
        appendScalar(sb, fd, e.getValue(), max);
      }
    }
    sb.append('}');
  }

  private static void appendMap(StringBuilder sb, List<?> entries, int max) {
    sb.append('{');
    for (int i = 0; i < entries.size(); i++) {
      Message entry = (Message) entries.get(i);
      FieldDescriptor k = entry.getDescriptorForType().findFieldByName("key");
      FieldDescriptor v = entry.getDescriptorForType().findFieldByName("value");
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(str(String.valueOf(entry.getField(k)))).append(": ");
      appendScalar(sb, v, entry.getField(v), max);
    }
    sb.append('}');
  }

  private static void appendScalar(StringBuilder sb, FieldDescriptor fd, Object v) {
    appendScalar(sb, fd, v, NO_LIMIT);
  }

  private static void appendScalar(StringBuilder sb, FieldDescriptor fd, Object v, int max) {
    switch (fd.getJavaType()) {
      case MESSAGE -> appendMessage(sb, (Message) v, max);
      case ENUM -> sb.append(str(((EnumValueDescriptor) v).getName()));
      case BOOLEAN -> sb.append(((Boolean) v) ? "True" : "False");
      case STRING -> sb.append(str((String) v));
      case BYTE_STRING -> sb.append(str(Base64.getEncoder().encodeToString(((ByteString) v).toByteArray())));
      case FLOAT -> sb.append(float32((Float) v));
      case DOUBLE -> sb.append(float64((Double) v));
      case INT -> sb.append(fd.getType() == FieldDescriptor.Type.UINT32 || fd.getType() == FieldDescriptor.Type.FIXED32
          ? Integer.toUnsignedString((Integer) v) : v.toString());
      case LONG -> sb.append(str(fd.getType() == FieldDescriptor.Type.UINT64 || fd.getType() == FieldDescriptor.Type.FIXED64
          ? Long.toUnsignedString((Long) v) : v.toString()));
    }
  }

  private static void appendJson(StringBuilder sb, JsonNode n, int max) {
    if (n.isObject()) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<String, JsonNode> e : n.properties()) {
        sb.append(first ? "" : ", ").append(str(e.getKey())).append(": ");
        first = false;
        appendJson(sb, e.getValue(), max);
      }
      sb.append('}');
    } else if (n.isArray()) {
      sb.append('[');
      for (int i = 0; i < n.size(); i++) {
        if (i >= max) {
          sb.append(", ...<").append(n.size() - i).append(" more>");
          break;
        }
        sb.append(i > 0 ? ", " : "");
        appendJson(sb, n.get(i), max);
      }
      sb.append(']');
    } else if (n.isIntegralNumber()) {
      sb.append(n.bigIntegerValue());
    } else if (n.isNumber()) {
      sb.append(float64(n.doubleValue()));
    } else if (n.isBoolean()) {
      sb.append(n.booleanValue() ? "True" : "False");
    } else if (n.isNull()) {
      sb.append("None");
    } else {
      sb.append(str(n.asText()));
    }
  }

  /** Python's {@code repr(str)}. */
  public static String str(String s) {
    char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
    StringBuilder sb = new StringBuilder().append(q);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == q || c == '\\') {
        sb.append('\\').append(c);
      } else if (c == '\n') {
        sb.append("\\n");
      } else if (c == '\r') {
        sb.append("\\r");
      } else if (c == '\t') {
        sb.append("\\t");
      } else if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\x%02x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append(q).toString();
  }

  /** Python's {@code repr(float)} of a double: the shortest decimal that round-trips. */
  public static String float64(double d) {
    if (Double.isNaN(d) || Double.isInfinite(d) || d == 0) {
      return special(d);
    }
    BigDecimal exact = new BigDecimal(d);
    for (int p = 1; p <= 17; p++) {
      BigDecimal r = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
      if (r.doubleValue() == d) {
        return layout(r);
      }
    }
    return layout(exact.round(new MathContext(17, RoundingMode.HALF_EVEN)));
  }

  /** The shortest decimal that round-trips to the same float32, laid out like Python's repr. */
  public static String float32(float f) {
    if (Float.isNaN(f) || Float.isInfinite(f) || f == 0) {
      return special(f);
    }
    BigDecimal exact = new BigDecimal(f);
    for (int p = 1; p <= 9; p++) {
      BigDecimal r = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
      if (r.floatValue() == f) {
        return layout(r);
      }
    }
    return layout(exact.round(new MathContext(9, RoundingMode.HALF_EVEN)));
  }

  private static String special(double d) {
    if (Double.isNaN(d)) {
      return "nan";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "inf" : "-inf";
    }
    return (1 / d) < 0 ? "-0.0" : "0.0";
  }

  /** Python's float repr layout: positional for 1e-4 <= |x| < 1e16, else d.ddde+XX. */
  private static String layout(BigDecimal value) {
    BigDecimal v = value.stripTrailingZeros();
    String sign = v.signum() < 0 ? "-" : "";
    String digits = v.unscaledValue().abs().toString();
    int exp = digits.length() - 1 - v.scale();
    StringBuilder sb = new StringBuilder(sign);
    if (exp >= -4 && exp < 16) {
      if (exp >= 0) {
        String intPart = digits.length() > exp + 1 ? digits.substring(0, exp + 1) : digits + "0".repeat(exp + 1 - digits.length());
        String frac = digits.length() > exp + 1 ? digits.substring(exp + 1) : "0";
        sb.append(intPart).append('.').append(frac);
      } else {
        sb.append("0.").append("0".repeat(-exp - 1)).append(digits);
      }
    } else {
      sb.append(digits.charAt(0));
      if (digits.length() > 1) {
        sb.append('.').append(digits, 1, digits.length());
      }
      sb.append('e').append(exp < 0 ? '-' : '+');
      int a = Math.abs(exp);
      sb.append(a < 10 ? "0" + a : Integer.toString(a));
    }
    return sb.toString();
  }
}
