package dev.ccserve.server.runtime;

import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.ServingException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import tensorflow.serving.PredictionLogOuterClass.PredictionLog;

/**
 * Reads TF Serving's warm-up file ({@code assets.extra/tf_serving_warmup_requests}): a TFRecord
 * file of serialized {@code PredictionLog}s. Each record is: uint64 little-endian length, uint32
 * masked CRC32C of those 8 bytes, the data, uint32 masked CRC32C of the data; the mask is
 * {@code ((crc >>> 15) | (crc << 17)) + 0xa282ead8}. At most 1000 records, as in TF Serving.
 */
public final class WarmupRecords {
  public static final String PATH = "assets.extra/tf_serving_warmup_requests";
  static final int MAX_RECORDS = 1000;
  private static final String HINT = " Please verify your warmup data is in TFRecord format.";

  private WarmupRecords() {}

  public static List<PredictionLog> parse(byte[] file) throws ServingException {
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    List<PredictionLog> out = new ArrayList<>();
    while (b.hasRemaining()) {
      if (out.size() == MAX_RECORDS) {
        throw ServingException.invalidArgument("warm-up file " + PATH + " has more than "
            + MAX_RECORDS + " records");
      }
      if (b.remaining() < 12) {
        throw dataLoss("truncated record header at byte " + b.position());
      }
      int start = b.position();
      long len = b.getLong();
      int lenCrc = b.getInt();
      if (masked(crc(file, start, 8)) != lenCrc) {
        throw dataLoss("bad length checksum in record " + out.size());
      }
      if (len < 0 || len > b.remaining() - 4) {
        throw dataLoss("record " + out.size() + " claims " + len + " bytes, " + (b.remaining() - 4)
            + " remain");
      }
      int dataStart = b.position();
      b.position(dataStart + (int) len);
      int dataCrc = b.getInt();
      if (masked(crc(file, dataStart, (int) len)) != dataCrc) {
        throw dataLoss("bad data checksum in record " + out.size());
      }
      try {
        out.add(PredictionLog.parseFrom(ByteBuffer.wrap(file, dataStart, (int) len)));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw dataLoss("record " + out.size() + " is not a PredictionLog: " + e.getMessage());
      }
    }
    return out;
  }

  /** Frames records as TFRecord (for tests and tools that write warm-up files). */
  public static byte[] write(List<PredictionLog> logs) {
    java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
    for (PredictionLog l : logs) {
      byte[] data = l.toByteArray();
      ByteBuffer h = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
      h.putLong(data.length);
      h.putInt(masked(crc(h.array(), 0, 8)));
      o.writeBytes(h.array());
      o.writeBytes(data);
      o.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
          .putInt(masked(crc(data, 0, data.length))).array());
    }
    return o.toByteArray();
  }

  private static long crc(byte[] a, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(a, off, len);
    return c.getValue();
  }

  static int masked(long crc) {
    int c = (int) crc;
    return ((c >>> 15) | (c << 17)) + 0xa282ead8;
  }

  private static ServingException dataLoss(String what) {
    return new ServingException(Code.DATA_LOSS, "warm-up file " + PATH + ": " + what + "." + HINT);
  }
}
