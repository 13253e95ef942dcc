package dev.ccserve.attestation.diagnostics;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.EvidenceClaims;
import dev.ccserve.attestation.EvidenceVerifier;
import dev.ccserve.attestation.TeeType;
import dev.ccserve.attestation.policy.PolicyGate;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Diagnoses "whatever evidence file the user has": detects the format with the installed {@link
 * EvidenceDecoder}s (bare DCAP quotes here; SNP reports and RA-TLS certificates from the {@code
 * detect} package), verifies it with the verifier for its TEE, applies the reference policy (or,
 * without one, the strict baseline: UpToDate only, no debug, simulated only when explicitly
 * trusted), and reports a {@link Verdict} naming the failing step. Hex or base64 text is unwrapped
 * first.
 *
 * <p>Never throws on any input; every failure becomes a rejected verdict. Thread-safe if the
 * verifiers are.
 */
public final class EvidenceDiagnostics {
  private final List<EvidenceDecoder> decoders;
  private final Map<TeeType, EvidenceVerifier> verifiers;
  private final PolicyGate policy;
  private final boolean trustSimulatedInsecure;

  /**
   * @param decoders tried in priority order
   * @param verifiers one verifier per TEE type; a TEE without one is reported as unsupported
   * @param policy the reference policy, or null for the strict baseline only
   * @param trustSimulatedInsecure DANGEROUS: with no policy, accept simulated evidence
   */
  public EvidenceDiagnostics(List<EvidenceDecoder> decoders, Map<TeeType, EvidenceVerifier> verifiers,
      PolicyGate policy, boolean trustSimulatedInsecure) {
    List<EvidenceDecoder> sorted = new ArrayList<>(decoders);
    sorted.sort(Comparator.comparingInt(EvidenceDecoder::priority));
    this.decoders = List.copyOf(sorted);
    this.verifiers = verifiers.isEmpty() ? Map.of() : new EnumMap<>(verifiers);
    this.policy = policy;
    this.trustSimulatedInsecure = trustSimulatedInsecure;
  }

  /** The decoders registered with {@link ServiceLoader} on this class path. */
  public static List<EvidenceDecoder> installedDecoders() {
    List<EvidenceDecoder> out = new ArrayList<>();
    for (EvidenceDecoder d : ServiceLoader.load(EvidenceDecoder.class,
        EvidenceDecoder.class.getClassLoader())) {
      out.add(d);
    }
    return out;
  }

  /** Detects, verifies and judges {@code input}. */
  public Verdict diagnose(byte[] input) {
    Objects.requireNonNull(input, "input");
    DecodedEvidence decoded;
    try {
      decoded = detect(input).orElse(null);
      if (decoded == null) {
        byte[] unwrapped = unwrapText(input);
        decoded = unwrapped == null ? null : detect(unwrapped).orElse(null);
      }
    } catch (AttestationException e) {
      return rejected(null, null, e);
    }
    if (decoded == null) {
      return rejected(null, null, new AttestationException(Reason.UNSUPPORTED_FORMAT, "detect",
          "not a recognised evidence format (tried " + names() + "; " + input.length + " bytes)"));
    }
    EvidenceVerifier v = verifiers.get(decoded.evidence().tee());
    if (v == null) {
      return rejected(decoded, null, new AttestationException(Reason.UNSUPPORTED_FORMAT, "verify",
          "no verifier configured for " + decoded.evidence().tee()));
    }
    EvidenceClaims claims;
    try {
      claims = v.verify(decoded.evidence());
    } catch (AttestationException e) {
      return rejected(decoded, null, e);
    } catch (RuntimeException e) {
      return rejected(decoded, null, new AttestationException(Reason.MALFORMED, "verify",
          "verifier failed with " + e.getClass().getSimpleName()));
    }
    try {
      if (policy != null) {
        policy.check(claims);
      } else {
        PolicyGate.checkBaseline(claims, trustSimulatedInsecure);
      }
    } catch (AttestationException e) {
      return rejected(decoded, claims, e);
    }
    return verdict(true, decoded, claims, null);
  }

  private Optional<DecodedEvidence> detect(byte[] input) throws AttestationException {
    for (EvidenceDecoder d : decoders) {
      Optional<DecodedEvidence> r;
      try {
        r = d.decode(input);
      } catch (RuntimeException e) {
        throw new AttestationException(Reason.MALFORMED, "detect." + d.name(),
            "decoder failed with " + e.getClass().getSimpleName());
      }
      if (r.isPresent()) {
        return r;
      }
    }
    return Optional.empty();
  }

  private String names() {
    List<String> n = new ArrayList<>();
    decoders.forEach(d -> n.add(d.name()));
    return n.toString();
  }

  /** Hex or base64 text to bytes; null when the input is not such text. */
  static byte[] unwrapText(byte[] input) {
    String s = new String(input, StandardCharsets.ISO_8859_1).replaceAll("\\s+", "");
    if (s.isEmpty() || s.length() > 4_000_000) {
      return null;
    }
    if (s.matches("[0-9a-fA-F]+") && s.length() % 2 == 0) {
      return HexFormat.of().parseHex(s);
    }
    if (s.matches("[A-Za-z0-9+/]+={0,2}")) {
      try {
        return Base64.getDecoder().decode(s);
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    return null;
  }

  private static Verdict rejected(DecodedEvidence d, EvidenceClaims c, AttestationException e) {
    return verdict(false, d, c, e);
  }

  private static Verdict verdict(boolean accepted, DecodedEvidence d, EvidenceClaims c,
      AttestationException e) {
    return new Verdict(accepted,
        d == null ? null : d.evidence().tee().name(),
        d == null ? null : d.evidence().format().name(),
        c == null ? Map.of() : c.measurements(),
        c == null ? null : c.tcbStatus().intelName(),
        c == null ? List.of() : c.advisoryIds(),
        c != null && c.simulated(),
        e == null ? null : e.reason().name(),
        e == null ? null : e.step(),
        e == null ? null : e.detail(),
        c == null || c.collateralExpiry() == null ? null : c.collateralExpiry().toString(),
        c == null ? null : c.reportDataHex(),
        d == null ? null : d.evidence().digest(),
        d == null ? null : d.container(),
        d == null ? Map.of() : d.notes(),
        c == null ? Map.of() : c.attributes());
  }
}
