package dev.ccserve.it.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Renders both nginx templates with {@code deploy/nginx/render.sh} and checks them with {@code nginx -t}. */
class NginxConfigTest {

  @TempDir Path tmp;

  @Test
  void passthrough_twoReplicas_rendersStreamConfigThatNginxAccepts() throws Exception {
    Path nginx = NginxSupport.requireNginx();
    Path prefix = tmp.resolve("pt");
    Path conf = NginxSupport.render(prefix, "--replicas", "2", "--listen-grpc", "127.0.0.1:18500",
        "--listen-rest", "127.0.0.1:18501");

    String text = Files.readString(conf);
    assertThat(text).contains("load_module " + NginxSupport.STREAM_MODULE + ";")
        .contains("pid " + prefix + "/nginx.pid;")
        .contains("ssl_preread on;")
        .contains("proxy_next_upstream on;")
        .contains("server 127.0.0.1:9000 max_fails=1 fail_timeout=10s;")
        .contains("server 127.0.0.1:9010 max_fails=1 fail_timeout=10s;")
        .contains("server 127.0.0.1:9001 max_fails=1 fail_timeout=10s;")
        .contains("server 127.0.0.1:9011 max_fails=1 fail_timeout=10s;")
        .doesNotContain("${")            // every template variable substituted
        .contains("$ssl_preread_server_name") // nginx's own variables left alone
        .doesNotContain("ssl_certificate"); // passthrough: nginx holds no key
    ExternalProcess.Result r = ExternalProcess.run(NginxSupport.nginxCommand(nginx, prefix, "-t"),
        Duration.ofSeconds(30));
    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.output()).contains("test is successful");
  }

  @Test
  void terminatingInsecure_twoReplicas_rendersGrpcConfigThatNginxAccepts() throws Exception {
    Path nginx = NginxSupport.requireNginx();
    TestPki.Identity lb = TestPki.selfSigned(tmp, "lb", "grpc.tf-serving.service.com");
    TestPki.Identity backend = TestPki.selfSigned(tmp, "backend", "grpc.tf-serving.service.com");
    Path prefix = tmp.resolve("term");
    Path conf = NginxSupport.render(prefix, "--mode", "terminating-INSECURE",
        "--backends", "10.77.0.2:8500:8501,10.77.0.3:8500:8501", "--listen-grpc", "127.0.0.1:18502",
        "--listen-rest", "127.0.0.1:18503", "--tls-cert", lb.certPem().toString(),
        "--tls-key", lb.keyPem().toString(), "--backend-ca", backend.certPem().toString());

    String text = Files.readString(conf);
    assertThat(text).contains("grpc_pass grpcs://ccserve_grpc;")
        .contains("add_header grpc-status 14 always;")
        .contains("error_page 502 503 504 = /grpc_unavailable;")
        .contains("server 10.77.0.2:8500 max_fails=1 fail_timeout=10s;")
        .contains("server 10.77.0.3:8501 max_fails=1 fail_timeout=10s;")
        .contains("client_body_temp_path " + prefix + "/tmp/client_body;")
        .doesNotContain("${");
    ExternalProcess.Result r = ExternalProcess.run(NginxSupport.nginxCommand(nginx, prefix, "-t"),
        Duration.ofSeconds(30));
    assertThat(r.exitCode()).as(r.describe()).isZero();
  }

  @Test
  void render_zeroReplicas_failsWithMessage() throws Exception {
    ExternalProcess.Result r = ExternalProcess.run(List.of("bash",
        DeployFiles.deploy("nginx/render.sh").toString(), "--prefix", tmp.resolve("x").toString(),
        "--replicas", "0"), Duration.ofSeconds(30));
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.output()).contains("--replicas must be an integer >= 1, found '0'");
    assertThat(tmp.resolve("x/nginx.conf")).doesNotExist();
  }

  @Test
  void render_terminatingWithoutCertificate_failsWithMessage() throws Exception {
    ExternalProcess.Result r = ExternalProcess.run(List.of("bash",
        DeployFiles.deploy("nginx/render.sh").toString(), "--prefix", tmp.resolve("y").toString(),
        "--mode", "terminating-INSECURE"), Duration.ofSeconds(30));
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.output()).contains("needs --tls-cert FILE");
  }

  @Test
  void render_injectionInBackendList_isRejected() throws Exception {
    ExternalProcess.Result r = ExternalProcess.run(List.of("bash",
        DeployFiles.deploy("nginx/render.sh").toString(), "--prefix", tmp.resolve("z").toString(),
        "--backends", "a:1:2;}include /etc/passwd;{:3:4"), Duration.ofSeconds(30));
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.output()).contains("--backends entries must be HOST:GRPC_PORT:REST_PORT");
  }
}
