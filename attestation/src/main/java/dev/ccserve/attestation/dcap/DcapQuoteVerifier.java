package dev.ccserve.attestation.dcap;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceClaims;
import dev.ccserve.attestation.EvidenceVerifier;
import dev.ccserve.attestation.TcbStatus;
import dev.ccserve.attestation.TeeType;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Verifies Intel DCAP ECDSA quotes (SGX v3, TDX v4, TDX v5) with the complete algorithm of
 * reference §5.2: PCK chain to a pinned root key, Root CA and PCK CRLs, TCB Info and QE Identity
 * signatures over the exact JSON text, QE report signature by the PCK key, QE report-data binding
 * of the attestation key, quote signature, QE identity match, TCB level matching (SGX components,
 * PCESVN, TDX components and TDX module identity) and status convergence. Time comes from the
 * injected {@link Clock}; collateral from a {@link CollateralSource}.
 *
 * <p>Security guarantees: returned claims were signed by a QE whose PCK certificate chains to a
 * trusted root, with fresh, correctly signed collateral. Restrictions: reference values are NOT
 * checked here (use {@code PolicyGate}); statuses other than UpToDate are reported, not rejected.
 * TDX TD 1.5 relaunch advice is not evaluated.
 *
 * <p>The default ({@link #intelPinned}) trusts only the Intel SGX Root CA key. {@link
 * #trustingSimulatedRootInsecure} additionally trusts the simulated TEE's root: evidence chaining to
 * it is marked {@code simulated=true}.
 *
 * <p>Collateral cache: the time-independent results of chain validation, CRL signatures and the
 * TCB Info / QE Identity signatures are remembered per verifier, keyed by SHA-256 of the exact
 * bytes checked (see {@link VerificationCache}); all windows, revocation lookups, ids and the
 * quote's own signatures are checked on every call against the injected clock. Thread-safe if the
 * source is; {@link #withOptions} copies share the cache (same roots).
 */
public final class DcapQuoteVerifier implements EvidenceVerifier {
  private final List<TrustedRoot> roots;
  private final CollateralSource collateral;
  private final Clock clock;
  private final DcapVerifierOptions options;
  private final VerificationCache cache;

  /** A verifier with explicit trusted roots (tests and tooling); prefer the named factories. */
  public DcapQuoteVerifier(List<TrustedRoot> roots, CollateralSource collateral, Clock clock,
      DcapVerifierOptions options) {
    this(roots, collateral, clock, options, new VerificationCache(VerificationCache.DEFAULT_CAPACITY));
  }

  private DcapQuoteVerifier(List<TrustedRoot> roots, CollateralSource collateral, Clock clock,
      DcapVerifierOptions options, VerificationCache cache) {
    if (roots == null || roots.isEmpty()) {
      throw new IllegalArgumentException("expected at least one trusted root");
    }
    this.roots = List.copyOf(roots);
    this.collateral = Objects.requireNonNull(collateral, "collateral");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.options = Objects.requireNonNull(options, "options");
    this.cache = Objects.requireNonNull(cache, "cache");
  }

  /** The production verifier: only the pinned Intel SGX Root CA key is trusted. */
  public static DcapQuoteVerifier intelPinned(CollateralSource collateral, Clock clock) {
    return new DcapQuoteVerifier(List.of(IntelSgxRootCa.trustedRoot()), collateral, clock,
        DcapVerifierOptions.STRICT);
  }

  /**
   * DANGEROUS: also trusts the simulated TEE root {@code simulatedRootKey}. Simulated evidence
   * proves nothing about hardware; it is reported with {@code simulated=true} and rejected by any
   * policy that does not set {@code trust_simulated_insecure}. Intel evidence still verifies.
   */
  public static DcapQuoteVerifier trustingSimulatedRootInsecure(PublicKey simulatedRootKey,
      CollateralSource collateral, Clock clock) {
    return new DcapQuoteVerifier(
        List.of(IntelSgxRootCa.trustedRoot(),
            new TrustedRoot("SIMULATED - NOT INTEL", simulatedRootKey, true)),
        collateral, clock, DcapVerifierOptions.STRICT);
  }

  /** A copy with other freshness options. */
  public DcapQuoteVerifier withOptions(DcapVerifierOptions newOptions) {
    return new DcapQuoteVerifier(roots, collateral, clock, newOptions, cache);
  }

  /** The verifier's cache of time-independent results (for tests). */
  VerificationCache cache() {
    return cache;
  }

  @Override
  public EvidenceClaims verify(Evidence evidence) throws AttestationException {
    Objects.requireNonNull(evidence, "evidence");
    if (evidence.tee() == TeeType.SEV_SNP) {
      throw new AttestationException(Reason.UNSUPPORTED_FORMAT, "parse",
          "expected a DCAP quote, found " + evidence.format());
    }
    DcapQuote quote = DcapQuote.parse(evidence.bytes());
    if (quote.format() != evidence.format()) {
      throw new AttestationException(Reason.MALFORMED, "parse",
          "evidence declared as " + evidence.format() + " but the quote is " + quote.format());
    }
    try {
      return verifyParsed(quote, evidence.digest());
    } catch (RuntimeException e) {
      // Defence in depth: nothing but AttestationException may escape.
      throw new AttestationException(Reason.MALFORMED, "internal",
          "unexpected " + e.getClass().getSimpleName() + " while verifying quote " + evidence.digest());
    }
  }

  private EvidenceClaims verifyParsed(DcapQuote quote, String digest) throws AttestationException {
    Instant at = clock.instant();
    TeeType tee = quote.isTdx() ? TeeType.TDX : TeeType.SGX;
    // 1-2. PCK chain to a pinned root.
    if (quote.certificationDataType() != DcapQuote.CERT_TYPE_PCK_CHAIN) {
      throw new AttestationException(Reason.UNSUPPORTED_FORMAT, "certification_data",
          "expected certification data type 5 (PCK certificate chain), found type "
              + quote.certificationDataType() + ": PCK certificate not in quote");
    }
    CertChains.Validated pck = cache.validate(
        CertChains.parse(quote.certificationData(), "pck_chain"), roots, at, "pck_chain");
    String leafName = pck.leaf().getSubjectX500Principal().getName();
    if (!leafName.contains("PCK Certificate")) {
      throw new AttestationException(Reason.CERT_CHAIN_INVALID, "pck_chain",
          "expected a PCK leaf (CN contains \"SGX PCK Certificate\"), found \"" + leafName + "\"");
    }
    PckExtension ext = PckExtension.of(pck.leaf());
    CollateralRequest request = new CollateralRequest(tee, ext.fmspcHex(), caOf(pck));
    DcapCollateral col = collateral.collateral(request);
    CollateralVerifier cv = new CollateralVerifier(roots, options, at, cache);
    cv.noteExpiry(pck.earliestNotAfter());
    // 3. CRLs.  4-5. TCB Info and QE Identity.
    cv.checkCrls(col, pck);
    TcbInfo tcbInfo = cv.tcbInfo(col, tee, ext);
    QeIdentity qeId = cv.qeIdentity(col, tee);
    // 7. QE report signed by the PCK key.
    SgxReportBody qe = quote.qeReport();
    if (!Ecdsa.verify(pck.leaf().getPublicKey(), qe.raw(), quote.qeReportSignature())) {
      throw new AttestationException(Reason.QE_REPORT_SIGNATURE_INVALID, "qe_report_signature",
          "QE report signature does not verify with the PCK certificate key");
    }
    // 8. QE report_data binds the attestation key and auth data.
    checkBinding(quote, qe);
    // 10. Quote signature by the attestation key.
    PublicKey ak = Ecdsa.fromRaw(quote.attestationKey());
    if (ak == null || !Ecdsa.verify(ak, quote.signedRegion(), quote.signature())) {
      throw new AttestationException(Reason.QUOTE_SIGNATURE_INVALID, "quote_signature",
          "quote signature does not verify with the attestation key over the header and body");
    }
    // 9. QE identity.
    TcbInfo.IsvLevel qeLevel = matchQeIdentity(qe, qeId);
    // 6, 11. TCB levels.
    TcbInfo.Level platform = TcbEvaluation.platformLevel(tcbInfo, ext,
        quote.isTdx() ? quote.tdBody().teeTcbSvn() : null);
    TcbInfo.IsvLevel module = quote.isTdx() ? TdxModuleCheck.check(tcbInfo, quote.tdBody()) : null;
    // 12. Converge.
    TcbStatus status = TcbEvaluation.converge(platform.status, qeLevel.status);
    Set<String> advisories = new LinkedHashSet<>(platform.advisoryIds);
    advisories.addAll(qeLevel.advisoryIds);
    if (module != null) {
      status = TcbEvaluation.converge(status, module.status);
      advisories.addAll(module.advisoryIds);
    }
    EvidenceClaims.Builder b = ClaimsMapper.claims(quote)
        .tcbStatus(status)
        .advisoryIds(new ArrayList<>(advisories))
        .simulated(pck.root.simulated())
        .collateralExpiry(cv.earliestExpiry())
        .evidenceDigest(digest)
        .attribute("fmspc", ext.fmspcHex())
        .attribute("pce_id", ext.pceIdHex())
        .attribute("pck_ca", request.ca().pcsName())
        .attribute("platform_tcb_status", platform.status.intelName())
        .attribute("tcb_date", platform.tcbDate)
        .attribute("tcb_evaluation_data_number", Integer.toString(tcbInfo.evaluationDataNumber))
        .attribute("qe_tcb_status", qeLevel.status.intelName())
        .attribute("trusted_root", pck.root.name());
    if (module != null) {
      b.attribute("tdx_module_tcb_status", module.status.intelName());
    }
    return b.build();
  }

  private static CollateralRequest.PckCa caOf(CertChains.Validated pck) throws AttestationException {
    String issuer = pck.leaf().getIssuerX500Principal().getName();
    if (issuer.contains("Platform CA")) {
      return CollateralRequest.PckCa.PLATFORM;
    }
    if (issuer.contains("Processor CA")) {
      return CollateralRequest.PckCa.PROCESSOR;
    }
    throw new AttestationException(Reason.CERT_CHAIN_INVALID, "pck_chain",
        "expected PCK issuer \"... PCK Processor CA\" or \"... PCK Platform CA\", found \"" + issuer + "\"");
  }

  private static void checkBinding(DcapQuote quote, SgxReportBody qe) throws AttestationException {
    byte[] expected;
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(quote.attestationKey());
      sha.update(quote.qeAuthData());
      expected = sha.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] rd = qe.reportData();
    if (!MessageDigest.isEqual(expected, Arrays.copyOf(rd, 32))) {
      throw new AttestationException(Reason.ATTESTATION_KEY_BINDING_INVALID, "qe_report_data",
          "expected QE report_data[0..32) = SHA-256(attestation key || QE auth data), found a"
              + " different value");
    }
  }

  private static TcbInfo.IsvLevel matchQeIdentity(SgxReportBody qe, QeIdentity id)
      throws AttestationException {
    String step = "qe_identity_match";
    if (!MessageDigest.isEqual(qe.mrSigner(), id.mrSigner)) {
      throw new AttestationException(Reason.QE_IDENTITY_MISMATCH, step,
          "expected QE mrsigner " + HexFormat.of().formatHex(id.mrSigner) + ", found "
              + HexFormat.of().formatHex(qe.mrSigner()));
    }
    if (qe.isvProdId() != id.isvProdId) {
      throw new AttestationException(Reason.QE_IDENTITY_MISMATCH, step,
          "expected QE isvprodid " + id.isvProdId + ", found " + qe.isvProdId());
    }
    if ((qe.miscSelect() & id.miscSelectMask) != id.miscSelect) {
      throw new AttestationException(Reason.QE_IDENTITY_MISMATCH, step,
          String.format("expected QE miscselect & 0x%08x == 0x%08x, found 0x%08x",
              id.miscSelectMask, id.miscSelect, qe.miscSelect()));
    }
    byte[] attrs = qe.attributes();
    for (int i = 0; i < 16; i++) {
      if ((attrs[i] & id.attributesMask[i]) != id.attributes[i]) {
        throw new AttestationException(Reason.QE_IDENTITY_MISMATCH, step,
            "expected QE attributes (masked) " + HexFormat.of().formatHex(id.attributes)
                + ", found " + HexFormat.of().formatHex(attrs));
      }
    }
    TcbInfo.IsvLevel level = TcbEvaluation.isvLevel(id.levels, qe.isvSvn(),
        Reason.QE_IDENTITY_MISMATCH, "qe_tcb_level", "QE identity");
    return level;
  }

  @Override
  public String toString() {
    List<String> names = new ArrayList<>();
    for (TrustedRoot r : roots) {
      names.add(r.toString());
    }
    return "DcapQuoteVerifier{roots=" + names + ", options=" + options + "}";
  }
}
