package dev.ccserve.server.runtime;

import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.ServingException;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TString;

/**
 * Writes files into TensorFlow's in-process {@code ram://} file system with the {@code WriteFile}
 * op, so decrypted model files exist only in this process's memory and SavedModels load from there.
 * Contents go in as a byte-exact {@code TString} (a string constant would mangle binary data).
 * TensorFlow has no delete op for {@code ram://}; {@link #release} overwrites a file with nothing
 * to free its memory. Thread-safe.
 */
public final class RamFileSystem implements AutoCloseable {
  public static final String SCHEME = "ram://";

  private final Graph graph = new Graph();
  private final Session session = new Session(graph);
  private final Placeholder<TString> name;
  private final Placeholder<TString> contents;
  private final String writeOp;

  public RamFileSystem() {
    Ops tf = Ops.create(graph);
    name = tf.placeholder(TString.class, Placeholder.shape(Shape.scalar()));
    contents = tf.placeholder(TString.class, Placeholder.shape(Shape.scalar()));
    writeOp = tf.io.writeFile(name, contents).op().name();
  }

  /** Writes {@code data} to {@code ram://…path}; the caller should wipe its array afterwards. */
  public synchronized void write(String ramPath, byte[] data) throws ServingException {
    if (!ramPath.startsWith(SCHEME)) {
      throw new IllegalArgumentException("expected a ram:// path, found " + ramPath);
    }
    try (TString n = TString.scalarOf(ramPath);
        TString c = TString.tensorOfBytes(NdArrays.scalarOfObject(data))) {
      session.runner().feed(name, n).feed(contents, c).addTarget(writeOp).run();
    } catch (RuntimeException e) {
      throw new ServingException(Code.INTERNAL, "cannot write " + ramPath + " into TensorFlow's "
          + "in-memory file system: " + e.getMessage());
    }
  }

  /** Frees the memory of a ram:// file by truncating it. */
  public void release(String ramPath) {
    try {
      write(ramPath, new byte[0]);
    } catch (ServingException e) {
      // Best effort: the file stays in memory until the process exits.
    }
  }

  @Override
  public synchronized void close() {
    session.close();
    graph.close();
  }
}
