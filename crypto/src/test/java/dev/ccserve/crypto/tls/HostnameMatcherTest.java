package dev.ccserve.crypto.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.cert.CertificateException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostnameMatcherTest {
  private static final CertificateAuthority CA =
      CertificateAuthority.create("m", KeyAlgorithm.EC_P256, Duration.ofDays(1), Clock.systemUTC());

  @Test
  void matches_wildcardOnlyLeftmostSingleLabel() {
    assertThat(HostnameMatcher.matches("a.example.com", "*.example.com")).isTrue();
    assertThat(HostnameMatcher.matches("a.b.example.com", "*.example.com")).isFalse();
    assertThat(HostnameMatcher.matches("example.com", "*.example.com")).isFalse();
    assertThat(HostnameMatcher.matches("a.com", "*.com")).isFalse();
    assertThat(HostnameMatcher.matches("example.com.", "example.com")).isTrue();
  }

  @Test
  void verify_dnsSanPresent_cnIgnored() throws Exception {
    var cert = CA.issueServer("cn.test", List.of("san.test"), KeyAlgorithm.EC_P256, Duration.ofHours(1)).certificate();
    HostnameMatcher.verify("SAN.test", cert);
    // CN is also a SAN here (issueServer adds it); a cert whose CN is not a SAN:
    var csrCert = CA.signCsr(Pkcs10.create(KeyAlgorithm.EC_P256.generate(new java.security.SecureRandom()), "cn-only.test", List.of()),
        List.of("san-only.test"), Duration.ofHours(1));
    assertThatThrownBy(() -> HostnameMatcher.verify("cn-only.test", csrCert))
        .isInstanceOf(CertificateException.class).hasMessageContaining("No subject alternative DNS name matching cn-only.test");
  }

  @Test
  void verify_ipHost_needsIpSan() throws Exception {
    var cert = CA.issueServer("10.1.2.3", List.of(), KeyAlgorithm.EC_P256, Duration.ofHours(1)).certificate();
    HostnameMatcher.verify("10.1.2.3", cert);
    assertThatThrownBy(() -> HostnameMatcher.verify("10.1.2.4", cert)).isInstanceOf(CertificateException.class);
  }

  @Test
  void verify_noSan_fallsBackToCn() throws Exception {
    var v1 = TlsContextsTest.seedStyleV1Leaf("grpc.tf-serving.service.com").certificate();
    HostnameMatcher.verify("grpc.tf-serving.service.com", v1);
    assertThatThrownBy(() -> HostnameMatcher.verify("x.tf-serving.service.com", v1))
        .hasMessageContaining("CN 'grpc.tf-serving.service.com'");
  }
}
