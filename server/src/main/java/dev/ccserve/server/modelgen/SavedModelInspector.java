package dev.ccserve.server.modelgen;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Lists what a plaintext SavedModel version directory contains ({@code ccserve model inspect}):
 * tags, signatures, input/output aliases with tensor names, dtypes and shapes, and file sizes. It
 * only parses {@code saved_model.pb} (protobuf, pure Java): no TensorFlow runtime is loaded and no
 * graph is executed, so it is fast and safe on untrusted files. Encrypted (Gramine protected-file)
 * models must be decrypted first. Stateless; thread-safe.
 */
public final class SavedModelInspector {

  /**
   * Inspects {@code versionDir} (the directory holding {@code saved_model.pb}).
   *
   * @throws ModelToolException no {@code saved_model.pb} (with a hint when {@code versionDir} is
   *     a model base directory holding numbered versions), or the file is not a SavedModel
   */
  public SavedModelInfo inspect(Path versionDir) throws ModelToolException {
    Path pb = versionDir.resolve("saved_model.pb");
    if (!Files.isRegularFile(pb)) {
      throw new ModelToolException(missingMessage(versionDir));
    }
    SavedModel model = parse(pb);
    List<SavedModelInfo.MetaGraph> metaGraphs = new ArrayList<>();
    for (MetaGraphDef metaGraph : model.getMetaGraphsList()) {
      List<SavedModelInfo.SignatureInfo> signatures =
          metaGraph.getSignatureDefMap().entrySet().stream()
              .sorted(Map.Entry.comparingByKey())
              .map(e -> signature(e.getKey(), e.getValue()))
              .collect(Collectors.toList());
      metaGraphs.add(
          new SavedModelInfo.MetaGraph(metaGraph.getMetaInfoDef().getTagsList(), signatures));
    }
    try {
      return new SavedModelInfo(
          versionDir, Files.size(pb), sizeOf(versionDir.resolve("variables")), metaGraphs);
    } catch (IOException e) {
      throw new ModelToolException("cannot read " + versionDir + ": " + e, e);
    }
  }

  private static String missingMessage(Path dir) {
    if (!Files.isDirectory(dir)) {
      return "not a directory: " + dir;
    }
    if (Files.isRegularFile(dir.resolve("saved_model.pbtxt"))) {
      return dir + " holds saved_model.pbtxt; only binary saved_model.pb is supported";
    }
    List<String> versions;
    try (Stream<Path> entries = Files.list(dir)) {
      versions = entries
          .filter(Files::isDirectory)
          .map(p -> p.getFileName().toString())
          .filter(n -> n.matches("\\d+"))
          .sorted(Comparator.comparingLong(Long::parseLong))
          .collect(Collectors.toList());
    } catch (IOException e) {
      versions = List.of();
    }
    if (!versions.isEmpty()) {
      return "no saved_model.pb in " + dir + "; it looks like a model base directory with versions "
          + versions + ": pass a version directory such as " + dir.resolve(versions.get(0));
    }
    return "no saved_model.pb in " + dir + "; expected a SavedModel version directory";
  }

  private static SavedModel parse(Path pb) throws ModelToolException {
    SavedModel model;
    try (InputStream in = Files.newInputStream(pb)) {
      CodedInputStream coded = CodedInputStream.newInstance(in);
      coded.setSizeLimit(Integer.MAX_VALUE);
      model = SavedModel.parseFrom(coded);
    } catch (InvalidProtocolBufferException e) {
      throw new ModelToolException(
          pb + " is not a SavedModel protobuf (is it encrypted? inspect reads plaintext"
              + " models only): " + e.getMessage(), e);
    } catch (IOException e) {
      throw new ModelToolException("cannot read " + pb + ": " + e, e);
    }
    if (model.getMetaGraphsCount() == 0) {
      throw new ModelToolException(
          pb + " parses to a SavedModel without meta graphs (is it encrypted? inspect reads"
              + " plaintext models only)");
    }
    return model;
  }

  private static SavedModelInfo.SignatureInfo signature(String key, SignatureDef def) {
    return new SavedModelInfo.SignatureInfo(
        key, def.getMethodName(), tensors(def.getInputsMap()), tensors(def.getOutputsMap()));
  }

  private static List<SavedModelInfo.TensorSpec> tensors(Map<String, TensorInfo> byAlias) {
    return byAlias.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .map(e -> tensor(e.getKey(), e.getValue()))
        .collect(Collectors.toList());
  }

  private static SavedModelInfo.TensorSpec tensor(String alias, TensorInfo info) {
    TensorShapeProto shape = info.getTensorShape();
    List<Long> dims = shape.getDimList().stream()
        .map(TensorShapeProto.Dim::getSize)
        .collect(Collectors.toList());
    boolean unknownRank = shape.getUnknownRank() || !info.hasTensorShape();
    return new SavedModelInfo.TensorSpec(
        alias, info.getName(), info.getDtype().name(), unknownRank ? List.of() : dims,
        unknownRank);
  }

  private static long sizeOf(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      long total = 0;
      for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        total += Files.size(p);
      }
      return total;
    }
  }
}
