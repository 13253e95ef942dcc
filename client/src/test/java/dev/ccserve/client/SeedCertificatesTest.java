package dev.ccserve.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ccserve.crypto.tls.ClientAuth;
import dev.ccserve.crypto.tls.KeyAlgorithm;
import dev.ccserve.crypto.tls.Pem;
import dev.ccserve.crypto.tls.TlsContexts;
import dev.ccserve.crypto.tls.TlsLayout;
import io.grpc.Server;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v1CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certificates shaped like the seed scripts' (seed-workflow §5.3): one-way = a self-signed v3
 * CA:TRUE certificate without SAN used as the server leaf and trusted directly with {@code -crt};
 * two-way = v1 leaves without any extension, serial 01, signed by a v3 CA. Host names are checked
 * through the CN fallback. Also: the seed's ssl.cfg text (RSA, one-line PEMs) read by the server
 * side helpers.
 */
class SeedCertificatesTest {
  private static final Clock CLOCK = Clock.systemUTC();
  /** RSA like the seed for the CA (and the one-way server); EC leaves keep the test fast. */
  private static final KeyPair CA_KEYS = KeyAlgorithm.RSA_2048.generate(new SecureRandom());
  private static final KeyPair LEAF_KEYS = KeyAlgorithm.EC_P256.generate(new SecureRandom());
  private final StringWriter out = new StringWriter();

  static X509Certificate selfSignedCa(KeyPair kp, String cn) throws Exception {
    Instant now = Instant.now();
    X500Name name = new X500Name("CN=" + cn);
    var b = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(0x5eed), Date.from(now.minusSeconds(60)),
        Date.from(now.plus(Duration.ofDays(365))), name, kp.getPublic());
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
    b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(kp.getPublic()));
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withRSA").build(kp.getPrivate())));
  }

  static X509Certificate v1Leaf(X509Certificate ca, PrivateKey caKey, PublicKey key, String cn) throws Exception {
    Instant now = Instant.now();
    var b = new JcaX509v1CertificateBuilder(new X500Name(ca.getSubjectX500Principal().getName()), BigInteger.ONE,
        Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(365))), new X500Name("CN=" + cn), key);
    return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withRSA").build(caKey)));
  }

  private LoadReport load(int port, TlsOptions tls) {
    return load("localhost", port, tls);
  }

  private LoadReport load(String host, int port, TlsOptions tls) {
    LoadOptions o = LoadOptions.defaults(Target.parse(host + ":" + port)).withLoad(1, 1, 1).withTls(tls)
        .withOutput(true, false, false);
    return new LoadGenerator(o, new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), CLOCK).run();
  }

  @Test
  void seedOneWay_selfSignedCaCertAsLeaf_pinnedWithCrtAndCnFallback(@TempDir Path dir) throws Exception {
    KeyPair kp = CA_KEYS;
    X509Certificate cert = selfSignedCa(kp, "localhost");
    String certPem = Pem.encodeCertificate(cert);
    // the server reads the seed's ssl.cfg values: one-line PEM with \n escapes already unescaped
    String cfgKey = Pem.toEscapedOneLine(Pem.encodePrivateKey(kp.getPrivate())).replace("\\n", "\n");
    String cfgCert = Pem.toEscapedOneLine(certPem).replace("\\n", "\n");
    Server s = FakeServers.grpc(TlsContexts.fromSslConfig(cfgKey, cfgCert, "", false, CLOCK), new FakeServers.Seen());
    try {
      Path crt = Files.writeString(dir.resolve("cert.pem"), certPem);
      assertThat(load(s.getPort(), new TlsOptions(null, crt, null, null)).succeeded()).isEqualTo(1);
      LoadReport wrongName = load(s.getPort(), new TlsOptions(null, crt, null, "grpc.tf-serving.service.com"));
      assertThat(wrongName.firstError()).contains("No name matching grpc.tf-serving.service.com found");
      // no override: the dialled host is verified by JSSE (gRPC sets endpoint identification)
      LoadReport byIp = load("127.0.0.1", s.getPort(), new TlsOptions(null, crt, null, null));
      assertThat(byIp.succeeded()).isZero();
      assertThat(byIp.firstError()).isEqualTo("UNAVAILABLE: io exception (TLS: No subject alternative names present)");
    } finally {
      s.shutdownNow();
    }
  }

  @Test
  void seedTwoWay_v1LeavesWithoutExtensions_mutualTlsWorks(@TempDir Path dir) throws Exception {
    KeyPair caKp = CA_KEYS;
    X509Certificate ca = selfSignedCa(caKp, "My Cert Authority");
    KeyPair serverKp = LEAF_KEYS;
    KeyPair clientKp = LEAF_KEYS; // same key, different certificates: enough for this test
    X509Certificate server = v1Leaf(ca, caKp.getPrivate(), serverKp.getPublic(), "localhost");
    X509Certificate client = v1Leaf(ca, caKp.getPrivate(), clientKp.getPublic(), "client.tf-serving.service.com");
    assertThat(server.getVersion()).isEqualTo(1);
    String caPem = Pem.encodeCertificate(ca);
    // the exact ssl.cfg text a seed script would write, read back as the server does (unescaped)
    String cfg = TlsLayout.sslConfigText(Pem.encodePrivateKey(serverKp.getPrivate()), Pem.encodeCertificate(server), caPem, true);
    String[] values = cfg.lines().map(l -> l.substring(l.indexOf(": ") + 2)).toArray(String[]::new);
    FakeServers.Seen seen = new FakeServers.Seen();
    Server s = FakeServers.grpc(TlsContexts.server(unquote(values[0]), unquote(values[1]), unquote(values[2]),
        ClientAuth.REQUIRE, CLOCK), seen);
    try {
      Path caFile = Files.writeString(dir.resolve("ca_cert.pem"), caPem);
      Path crt = Files.writeString(dir.resolve("client_cert.pem"), Pem.encodeCertificate(client));
      Path key = Files.writeString(dir.resolve("client_key.pem"), Pem.encodePrivateKey(clientKp.getPrivate()));
      LoadReport r = load(s.getPort(), new TlsOptions(caFile, crt, key, null));
      assertThat(r.succeeded()).as(String.valueOf(r.firstError())).isEqualTo(1);
      assertThat(seen.clientSubject.get()).isEqualTo("CN=client.tf-serving.service.com");
    } finally {
      s.shutdownNow();
    }
  }

  private static String unquote(String v) {
    return v.substring(1, v.length() - 1).replace("\\n", "\n");
  }
}
