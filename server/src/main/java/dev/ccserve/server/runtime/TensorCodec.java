package dev.ccserve.server.runtime;

import com.google.protobuf.ByteString;
import dev.ccserve.api.tf.DataType;
import dev.ccserve.api.tf.TensorInfo;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.api.tf.TensorShapeProto;
import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.ServingException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.ByteDataBuffer;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint16;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TType;

/**
 * Converts between the wire {@link TensorProto} and TensorFlow tensors. Numeric
 * {@code tensor_content} is streamed straight into the tensor's native buffer in 64 KiB chunks (no
 * full-size heap copy); typed {@code *_val} fields are written element by element, a single value
 * being repeated to fill the shape as TF Serving does. Every element of every tensor is written,
 * because TensorFlow does not zero new tensors. Errors name the input alias, the expected and the
 * found dtype, shape or size; they never include values. Stateless and thread-safe.
 */
public final class TensorCodec {
  private static final int CHUNK = 64 * 1024;

  private TensorCodec() {}

  /** Element size in bytes of a fixed-size dtype, or -1 for strings / unsupported. */
  public static int elementSize(DataType dt) {
    return switch (dt) {
      case DT_FLOAT, DT_INT32 -> 4;
      case DT_DOUBLE, DT_INT64 -> 8;
      case DT_UINT8, DT_BOOL -> 1;
      case DT_HALF, DT_BFLOAT16, DT_UINT16 -> 2;
      default -> -1;
    };
  }

  public static boolean isSupported(DataType dt) {
    return elementSize(dt) > 0 || dt == DataType.DT_STRING;
  }

  static Class<? extends TType> tfClass(DataType dt) throws ServingException {
    return switch (dt) {
      case DT_FLOAT -> TFloat32.class;
      case DT_DOUBLE -> TFloat64.class;
      case DT_INT32 -> TInt32.class;
      case DT_INT64 -> TInt64.class;
      case DT_UINT8 -> TUint8.class;
      case DT_BOOL -> TBool.class;
      case DT_HALF -> TFloat16.class;
      case DT_BFLOAT16 -> TBfloat16.class;
      case DT_UINT16 -> TUint16.class;
      case DT_STRING -> TString.class;
      default -> throw new ServingException(Code.UNIMPLEMENTED,
          "dtype " + dt + " is not supported by ccserve's TensorFlow runtime; supported: "
              + "DT_FLOAT, DT_DOUBLE, DT_INT32, DT_INT64, DT_UINT8, DT_UINT16, DT_BOOL, DT_HALF, "
              + "DT_BFLOAT16, DT_STRING");
    };
  }

  static DataType wireType(org.tensorflow.proto.DataType tf) {
    DataType d = DataType.forNumber(tf.getNumber());
    return d == null ? DataType.DT_INVALID : d;
  }

  /** Validates a request tensor against the signature's TensorInfo and builds the TF tensor. */
  public static Tensor toTensor(String alias, TensorProto p, TensorInfo expected)
      throws ServingException {
    if (p.getDtype() != expected.getDtype()) {
      throw ServingException.invalidArgument("input '" + alias + "' expects dtype "
          + expected.getDtype() + ", found " + p.getDtype());
    }
    long[] dims = dims(alias, p.getTensorShape());
    checkShape(alias, dims, expected.getTensorShape());
    return toTensor(alias, p, dims);
  }

  /** Builds the TF tensor for a proto whose dtype and shape have been validated. */
  static Tensor toTensor(String alias, TensorProto p, long[] dims) throws ServingException {
    DataType dt = p.getDtype();
    Shape shape = Shape.of(dims);
    long n = shape.size();
    if (dt == DataType.DT_STRING) {
      return stringTensor(alias, p, shape, n);
    }
    int es = elementSize(dt);
    Class<? extends TType> cls = tfClass(dt);
    ByteString content = p.getTensorContent();
    if (!content.isEmpty()) {
      if (content.size() != n * es) {
        throw ServingException.invalidArgument("input '" + alias + "' tensor_content has "
            + content.size() + " bytes, expected " + (n * es) + " (shape " + Arrays.toString(dims)
            + " x " + es + " bytes of " + dt + ")");
      }
      return Tensor.of(cls, shape, t -> copyContent(content, t.asRawTensor().data()));
    }
    int count = typedCount(p);
    if (count != n && !(count == 1 && n > 0)) {
      throw ServingException.invalidArgument("input '" + alias + "' has " + count + " values in "
          + typedFieldName(dt) + ", expected " + n + " for shape " + Arrays.toString(dims)
          + " (or exactly 1 to fill the shape)");
    }
    return Tensor.of(cls, shape, t -> fillTyped(p, t.asRawTensor().data(), n, count));
  }

  private static Tensor stringTensor(String alias, TensorProto p, Shape shape, long n)
      throws ServingException {
    int count = p.getStringValCount();
    if (count != n && !(count == 1 && n > 0)) {
      throw ServingException.invalidArgument("input '" + alias + "' has " + count
          + " values in string_val, expected " + n + " for shape "
          + Arrays.toString(shape.asArray()));
    }
    NdArray<byte[]> arr = NdArrays.ofObjects(byte[].class, shape);
    long[] i = {0};
    arr.scalars().forEach(s -> s.setObject(p.getStringVal(count == 1 ? 0 : (int) i[0]++).toByteArray()));
    return TString.tensorOfBytes(arr);
  }

  private static void copyContent(ByteString content, ByteDataBuffer dst) {
    byte[] buf = new byte[(int) Math.min(CHUNK, content.size())];
    long pos = 0;
    try (InputStream in = content.newInput()) {
      int r;
      while ((r = in.readNBytes(buf, 0, buf.length)) > 0) {
        dst.offset(pos).write(buf, 0, r);
        pos += r;
      }
    } catch (IOException e) {
      throw new IllegalStateException("reading tensor_content from memory failed", e);
    }
  }

  static int typedCount(TensorProto p) {
    return switch (p.getDtype()) {
      case DT_FLOAT -> p.getFloatValCount();
      case DT_DOUBLE -> p.getDoubleValCount();
      case DT_INT32, DT_UINT8, DT_UINT16 -> p.getIntValCount();
      case DT_INT64 -> p.getInt64ValCount();
      case DT_BOOL -> p.getBoolValCount();
      case DT_HALF, DT_BFLOAT16 -> p.getHalfValCount();
      case DT_STRING -> p.getStringValCount();
      default -> 0;
    };
  }

  static String typedFieldName(DataType dt) {
    return switch (dt) {
      case DT_FLOAT -> "float_val";
      case DT_DOUBLE -> "double_val";
      case DT_INT32, DT_UINT8, DT_UINT16 -> "int_val";
      case DT_INT64 -> "int64_val";
      case DT_BOOL -> "bool_val";
      case DT_HALF, DT_BFLOAT16 -> "half_val";
      default -> "string_val";
    };
  }

  private static void fillTyped(TensorProto p, ByteDataBuffer dst, long n, int count) {
    int es = elementSize(p.getDtype());
    ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(es, n * es)))
        .order(ByteOrder.LITTLE_ENDIAN);
    long pos = 0;
    for (long i = 0; i < n; i++) {
      putTypedElement(p, count == 1 ? 0 : (int) i, chunk);
      if (!chunk.hasRemaining() || i == n - 1) {
        int len = chunk.position();
        dst.offset(pos).write(chunk.array(), 0, len);
        pos += len;
        chunk.clear();
      }
    }
  }

  /**
   * Writes element {@code src} of a tensor's typed {@code *_val} field into {@code out} in
   * TensorFlow's little-endian layout (the buffer must be little-endian).
   */
  public static void putTypedElement(TensorProto p, int src, ByteBuffer out) {
    switch (p.getDtype()) {
      case DT_FLOAT -> out.putFloat(p.getFloatVal(src));
      case DT_DOUBLE -> out.putDouble(p.getDoubleVal(src));
      case DT_INT32 -> out.putInt(p.getIntVal(src));
      case DT_UINT8 -> out.put((byte) p.getIntVal(src));
      case DT_UINT16 -> out.putShort((short) p.getIntVal(src));
      case DT_INT64 -> out.putLong(p.getInt64Val(src));
      case DT_BOOL -> out.put((byte) (p.getBoolVal(src) ? 1 : 0));
      case DT_HALF, DT_BFLOAT16 -> out.putShort((short) p.getHalfVal(src));
      default -> throw new IllegalStateException("not a fixed-size dtype: " + p.getDtype());
    }
  }

  /** Converts a TF output tensor to the wire form: typed fields, or tensor_content if asked. */
  public static TensorProto fromTensor(Tensor t, boolean asTensorContent) throws ServingException {
    DataType dt = wireType(t.dataType());
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(dt).setTensorShape(shapeProto(t.shape()));
    long n = t.shape().size();
    if (dt == DataType.DT_STRING) {
      ((TString) t).asBytes().scalars().forEach(s -> b.addStringVal(ByteString.copyFrom(s.getObject())));
      return b.build();
    }
    int es = elementSize(dt);
    if (es < 0) {
      tfClass(dt);
    }
    byte[] raw = new byte[Math.toIntExact(n * es)];
    t.asRawTensor().data().read(raw);
    if (asTensorContent) {
      return b.setTensorContent(com.google.protobuf.UnsafeByteOperations.unsafeWrap(raw)).build();
    }
    ByteBuffer bb = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    for (long i = 0; i < n; i++) {
      switch (dt) {
        case DT_FLOAT -> b.addFloatVal(bb.getFloat());
        case DT_DOUBLE -> b.addDoubleVal(bb.getDouble());
        case DT_INT32 -> b.addIntVal(bb.getInt());
        case DT_UINT8 -> b.addIntVal(bb.get() & 0xff);
        case DT_UINT16 -> b.addIntVal(bb.getShort() & 0xffff);
        case DT_INT64 -> b.addInt64Val(bb.getLong());
        case DT_BOOL -> b.addBoolVal(bb.get() != 0);
        case DT_HALF, DT_BFLOAT16 -> b.addHalfVal(bb.getShort() & 0xffff);
        default -> throw new IllegalStateException("unreachable dtype " + dt);
      }
    }
    return b.build();
  }

  static TensorShapeProto shapeProto(Shape s) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    for (long d : s.asArray()) {
      b.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return b.build();
  }

  /** The concrete dims of a request tensor; unknown rank or negative sizes are invalid. */
  public static long[] dims(String alias, TensorShapeProto s) throws ServingException {
    if (s.getUnknownRank()) {
      throw ServingException.invalidArgument("input '" + alias
          + "' has unknown_rank set; a request tensor needs a concrete shape");
    }
    long[] d = new long[s.getDimCount()];
    for (int i = 0; i < d.length; i++) {
      d[i] = s.getDim(i).getSize();
      if (d[i] < 0) {
        throw ServingException.invalidArgument("input '" + alias + "' dimension " + i
            + " has size " + d[i] + "; request tensors need sizes >= 0");
      }
    }
    return d;
  }

  /** Checks concrete dims against a signature shape, where -1 (or unknown rank) matches anything. */
  public static void checkShape(String alias, long[] dims, TensorShapeProto expected)
      throws ServingException {
    if (expected.getUnknownRank()) {
      return;
    }
    boolean ok = expected.getDimCount() == dims.length;
    for (int i = 0; ok && i < dims.length; i++) {
      long e = expected.getDim(i).getSize();
      ok = e < 0 || e == dims[i];
    }
    if (!ok) {
      throw ServingException.invalidArgument("input '" + alias + "' expects shape "
          + shapeString(expected) + ", found " + Arrays.toString(dims).replace(" ", ""));
    }
  }

  public static String shapeString(TensorShapeProto s) {
    if (s.getUnknownRank()) {
      return "<unknown rank>";
    }
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < s.getDimCount(); i++) {
      sb.append(i == 0 ? "" : ",").append(s.getDim(i).getSize());
    }
    return sb.append(']').toString();
  }
}
