package dev.ccserve.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoReplicasTest {

  @Test
  void predictCount_metricsText_sumsPredictSamplesOfAllStatusesOnly() {
    String text = """
        # HELP ccserve_requests_total Requests by model, version, API, entrypoint and status code
        # TYPE ccserve_requests_total counter
        ccserve_requests_total{api="predict",entrypoint="GRPC",model="m",status="OK",version="1"} 41.0
        ccserve_requests_total{api="predict",entrypoint="GRPC",model="m",status="UNAVAILABLE",version="1"} 2.0
        ccserve_requests_total{api="predict",entrypoint="REST",model="m",status="OK",version="1"} 5.0
        ccserve_requests_total{api="metadata",entrypoint="GRPC",model="m",status="OK",version="1"} 7.0
        ccserve_request_latency_seconds_count{api="predict",entrypoint="GRPC",model="m",version="1"} 41
        """;
    assertThat(DemoReplicas.predictCount(text)).isEqualTo(48);
  }

  @Test
  void predictCount_noRequestsYet_zero() {
    assertThat(DemoReplicas.predictCount("# TYPE ccserve_requests_total counter\n")).isZero();
  }

  @Test
  void renderCommand_twoReplicas_passthroughWithOneWorkerAndAllBackends() {
    List<String> cmd = DemoReplicas.renderCommand(Path.of("/r/deploy/nginx/render.sh"), Path.of("/w/nginx"),
        List.of(new DemoReplicas.Replica(1, 9000, 9001), new DemoReplicas.Replica(2, 9010, 9011)), 8500, 8501);
    assertThat(String.join(" ", cmd)).isEqualTo("/r/deploy/nginx/render.sh --prefix /w/nginx --mode passthrough"
        + " --backends 127.0.0.1:9000:9001,127.0.0.1:9010:9011 --listen-grpc 127.0.0.1:8500"
        + " --listen-rest 127.0.0.1:8501 --workers 1");
  }

  @Test
  void nginxCommand_prefix_runsInForegroundUnderPrefix() {
    assertThat(DemoReplicas.nginxCommand(Path.of("/usr/sbin/nginx"), Path.of("/w/nginx"))).containsExactly(
        "/usr/sbin/nginx", "-c", "/w/nginx/nginx.conf", "-p", "/w/nginx/", "-e", "/w/nginx/logs/error.log",
        "-g", "daemon off;");
  }

  @Test
  void replica_badIndex_rejected() {
    assertThatThrownBy(() -> new DemoReplicas.Replica(0, 1, 2)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected index >= 1");
  }
}
