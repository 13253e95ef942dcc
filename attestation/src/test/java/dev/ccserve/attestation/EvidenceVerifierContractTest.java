package dev.ccserve.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link EvidenceVerifier} must meet, run against real (or realistically
 * signed) evidence by each subclass: valid evidence verifies with the evidence's TEE and format;
 * any flipped byte in the authenticated region, truncation, empty input and a mismatched declared
 * format are rejected with an {@link AttestationException}; claims are deterministic and
 * defensive copies.
 */
public abstract class EvidenceVerifierContractTest {
  /** A verifier configured so that {@link #validEvidence()} verifies. */
  protected abstract EvidenceVerifier verifier() throws Exception;

  /** Evidence that {@link #verifier()} accepts. */
  protected abstract Evidence validEvidence() throws Exception;

  /** Exclusive end of the bytes every change of which must be detected. */
  protected abstract int authenticatedLength() throws Exception;

  /** A format of another TEE than the valid evidence's, for the mismatch test. */
  protected abstract EvidenceFormat otherFormat();

  @Test
  void verify_validEvidence_claimsMatchEvidence() throws Exception {
    Evidence e = validEvidence();
    EvidenceClaims c = verifier().verify(e);
    assertThat(c.tee()).isEqualTo(e.tee());
    assertThat(c.format()).isEqualTo(e.format());
    assertThat(c.reportData()).hasSize(64);
    assertThat(c.measurements()).isNotEmpty();
  }

  @Test
  void verify_twice_sameClaimsAndDefensiveCopies() throws Exception {
    EvidenceVerifier v = verifier();
    EvidenceClaims a = v.verify(validEvidence());
    EvidenceClaims b = v.verify(validEvidence());
    assertThat(a.measurements()).isEqualTo(b.measurements());
    assertThat(a.tcbStatus()).isEqualTo(b.tcbStatus());
    byte[] rd = a.reportData();
    rd[0] ^= 1;
    assertThat(a.reportData()).isEqualTo(b.reportData());
  }

  @Test
  void verify_flippedBytesInAuthenticatedRegion_rejected() throws Exception {
    EvidenceVerifier v = verifier();
    byte[] orig = validEvidence().bytes();
    int end = authenticatedLength();
    Random r = new Random(42);
    for (int i = 0; i < 12; i++) {
      byte[] b = orig.clone();
      int pos = r.nextInt(end);
      b[pos] ^= (byte) (1 << r.nextInt(8));
      Evidence mutated = Evidence.of(validEvidence().format(), b);
      assertThatThrownBy(() -> v.verify(mutated)).as("flip at offset " + pos)
          .isInstanceOf(AttestationException.class);
    }
  }

  @Test
  void verify_truncatedOrEmpty_rejected() throws Exception {
    EvidenceVerifier v = verifier();
    byte[] orig = validEvidence().bytes();
    for (int len : new int[] {0, 1, 47, orig.length / 2, authenticatedLength() - 1}) {
      Evidence t = Evidence.of(validEvidence().format(), Arrays.copyOf(orig, len));
      assertThatThrownBy(() -> v.verify(t)).as("truncated to " + len)
          .isInstanceOf(AttestationException.class);
    }
  }

  @Test
  void verify_declaredFormatOfOtherTee_rejected() throws Exception {
    Evidence e = Evidence.of(otherFormat(), validEvidence().bytes());
    assertThatThrownBy(() -> verifier().verify(e)).isInstanceOf(AttestationException.class);
  }
}
