package dev.ccserve.attestation.dcap;

import static dev.ccserve.attestation.dcap.DcapQuoteVerifierTest.AB_AT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceClaims;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.testing.TestData;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The collateral cache of {@link DcapQuoteVerifier}: a warm verifier (one successful verification
 * with the same collateral and PCK chain) must reject exactly what a cold one rejects.
 */
class VerificationCacheTest {
  /** Collateral set A's TCB Info / QE Identity nextUpdate. */
  private static final Instant A_END = Instant.parse("2025-07-19T10:01:18Z");

  private final MutableClock clock = new MutableClock(AB_AT);
  private final DcapCollateral good = collateral();
  private final AtomicReference<DcapCollateral> served = new AtomicReference<>(good);
  private final DcapQuoteVerifier verifier = DcapQuoteVerifier.intelPinned(
      request -> served.get(), clock);

  private static DcapCollateral collateral() {
    try {
      return DcapCollateral.fromJson(TestData.text("dcap/sgx_quote_collateral.json"));
    } catch (AttestationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Evidence quote() {
    return Evidence.of(EvidenceFormat.SGX_QUOTE_V3, TestData.bytes("dcap/sgx_quote"));
  }

  private EvidenceClaims warm() throws AttestationException {
    EvidenceClaims first = verifier.verify(quote());
    assertThat(verifier.cache().size()).isPositive();
    return first;
  }

  private AttestationException failure() {
    try {
      verifier.verify(quote());
    } catch (AttestationException e) {
      return e;
    }
    throw new AssertionError("expected verification to fail, but it passed");
  }

  @Test
  void verify_secondQuoteSameCollateral_hitsCacheWithSameClaims() throws Exception {
    EvidenceClaims first = warm();
    long hitsBefore = verifier.cache().hits();
    EvidenceClaims second = verifier.verify(quote());
    // PCK chain, root CRL, PCK CRL chain and CRL, TCB Info and QE Identity chains and signatures.
    assertThat(verifier.cache().hits() - hitsBefore).isGreaterThanOrEqualTo(7);
    assertThat(second.tcbStatus()).isEqualTo(first.tcbStatus());
    assertThat(second.advisoryIds()).isEqualTo(first.advisoryIds());
    assertThat(second.collateralExpiry()).isEqualTo(first.collateralExpiry());
    assertThat(second.measurements()).isEqualTo(first.measurements());
  }

  @Test
  void verify_cacheHitAfterNextUpdate_collateralExpired() throws Exception {
    warm();
    clock.now = A_END.plusSeconds(1);
    assertThat(failure().reason()).isEqualTo(Reason.COLLATERAL_EXPIRED);
  }

  @Test
  void verify_cacheHitBeforeIssueDate_collateralExpired() throws Exception {
    warm();
    clock.now = Instant.parse("2025-06-19T10:56:10Z");
    assertThat(failure().reason()).isEqualTo(Reason.COLLATERAL_EXPIRED);
  }

  @Test
  void verify_cachedPckChainAfterLeafNotAfter_certChainInvalid() throws Exception {
    warm();
    clock.now = Instant.parse("2040-01-01T00:00:00Z"); // after every certificate of the chain
    AttestationException e = failure();
    assertThat(e.reason()).as(e.getMessage()).isEqualTo(Reason.CERT_CHAIN_INVALID);
    assertThat(e.step()).isEqualTo("pck_chain");
  }

  @Test
  void verify_tcbInfoTamperedAfterCachedSuccess_collateralSignatureInvalid() throws Exception {
    warm();
    String changed = good.tcbInfo().replace("\"tcbEvaluationDataNumber\":17", "\"tcbEvaluationDataNumber\":18");
    assertThat(changed).isNotEqualTo(good.tcbInfo());
    served.set(good.withTcbInfo(changed, good.tcbInfoSignature()));
    AttestationException e = failure();
    assertThat(e.reason()).isEqualTo(Reason.COLLATERAL_SIGNATURE_INVALID);
    assertThat(e.step()).isEqualTo("tcb_info.signature");
  }

  @Test
  void verify_qeIdentitySignatureFlippedAfterCachedSuccess_collateralSignatureInvalid() throws Exception {
    warm();
    byte[] sig = good.qeIdentitySignature();
    sig[5] ^= 1;
    served.set(good.withQeIdentity(good.qeIdentity(), sig));
    AttestationException e = failure();
    assertThat(e.reason()).isEqualTo(Reason.COLLATERAL_SIGNATURE_INVALID);
    assertThat(e.step()).isEqualTo("qe_identity.signature");
  }

  @Test
  void verify_pckCrlSignatureFlippedAfterCachedSuccess_crlInvalid() throws Exception {
    warm();
    byte[] crl = good.pckCrl();
    crl[crl.length - 3] ^= 1; // inside the signature's s value
    served.set(new DcapCollateral(good.pckCrlIssuerChain(), good.rootCaCrl(), crl,
        good.tcbInfoIssuerChain(), good.tcbInfo(), good.tcbInfoSignature(),
        good.qeIdentityIssuerChain(), good.qeIdentity(), good.qeIdentitySignature()));
    AttestationException e = failure();
    assertThat(e.reason()).as(e.getMessage()).isEqualTo(Reason.CRL_INVALID);
    assertThat(e.step()).isEqualTo("pck_crl");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.ccserve.attestation.dcap.DcapQuoteVerifierNegativeTest#sgxMutations")
  void verify_flippedQuoteByteAfterCachedSuccess_rejectedWithSameReason(String what, int offset,
      Reason reason) throws Exception {
    warm();
    byte[] q = TestData.bytes("dcap/sgx_quote");
    q[offset] ^= (byte) (offset == 432 ? 0x40 : 0x01);
    assertThatThrownBy(() -> verifier.verify(Evidence.of(EvidenceFormat.SGX_QUOTE_V3, q)))
        .isInstanceOfSatisfying(AttestationException.class,
            e -> assertThat(e.reason()).as(what + ": " + e.getMessage()).isEqualTo(reason));
  }

  @Test
  void ecdsaValid_badSignature_falseAndNotRemembered() throws Exception {
    VerificationCache cache = new VerificationCache(4);
    KeyPair kp = p256();
    byte[] data = "tcb info".getBytes(StandardCharsets.UTF_8);
    byte[] sig = Ecdsa.sign(kp.getPrivate(), data);
    sig[3] ^= 1;
    assertThat(cache.ecdsaValid(kp.getPublic(), data, sig)).isFalse();
    assertThat(cache.ecdsaValid(kp.getPublic(), data, sig)).isFalse();
    assertThat(cache.size()).isZero();
  }

  @Test
  void ecdsaValid_sameBytesOtherKey_false() throws Exception {
    VerificationCache cache = new VerificationCache(4);
    KeyPair signer = p256();
    byte[] data = "qe identity".getBytes(StandardCharsets.UTF_8);
    byte[] sig = Ecdsa.sign(signer.getPrivate(), data);
    assertThat(cache.ecdsaValid(signer.getPublic(), data, sig)).isTrue();
    assertThat(cache.ecdsaValid(p256().getPublic(), data, sig)).isFalse();
  }

  @Test
  void ecdsaValid_moreEntriesThanCapacity_sizeBounded() throws Exception {
    VerificationCache cache = new VerificationCache(2);
    KeyPair kp = p256();
    for (String s : List.of("a", "b", "c")) {
      byte[] data = s.getBytes(StandardCharsets.UTF_8);
      assertThat(cache.ecdsaValid(kp.getPublic(), data, Ecdsa.sign(kp.getPrivate(), data))).isTrue();
    }
    assertThat(cache.size()).isEqualTo(2);
  }

  @Test
  void constructor_zeroCapacity_throws() {
    assertThatThrownBy(() -> new VerificationCache(0)).isInstanceOf(IllegalArgumentException.class);
  }

  private static KeyPair p256() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

}
