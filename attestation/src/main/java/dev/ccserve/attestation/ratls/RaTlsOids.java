package dev.ccserve.attestation.ratls;

/**
 * Object identifiers of the two RA-TLS evidence extensions Gramine emits (attestation.md section
 * 1.1). Both are non-critical.
 */
public final class RaTlsOids {
  /** TCG DICE "tagged evidence": extnValue is CBOR tag 60000 around [bstr evidence, bstr claims]. */
  public static final String TCG_DICE_TAGGED_EVIDENCE = "2.23.133.5.4.9";

  /**
   * Gramine's legacy quote extension: extnValue is the raw quote. The OID was meant to be
   * 1.2.840.113741.1337.6, but Gramine encodes the bytes {@code 06 09 2A 86 48 86 F8 4D 8A 39 06}
   * (tag and length included by mistake) as OID content, which decodes to this value.
   */
  public static final String LEGACY_GRAMINE_QUOTE = "0.6.9.42.840.113741.1337.6";

  /** CBOR tag of the TCG DICE tagged-evidence structure. */
  public static final long TCG_EVIDENCE_CBOR_TAG = 60000;

  private RaTlsOids() {}
}
