package dev.ccserve.server.rest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.ccserve.server.core.ServingException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One tensor value of a REST request (a scalar or nested lists), read from the token stream without
 * a tree node per element: its shape and its leaves in row-major order, in primitive arrays. The
 * dtype is applied later ({@link JsonTensors#toProto}), because {@code signature_name} may follow
 * the values in the body. Raggedness is detected while reading. Not thread-safe (one request).
 */
final class StreamedValue {
  static final byte NUMBER = 1;
  static final byte INTEGER = 2;
  static final byte STRING = 3;
  static final byte B64 = 4;
  static final byte BOOL = 5;
  static final byte OBJECT = 6;
  static final byte NULL = 7;

  private final String name;
  private long[] dims = new long[8];
  private int rank = -1;
  private final boolean[] dimSet = new boolean[64];
  byte[] kinds = new byte[16];
  double[] numbers = new double[16];
  long[] integers = new long[16];
  final List<String> strings = new ArrayList<>();
  int size;

  private StreamedValue(String name) {
    this.name = name;
  }

  /** Reads the value starting at the parser's current token. */
  static StreamedValue read(String name, JsonParser p) throws IOException, ServingException {
    StreamedValue v = new StreamedValue(name);
    v.readAt(p, 0);
    if (v.rank < 0) {
      v.rank = 0;
    }
    return v;
  }

  /** A value already known to be a {"b64": …} leaf. */
  static StreamedValue ofB64(String name, String b64) {
    StreamedValue v = new StreamedValue(name);
    v.rank = 0;
    v.add(B64, 0, 0, b64);
    return v;
  }

  long[] shape() {
    return Arrays.copyOf(dims, rank);
  }

  private void readAt(JsonParser p, int depth) throws IOException, ServingException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.START_ARRAY) {
      if (depth >= dimSet.length) {
        throw ServingException.invalidArgument("Tensor " + name + " nests deeper than "
            + dimSet.length + " levels");
      }
      long count = 0;
      while (p.nextToken() != JsonToken.END_ARRAY) {
        readAt(p, depth + 1);
        count++;
      }
      if (count == 0) {
        leafAt(depth + 1);
      }
      if (!dimSet[depth]) {
        dimSet[depth] = true;
        if (depth >= dims.length) {
          dims = Arrays.copyOf(dims, dims.length * 2);
        }
        dims[depth] = count;
      } else if (dims[depth] != count) {
        throw ServingException.invalidArgument("Tensor " + name + " is ragged: expected a list of "
            + dims[depth] + " at depth " + depth + ", found a list of " + count);
      }
      return;
    }
    leafAt(depth);
    switch (t) {
      case VALUE_NUMBER_INT -> add(INTEGER, p.getValueAsDouble(), p.getValueAsLong(), null);
      case VALUE_NUMBER_FLOAT -> add(NUMBER, p.getDoubleValue(), 0, null);
      case VALUE_STRING -> add(STRING, 0, 0, p.getText());
      case VALUE_TRUE, VALUE_FALSE -> add(BOOL, t == JsonToken.VALUE_TRUE ? 1 : 0, 0, null);
      case VALUE_NULL -> add(NULL, 0, 0, null);
      case START_OBJECT -> {
        String b64 = null;
        boolean other = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String f = p.currentName();
          JsonToken vt = p.nextToken();
          if ("b64".equals(f) && vt == JsonToken.VALUE_STRING && b64 == null) {
            b64 = p.getText();
          } else {
            other = true;
            p.skipChildren();
          }
        }
        if (b64 != null && !other) {
          add(B64, 0, 0, b64);
        } else {
          add(OBJECT, 0, 0, null);
        }
      }
      default -> throw ServingException.invalidArgument("Tensor " + name
          + ": unexpected JSON token " + t);
    }
  }

  private void leafAt(int depth) throws ServingException {
    if (rank < 0) {
      rank = depth;
    } else if (rank != depth) {
      throw ServingException.invalidArgument("Tensor " + name + " is ragged: values at depth "
          + depth + " and at depth " + rank);
    }
  }

  private void add(byte kind, double d, long l, String s) {
    if (size == kinds.length) {
      int n = size * 2;
      kinds = Arrays.copyOf(kinds, n);
      numbers = Arrays.copyOf(numbers, n);
      integers = Arrays.copyOf(integers, n);
    }
    kinds[size] = kind;
    numbers[size] = d;
    if (s != null) {
      integers[size] = strings.size();
      strings.add(s);
    } else {
      integers[size] = l;
    }
    size++;
  }

  static String kindName(byte k) {
    return switch (k) {
      case NUMBER, INTEGER -> "number";
      case STRING -> "string";
      case B64, OBJECT -> "an object";
      case BOOL -> "boolean";
      default -> "null";
    };
  }
}
