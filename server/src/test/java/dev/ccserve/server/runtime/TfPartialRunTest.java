package dev.ccserve.server.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Partial runs through TensorFlow's C API: the target runs once every input has arrived, in one
 * feed call or several; misuse is refused with a message naming the input or node; an
 * unfinished run ends when its session closes.
 */
class TfPartialRunTest {
  private Graph g;
  private Session s;
  private Placeholder<TFloat32> a;
  private Placeholder<TFloat32> b;
  private Variable<TFloat32> v;
  private Assign<TFloat32> assign;

  @BeforeEach
  void graph() {
    g = new Graph();
    Ops tf = Ops.create(g);
    a = tf.withName("a").placeholder(TFloat32.class);
    b = tf.withName("b").placeholder(TFloat32.class);
    v = tf.withName("v").variable(Shape.scalar(), TFloat32.class);
    assign = tf.withName("assign").assign(v, tf.math.add(a, b));
    done(g, "done", "assign");
    s = new Session(g);
  }

  @AfterEach
  void close() {
    s.close();
    g.close();
  }

  /**
   * Adds the completion node for {@code target} before the session first runs (what
   * {@link TfPartialRun#completionNode} describes; TF Java cannot import a node that refers to
   * existing ones, so it is built with the op API here).
   */
  static void done(Graph graph, String name, String target) {
    Ops.create(graph).withName(name).withControlDependencyOps(List.of(graph.operation(target)))
        .constant(true);
    assertThat(graph.operation(name).numControlInputs()).isEqualTo(1);
  }

  private List<TfPartialRun.Endpoint> inputs() {
    return List.of(new TfPartialRun.Endpoint("a", 0), new TfPartialRun.Endpoint("b", 0));
  }

  private float variable() {
    try (Result r = s.runner().fetch(v).run()) {
      return ((TFloat32) r.get(0)).getFloat();
    }
  }

  @Test
  void available_withThisTensorFlowJava() {
    assertThat(TfPartialRun.unavailable()).isNull();
    assertThat(TfPartialRun.available()).isTrue();
  }

  @Test
  void feedsInOneCall_runTheTarget() {
    try (TfPartialRun run = TfPartialRun.setup(s, inputs(), List.of("assign"), "done");
        TFloat32 x = TFloat32.scalarOf(1.5f);
        TFloat32 y = TFloat32.scalarOf(2.25f)) {
      run.feed(new int[] {0, 1}, new Tensor[] {x, y});
    }
    assertThat(variable()).isEqualTo(3.75f);
  }

  @Test
  void feedsInTwoCalls_runTheTargetWhenTheLastArrives() {
    try (TfPartialRun run = TfPartialRun.setup(s, inputs(), List.of("assign"), "done");
        TFloat32 x = TFloat32.scalarOf(4f);
        TFloat32 y = TFloat32.scalarOf(-1f)) {
      run.feed(new int[] {1}, new Tensor[] {y});
      run.feed(new int[] {0}, new Tensor[] {x});
    }
    assertThat(variable()).isEqualTo(3f);
  }

  @Test
  void feedingAnInputTwice_isRefused() {
    try (TfPartialRun run = TfPartialRun.setup(s, inputs(), List.of("assign"), "done");
        TFloat32 x = TFloat32.scalarOf(1f)) {
      run.feed(new int[] {0}, new Tensor[] {x});
      assertThatThrownBy(() -> run.feed(new int[] {0}, new Tensor[] {x}))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a:0 was already fed");
    }
  }

  @Test
  void unknownNodeOrOutput_isRefusedNamingIt() {
    assertThatThrownBy(() -> TfPartialRun.setup(s,
        List.of(new TfPartialRun.Endpoint("nope", 0)), List.of("assign"), "done"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no node nope");
    assertThatThrownBy(() -> TfPartialRun.setup(s,
        List.of(new TfPartialRun.Endpoint("a", 3)), List.of("assign"), "done"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("node a has 1 output(s), not output 3");
    assertThatThrownBy(() -> TfPartialRun.setup(s, inputs(), List.of("missing_target"), "done"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("missing_target");
    assertThatThrownBy(() -> TfPartialRun.setup(s, inputs(), List.of("assign"), "no_done"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no node no_done");
  }

  @Test
  void wrongDtype_isTensorFlowsError() {
    try (TfPartialRun run = TfPartialRun.setup(s, inputs(), List.of("assign"), "done");
        TInt32 x = TInt32.scalarOf(1);
        TFloat32 y = TFloat32.scalarOf(1f)) {
      assertThatThrownBy(() -> run.feed(new int[] {0, 1}, new Tensor[] {x, y}))
          .isInstanceOf(TensorFlowException.class);
    }
  }

  @Test
  void targetFailingAfterTheLastFeed_isReportedByThatFeed() {
    // TensorFlow's partial run alone returns success when a target fails after the last feed has
    // been sent (a race it loses most of the time); the completion fetch must catch it each time.
    for (int i = 0; i < 25; i++) {
      try (TfPartialRun run = TfPartialRun.setup(s, inputs(), List.of("assign"), "done");
          TFloat32 x = TFloat32.vectorOf(1f, 2f); // the variable is a scalar: Assign fails
          TFloat32 y = TFloat32.scalarOf(1f)) {
        assertThatThrownBy(() -> run.feed(new int[] {0, 1}, new Tensor[] {x, y}))
            .as("attempt %d", i).isInstanceOfSatisfying(RuntimeException.class,
                e -> assertThat(TfErrors.isTensorFlow(e)).as(e.toString()).isTrue());
        // The message is the Assign's error, or the cancellation it caused elsewhere in the run.
      }
    }
    assertThatThrownBy(this::variable).as("the variable was never assigned")
        .isInstanceOfSatisfying(RuntimeException.class,
            e -> assertThat(TfErrors.isTensorFlow(e)).as(e.toString()).isTrue());
  }

  @Test
  void mismatchedArrays_andFeedAfterClose_areRefused() {
    TfPartialRun run = TfPartialRun.setup(s, inputs(), List.of("assign"), "done");
    try (TFloat32 x = TFloat32.scalarOf(1f)) {
      assertThatThrownBy(() -> run.feed(new int[] {0, 1}, new Tensor[] {x}))
          .hasMessageContaining("2 inputs but 1 values");
      run.close();
      assertThatThrownBy(() -> run.feed(new int[] {0}, new Tensor[] {x}))
          .isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void unfinishedRun_endsWhenTheSessionCloses() {
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      Graph g2 = new Graph();
      Ops tf = Ops.create(g2);
      tf.withName("p").placeholder(TFloat32.class);
      Placeholder<TFloat32> q = tf.withName("q").placeholder(TFloat32.class);
      Variable<TFloat32> w = tf.variable(Shape.scalar(), TFloat32.class);
      tf.withName("set").assign(w, q);
      done(g2, "set_done", "set");
      Session s2 = new Session(g2);
      TfPartialRun run = TfPartialRun.setup(s2, List.of(new TfPartialRun.Endpoint("p", 0),
          new TfPartialRun.Endpoint("q", 0)), List.of("set"), "set_done");
      try (TFloat32 x = TFloat32.scalarOf(1f)) {
        run.feed(new int[] {0}, new Tensor[] {x}); // q never arrives
      }
      run.close();
      s2.close();
      g2.close();
    });
  }

  @Test
  void endpointParse() {
    assertThat(TfPartialRun.Endpoint.parse("save/Const:0"))
        .isEqualTo(new TfPartialRun.Endpoint("save/Const", 0));
    assertThat(TfPartialRun.Endpoint.parse("save/RestoreV2:17").index()).isEqualTo(17);
    assertThat(TfPartialRun.Endpoint.parse("x").toString()).isEqualTo("x:0");
  }
}
