package dev.ccserve.attestation.dcap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ccserve.attestation.testing.TestData;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class IntelSgxRootCaTest {
  @Test
  void publicKey_equalsKeyOfRealRootCertificate() throws Exception {
    X509Certificate root;
    try (InputStream in = Files.newInputStream(TestData.path("dcap/Intel_SGX_Root_CA.pem"))) {
      root = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    assertThat(IntelSgxRootCa.publicKey().getEncoded()).isEqualTo(root.getPublicKey().getEncoded());
    String spki = HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(root.getPublicKey().getEncoded()));
    assertThat(spki).isEqualTo(IntelSgxRootCa.SPKI_SHA256);
    assertThat(IntelSgxRootCa.trustedRoot().spkiSha256()).isEqualTo(IntelSgxRootCa.SPKI_SHA256);
  }

  @Test
  void publicKey_differsFromIntelTestRoot() throws Exception {
    X509Certificate test;
    try (InputStream in = Files.newInputStream(TestData.path("intel-test-root/trustedRootCaCert.pem"))) {
      test = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    assertThat(test.getSubjectX500Principal().getName()).contains("Intel SGX Root CA");
    assertThat(IntelSgxRootCa.publicKey().getEncoded()).isNotEqualTo(test.getPublicKey().getEncoded());
  }
}
