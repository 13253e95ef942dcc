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

/**
 * A TensorFlow partial run on a TF Java {@link Session}: {@link #setup} builds the executors for a
 * fixed set of feeds and targets and starts them (they wait for their feeds), {@link #feed} later
 * supplies the values, in one or several calls; the call that supplies the last pending feed
 * returns when the targets have run. This lets a caller pay TensorFlow's executor construction
 * (pruning, Grappler, kernel creation) while it is still producing the inputs, which a plain
 * {@code Session.run} cannot. TF Java does not expose partial runs, so this uses its C API
 * bindings and reaches the session's and tensors' native handles by reflection;
 * {@link #available} says whether that works with the TF Java on the class path.
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
  private final boolean[] fed;
  private BytePointer handle;

  private TfPartialRun(Session session, List<Endpoint> inputs, BytePointer handle) {
    this.session = session;
    this.inputs = List.copyOf(inputs);
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
   * Builds and starts the executors that run {@code targets} once every one of {@code inputs}
   * has been fed.
   *
   * @throws IllegalArgumentException when a node does not exist
   * @throws org.tensorflow.exceptions.TensorFlowException when TensorFlow refuses the setup
   * @throws UnsupportedOperationException when partial runs are not {@link #available}
   */
  public static TfPartialRun setup(Session session, List<Endpoint> inputs, List<String> targets) {
    if (!available()) {
      throw new UnsupportedOperationException(UNAVAILABLE);
    }
    TF_Session s = sessionHandle(session);
    try (TF_Output in = outputs(session, inputs);
        PointerPointer<TF_Operation> tg = new PointerPointer<>(Math.max(1, targets.size()));
        PointerPointer<BytePointer> out = new PointerPointer<>(1);
        TF_Status status = TF_Status.newStatus()) {
      for (int i = 0; i < targets.size(); i++) {
        tg.put(i, operation(session, targets.get(i)).getUnsafeNativeHandle());
      }
      tensorflow.TF_SessionPRunSetup(s, in, inputs.size(), null, 0, tg, targets.size(), out,
          status);
      status.throwExceptionIfNotOK();
      return new TfPartialRun(session, inputs, new BytePointer(out.get(0)));
    }
  }

  /**
   * Feeds {@code values[i]} to {@code inputs.get(at[i])} (indices into the setup's inputs, each
   * fed once); returns when the run has finished if this supplied the last pending feed.
   */
  public void feed(int[] at, Tensor[] values) {
    if (handle == null) {
      throw new IllegalStateException("partial run already closed");
    }
    if (at.length != values.length) {
      throw new IllegalArgumentException(at.length + " inputs but " + values.length + " values");
    }
    List<Endpoint> these = new java.util.ArrayList<>(at.length);
    for (int i : at) {
      if (fed[i]) {
        throw new IllegalArgumentException("input " + inputs.get(i) + " was already fed");
      }
      these.add(inputs.get(i));
    }
    try (TF_Output in = outputs(session, these);
        PointerPointer<TF_Tensor> vals = new PointerPointer<>(Math.max(1, values.length));
        TF_Status status = TF_Status.newStatus()) {
      for (int i = 0; i < values.length; i++) {
        vals.put(i, tensorHandle(values[i]));
      }
      tensorflow.TF_SessionPRun(sessionHandle(session), handle, in, vals, values.length, null,
          null, 0, null, 0, status);
      status.throwExceptionIfNotOK();
    }
    for (int i : at) {
      fed[i] = true;
    }
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
