package dev.ccserve.attestation.dcap;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import java.util.Arrays;

/** Bounds-checked little-endian reader over a byte array; every overrun is MALFORMED. */
final class ByteReader {
  private final byte[] data;
  private final int end;
  private int pos;
  private final String step;

  ByteReader(byte[] data, int start, int end, String step) {
    this.data = data;
    this.pos = start;
    this.end = end;
    this.step = step;
  }

  int position() {
    return pos;
  }

  int remaining() {
    return end - pos;
  }

  private void need(int n, String field) throws AttestationException {
    if (n < 0 || n > end - pos) {
      throw new AttestationException(Reason.MALFORMED, step,
          "truncated at " + field + ": expected " + n + " bytes at offset " + pos + ", found "
              + Math.max(0, end - pos));
    }
  }

  int u16(String field) throws AttestationException {
    need(2, field);
    int v = (data[pos] & 0xFF) | (data[pos + 1] & 0xFF) << 8;
    pos += 2;
    return v;
  }

  long u32(String field) throws AttestationException {
    need(4, field);
    long v = (data[pos] & 0xFFL) | (data[pos + 1] & 0xFFL) << 8 | (data[pos + 2] & 0xFFL) << 16
        | (data[pos + 3] & 0xFFL) << 24;
    pos += 4;
    return v;
  }

  byte[] bytes(int n, String field) throws AttestationException {
    need(n, field);
    byte[] out = Arrays.copyOfRange(data, pos, pos + n);
    pos += n;
    return out;
  }

  /** Reads a u32 length and checks it fits in the remaining bytes. */
  int length32(String field) throws AttestationException {
    long n = u32(field);
    if (n > remaining()) {
      throw new AttestationException(Reason.MALFORMED, step,
          field + " declares " + n + " bytes but only " + remaining() + " remain");
    }
    return (int) n;
  }

  static long le64(byte[] b, int off) {
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (b[off + i] & 0xFF);
    }
    return v;
  }

  static int le16(byte[] b, int off) {
    return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8;
  }

  static long le32(byte[] b, int off) {
    return (b[off] & 0xFFL) | (b[off + 1] & 0xFFL) << 8 | (b[off + 2] & 0xFFL) << 16
        | (b[off + 3] & 0xFFL) << 24;
  }
}
