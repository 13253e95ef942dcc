package dev.ccserve.attestation.dcap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.testing.TestData;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Randomised robustness: the parser and the verifier throw only AttestationException, on mutated,
 * truncated and random input. Seeded so failures reproduce; ~3000 cases, a few seconds.
 */
class DcapQuoteFuzzTest {
  private static final long SEED = 0xCC5E12EL;

  private static void parseOnlyAttestationException(byte[] b) {
    try {
      DcapQuote q = DcapQuote.parse(b);
      assertThat(q.signedRegion().length).isLessThanOrEqualTo(b.length);
      new DcapQuoteDecoder().decode(b);
    } catch (AttestationException e) {
      assertThat(e.reason()).isNotNull();
    }
  }

  @Test
  void parse_randomMutationsOfRealQuotes_onlyAttestationException() {
    Random r = new Random(SEED);
    for (String f : new String[] {"sgx_quote", "tdx_quote", "tdx_quote_outdated"}) {
      byte[] orig = TestData.bytes("dcap/" + f);
      for (int i = 0; i < 400; i++) {
        byte[] b = orig.clone();
        int flips = 1 + r.nextInt(8);
        for (int k = 0; k < flips; k++) {
          // bias towards the structural parts (header, lengths, signature data)
          int pos = r.nextBoolean() ? r.nextInt(Math.min(b.length, 1300)) : r.nextInt(b.length);
          b[pos] = (byte) r.nextInt(256);
        }
        if (r.nextInt(4) == 0) {
          b = java.util.Arrays.copyOf(b, r.nextInt(b.length + 1));
        }
        parseOnlyAttestationException(b);
      }
    }
  }

  @Test
  void parse_randomBytesWithValidHeaderPrefix_onlyAttestationException() {
    Random r = new Random(SEED + 1);
    byte[] header = java.util.Arrays.copyOf(TestData.bytes("dcap/tdx_quote"), 48);
    for (int i = 0; i < 800; i++) {
      byte[] b = new byte[r.nextInt(6000)];
      r.nextBytes(b);
      if (b.length >= 48 && r.nextBoolean()) {
        System.arraycopy(header, 0, b, 0, 48);
        b[0] = (byte) (3 + r.nextInt(3));
      }
      parseOnlyAttestationException(b);
    }
  }

  @Test
  void verify_mutatedQuotes_onlyAttestationException() throws Exception {
    DcapCollateral c = DcapCollateral.fromJson(TestData.text("dcap/sgx_quote_collateral.json"));
    DcapQuoteVerifier v = DcapQuoteVerifier.intelPinned(FileCollateralSource.of(c),
        Clock.fixed(Instant.parse("2025-06-20T00:00:00Z"), ZoneOffset.UTC));
    byte[] orig = TestData.bytes("dcap/sgx_quote");
    // Everything before the embedded root certificate is authenticated (the root certificate
    // itself is optional: trust comes from the pinned key), so every mutation there must fail.
    int rootPem = new String(orig, java.nio.charset.StandardCharsets.ISO_8859_1)
        .lastIndexOf("-----BEGIN CERTIFICATE-----");
    Random r = new Random(SEED + 2);
    for (int i = 0; i < 25; i++) {
      byte[] b = orig.clone();
      int pos = r.nextInt(rootPem);
      b[pos] ^= (byte) (1 + r.nextInt(255));
      try {
        v.verify(Evidence.of(EvidenceFormat.SGX_QUOTE_V3, b));
        throw new AssertionError("mutation at offset " + pos + " was accepted");
      } catch (AttestationException e) {
        assertThat(e.reason()).isNotNull();
      }
    }
  }
}
