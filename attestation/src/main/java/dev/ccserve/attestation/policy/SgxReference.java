package dev.ccserve.attestation.policy;

import java.util.Set;

/**
 * Reference values for SGX enclaves. An empty set means "not checked"; at least one of {@code
 * mrEnclave} and {@code mrSigner} must be non-empty so that some measurement is always checked.
 * Hex values are normalised to lower case.
 *
 * @param mrEnclave allowed MRENCLAVE values (64 hex chars each)
 * @param mrSigner allowed MRSIGNER values (64 hex chars each)
 * @param isvProdId required ISVPRODID, or null for any
 * @param minIsvSvn minimum ISVSVN (inclusive), 0 for any
 */
public record SgxReference(Set<String> mrEnclave, Set<String> mrSigner, Integer isvProdId, int minIsvSvn) {
  public SgxReference {
    mrEnclave = Hex.normaliseSet("sgx.mr_enclave", mrEnclave, 32);
    mrSigner = Hex.normaliseSet("sgx.mr_signer", mrSigner, 32);
    if (mrEnclave.isEmpty() && mrSigner.isEmpty()) {
      throw new IllegalArgumentException(
          "sgx: expected at least one of mr_enclave or mr_signer, found neither");
    }
    if (isvProdId != null && (isvProdId < 0 || isvProdId > 0xFFFF)) {
      throw new IllegalArgumentException("sgx.isv_prod_id: expected 0..65535, found " + isvProdId);
    }
    if (minIsvSvn < 0 || minIsvSvn > 0xFFFF) {
      throw new IllegalArgumentException("sgx.min_isv_svn: expected 0..65535, found " + minIsvSvn);
    }
  }
}
