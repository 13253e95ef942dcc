package dev.ccserve.server.loader;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SaverDef;

/**
 * The outline of a serialized {@code saved_model.pb}, read without parsing the graph (its bytes
 * are skipped): for the meta graph tagged exactly as asked, whether it holds a TF2 object graph,
 * its saver's restore op, and where its {@code graph_def} lies, so that a node can be appended to
 * the graph by splicing bytes ({@link #withNode}) instead of parsing and re-serializing it.
 */
final class SavedModelOutline {
  private static final int META_GRAPHS = 2; // SavedModel.meta_graphs
  private static final int META_INFO_DEF = 1; // MetaGraphDef fields
  private static final int GRAPH_DEF = 2;
  private static final int SAVER_DEF = 3;
  private static final int OBJECT_GRAPH_DEF = 7;
  private static final int NODE = 1; // GraphDef.node

  private final byte[] pb;
  private final boolean objectGraph;
  private final String restoreOp;
  // offsets in pb: the meta graph's length varint and content; the graph_def's likewise
  private final int metaLenAt;
  private final int metaStart;
  private final int metaEnd;
  private final int graphLenAt;
  private final int graphStart;
  private final int graphEnd;

  private SavedModelOutline(byte[] pb, boolean objectGraph, String restoreOp, int metaLenAt,
      int metaStart, int metaEnd, int graphLenAt, int graphStart, int graphEnd) {
    this.pb = pb;
    this.objectGraph = objectGraph;
    this.restoreOp = restoreOp;
    this.metaLenAt = metaLenAt;
    this.metaStart = metaStart;
    this.metaEnd = metaEnd;
    this.graphLenAt = graphLenAt;
    this.graphStart = graphStart;
    this.graphEnd = graphEnd;
  }

  /**
   * The outline of the meta graph tagged exactly {@code tags}; empty when there is none or the
   * bytes do not parse (the full parse and TensorFlow report that). Keeps a reference to
   * {@code savedModelPb}.
   */
  static Optional<SavedModelOutline> read(byte[] savedModelPb, Set<String> tags) {
    try {
      CodedInputStream in = CodedInputStream.newInstance(savedModelPb);
      while (!in.isAtEnd()) {
        int tag = in.readTag();
        if (!isMessage(tag, META_GRAPHS)) {
          in.skipField(tag); // saved_model_schema_version
          continue;
        }
        int metaLenAt = in.getTotalBytesRead();
        int limit = in.pushLimit(in.readRawVarint32());
        int metaStart = in.getTotalBytesRead();
        Set<String> metaGraphTags = Set.of();
        boolean objectGraph = false;
        String restoreOp = "";
        int graphLenAt = -1;
        int graphStart = -1;
        int graphEnd = -1;
        while (!in.isAtEnd()) {
          int t = in.readTag();
          if (isMessage(t, META_INFO_DEF)) {
            metaGraphTags = Set.copyOf(MetaGraphDef.MetaInfoDef.parseFrom(in.readBytes())
                .getTagsList());
          } else if (isMessage(t, SAVER_DEF)) {
            restoreOp = SaverDef.parseFrom(in.readBytes()).getRestoreOpName();
          } else if (isMessage(t, GRAPH_DEF) && graphLenAt < 0) {
            graphLenAt = in.getTotalBytesRead();
            int length = in.readRawVarint32();
            graphStart = in.getTotalBytesRead();
            in.skipRawBytes(length);
            graphEnd = in.getTotalBytesRead();
          } else {
            objectGraph |= WireFormat.getTagFieldNumber(t) == OBJECT_GRAPH_DEF;
            in.skipField(t);
          }
        }
        int metaEnd = in.getTotalBytesRead();
        in.popLimit(limit);
        if (metaGraphTags.equals(tags)) {
          return Optional.of(new SavedModelOutline(savedModelPb, objectGraph, restoreOp,
              metaLenAt, metaStart, metaEnd, graphLenAt, graphStart, graphEnd));
        }
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  private static boolean isMessage(int tag, int field) {
    return WireFormat.getTagFieldNumber(tag) == field
        && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
  }

  /** Whether the meta graph holds a SavedObjectGraph (written by TF2's tf.saved_model.save). */
  boolean hasObjectGraph() {
    return objectGraph;
  }

  /** The saver's restore op, or empty when the meta graph has no saver. */
  String restoreOp() {
    return restoreOp;
  }

  /**
   * The saved_model.pb with {@code node} appended to this meta graph's graph (a new array; the
   * lengths of the graph and the meta graph rewritten), or empty when the meta graph has no
   * {@code graph_def} to append to.
   */
  Optional<byte[]> withNode(NodeDef node) {
    if (graphLenAt < 0) {
      return Optional.empty();
    }
    byte[] nodeField = field(NODE, node.toByteArray());
    int graphLength = graphEnd - graphStart + nodeField.length;
    byte[] graphLen = varint(graphLength);
    int metaLength = (metaEnd - metaStart) - (graphStart - graphLenAt) + graphLen.length
        + nodeField.length;
    ByteArrayOutputStream out = new ByteArrayOutputStream(pb.length + nodeField.length + 10);
    out.write(pb, 0, metaLenAt);
    out.writeBytes(varint(metaLength));
    out.write(pb, metaStart, graphLenAt - metaStart);
    out.writeBytes(graphLen);
    out.write(pb, graphStart, graphEnd - graphStart);
    out.writeBytes(nodeField);
    out.write(pb, graphEnd, pb.length - graphEnd);
    return Optional.of(out.toByteArray());
  }

  private static byte[] field(int number, byte[] message) {
    byte[] tag = varint(number << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED);
    byte[] len = varint(message.length);
    byte[] f = new byte[tag.length + len.length + message.length];
    System.arraycopy(tag, 0, f, 0, tag.length);
    System.arraycopy(len, 0, f, tag.length, len.length);
    System.arraycopy(message, 0, f, tag.length + len.length, message.length);
    return f;
  }

  private static byte[] varint(int value) {
    byte[] b = new byte[CodedOutputStream.computeUInt32SizeNoTag(value)];
    try {
      CodedOutputStream o = CodedOutputStream.newInstance(b);
      o.writeUInt32NoTag(value);
      o.flush();
    } catch (IOException e) {
      throw new IllegalStateException("writing a varint into a sized array failed", e);
    }
    return b;
  }
}
