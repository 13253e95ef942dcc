package dev.ccserve.attestation.ratls;

import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.EvidenceProvider;
import dev.ccserve.attestation.TeeType;
import java.util.ArrayList;
import java.util.List;

/**
 * An UNSIGNED provider of byte arrays shaped like SGX v3 quotes (version 3, key type 2, report_data
 * at 368), for tests of certificate layout and extraction only; it proves nothing and no verifier
 * accepts it.
 */
final class SgxShapedProvider implements EvidenceProvider {
  final List<byte[]> reportDataSeen = new ArrayList<>();

  static byte[] quote(byte[] reportData64) {
    byte[] q = new byte[1100];
    q[0] = 3;
    q[2] = 2;
    System.arraycopy(reportData64, 0, q, 368, 64);
    return q;
  }

  @Override
  public synchronized Evidence attest(byte[] reportData64) {
    reportDataSeen.add(reportData64.clone());
    return Evidence.of(EvidenceFormat.SGX_QUOTE_V3, quote(reportData64));
  }

  @Override
  public TeeType tee() {
    return TeeType.SGX;
  }

  @Override
  public String name() {
    return "sgx-shaped-unsigned";
  }
}
