package dev.ccserve.server.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.ccserve.api.tf.DataType;
import dev.ccserve.api.tf.TensorProto;
import dev.ccserve.api.tf.TensorShapeProto;
import dev.ccserve.crypto.key.WrapKey;
import dev.ccserve.crypto.pf.ProtectedDirectory;
import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.ServingException;
import dev.ccserve.server.modelgen.Arch;
import dev.ccserve.server.modelgen.ModelGenerator;
import dev.ccserve.server.runtime.RamFileSystem;
import dev.ccserve.server.runtime.TfSavedModel;
import dev.ccserve.server.runtime.TfSessionOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.CollectionDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;

/**
 * Protected variables decrypted straight into tensors and fed to the restore op: the checkpoint
 * index is read right, the plan covers every variable, predictions are bit-identical to the
 * plaintext model and to the ram:// checkpoint path, tampering fails the load, and models the
 * plan cannot handle fall back with a reason.
 */
class DirectRestoreTest {
  @TempDir static Path tmp;
  static final SecureRandom RANDOM = new SecureRandom();
  static final WrapKey KEY = WrapKey.generate(RANDOM);
  static final TfSessionOptions OPTIONS =
      new TfSessionOptions(1, 1, List.of("serve"), false, false);
  static Path plain;
  static Path enc;
  static RamFileSystem ram;

  @BeforeAll
  static void generate() throws Exception {
    plain = new ModelGenerator().generate(Arch.TINY, tmp.resolve("plain/tiny"), 1, 9)
        .versionDir();
    enc = copyEncrypted("enc");
    ram = new RamFileSystem();
  }

  @AfterAll
  static void closeRam() {
    ram.close();
  }

  static Path copyEncrypted(String where) throws Exception {
    Path out = tmp.resolve(where).resolve("tiny/1");
    Files.createDirectories(out.getParent());
    ProtectedDirectory.encrypt(plain, out, "tiny/1", KEY, RANDOM, (d, t) -> { });
    return out;
  }

  static TensorBundleIndex index() throws Exception {
    TensorBundleIndex.Parsed p = TensorBundleIndex.parse(
        Files.readAllBytes(plain.resolve("variables/variables.index")));
    assertThat(p.unsupported()).isEmpty();
    return p.index().orElseThrow();
  }

  static MetaGraphDef metaGraph() throws Exception {
    return SavedModel.parseFrom(Files.readAllBytes(plain.resolve("saved_model.pb")))
        .getMetaGraphs(0);
  }

  @Test
  void index_ofGeneratedModel_tilesTheDataFileWithTensorFlowsChecksums() throws Exception {
    TensorBundleIndex index = index();
    byte[] data = Files.readAllBytes(plain.resolve(
        "variables/" + TensorBundleIndex.dataFileName("variables", 0, index.numShards())));
    assertThat(index.numShards()).isEqualTo(1);
    assertThat(index.entries()).isNotEmpty();
    List<TensorBundleIndex.Entry> byOffset = new ArrayList<>(index.entries().values());
    byOffset.sort(Comparator.comparingLong(TensorBundleIndex.Entry::offset));
    long end = 0;
    for (TensorBundleIndex.Entry e : byOffset) {
      assertThat(e.offset()).as("start of %s", e.name()).isEqualTo(end);
      end = e.offset() + e.size();
      CRC32C crc = new CRC32C();
      crc.update(data, (int) e.offset(), (int) e.size());
      int c = (int) crc.getValue();
      int masked = ((c >>> 15) | (c << 17)) + 0xa282ead8;
      assertThat(e.maskedCrc32c()).as("checksum of %s", e.name()).isEqualTo(masked);
      assertThat(e.elements() * 4).as("float32 bytes of %s", e.name()).isEqualTo(e.size());
    }
    assertThat(end).isEqualTo(data.length);
  }

  @Test
  void index_notATable_isUnsupportedWithReason() {
    TensorBundleIndex.Parsed p = TensorBundleIndex.parse(new byte[100]);
    assertThat(p.index()).isEmpty();
    assertThat(p.unsupported()).contains("expected the table magic");
    assertThat(TensorBundleIndex.parse(new byte[3]).unsupported()).contains("at least 48 bytes");
  }

  @Test
  void plan_ofGeneratedModel_feedsEveryVariableOnce() throws Exception {
    TensorBundleIndex index = index();
    DirectRestorePlan.Result r = DirectRestorePlan.of(
        SavedModel.parseFrom(Files.readAllBytes(plain.resolve("saved_model.pb"))),
        Set.of("serve"), index);
    assertThat(r.unsupported()).isEmpty();
    DirectRestorePlan plan = r.plan().orElseThrow();
    assertThat(plan.feeds()).hasSize(index.entries().size());
    assertThat(plan.feeds().stream().map(f -> f.entry().name()).distinct())
        .containsExactlyInAnyOrderElementsOf(index.entries().keySet());
    assertThat(plan.bytes()).isEqualTo(Files.size(plain.resolve(
        "variables/variables.data-00000-of-00001")));
    assertThat(DirectRestorePlan.of(SavedModel.parseFrom(
        Files.readAllBytes(plain.resolve("saved_model.pb"))), Set.of("train"), index)
        .unsupported()).contains("no meta graph is tagged exactly [train]");
  }

  @Test
  void plan_withInitOp_fallsBackButANoOpInitIsFine() throws Exception {
    MetaGraphDef mg = metaGraph();
    String someAssign = mg.getGraphDef().getNodeList().stream()
        .filter(n -> n.getOp().equals("Assign")).findFirst().orElseThrow().getName();
    MetaGraphDef withInit = mg.toBuilder().putCollectionDef("legacy_init_op",
        CollectionDef.newBuilder().setNodeList(CollectionDef.NodeList.newBuilder()
            .addValue(someAssign)).build()).build();
    DirectRestorePlan.Result r = DirectRestorePlan.of(withInit, index());
    assertThat(r.plan()).isEmpty();
    assertThat(r.unsupported()).contains("init op (" + someAssign + ")");

    MetaGraphDef noOpInit = mg.toBuilder()
        .setGraphDef(mg.getGraphDef().toBuilder().addNode(
            NodeDef.newBuilder().setName("init_all_tables").setOp("NoOp")))
        .putCollectionDef("saved_model_main_op", CollectionDef.newBuilder().setNodeList(
            CollectionDef.NodeList.newBuilder().addValue("init_all_tables")).build()).build();
    assertThat(DirectRestorePlan.of(noOpInit, index()).plan()).isPresent();
  }

  @Test
  void plan_tensorMissingFromIndexOrWrongSize_fallsBack() throws Exception {
    TensorBundleIndex index = index();
    Map<String, TensorBundleIndex.Entry> fewer = new LinkedHashMap<>(index.entries());
    String dropped = fewer.keySet().iterator().next();
    fewer.remove(dropped);
    assertThat(DirectRestorePlan.of(metaGraph(), new TensorBundleIndex(1, fewer)).unsupported())
        .contains("tensor " + dropped + " is not in the checkpoint index");

    Map<String, TensorBundleIndex.Entry> resized = new LinkedHashMap<>(index.entries());
    TensorBundleIndex.Entry e = resized.get(dropped);
    resized.put(dropped, new TensorBundleIndex.Entry(e.name(), e.dtype(), e.shape(), 0,
        e.offset(), e.size() + 4, e.maskedCrc32c()));
    assertThat(DirectRestorePlan.of(metaGraph(), new TensorBundleIndex(1, resized))
        .unsupported()).contains("does not match its shape");

    MetaGraphDef noSaver = metaGraph().toBuilder().clearSaverDef().build();
    assertThat(DirectRestorePlan.of(noSaver, index).unsupported()).contains("no saver");
  }

  @Test
  void directRestore_ramCheckpoint_andPlaintext_predictIdentically() throws Exception {
    Map<String, TensorProto> in = Map.of("input", images(2));
    Map<String, TensorProto> direct;
    Map<String, TensorProto> viaRam;
    Map<String, TensorProto> fromPlain;
    ProtectedSavedModelLoader directLoader =
        new ProtectedSavedModelLoader(enc, () -> KEY, OPTIONS, ram, 2);
    try (TfSavedModel m = directLoader.load()) {
      direct = m.predict("serving_default", in, List.of(), 0);
    }
    // The restore's executors were built as a partial run while the variables were decrypted.
    assertThat(directLoader.lastRestore()).contains("on 2 thread(s)", "executors ready")
        .doesNotContain("ordinary run");
    try (TfSavedModel m = new ProtectedSavedModelLoader(enc, () -> KEY, OPTIONS, ram, 0).load()) {
      viaRam = m.predict("serving_default", in, List.of(), 0);
    }
    try (TfSavedModel m = TfSavedModel.load(plain.toString(), OPTIONS)) {
      fromPlain = m.predict("serving_default", in, List.of(), 0);
    }
    assertThat(direct).isNotEmpty().isEqualTo(fromPlain);
    assertThat(viaRam).isEqualTo(fromPlain);
    // Guard against a vacuous comparison: the outputs depend on the restored weights.
    try (TfSavedModel m = new ProtectedSavedModelLoader(enc, () -> KEY, OPTIONS, ram, 1).load()) {
      assertThat(m.predict("serving_default", Map.of("input", images(3)), List.of(), 0))
          .isNotEqualTo(direct);
    }
  }

  @Test
  void decryptThreads_auto_oneThreadPer128MiB_cappedByCpus() {
    long mib = 1L << 20;
    assertThat(ProtectedSavedModelLoader.autoDecryptThreads(0, 2)).isEqualTo(1);
    assertThat(ProtectedSavedModelLoader.autoDecryptThreads(100 * mib, 2)).isEqualTo(1);
    assertThat(ProtectedSavedModelLoader.autoDecryptThreads(129 * mib, 2)).isEqualTo(2);
    assertThat(ProtectedSavedModelLoader.autoDecryptThreads(300 * mib, 2)).isEqualTo(2);
    assertThat(ProtectedSavedModelLoader.autoDecryptThreads(300 * mib, 8)).isEqualTo(3);
    assertThat(ProtectedSavedModelLoader.autoDecryptThreads(4096 * mib, 16)).isEqualTo(4);
    assertThat(ProtectedSavedModelLoader.autoDecryptThreads(4096 * mib, 1)).isEqualTo(1);
  }

  @Test
  void decryptThreads_auto_loadsDirectly_andANegativeCountIsRefused() throws Exception {
    ProtectedSavedModelLoader auto = new ProtectedSavedModelLoader(enc, () -> KEY, OPTIONS, ram,
        ProtectedSavedModelLoader.AUTO);
    try (TfSavedModel m = auto.load()) {
      assertThat(m.signatures()).containsKey("serving_default");
    }
    assertThat(auto.lastRestore()).contains("on 1 thread(s)");
    assertThatThrownBy(() -> new ProtectedSavedModelLoader(enc, () -> KEY, OPTIONS, ram, -2)
        .load())
        .isInstanceOfSatisfying(ServingException.class,
            e -> assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT))
        .hasMessageContaining("ccserve.decrypt_threads").hasMessageContaining("not -2");
  }

  @Test
  void directRestore_flippedByteInVariables_failsWithDataLoss() throws Exception {
    Path copy = copyEncrypted("flipped");
    Path data = copy.resolve("variables/variables.data-00000-of-00001");
    byte[] b = Files.readAllBytes(data);
    b[b.length - 100] ^= 0x10;
    Files.write(data, b);
    assertThatLoadFailsWithDataLoss(copy, KEY)
        .hasMessageContaining("failed authentication");
  }

  @Test
  void directRestore_truncatedVariables_failsWithDataLoss() throws Exception {
    Path copy = copyEncrypted("truncated");
    Path data = copy.resolve("variables/variables.data-00000-of-00001");
    byte[] b = Files.readAllBytes(data);
    Files.write(data, java.util.Arrays.copyOf(b, b.length - 4096));
    assertThatLoadFailsWithDataLoss(copy, KEY);
  }

  @Test
  void directRestore_wrongKey_failsWithDataLossBeforeTouchingTensorFlow() throws Exception {
    WrapKey other = WrapKey.generate(RANDOM);
    assertThatLoadFailsWithDataLoss(enc, other)
        .hasMessageContaining("cannot open protected file");
  }

  @Test
  void modelWithInitOp_fallsBackToRamCheckpointAfterTheSpeculativeGraphLoad() throws Exception {
    // A copy of the plaintext model whose meta graph gains a legacy init op that does something
    // (a NoOp waiting on a constant), which rules the direct restore out once the plan is read.
    SavedModel sm = SavedModel.parseFrom(Files.readAllBytes(plain.resolve("saved_model.pb")));
    MetaGraphDef mg = sm.getMetaGraphs(0);
    MetaGraphDef withInit = mg.toBuilder()
        .setGraphDef(mg.getGraphDef().toBuilder().addNode(NodeDef.newBuilder()
            .setName("legacy_init").setOp("NoOp").addInput("^save/Const")))
        .putCollectionDef("legacy_init_op", CollectionDef.newBuilder().setNodeList(
            CollectionDef.NodeList.newBuilder().addValue("legacy_init")).build()).build();
    assertThat(DirectRestorePlan.of(withInit, index()).unsupported()).contains("init op");
    ProtectedSavedModelLoader loader = new ProtectedSavedModelLoader(
        encryptedWithSavedModel("init", sm.toBuilder().setMetaGraphs(0, withInit).build()
            .toByteArray()), () -> KEY, OPTIONS, ram, 2);
    assertPredictsAsThePlaintextModel(loader, 4);
    assertThat(loader.lastRestore()).startsWith("ram:// checkpoint after a speculative graph "
        + "load").contains("init op");
  }

  @Test
  void tf2ObjectGraph_isRefusedFromTheOutline_andLoadsWithoutASpeculativeGraphLoad()
      throws Exception {
    byte[] pb = Files.readAllBytes(plain.resolve("saved_model.pb"));
    assertThat(DirectRestorePlan.quickRefusal(pb, Set.of("serve"))).isEmpty();
    SavedModel sm = SavedModel.parseFrom(pb);
    MetaGraphDef tf2 = sm.getMetaGraphs(0).toBuilder().setObjectGraphDef(
        org.tensorflow.proto.SavedObjectGraphOuterClass.SavedObjectGraph.newBuilder()
            .addNodes(org.tensorflow.proto.SavedObjectGraphOuterClass.SavedObject
                .getDefaultInstance())).build();
    byte[] tf2Pb = sm.toBuilder().setMetaGraphs(0, tf2).build().toByteArray();
    assertThat(DirectRestorePlan.quickRefusal(tf2Pb, Set.of("serve"))).get().asString()
        .contains("TF2 object graph");
    assertThat(DirectRestorePlan.quickRefusal(tf2Pb, Set.of("train"))).isEmpty();
    assertThat(DirectRestorePlan.quickRefusal(new byte[] {(byte) 0xff, 1, 2}, Set.of("serve")))
        .isEmpty();

    // TensorFlow's TF1 loader ignores the object graph and restores through the saver, so the
    // copy loads (through ram://) and predicts as the original does.
    ProtectedSavedModelLoader loader = new ProtectedSavedModelLoader(
        encryptedWithSavedModel("tf2", tf2Pb), () -> KEY, OPTIONS, ram, 2);
    assertPredictsAsThePlaintextModel(loader, 5);
    assertThat(loader.lastRestore()).startsWith("ram:// checkpoint, decided before loading")
        .contains("TF2 object graph");
  }

  @Test
  void outline_readsTheRestoreOp_andSplicesANodeIntoTheGraph() throws Exception {
    byte[] pb = Files.readAllBytes(plain.resolve("saved_model.pb"));
    SavedModel sm = SavedModel.parseFrom(pb);
    SavedModelOutline outline = SavedModelOutline.read(pb, Set.of("serve")).orElseThrow();
    assertThat(outline.restoreOp()).isNotEmpty()
        .isEqualTo(sm.getMetaGraphs(0).getSaverDef().getRestoreOpName());
    assertThat(outline.hasObjectGraph()).isFalse();
    assertThat(SavedModelOutline.read(pb, Set.of("train"))).isEmpty();
    assertThat(SavedModelOutline.read(new byte[] {(byte) 0xff, 1, 2}, Set.of("serve"))).isEmpty();

    NodeDef done = dev.ccserve.server.runtime.TfPartialRun.completionNode("done_x",
        List.of(outline.restoreOp()));
    byte[] spliced = outline.withNode(done).orElseThrow();
    MetaGraphDef mg = sm.getMetaGraphs(0);
    SavedModel expected = sm.toBuilder().setMetaGraphs(0, mg.toBuilder()
        .setGraphDef(mg.getGraphDef().toBuilder().addNode(done))).build();
    assertThat(SavedModel.parseFrom(spliced)).isEqualTo(expected);
    // Only the node's field and the two rewritten lengths are new: nothing else is re-encoded.
    int nodeField = 1 + com.google.protobuf.CodedOutputStream.computeUInt32SizeNoTag(
        done.getSerializedSize()) + done.getSerializedSize();
    assertThat(spliced.length).isBetween(pb.length + nodeField, pb.length + nodeField + 2);
    assertThat(done.getInputList()).containsExactly("^" + outline.restoreOp());
  }

  @Test
  void completionNodeName_isFreshAndNeverLooksLikeANameScopeCounter() {
    Set<String> names = new java.util.HashSet<>();
    for (int i = 0; i < 2000; i++) {
      String n = ProtectedSavedModelLoader.completionNodeName();
      // TF Java's NameScope parses (.+)_(\d+) found anywhere in a node name as an int
      assertThat(n).startsWith("ccserve_restore_done_").doesNotContainPattern("_\\d");
      names.add(n);
    }
    assertThat(names).hasSize(2000);
  }

  @Test
  void directRestore_tamperedIndex_failsWithDataLossWhileTheGraphLoads() throws Exception {
    Path copy = copyEncrypted("tampered-index");
    Path index = copy.resolve("variables/variables.index");
    byte[] b = Files.readAllBytes(index);
    b[b.length / 2] ^= 0x01;
    Files.write(index, b);
    int threadsBefore = Thread.activeCount();
    assertThatLoadFailsWithDataLoss(copy, KEY)
        .hasMessageContaining("variables.index");
    // The speculative graph thread has finished (its bundle closed) by the time load() throws.
    assertThat(Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("ccserve-load-graph"))).isEmpty();
    assertThat(Thread.activeCount()).isLessThanOrEqualTo(threadsBefore + 1);
  }

  /**
   * A copy of the generated model whose saved_model.pb is {@code savedModelPb}, encrypted under
   * {@link #KEY}; its version directory.
   */
  static Path encryptedWithSavedModel(String where, byte[] savedModelPb) throws Exception {
    Path plainCopy = tmp.resolve(where + "-plain/tiny/1");
    Files.createDirectories(plainCopy.resolve("variables"));
    for (String rel : List.of("variables/variables.index",
        "variables/variables.data-00000-of-00001")) {
      Files.copy(plain.resolve(rel), plainCopy.resolve(rel));
    }
    Files.write(plainCopy.resolve("saved_model.pb"), savedModelPb);
    Path out = tmp.resolve(where + "-enc/tiny/1");
    Files.createDirectories(out.getParent());
    ProtectedDirectory.encrypt(plainCopy, out, "tiny/1", KEY, RANDOM, (d, t) -> { });
    return out;
  }

  /** Loads through {@code loader} and predicts image {@code seed} as the plaintext model does. */
  static void assertPredictsAsThePlaintextModel(ProtectedSavedModelLoader loader, int seed)
      throws Exception {
    Map<String, TensorProto> in = Map.of("input", images(seed));
    try (TfSavedModel m = loader.load();
        TfSavedModel p = TfSavedModel.load(plain.toString(), OPTIONS)) {
      assertThat(m.predict("serving_default", in, List.of(), 0))
          .isEqualTo(p.predict("serving_default", in, List.of(), 0));
    }
  }

  /** Loading {@code dir} with {@code key} (two decryption threads) fails with DATA_LOSS. */
  static org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable>
      assertThatLoadFailsWithDataLoss(Path dir, WrapKey key) {
    return assertThatThrownBy(() -> new ProtectedSavedModelLoader(dir, () -> key, OPTIONS, ram, 2)
        .load())
        .isInstanceOfSatisfying(ServingException.class,
            e -> assertThat(e.code()).isEqualTo(Code.DATA_LOSS));
  }

  static TensorProto images(int seed) {
    int n = 1 * 224 * 224 * 3;
    ByteBuffer bb = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
    Random r = new Random(seed);
    for (int i = 0; i < n; i++) {
      bb.putFloat(r.nextFloat() * 255f);
    }
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : new long[] {1, 224, 224, 3}) {
      s.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(s)
        .setTensorContent(ByteString.copyFrom(bb.array())).build();
  }
}
