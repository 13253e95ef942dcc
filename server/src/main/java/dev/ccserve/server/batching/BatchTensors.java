package dev.ccserve.server.batching;

import com.google.protobuf.ByteString;
import dev.ccserve.api.tf.DataType;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.api.tf.TensorShapeProto;
import dev.ccserve.server.core.ServingException;
import dev.ccserve.server.runtime.TensorCodec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges the inputs of a batch's requests along dimension 0 and splits the outputs back. Numeric
 * inputs become one {@code tensor_content} (a rope of the requests' own {@code tensor_content},
 * typed {@code *_val} fields encoded little-endian, a single value repeated to fill its shape as
 * TF Serving does); strings are concatenated. Pad rows repeat the first row of the first request,
 * as TF Serving does, and are dropped when splitting. Each request's output slice keeps the
 * encoding the model produced (typed fields or {@code tensor_content}). Inputs must have passed
 * {@link BatchingPredictor}'s eligibility check. Stateless and thread-safe.
 */
final class BatchTensors {
  private BatchTensors() {}

  static Map<String, TensorProto> merge(List<BatchTask> tasks, int paddedRows) {
    Map<String, TensorProto> merged = new LinkedHashMap<>();
    int rows = 0;
    for (BatchTask t : tasks) {
      rows += t.rows;
    }
    for (BatchKey.InputSpec spec : tasks.get(0).key.inputs()) {
      long rowElems = product(spec.innerDims());
      TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
          .addDim(TensorShapeProto.Dim.newBuilder().setSize(paddedRows));
      for (long d : spec.innerDims()) {
        shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
      }
      TensorProto.Builder b = TensorProto.newBuilder().setDtype(spec.dtype()).setTensorShape(shape);
      if (spec.dtype() == DataType.DT_STRING) {
        mergeStrings(b, tasks, spec.alias(), rowElems, paddedRows - rows);
      } else {
        b.setTensorContent(mergeNumeric(tasks, spec, rowElems, paddedRows - rows));
      }
      merged.put(spec.alias(), b.build());
    }
    return merged;
  }

  private static void mergeStrings(TensorProto.Builder b, List<BatchTask> tasks, String alias,
      long rowElems, int padRows) {
    for (BatchTask t : tasks) {
      TensorProto p = t.inputs.get(alias);
      long n = t.rows * rowElems;
      if (p.getStringValCount() == 1 && n > 1) {
        for (long i = 0; i < n; i++) {
          b.addStringVal(p.getStringVal(0));
        }
      } else {
        b.addAllStringVal(p.getStringValList());
      }
    }
    TensorProto first = tasks.get(0).inputs.get(alias);
    for (int r = 0; r < padRows; r++) {
      for (int i = 0; i < rowElems; i++) {
        b.addStringVal(first.getStringVal(first.getStringValCount() == 1 ? 0 : i));
      }
    }
  }

  private static ByteString mergeNumeric(List<BatchTask> tasks, BatchKey.InputSpec spec,
      long rowElems, int padRows) {
    int es = TensorCodec.elementSize(spec.dtype());
    ByteString all = ByteString.EMPTY;
    ByteString firstRow = null;
    for (BatchTask t : tasks) {
      TensorProto p = t.inputs.get(spec.alias());
      ByteString part = p.getTensorContent().isEmpty()
          ? encodeTyped(p, Math.toIntExact(t.rows * rowElems), es) : p.getTensorContent();
      if (firstRow == null) {
        firstRow = part.substring(0, Math.toIntExact(rowElems * es));
      }
      all = all.concat(part);
    }
    for (int r = 0; r < padRows; r++) {
      all = all.concat(firstRow);
    }
    return all;
  }

  /** Typed values as little-endian bytes, the layout of tensor_content. */
  static ByteString encodeTyped(TensorProto p, int n, int es) {
    ByteBuffer bb = ByteBuffer.allocate(n * es).order(ByteOrder.LITTLE_ENDIAN);
    boolean one = n > 1 && typedCount(p) == 1;
    for (int i = 0; i < n; i++) {
      TensorCodec.putTypedElement(p, one ? 0 : i, bb);
    }
    return com.google.protobuf.UnsafeByteOperations.unsafeWrap(bb.array());
  }

  /** Splits each batched output into the requests' rows, in task order; pad rows are dropped. */
  static List<Map<String, TensorProto>> split(Map<String, TensorProto> outputs,
      List<BatchTask> tasks, int paddedRows) throws ServingException {
    List<Map<String, TensorProto>> res = new ArrayList<>();
    for (int i = 0; i < tasks.size(); i++) {
      res.add(new LinkedHashMap<>());
    }
    for (Map.Entry<String, TensorProto> e : outputs.entrySet()) {
      TensorProto o = e.getValue();
      TensorShapeProto s = o.getTensorShape();
      if (s.getDimCount() == 0 || s.getDim(0).getSize() != paddedRows) {
        throw ServingException.failedPrecondition("batched output '" + e.getKey()
            + "' has shape " + TensorCodec.shapeString(s) + "; batching needs every output's "
            + "0th dimension to equal the batch size " + paddedRows
            + " (run this model without --enable_batching)");
      }
      long rowElems = 1;
      for (int d = 1; d < s.getDimCount(); d++) {
        rowElems *= s.getDim(d).getSize();
      }
      int row = 0;
      for (int i = 0; i < tasks.size(); i++) {
        int n = tasks.get(i).rows;
        res.get(i).put(e.getKey(), slice(o, row * rowElems, n * rowElems, n));
        row += n;
      }
    }
    return res;
  }

  private static TensorProto slice(TensorProto o, long from, long count, int rows) {
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(o.getDtype())
        .setTensorShape(o.getTensorShape().toBuilder().setDim(0,
            TensorShapeProto.Dim.newBuilder().setSize(rows)));
    int a = Math.toIntExact(from);
    int z = Math.toIntExact(from + count);
    if (!o.getTensorContent().isEmpty()) {
      int es = TensorCodec.elementSize(o.getDtype());
      return b.setTensorContent(o.getTensorContent().substring(a * es, z * es)).build();
    }
    switch (o.getDtype()) {
      case DT_FLOAT -> b.addAllFloatVal(o.getFloatValList().subList(a, z));
      case DT_DOUBLE -> b.addAllDoubleVal(o.getDoubleValList().subList(a, z));
      case DT_INT32, DT_UINT8, DT_UINT16 -> b.addAllIntVal(o.getIntValList().subList(a, z));
      case DT_INT64 -> b.addAllInt64Val(o.getInt64ValList().subList(a, z));
      case DT_BOOL -> b.addAllBoolVal(o.getBoolValList().subList(a, z));
      case DT_HALF, DT_BFLOAT16 -> b.addAllHalfVal(o.getHalfValList().subList(a, z));
      case DT_STRING -> b.addAllStringVal(o.getStringValList().subList(a, z));
      default -> throw new IllegalStateException("unexpected output dtype " + o.getDtype());
    }
    return b.build();
  }

  /** How many values a typed (or string) input carries. */
  static int typedCount(TensorProto p) {
    return switch (p.getDtype()) {
      case DT_FLOAT -> p.getFloatValCount();
      case DT_DOUBLE -> p.getDoubleValCount();
      case DT_INT32, DT_UINT8, DT_UINT16 -> p.getIntValCount();
      case DT_INT64 -> p.getInt64ValCount();
      case DT_BOOL -> p.getBoolValCount();
      case DT_HALF, DT_BFLOAT16 -> p.getHalfValCount();
      case DT_STRING -> p.getStringValCount();
      default -> -1;
    };
  }

  static long product(List<Long> dims) {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    return n;
  }
}
