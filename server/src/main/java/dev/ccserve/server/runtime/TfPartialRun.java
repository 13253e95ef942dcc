package dev.ccserve.server.runtime;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.tensorflow.GraphOperation;
import org.tensorflow.RawTensor;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.internal.c_api.TF_Operation;
import org.tensorflow.internal.c_api.TF_Output;
import org.tensorflow.internal.c_api.TF_Session;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.internal.c_api.TF_Tensor;
import org.tensorflow.internal.c_api.global.tensorflow;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * A TensorFlow partial run on a TF Java {@link Session}: {@link #setup} builds the executors for a
 * fixed set of feeds and targets and starts them (they wait for their feeds), {@link #feed} later
 * supplies the values, in one or several calls; the call that supplies the last pending feed
 * returns when the targets have run, and throws TensorFlow's error if one of them failed. This
 * lets a caller pay TensorFlow's executor construction (pruning, Grappler, kernel creation) while
 * it is still producing the inputs, which a plain
 * {@code Session.run} cannot. TF Java does not expose partial runs, so this uses its C API
 * bindings and reaches the session's and tensors' native handles by reflection;
 * {@link #available} says whether that works with the TF Java on the class path.
 *
 * <p>TensorFlow's partial run reports only the errors of its feeds and fetches, not those of
 * targets that run after the last feed (it would return success while an {@code Assign} failed).
 * So the graph must hold a completion node ({@link #completionNode}: a constant with a control
 * dependency on every target), put there before the session first runs (adding it later makes
 * TensorFlow rebuild the session's graph, ≈ 100 ms for ResNet-50); the last feed fetches it, and
 * a failed target aborts the run, which fails that fetch.
 *
 * <p>The caller must keep the session open until the run ends. An unfinished run (a feed never
 * supplied) is aborted when the session closes. Not thread-safe.
 */
public final class TfPartialRun implements AutoCloseable {
  /** Output {@code index} of graph node {@code node}. */
  public record Endpoint(String node, int index) {
    /** Parses {@code node:index}, or {@code node} for output 0. */
    public static Endpoint parse(String name) {
      int colon = name.lastIndexOf(':');
      return colon < 0 ? new Endpoint(name, 0)
          : new Endpoint(name.substring(0, colon), Integer.parseInt(name.substring(colon + 1)));
    }

    @Override
    public String toString() {
      return node + ":" + index;
    }
  }

  private static final Field SESSION_HANDLE;
  private static final Method TENSOR_HANDLE;
  private static final String UNAVAILABLE;

  static {
    Field f = null;
    Method m = null;
    String why = null;
    try {
      f = Session.class.getDeclaredField("nativeHandle");
      f.setAccessible(true);
      m = RawTensor.class.getDeclaredMethod("nativeHandle");
      m.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      why = "TF Java's native handles are not reachable: " + e;
    }
    SESSION_HANDLE = f;
    TENSOR_HANDLE = m;
    UNAVAILABLE = why;
  }

  private final Session session;
  private final List<Endpoint> inputs;
  private final Endpoint done;
  private final boolean[] fed;
  private BytePointer handle;

  private TfPartialRun(Session session, List<Endpoint> inputs, Endpoint done,
      BytePointer handle) {
    this.session = session;
    this.inputs = List.copyOf(inputs);
    this.done = done;
    this.fed = new boolean[inputs.size()];
    this.handle = handle;
  }

  /** Null when partial runs work with this TF Java, else why not. */
  public static String unavailable() {
    return UNAVAILABLE;
  }

  /** Whether {@link #setup} can work with the TF Java on the class path. */
  public static boolean available() {
    return UNAVAILABLE == null;
  }

  /**
   * A node for the graph that completes a partial run of {@code targets}: a scalar boolean
   * constant named {@code name} that waits on every target.
   */
  public static NodeDef completionNode(String name, List<String> targets) {
    NodeDef.Builder n = NodeDef.newBuilder().setName(name).setOp("Const")
        .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_BOOL).build())
        .putAttr("value", AttrValue.newBuilder().setTensor(TensorProto.newBuilder()
            .setDtype(DataType.DT_BOOL).setTensorShape(TensorShapeProto.getDefaultInstance())
            .addBoolVal(true)).build());
    targets.forEach(t -> n.addInput("^" + t));
    return n.build();
  }

  /**
   * Builds and starts the executors that run {@code targets} once every one of {@code inputs}
   * has been fed; {@code completion} is the graph's {@link #completionNode} for these targets.
   *
   * @throws IllegalArgumentException when a node does not exist
   * @throws org.tensorflow.exceptions.TensorFlowException when TensorFlow refuses the setup
   * @throws UnsupportedOperationException when partial runs are not {@link #available}
   */
  public static TfPartialRun setup(Session session, List<Endpoint> inputs, List<String> targets,
      String completion) {
    if (!available()) {
      throw new UnsupportedOperationException(UNAVAILABLE);
    }
    TF_Session s = sessionHandle(session);
    List<GraphOperation> targetOps = targets.stream().map(t -> operation(session, t)).toList();
    Endpoint done = new Endpoint(completion, 0);
    try (TF_Output in = outputs(session, inputs);
        TF_Output fetch = outputs(session, List.of(done));
        PointerPointer<TF_Operation> tg = new PointerPointer<>(Math.max(1, targets.size()));
        PointerPointer<BytePointer> out = new PointerPointer<>(1);
        TF_Status status = TF_Status.newStatus()) {
      for (int i = 0; i < targetOps.size(); i++) {
        tg.put(i, targetOps.get(i).getUnsafeNativeHandle());
      }
      tensorflow.TF_SessionPRunSetup(s, in, inputs.size(), fetch, 1, tg, targets.size(), out,
          status);
      status.throwExceptionIfNotOK();
      return new TfPartialRun(session, inputs, done, new BytePointer(out.get(0)));
    }
  }

  /**
   * Feeds {@code values[i]} to {@code inputs.get(at[i])} (indices into the setup's inputs, each
   * fed once); returns when the run has finished if this supplied the last pending feed.
   *
   * @throws org.tensorflow.exceptions.TensorFlowException when TensorFlow refuses a value or,
   *     on the last feed, when a target failed
   */
  public void feed(int[] at, Tensor[] values) {
    if (handle == null) {
      throw new IllegalStateException("partial run already closed");
    }
    if (at.length != values.length) {
      throw new IllegalArgumentException(at.length + " inputs but " + values.length + " values");
    }
    List<Endpoint> these = new java.util.ArrayList<>(at.length);
    boolean[] after = fed.clone();
    for (int i : at) {
      if (after[i]) {
        throw new IllegalArgumentException("input " + inputs.get(i) + " was already fed");
      }
      after[i] = true;
      these.add(inputs.get(i));
    }
    boolean last = true;
    for (boolean f : after) {
      last &= f;
    }
    try (TF_Output in = outputs(session, these);
        TF_Output fetch = outputs(session, last ? List.of(done) : List.of());
        PointerPointer<TF_Tensor> vals = new PointerPointer<>(Math.max(1, values.length));
        PointerPointer<TF_Tensor> result = new PointerPointer<>(1);
        TF_Status status = TF_Status.newStatus()) {
      for (int i = 0; i < values.length; i++) {
        vals.put(i, tensorHandle(values[i]));
      }
      result.put(0, (org.bytedeco.javacpp.Pointer) null);
      tensorflow.TF_SessionPRun(sessionHandle(session), handle, in, vals, values.length, fetch,
          result, last ? 1 : 0, null, 0, status);
      org.bytedeco.javacpp.Pointer doneValue = result.get(0);
      if (doneValue != null && !doneValue.isNull()) {
        tensorflow.TF_DeleteTensor(new TF_Tensor(doneValue));
      }
      status.throwExceptionIfNotOK();
    }
    System.arraycopy(after, 0, fed, 0, fed.length);
  }

  /** Frees the run's handle (an unfinished run itself ends when the session closes). */
  @Override
  public void close() {
    if (handle != null) {
      tensorflow.TF_DeletePRunHandle(handle);
      handle = null;
    }
  }

  private static TF_Output outputs(Session session, List<Endpoint> endpoints) {
    TF_Output o = new TF_Output(Math.max(1, endpoints.size()));
    for (int i = 0; i < endpoints.size(); i++) {
      Endpoint e = endpoints.get(i);
      GraphOperation op = operation(session, e.node());
      if (e.index() < 0 || e.index() >= op.numOutputs()) {
        o.close();
        throw new IllegalArgumentException("node " + e.node() + " has " + op.numOutputs()
            + " output(s), not output " + e.index());
      }
      o.position(i).oper(op.getUnsafeNativeHandle()).index(e.index());
    }
    return o.position(0);
  }

  private static GraphOperation operation(Session session, String name) {
    GraphOperation op = session.graph().operation(name);
    if (op == null) {
      throw new IllegalArgumentException("the graph has no node " + name);
    }
    return op;
  }

  private static TF_Session sessionHandle(Session session) {
    try {
      TF_Session h = (TF_Session) SESSION_HANDLE.get(session);
      if (h == null || h.isNull()) {
        throw new IllegalStateException("the session is closed");
      }
      return h;
    } catch (IllegalAccessException e) {
      throw new UnsupportedOperationException("TF Java's session handle is not reachable", e);
    }
  }

  private static TF_Tensor tensorHandle(Tensor t) {
    try {
      return (TF_Tensor) TENSOR_HANDLE.invoke(t.asRawTensor());
    } catch (ReflectiveOperationException e) {
      throw new UnsupportedOperationException("TF Java's tensor handle is not reachable", e);
    }
  }
}
