package dev.ccserve.keybroker;

import dev.ccserve.attestation.simulated.SimulatedEvidenceProvider;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shared set-up of the broker tests: one simulated platform and a "good" provider per test class,
 * and a fresh {@link TestBroker} (in its own directory) per test, closed afterwards.
 */
abstract class BrokerTestBase {
  static final Clock CLOCK = Clock.systemUTC();
  @TempDir static Path shared;
  static SimulatedPlatform platform;
  static SimulatedEvidenceProvider good;
  static String goodMr;

  @TempDir Path dir;
  TestBroker tb;

  @BeforeAll
  static void platform() throws Exception {
    platform = new SimulatedPlatform(shared.resolve("sim"), CLOCK);
    good = platform.provider(shared, "good");
    goodMr = SimulatedPlatform.measurement(shared, "good").hex();
  }

  @BeforeEach
  void broker() throws Exception {
    tb = new TestBroker(dir);
  }

  @AfterEach
  void stop() {
    tb.close();
  }
}
