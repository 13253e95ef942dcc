package dev.ccserve.it.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** shellcheck (all severities) over the shell scripts under deploy/; skipped without shellcheck. */
class ShellScriptsLintTest {

  @Test
  void deployScripts_shellcheck_reportsNothing() throws Exception {
    Path shellcheck = ExternalProcess.which("shellcheck");
    assumeTrue(shellcheck != null, "SKIPPED: shellcheck is not installed (apt-get install shellcheck)");
    List<String> cmd = new ArrayList<>(List.of(shellcheck.toString(), "--severity=style"));
    for (String script : List.of("nginx/render.sh", "docker/ccserve-grpc-health", "docker/ccserve-launcher")) {
      cmd.add(DeployFiles.deploy(script).toString());
    }
    ExternalProcess.Result r = ExternalProcess.run(cmd, Duration.ofSeconds(60));
    assertThat(r.exitCode()).as(r.describe()).isZero();
  }
}
