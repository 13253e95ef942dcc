package dev.ccserve.server.loader;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint16;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TType;

/**
 * How to restore a SavedModel's variables without a checkpoint file: TensorFlow's loader restores
 * by running the saver's restore op with the checkpoint prefix fed, and that op reads every tensor
 * with {@code RestoreV2} ops. When those ops are plain graph nodes (TF1-style savers, as TensorFlow
 * Java's exporter writes), each of their outputs can be fed instead with a tensor decrypted
 * straight from the protected data file, so the plaintext variables never exist as a file, not
 * even in {@code ram://}.
 *
 * <p>{@link #of} builds the plan or says why it cannot be used, and then the caller falls back to
 * the {@code ram://} checkpoint: a restore inside a function (TF2 object-graph SavedModels), sliced
 * (partitioned) variables, dtypes without a fixed-width layout, a tensor missing from the index or
 * of a different dtype or byte size, or a non-trivial init op (which TensorFlow's loader runs
 * before ccserve could feed the variables). Immutable.
 */
public final class DirectRestorePlan {
  /** Feed {@code node:output} with tensor {@code entry} of the bundle, as {@code type}. */
  public record Feed(String node, int output, TensorBundleIndex.Entry entry,
      Class<? extends TType> type) {}

  /** The plan, or the reason there is none. */
  public record Result(Optional<DirectRestorePlan> plan, String unsupported) {}

  private static final Map<Integer, Class<? extends TType>> TYPES = Map.of(
      DataType.DT_FLOAT_VALUE, TFloat32.class, DataType.DT_DOUBLE_VALUE, TFloat64.class,
      DataType.DT_INT32_VALUE, TInt32.class, DataType.DT_UINT8_VALUE, TUint8.class,
      DataType.DT_INT64_VALUE, TInt64.class, DataType.DT_BOOL_VALUE, TBool.class,
      DataType.DT_BFLOAT16_VALUE, TBfloat16.class, DataType.DT_UINT16_VALUE, TUint16.class,
      DataType.DT_HALF_VALUE, TFloat16.class);
  private static final Map<Integer, Integer> WIDTHS = Map.of(
      DataType.DT_FLOAT_VALUE, 4, DataType.DT_DOUBLE_VALUE, 8, DataType.DT_INT32_VALUE, 4,
      DataType.DT_UINT8_VALUE, 1, DataType.DT_INT64_VALUE, 8, DataType.DT_BOOL_VALUE, 1,
      DataType.DT_BFLOAT16_VALUE, 2, DataType.DT_UINT16_VALUE, 2, DataType.DT_HALF_VALUE, 2);
  private static final Set<String> INIT_COLLECTIONS = Set.of("saved_model_main_op",
      "legacy_init_op");
  private static final String INIT_SIGNATURE = "__saved_model_init_op";

  private final String restoreOp;
  private final String filenameTensor;
  private final List<Feed> feeds;
  private final int numShards;

  private DirectRestorePlan(String restoreOp, String filenameTensor, List<Feed> feeds,
      int numShards) {
    this.restoreOp = restoreOp;
    this.filenameTensor = filenameTensor;
    this.feeds = List.copyOf(feeds);
    this.numShards = numShards;
  }

  /** Data files of the checkpoint. */
  public int numShards() {
    return numShards;
  }

  public String restoreOp() {
    return restoreOp;
  }

  /** The {@code node:index} the checkpoint prefix is fed to. */
  public String filenameTensor() {
    return filenameTensor;
  }

  public List<Feed> feeds() {
    return feeds;
  }

  /** Plaintext bytes the feeds hold. */
  public long bytes() {
    return feeds.stream().mapToLong(f -> f.entry().size()).sum();
  }

  /**
   * Why no plan can hold, judged from the outline of {@code saved_model.pb} alone (the graph is
   * skipped, not parsed): the meta graph tagged exactly {@code tags} carries a SavedObjectGraph,
   * i.e. it was written by TF2's {@code tf.saved_model.save}, whose saver restores inside a
   * function. Empty when only the full plan can tell (or the bytes do not parse: the plan and
   * TensorFlow report that).
   */
  public static Optional<String> quickRefusal(byte[] savedModelPb, Set<String> tags) {
    return SavedModelOutline.read(savedModelPb, tags).flatMap(DirectRestorePlan::quickRefusal);
  }

  /** As {@link #quickRefusal(byte[], Set)}, from an outline already read. */
  static Optional<String> quickRefusal(SavedModelOutline outline) {
    return outline.hasObjectGraph() ? Optional.of("the meta graph holds a TF2 object graph, "
        + "whose saver restores inside a function") : Optional.empty();
  }

  /** The plan for the meta graph tagged exactly {@code tags} in {@code model}, with {@code index}. */
  public static Result of(SavedModel model, Set<String> tags, TensorBundleIndex index) {
    MetaGraphDef mg = null;
    for (MetaGraphDef m : model.getMetaGraphsList()) {
      if (Set.copyOf(m.getMetaInfoDef().getTagsList()).equals(tags)) {
        mg = m;
        break;
      }
    }
    if (mg == null) {
      return no("no meta graph is tagged exactly " + tags);
    }
    return of(mg, index);
  }

  static Result of(MetaGraphDef mg, TensorBundleIndex index) {
    if (!mg.hasSaverDef() || mg.getSaverDef().getRestoreOpName().isEmpty()) {
      return no("the meta graph has no saver (restore op)");
    }
    Map<String, NodeDef> nodes = new HashMap<>();
    for (NodeDef n : mg.getGraphDef().getNodeList()) {
      nodes.put(n.getName(), n);
    }
    Set<String> functions = new HashSet<>();
    mg.getGraphDef().getLibrary().getFunctionList()
        .forEach(f -> functions.add(f.getSignature().getName()));
    Optional<String> init = nonTrivialInitOp(mg, nodes);
    if (init.isPresent()) {
      return no("the model has an init op (" + init.get() + ") that TensorFlow runs before the "
          + "variables could be fed");
    }
    String restoreOp = mg.getSaverDef().getRestoreOpName();
    List<NodeDef> restores = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(restoreOp));
    while (!todo.isEmpty()) {
      String name = nodeName(todo.pop());
      if (!seen.add(name)) {
        continue;
      }
      NodeDef n = nodes.get(name);
      if (n == null) {
        return no("the restore subgraph refers to a missing node " + name);
      }
      String op = n.getOp();
      if (op.equals("RestoreV2")) {
        restores.add(n);
        continue; // its inputs are fed by us, not run
      }
      if (op.equals("Restore") || op.equals("RestoreSlice") || op.endsWith("PartitionedCall")
          || functions.contains(op)) {
        return no("the restore subgraph runs " + op + " (" + name + "), which ccserve cannot feed");
      }
      for (String in : n.getInputList()) {
        NodeDef src = nodes.get(nodeName(in));
        if (in.startsWith("^") && src != null && src.getOp().equals("RestoreV2")) {
          return no(name + " waits on RestoreV2 " + src.getName() + " itself, which would then "
              + "read the checkpoint file");
        }
      }
      todo.addAll(n.getInputList());
    }
    if (restores.isEmpty()) {
      return no("the restore op " + restoreOp + " runs no RestoreV2");
    }
    List<Feed> feeds = new ArrayList<>();
    for (NodeDef r : restores) {
      if (r.getInputCount() < 3) {
        return no("RestoreV2 " + r.getName() + " has " + r.getInputCount() + " inputs");
      }
      Optional<List<String>> names = stringConstant(nodes.get(nodeName(r.getInput(1))), nodes);
      Optional<List<String>> slices = stringConstant(nodes.get(nodeName(r.getInput(2))), nodes);
      AttrValue dtypes = r.getAttrOrDefault("dtypes", AttrValue.getDefaultInstance());
      if (names.isEmpty() || slices.isEmpty()) {
        return no("RestoreV2 " + r.getName() + " takes tensor names or slices that are not "
            + "constants");
      }
      List<DataType> types = dtypes.getList().getTypeList();
      if (names.get().size() != types.size() || slices.get().size() != types.size()) {
        return no("RestoreV2 " + r.getName() + " has " + names.get().size() + " names, "
            + slices.get().size() + " slices and " + types.size() + " dtypes");
      }
      for (int i = 0; i < types.size(); i++) {
        String tensor = names.get().get(i);
        if (!slices.get().get(i).isEmpty()) {
          return no("tensor " + tensor + " is restored as a slice");
        }
        TensorBundleIndex.Entry e = index.entries().get(tensor);
        if (e == null) {
          return no("tensor " + tensor + " is not in the checkpoint index");
        }
        int dtype = types.get(i).getNumber();
        Class<? extends TType> type = TYPES.get(dtype);
        if (type == null) {
          return no("tensor " + tensor + " has dtype " + types.get(i) + ", which has no "
              + "fixed-width layout ccserve restores from memory");
        }
        if (e.dtype() != dtype) {
          return no("tensor " + tensor + " is " + e.dtype() + " in the index but restored as "
              + dtype);
        }
        long elements = e.elements();
        if (elements < 0 || elements * WIDTHS.get(dtype) != e.size()) {
          return no("tensor " + tensor + " holds " + e.size() + " bytes, which does not match "
              + "its shape " + java.util.Arrays.toString(e.shape()));
        }
        feeds.add(new Feed(r.getName(), i, e, type));
      }
    }
    return new Result(Optional.of(new DirectRestorePlan(restoreOp,
        mg.getSaverDef().getFilenameTensorName(), feeds,
        index.numShards())), "");
  }

  /** A main op or legacy init op that does something (a bare NoOp does nothing). */
  private static Optional<String> nonTrivialInitOp(MetaGraphDef mg, Map<String, NodeDef> nodes) {
    List<String> ops = new ArrayList<>();
    for (String c : INIT_COLLECTIONS) {
      if (mg.containsCollectionDef(c)) {
        ops.addAll(mg.getCollectionDefOrThrow(c).getNodeList().getValueList());
      }
    }
    SignatureDef init = mg.getSignatureDefMap().get(INIT_SIGNATURE);
    if (init != null) {
      for (TensorInfo t : init.getOutputsMap().values()) {
        ops.add(t.getName());
      }
    }
    for (String op : ops) {
      NodeDef n = nodes.get(nodeName(op));
      if (n == null || !n.getOp().equals("NoOp") || n.getInputCount() > 0) {
        return Optional.of(op);
      }
    }
    return Optional.empty();
  }

  /**
   * The strings of a string {@code Const} node (as {@code string_val}, splatted, or packed in
   * {@code tensor_content}: all lengths as varints, then all bytes), or of a {@code ZerosLike} of
   * one (all empty, as TensorFlow Java's saver writes its shape_and_slices).
   */
  private static Optional<List<String>> stringConstant(NodeDef n, Map<String, NodeDef> nodes) {
    if (n != null && n.getOp().equals("ZerosLike") && n.getInputCount() == 1) {
      return stringConstant(nodes.get(nodeName(n.getInput(0))), Map.of())
          .map(l -> java.util.Collections.nCopies(l.size(), ""));
    }
    if (n == null || !n.getOp().equals("Const") || !n.containsAttr("value")) {
      return Optional.empty();
    }
    var t = n.getAttrOrThrow("value").getTensor();
    if (t.getDtype() != DataType.DT_STRING) {
      return Optional.empty();
    }
    long elements = 1;
    for (var d : t.getTensorShape().getDimList()) {
      elements *= d.getSize();
    }
    if (elements > Integer.MAX_VALUE) {
      return Optional.empty();
    }
    if (!t.getTensorContent().isEmpty()) {
      try {
        var in = t.getTensorContent().newCodedInput();
        int[] lengths = new int[(int) elements];
        for (int i = 0; i < lengths.length; i++) {
          lengths[i] = in.readRawVarint32();
        }
        List<String> out = new ArrayList<>(lengths.length);
        for (int len : lengths) {
          out.add(new String(in.readRawBytes(len), java.nio.charset.StandardCharsets.UTF_8));
        }
        return in.isAtEnd() ? Optional.of(out) : Optional.empty();
      } catch (java.io.IOException | RuntimeException e) {
        return Optional.empty();
      }
    }
    List<String> values = t.getStringValList().stream().map(b -> b.toStringUtf8()).toList();
    if (values.size() == 1 && elements > 1) {
      return Optional.of(java.util.Collections.nCopies((int) elements, values.get(0))); // splat
    }
    return values.size() == elements ? Optional.of(values) : Optional.empty();
  }

  /** {@code ^name}, {@code name:3} and {@code name} all name node {@code name}. */
  static String nodeName(String input) {
    String s = input.startsWith("^") ? input.substring(1) : input;
    int colon = s.indexOf(':');
    return colon < 0 ? s : s.substring(0, colon);
  }

  private static Result no(String why) {
    return new Result(Optional.empty(), why);
  }
}
