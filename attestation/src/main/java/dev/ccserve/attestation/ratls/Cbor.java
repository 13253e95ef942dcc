package dev.ccserve.attestation.ratls;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import java.io.ByteArrayOutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The small subset of CBOR (RFC 8949) that RA-TLS evidence uses: unsigned integers (major type 0),
 * byte strings (2), text strings (3), arrays (4), maps (5) and tags (6), definite lengths only.
 *
 * <p>The encoder writes the preferred (shortest) serialisation, as Gramine does. The decoder is
 * strict and bounded, because its input comes from an untrusted peer certificate: no indefinite
 * lengths, no floats or simple values, no negative integers, nesting at most {@value #MAX_DEPTH}
 * levels, lengths within the input, no duplicate map keys, valid UTF-8, no trailing bytes. Decoded
 * values are {@link Long}, {@code byte[]}, {@link String}, {@code List<Object>}, {@code
 * Map<Object, Object>} (insertion order; byte-string keys are wrapped in {@link Bytes}) and {@link
 * Tagged}. Every failure is an {@link AttestationException} with reason MALFORMED.
 */
final class Cbor {
  static final int MAX_DEPTH = 8;
  private static final int MAX_ITEMS = 1024;

  private Cbor() {}

  /** A tagged data item. */
  record Tagged(long tag, Object value) {}

  /** A byte string used as a map key (arrays have identity equality). */
  record Bytes(List<Byte> value) {}

  // ---------------------------------------------------------------- encoding

  /** Incremental encoder; not thread-safe. */
  static final class Writer {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Writer uint(long v) {
      head(0, v);
      return this;
    }

    Writer bytes(byte[] b) {
      head(2, b.length);
      out.writeBytes(b);
      return this;
    }

    Writer text(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      head(3, b.length);
      out.writeBytes(b);
      return this;
    }

    Writer array(int n) {
      head(4, n);
      return this;
    }

    Writer map(int n) {
      head(5, n);
      return this;
    }

    Writer tag(long t) {
      head(6, t);
      return this;
    }

    byte[] toByteArray() {
      return out.toByteArray();
    }

    private void head(int major, long v) {
      int mt = major << 5;
      if (v < 0) {
        throw new IllegalArgumentException("negative CBOR argument " + v);
      } else if (v < 24) {
        out.write(mt | (int) v);
      } else if (v <= 0xFF) {
        out.write(mt | 24);
        out.write((int) v);
      } else if (v <= 0xFFFF) {
        out.write(mt | 25);
        out.write((int) (v >>> 8));
        out.write((int) v);
      } else if (v <= 0xFFFFFFFFL) {
        out.write(mt | 26);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) v).array());
      } else {
        out.write(mt | 27);
        out.writeBytes(ByteBuffer.allocate(8).putLong(v).array());
      }
    }
  }

  // ---------------------------------------------------------------- decoding

  /** Decodes exactly one data item spanning all of {@code in}. */
  static Object decode(byte[] in, String step) throws AttestationException {
    Reader r = new Reader(in, step);
    Object v = r.item(0);
    if (r.pos != in.length) {
      throw r.bad("trailing " + (in.length - r.pos) + " bytes after the CBOR item");
    }
    return v;
  }

  private static final class Reader {
    private final byte[] in;
    private final String step;
    private int pos;
    private int items;

    Reader(byte[] in, String step) {
      this.in = in;
      this.step = step;
    }

    Object item(int depth) throws AttestationException {
      if (depth > MAX_DEPTH) {
        throw bad("nesting deeper than " + MAX_DEPTH);
      }
      if (++items > MAX_ITEMS) {
        throw bad("more than " + MAX_ITEMS + " data items");
      }
      int ib = u8();
      int major = ib >>> 5;
      int info = ib & 0x1F;
      long arg = argument(info);
      switch (major) {
        case 0:
          return arg;
        case 2:
          return take(arg);
        case 3:
          return utf8(take(arg));
        case 4: {
          int n = count(arg);
          List<Object> list = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            list.add(item(depth + 1));
          }
          return Collections.unmodifiableList(list);
        }
        case 5: {
          int n = count(arg);
          Map<Object, Object> map = new LinkedHashMap<>();
          for (int i = 0; i < n; i++) {
            Object k = item(depth + 1);
            if (k instanceof byte[] b) {
              k = wrap(b);
            }
            Object v = item(depth + 1);
            if (map.containsKey(k)) {
              throw bad("duplicate map key");
            }
            map.put(k, v);
          }
          return Collections.unmodifiableMap(map);
        }
        case 6:
          return new Tagged(arg, item(depth + 1));
        default:
          throw bad("unsupported CBOR major type " + major);
      }
    }

    private long argument(int info) throws AttestationException {
      if (info < 24) {
        return info;
      }
      int n;
      switch (info) {
        case 24: n = 1; break;
        case 25: n = 2; break;
        case 26: n = 4; break;
        case 27: n = 8; break;
        default: throw bad("indefinite or reserved length (additional info " + info + ")");
      }
      long v = 0;
      for (int i = 0; i < n; i++) {
        v = (v << 8) | u8();
      }
      if (v < 0) {
        throw bad("argument exceeds 2^63");
      }
      return v;
    }

    private int count(long n) throws AttestationException {
      if (n > in.length - pos) { // every element needs at least one byte
        throw bad("container of " + n + " elements exceeds the remaining " + (in.length - pos) + " bytes");
      }
      return (int) n;
    }

    private byte[] take(long n) throws AttestationException {
      if (n > in.length - pos) {
        throw bad("string of " + n + " bytes exceeds the remaining " + (in.length - pos) + " bytes");
      }
      byte[] b = new byte[(int) n];
      System.arraycopy(in, pos, b, 0, (int) n);
      pos += (int) n;
      return b;
    }

    private int u8() throws AttestationException {
      if (pos >= in.length) {
        throw bad("unexpected end of input at offset " + pos);
      }
      return in[pos++] & 0xFF;
    }

    private String utf8(byte[] b) throws AttestationException {
      try {
        return StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(b))
            .toString();
      } catch (CharacterCodingException e) {
        throw bad("text string is not valid UTF-8");
      }
    }

    AttestationException bad(String what) {
      return new AttestationException(Reason.MALFORMED, step, "CBOR: " + what);
    }
  }

  static Bytes wrap(byte[] b) {
    List<Byte> l = new ArrayList<>(b.length);
    for (byte x : b) {
      l.add(x);
    }
    return new Bytes(List.copyOf(l));
  }
}
