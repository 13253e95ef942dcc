package dev.ccserve.attestation.simulated;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.dcap.CollateralSource;
import dev.ccserve.attestation.dcap.DcapCollateral;
import dev.ccserve.attestation.dcap.DcapQuote;
import dev.ccserve.attestation.dcap.Ecdsa;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.HexFormat;
import java.util.Objects;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * INSECURE: a simulated Intel SGX platform for development and tests. It proves NOTHING about
 * hardware: its keys are ordinary files on the host. It owns a root CA named "SIMULATED - NOT
 * INTEL", a PCK CA and PCK certificate with a real SGX extension, a TCB signing key and a QE
 * attestation key, persisted once in a directory (keys mode 0600) and reloaded afterwards. It signs
 * structurally real SGX v3 quotes and matching collateral (TCB Info, QE Identity, CRLs, freshly
 * dated by the injected clock), so the real DCAP verification code runs end to end.
 *
 * <p>A verifier accepts its quotes only when constructed with {@code
 * DcapQuoteVerifier.trustingSimulatedRootInsecure(rootPublicKey(), ...)}; claims are then marked
 * {@code simulated=true}. Thread-safe.
 */
public final class SimulatedTee {
  /** mrsigner of the simulated QE (SHA-256 of a fixed label). */
  static final byte[] QE_MRSIGNER = sha256("ccserve simulated quoting enclave".getBytes(StandardCharsets.US_ASCII));
  static final int QE_ISVPRODID = 1;
  static final int QE_ISVSVN = 8;
  static final int QE_SVN = 8;
  private static final Duration COLLATERAL_LIFETIME = Duration.ofDays(30);

  private final SimulatedPki pki;
  private final Clock clock;
  private final Path dir;
  /**
   * The QE report and its PCK signature, made once: like a real QE, whose certification data is
   * fixed for its attestation key, only the quote signature changes per quote.
   */
  private volatile byte[][] qeReportAndSignature;

  private SimulatedTee(SimulatedPki pki, Clock clock, Path dir) {
    this.pki = pki;
    this.clock = clock;
    this.dir = dir;
  }

  /** Loads the simulated platform from {@code dir}, creating it (keys 0600) on first use. */
  public static synchronized SimulatedTee openOrCreate(Path dir, Clock clock) throws IOException {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(clock, "clock");
    if (SimulatedPki.exists(dir)) {
      return new SimulatedTee(SimulatedPki.load(dir), clock, dir);
    }
    try {
      return new SimulatedTee(SimulatedPki.create(dir, clock.instant()), clock, dir);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot create simulated TEE keys: " + e.getClass().getSimpleName(), e);
    }
  }

  /** The directory holding the keys and certificates. */
  public Path directory() {
    return dir;
  }

  /** The simulated root key a verifier must trust explicitly (and insecurely). */
  public PublicKey rootPublicKey() {
    return pki.root.getPublicKey();
  }

  public X509Certificate rootCertificate() {
    return pki.root;
  }

  /** Loads only the root public key from a simulated TEE directory (for verifiers). */
  public static PublicKey readRootPublicKey(Path dir) throws IOException {
    return KeyFiles.readCert(dir.resolve("root.pem")).getPublicKey();
  }

  /** Builds a signed SGX v3 quote for the given enclave identity and report data. */
  byte[] quote(byte[] mrEnclave, byte[] mrSigner, int isvProdId, int isvSvn, byte[] reportData)
      throws AttestationException {
    try {
      SgxQuoteV3Writer.Body app = new SgxQuoteV3Writer.Body();
      app.cpuSvn = cpuSvn();
      app.flags = 0x05; // INIT | MODE64BIT, not DEBUG
      app.xfrm = 0x03;
      app.mrEnclave = mrEnclave.clone();
      app.mrSigner = mrSigner.clone();
      app.isvProdId = isvProdId;
      app.isvSvn = isvSvn;
      app.reportData = reportData.clone();
      byte[] header = SgxQuoteV3Writer.header(QE_SVN, SimulatedPki.PCE_SVN,
          DcapQuote.INTEL_QE_VENDOR_ID, new byte[20]);
      byte[] body = SgxQuoteV3Writer.body(app);
      byte[] signed = concat(header, body);
      byte[] quoteSig = Ecdsa.sign(pki.attestationKey, signed);
      byte[] attKey = Ecdsa.toRaw(pki.attestationPublicKey);
      byte[] authData = sha256(concat("ccserve simulated auth data".getBytes(StandardCharsets.US_ASCII),
          attKey));
      SgxQuoteV3Writer.Body qe = new SgxQuoteV3Writer.Body();
      qe.cpuSvn = cpuSvn();
      qe.flags = 0x11; // INIT | PROVISION_KEY, as Intel's QE
      qe.xfrm = 0x03;
      qe.mrEnclave = sha256("ccserve simulated QE measurement".getBytes(StandardCharsets.US_ASCII));
      qe.mrSigner = QE_MRSIGNER.clone();
      qe.isvProdId = QE_ISVPRODID;
      qe.isvSvn = QE_ISVSVN;
      qe.reportData = java.util.Arrays.copyOf(sha256(concat(attKey, authData)), 64);
      byte[] qeReport = SgxQuoteV3Writer.body(qe);
      byte[] qeSig = qeReportSignature(qeReport);
      byte[] chain = (KeyFiles.pem("CERTIFICATE", pki.pck.getEncoded())
          + KeyFiles.pem("CERTIFICATE", pki.pckCa.getEncoded())
          + KeyFiles.pem("CERTIFICATE", pki.root.getEncoded()) + "\0").getBytes(StandardCharsets.US_ASCII);
      byte[] sigData = SgxQuoteV3Writer.signatureData(quoteSig, attKey, qeReport, qeSig, authData, chain);
      return concat(signed, SgxQuoteV3Writer.le32(sigData.length), sigData);
    } catch (GeneralSecurityException e) {
      throw new AttestationException(Reason.MALFORMED, "simulated.quote",
          "cannot sign simulated quote: " + e.getClass().getSimpleName());
    }
  }

  private byte[] qeReportSignature(byte[] qeReport) throws GeneralSecurityException {
    byte[][] cached = qeReportAndSignature;
    if (cached != null && java.util.Arrays.equals(cached[0], qeReport)) {
      return cached[1];
    }
    byte[] sig = Ecdsa.sign(pki.pckKey, qeReport);
    qeReportAndSignature = new byte[][] {qeReport, sig};
    return sig;
  }

  /** Fresh collateral (valid from an hour ago for 30 days by the injected clock). */
  public DcapCollateral collateral() throws AttestationException {
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Instant issue = now.minus(Duration.ofHours(1));
    Instant next = now.plus(COLLATERAL_LIFETIME);
    try {
      String tcbInfo = tcbInfoJson(issue, next);
      String qeIdentity = qeIdentityJson(issue, next);
      String chainTcb = KeyFiles.pem("CERTIFICATE", pki.tcbSigning.getEncoded())
          + KeyFiles.pem("CERTIFICATE", pki.root.getEncoded());
      String chainPck = KeyFiles.pem("CERTIFICATE", pki.pckCa.getEncoded())
          + KeyFiles.pem("CERTIFICATE", pki.root.getEncoded());
      return new DcapCollateral(chainPck, crl(pki.root, pki.rootKey, issue, next),
          crl(pki.pckCa, pki.pckCaKey, issue, next), chainTcb, tcbInfo,
          Ecdsa.sign(pki.tcbSigningKey, tcbInfo.getBytes(StandardCharsets.UTF_8)), chainTcb,
          qeIdentity, Ecdsa.sign(pki.tcbSigningKey, qeIdentity.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new AttestationException(Reason.COLLATERAL_UNAVAILABLE, "simulated.collateral",
          "cannot sign simulated collateral: " + e.getClass().getSimpleName());
    }
  }

  /**
   * A collateral source that signs fresh simulated collateral on each request (needs this
   * directory's private keys, so only for development setups where the relying party may hold
   * them; otherwise ship {@code collateral().toJson()} as a bundle file).
   */
  public CollateralSource collateralSource() {
    return request -> collateral();
  }

  private static String tcbInfoJson(Instant issue, Instant next) {
    StringBuilder comps = new StringBuilder();
    for (int i = 0; i < 16; i++) {
      comps.append(i == 0 ? "" : ",").append("{\"svn\":").append(SimulatedPki.COMPONENT_SVNS[i]).append('}');
    }
    return "{\"id\":\"SGX\",\"version\":3,\"issueDate\":\"" + issue + "\",\"nextUpdate\":\"" + next
        + "\",\"fmspc\":\"" + HexFormat.of().withUpperCase().formatHex(SimulatedPki.FMSPC)
        + "\",\"pceId\":\"0000\",\"tcbType\":0,\"tcbEvaluationDataNumber\":1,\"tcbLevels\":[{\"tcb\":"
        + "{\"sgxtcbcomponents\":[" + comps + "],\"pcesvn\":" + SimulatedPki.PCE_SVN
        + "},\"tcbDate\":\"" + issue + "\",\"tcbStatus\":\"UpToDate\"}]}";
  }

  private static String qeIdentityJson(Instant issue, Instant next) {
    return "{\"id\":\"QE\",\"version\":2,\"issueDate\":\"" + issue + "\",\"nextUpdate\":\"" + next
        + "\",\"tcbEvaluationDataNumber\":1,\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\","
        + "\"attributes\":\"11000000000000000000000000000000\","
        + "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\""
        + HexFormat.of().withUpperCase().formatHex(QE_MRSIGNER) + "\",\"isvprodid\":" + QE_ISVPRODID
        + ",\"tcbLevels\":[{\"tcb\":{\"isvsvn\":" + QE_ISVSVN + "},\"tcbDate\":\"" + issue
        + "\",\"tcbStatus\":\"UpToDate\"}]}";
  }

  private static byte[] crl(X509Certificate issuer, java.security.PrivateKey key, Instant thisUpdate,
      Instant next) throws GeneralSecurityException, OperatorCreationException {
    X509v2CRLBuilder b = new JcaX509v2CRLBuilder(issuer.getSubjectX500Principal(), Date.from(thisUpdate));
    b.setNextUpdate(Date.from(next));
    return new JcaX509CRLConverter()
        .getCRL(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key))).getEncoded();
  }

  private static byte[] cpuSvn() {
    byte[] c = new byte[16];
    for (int i = 0; i < 16; i++) {
      c[i] = (byte) SimulatedPki.COMPONENT_SVNS[i];
    }
    return c;
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      o.writeBytes(p);
    }
    return o.toByteArray();
  }

  @Override
  public String toString() {
    return "SimulatedTee{INSECURE, dir=" + dir + "}";
  }
}
