package dev.ccserve.attestation.snp;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceClaims;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.EvidenceVerifier;
import dev.ccserve.attestation.TcbStatus;
import dev.ccserve.attestation.TeeType;
import dev.ccserve.attestation.snp.SnpReport.SigningKey;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Verifies AMD SEV-SNP evidence ({@link EvidenceFormat#SNP_REPORT}): the report, optionally
 * followed by a certificate table, see {@link SnpEvidence}.
 *
 * <p>Steps (the {@link AttestationException#step()} names): {@code snp_report} parse;
 * {@code vcek} find the VCEK/VLEK (certificate table first, then the {@link VcekSource});
 * {@code vcek_extensions} read its product and TCB; {@code vcek_chain} VCEK signed by the
 * trusted ASK/ASVK of its product, which is signed by the pinned ARK (RSASSA-PSS SHA-384);
 * {@code vcek_validity} all three certificates valid at the injected clock's instant;
 * {@code report_signature} ECDSA P-384/SHA-384 over bytes [0, 0x2A0); {@code reported_tcb}
 * reported_tcb equals the VCEK's TCB and does not exceed current_tcb; {@code chip_id} chip_id
 * equals the VCEK's hwID.
 *
 * <p>Guest policy (debug, migration agent, SMT), VMPL, measurement and report_data are reported
 * in the claims, not judged: the DEBUG bit sets {@link EvidenceClaims#debug()}, which the policy
 * gate rejects unless debug guests are explicitly allowed. Reported TCB status is always
 * {@link TcbStatus#UP_TO_DATE} (SNP has no TCB-info collateral; minimum TCBs are policy).
 *
 * <p>Immutable and thread-safe.
 */
public final class SnpVerifier implements EvidenceVerifier {
  private final SnpTrustAnchors anchors;
  private final VcekSource vcekSource;
  private final Clock clock;
  /** VCEK DER SHA-256 to the chain its signature was verified against (signatures are pure). */
  private final Map<String, SnpTrustAnchors.Chain> verifiedVceks = new ConcurrentHashMap<>();

  private static final int MAX_CACHED_VCEKS = 256;

  private SnpVerifier(Builder b) {
    this.anchors = b.anchors;
    this.vcekSource = b.vcekSource;
    this.clock = Objects.requireNonNull(b.clock, "clock");
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public EvidenceClaims verify(Evidence evidence) throws AttestationException {
    if (evidence.format() != EvidenceFormat.SNP_REPORT) {
      throw new AttestationException(
          Reason.UNSUPPORTED_FORMAT, "snp_report", "expected SNP_REPORT evidence, found " + evidence.format());
    }
    SnpEvidence parsed = SnpEvidence.parse(evidence.bytes());
    SnpReport report = parsed.report();
    X509Certificate vcek = endorsementKey(parsed);
    VcekExtensions ext = VcekExtensions.read(vcek);
    Optional<SnpProduct> named = ext.productName().flatMap(SnpProduct::fromName);
    SnpTrustAnchors.Chain chain = chainFor(vcek, report.signingKey(), named);
    Instant now = clock.instant();
    AmdCertificates.checkValidity(chain.ark(), now, "vcek_validity");
    AmdCertificates.checkValidity(chain.ask(), now, "vcek_validity");
    AmdCertificates.checkValidity(vcek, now, "vcek_validity");
    verifySignature(report, vcek.getPublicKey());
    SnpProduct product = chain.product();
    SnpTcb reported = SnpTcb.decode(report.reportedTcbRaw(), product);
    checkTcb(report, ext.tcb(product), reported, product);
    if (report.signingKey() == SigningKey.VCEK) {
      checkChipId(report, ext, product);
    }
    Instant expiry = earliest(vcek, chain.ask(), chain.ark());
    return claims(evidence, report, product, reported, chain, expiry);
  }

  private X509Certificate endorsementKey(SnpEvidence parsed) throws AttestationException {
    SnpReport report = parsed.report();
    UUID guid = report.signingKey() == SigningKey.VLEK ? SnpCertificateTable.VLEK : SnpCertificateTable.VCEK;
    Optional<byte[]> fromTable = parsed.certificateTable().flatMap(t -> t.get(guid));
    if (fromTable.isPresent()) {
      return AmdCertificates.parse(fromTable.get(), "vcek");
    }
    return vcekSource.endorsementKey(report).orElseThrow(() -> new AttestationException(
        Reason.COLLATERAL_UNAVAILABLE, "vcek",
        "no " + report.signingKey() + " certificate in the evidence and none from " + vcekSource));
  }

  private SnpTrustAnchors.Chain chainFor(
      X509Certificate vcek, SigningKey keyType, Optional<SnpProduct> named) throws AttestationException {
    String key;
    try {
      key = SnpReport.hex(MessageDigest.getInstance("SHA-256").digest(vcek.getEncoded()))
          + "/" + keyType + "/" + named;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
    SnpTrustAnchors.Chain cached = verifiedVceks.get(key);
    if (cached != null) {
      return cached;
    }
    SnpTrustAnchors.Chain chain = verifyChain(vcek, keyType, named);
    if (verifiedVceks.size() >= MAX_CACHED_VCEKS) {
      verifiedVceks.clear();
    }
    verifiedVceks.put(key, chain);
    return chain;
  }

  private SnpTrustAnchors.Chain verifyChain(
      X509Certificate vcek, SigningKey keyType, Optional<SnpProduct> named) throws AttestationException {
    List<SnpTrustAnchors.Chain> candidates = anchors.chainsFor(keyType, named);
    if (candidates.isEmpty()) {
      throw new AttestationException(
          Reason.UNTRUSTED_ROOT, "vcek_chain",
          "no trusted " + keyType + " chain for product " + named.map(SnpProduct::kdsName).orElse("(unnamed)")
              + "; trusted: " + describe(anchors.chains()));
    }
    AttestationException last = null;
    for (SnpTrustAnchors.Chain c : candidates) {
      try {
        if (!vcek.getIssuerX500Principal().equals(c.ask().getSubjectX500Principal())) {
          throw new AttestationException(
              Reason.CERT_CHAIN_INVALID, "vcek_chain",
              "VCEK issuer " + vcek.getIssuerX500Principal().getName() + " is not "
                  + c.ask().getSubjectX500Principal().getName());
        }
        AmdCertificates.verifyPss384(vcek, c.ask().getPublicKey(), "vcek_chain");
        return c;
      } catch (AttestationException e) {
        last = e;
      }
    }
    throw last;
  }

  private static void verifySignature(SnpReport report, PublicKey key) throws AttestationException {
    if (!(key instanceof ECPublicKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 384) {
      throw new AttestationException(
          Reason.CERT_CHAIN_INVALID, "report_signature", "VCEK key is not an EC P-384 key: " + key.getAlgorithm());
    }
    try {
      Signature s = Signature.getInstance("SHA384withECDSAinP1363Format");
      s.initVerify(key);
      s.update(report.signedRegion());
      if (s.verify(report.signatureP1363())) {
        return;
      }
    } catch (GeneralSecurityException e) {
      // falls through to the uniform failure
    }
    throw new AttestationException(
        Reason.REPORT_SIGNATURE_INVALID, "report_signature",
        "report signature does not verify with the VCEK key (measurement " + SnpReport.hex(report.measurement()) + ")");
  }

  private static void checkTcb(SnpReport report, SnpTcb certTcb, SnpTcb reported, SnpProduct product)
      throws AttestationException {
    if (!reported.sameSpls(certTcb)) {
      throw new AttestationException(
          Reason.COLLATERAL_MISMATCH, "reported_tcb",
          "reported_tcb " + reported.kdsQuery(product) + " does not match the VCEK's " + certTcb.kdsQuery(product));
    }
    SnpTcb current = SnpTcb.decode(report.currentTcbRaw(), product);
    if (!current.atLeast(reported)) {
      throw new AttestationException(
          Reason.COLLATERAL_MISMATCH, "reported_tcb",
          "reported_tcb " + reported.kdsQuery(product) + " exceeds current_tcb " + current.kdsQuery(product));
    }
  }

  private static void checkChipId(SnpReport report, VcekExtensions ext, SnpProduct product)
      throws AttestationException {
    if (report.chipKeyMasked()) {
      throw new AttestationException(
          Reason.COLLATERAL_MISMATCH, "chip_id", "chip key is masked: a VCEK-signed report must carry its chip_id");
    }
    byte[] hw = ext.hwId().orElseThrow(() -> new AttestationException(
        Reason.MALFORMED, "chip_id", "VCEK has no hwID extension"));
    byte[] chip = Arrays.copyOf(report.chipId(), product.hwIdLength());
    if (hw.length != product.hwIdLength() || !MessageDigest.isEqual(hw, chip)) {
      throw new AttestationException(
          Reason.COLLATERAL_MISMATCH, "chip_id",
          "report chip_id " + SnpReport.hex(chip) + " does not match the VCEK hwID " + SnpReport.hex(hw));
    }
  }

  private static EvidenceClaims claims(
      Evidence evidence, SnpReport report, SnpProduct product, SnpTcb reported,
      SnpTrustAnchors.Chain chain, Instant expiry) {
    EvidenceClaims.Builder b = EvidenceClaims.builder(TeeType.SEV_SNP, EvidenceFormat.SNP_REPORT)
        .measurement("measurement", report.measurement())
        .measurement("host_data", report.hostData())
        .measurement("id_key_digest", report.idKeyDigest())
        .measurement("author_key_digest", report.authorKeyDigest())
        .measurement("family_id", report.familyId())
        .measurement("image_id", report.imageId())
        .reportData(report.reportData())
        .debug(report.debug())
        .tcbStatus(TcbStatus.UP_TO_DATE)
        .simulated(!chain.pinned())
        .collateralExpiry(expiry)
        .evidenceDigest(evidence.digest())
        .attribute("product", product.kdsName())
        .attribute("signing_key", report.signingKey().name())
        .attribute("report_version", Integer.toString(report.version()))
        .attribute("guest_svn", Integer.toUnsignedString(report.guestSvn()))
        .attribute("policy", String.format("0x%016x", report.policy()))
        .attribute("migrate_ma", Boolean.toString((report.policy() & SnpReport.POLICY_MIGRATE_MA) != 0))
        .attribute("smt_allowed", Boolean.toString((report.policy() & SnpReport.POLICY_SMT) != 0))
        .attribute("vmpl", Integer.toString(report.vmpl()))
        .attribute("chip_id", SnpReport.hex(report.chipId()))
        .attribute("reported_tcb", reported.kdsQuery(product))
        .attribute("current_tcb", SnpTcb.decode(report.currentTcbRaw(), product).kdsQuery(product))
        .attribute("committed_tcb", SnpTcb.decode(report.committedTcbRaw(), product).kdsQuery(product))
        .attribute("launch_tcb", SnpTcb.decode(report.launchTcbRaw(), product).kdsQuery(product))
        .attribute("firmware", report.currentFirmware())
        .attribute("platform_info", String.format("0x%016x", report.platformInfo()));
    if (report.guestSvn() >= 0) {
      b.isvSvn(report.guestSvn());
    }
    return b.build();
  }

  private static Instant earliest(X509Certificate... certs) {
    Instant min = Instant.MAX;
    for (X509Certificate c : certs) {
      Instant t = c.getNotAfter().toInstant();
      if (t.isBefore(min)) {
        min = t;
      }
    }
    return min;
  }

  private static String describe(List<SnpTrustAnchors.Chain> chains) {
    List<String> out = new ArrayList<>();
    for (SnpTrustAnchors.Chain c : chains) {
      out.add(c.product().kdsName() + "/" + c.keyType());
    }
    return out.toString();
  }

  @Override
  public String toString() {
    return "SnpVerifier{anchors=" + describe(anchors.chains()) + ", vcekSource=" + vcekSource + "}";
  }

  /** Builder; not thread-safe. Defaults: {@link SnpTrustAnchors#bundled()}, {@link VcekSource#none()}. */
  public static final class Builder {
    private SnpTrustAnchors anchors;
    private VcekSource vcekSource = VcekSource.none();
    private Clock clock;

    private Builder() {}

    public Builder trustAnchors(SnpTrustAnchors anchors) {
      this.anchors = Objects.requireNonNull(anchors);
      return this;
    }

    public Builder vcekSource(VcekSource source) {
      this.vcekSource = Objects.requireNonNull(source);
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    public SnpVerifier build() {
      if (anchors == null) {
        anchors = SnpTrustAnchors.bundled();
      }
      return new SnpVerifier(this);
    }
  }
}
