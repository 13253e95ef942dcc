package dev.ccserve.attestation.snp;

import java.security.MessageDigest;
import java.security.PublicKey;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;

/**
 * AMD EPYC product lines that issue SEV-SNP reports, each with its pinned AMD Root Key (ARK).
 *
 * <p>The ARK public keys below are the DER SubjectPublicKeyInfo of the ARK certificates that AMD
 * publishes at {@code https://kdsintf.amd.com/vcek/v1/<product>/cert_chain} (copied from the
 * certificates in the project's test data; fingerprints in attestation.md section 6.2). The key,
 * not the certificate, is pinned: a re-issued ARK with the same key is still accepted.
 *
 * <p>The product also decides the layout of the 8-byte TCB_VERSION: Milan and Genoa use
 * [bootloader, TEE, 4 reserved, SNP, microcode]; Turin uses [FMC, bootloader, TEE, SNP, 3 reserved,
 * microcode] and an 8-byte hwID. Immutable and thread-safe.
 */
public enum SnpProduct {
  MILAN("Milan", Pins.ARK_MILAN_SPKI, false),
  GENOA("Genoa", Pins.ARK_GENOA_SPKI, false),
  TURIN("Turin", Pins.ARK_TURIN_SPKI, true);


  private final String kdsName;
  private final byte[] arkSpki;
  private final boolean turinLayout;

  SnpProduct(String kdsName, String arkSpkiBase64, boolean turinLayout) {
    this.kdsName = kdsName;
    this.arkSpki = Base64.getDecoder().decode(arkSpkiBase64);
    this.turinLayout = turinLayout;
  }

  /** The product name as used in AMD KDS URLs, e.g. {@code "Milan"}. */
  public String kdsName() {
    return kdsName;
  }

  /** A copy of the pinned DER SubjectPublicKeyInfo of this product's ARK. */
  public byte[] arkSpki() {
    return arkSpki.clone();
  }

  /** True when {@code key} is exactly this product's pinned ARK public key. */
  public boolean isPinnedArk(PublicKey key) {
    return key != null && MessageDigest.isEqual(arkSpki, key.getEncoded());
  }

  /** True for products whose TCB_VERSION starts with an FMC SPL (Turin and later). */
  boolean turinTcbLayout() {
    return turinLayout;
  }

  /** Number of chip_id bytes a VCEK's hwID extension carries (8 on Turin, 64 before). */
  int hwIdLength() {
    return turinLayout ? 8 : 64;
  }

  /**
   * Maps a VCEK product-name extension ("Milan-B0", "Genoa", "Turin-B0") or a KDS name to a
   * product; Siena parts use the Genoa keys.
   */
  public static Optional<SnpProduct> fromName(String name) {
    if (name == null) {
      return Optional.empty();
    }
    String base = name.split("-", 2)[0].trim().toLowerCase(Locale.ROOT);
    switch (base) {
      case "milan":
        return Optional.of(MILAN);
      case "genoa":
      case "siena":
        return Optional.of(GENOA);
      case "turin":
        return Optional.of(TURIN);
      default:
        return Optional.empty();
    }
  }

  /** Base64 DER SubjectPublicKeyInfo of the ARKs (RSA-4096). */
  private static final class Pins {
    private static final String ARK_MILAN_SPKI =
        "MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEA0Ld52RJOdeiJlqK2JdsVmD7FktuotWwX1fNgW41XY9Xz"
        + "1HEhSUmhLz9Cu9DHRlvgJSNxbeYYsnJfvyjx1MfU0V5tkKiU1EesNFta1kTA0szNisdYc9isqk7mXT5+KfGRbfc4"
        + "V/9zRIcE8jlHN61S1ju8X93+6dxDUrG2SzxqJ4BhqyYmUDruPXJSX4vUc01P7j98MpqOS95rORdGHeI52Naz5m2B"
        + "+O+vjsC060d37jY9LFeuOP4Meri8qgfi2S5kKqg/aF6aPtuAZQVR7u3KFYXP59XmJgtcog05gmI0T/OitLhuzVvp"
        + "ZcLph0odh/1IPXqx3+MnjD97A7fXpqGd/y8KxX7jksTEzAOgbKAeam3lm+3yKIcTYMlsRMXPcjNbIvmsBykD//xS"
        + "niusuHBkgnlENEWx1UcbQQrs+gVDkuVPhsnzIRNgYvM48Y+7LGiJYnrmE8xcrexekBxrva2V9TJQqnN3Q53kt5vi"
        + "Qi3+gCfmkwC0F0tirIZbLkXPrPwzZ0M9eNxhIySb2npJfgnqz55I0u33wh4r0ZNQeTGfw03MBUtyuzGesGkcw+lo"
        + "qMaq1qR4tjGbPYxCvpCq7+OgpCCoMNit2uLo9M18fHz10lOMT8nWAUvRZFzteXCm+7PHdYPlmQwUw3LvenJ/ILXo"
        + "QPHfbkH0CyPfhl1jWhJFZasCAwEAAQ==";

    private static final String ARK_GENOA_SPKI =
        "MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEA3Cd95S/uFOuRIskW9vz9VDBF69NDQF79oRhL/L2PVQGh"
        + "K3YdfEBgpF/JiwWFBsT/fXDhzA01p3LkcT/7LdjcRfKXjHl+0Qq/M4dZkh6QDoUeKzNBLDcBKDDGWo3v35NyrxbA"
        + "1DnkYwUKU5AAk4P94tKXLp80oxt84ahyHoLmc/LqsGsp+oq1Bz4PPsYLwTG4iMKVaaT90/oZ4I8oibSru92vJhlq"
        + "WO27d/Rxc3iUMyhNeGToOvgx/iUo4gGpG61NDpkEUvIzuKcaMx8IdTpWg2DF6SwF0IgVMffnvtJmA68BwJNWo1E4"
        + "PLJdaPfBifcJpuBFwNVQIPQEVX3aP89HJSp8YbY9lySS6PlVEqTBBtaQmi4ATGmMR+n2K/e+JAhU2Gj7jIpJhOkd"
        + "H9firQDnmlA2SFfJ/Cc0mGNzW9RmIhyOUnNFoclmkRhl3/AQU5Ys9Qsan1jT/EiyT+pCpmnA+y9edvhDCbOG8F2o"
        + "xHGRdTBkylungrkXJGYiwGrR8kaiqv7NN8QhOBMqYjcbrkEr0f8QMKklIS5ruOfqlLMCBw8JLB3LkjpWgtD7Opxk"
        + "zSsohN47Uom86RY6lp72g8eXHP1qYrnvhzaG1S70vw6OkbaaC9EjiH/uHgAJQGxon7u0Q7xgoREWA/e7JcBQwLg8"
        + "0Hq/sbRuqesxz7wBWSY254cCAwEAAQ==";

    private static final String ARK_TURIN_SPKI =
        "MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAwaAriB7EIuVc4ZB1wD3YfDxL+9eyS7+izm0Jj3W772NI"
        + "NCWl8Bj3w/JD2ZjmbRxWdIq/4d9iarCKorXloJUB1jRdgxqccTx1aOoig4+2w1XhVVJT7K457wT5ZLNJgQaxqa9E"
        + "tkwjd6+9sOhlCDE9l43kQ0R2BikVJa/uyyVOSwEk5w5tXKOuG9jvq6QtAMJasW38wlqRDaKEGtZ9VUgGon27ZuL4"
        + "sTJuC/azz9/iQBw8kEilzOl95AiTkeY5jSEBDWbAqnZk5qlM7kISKG20kgQm14mhNKDI2p2oua+zuAG7i52epoRF"
        + "2GfU0TYk/yf+vCNB2tnechFQuP2e8bLk95ZdqPi9/UWw4JXjtdEA4u2JYplSSUPQVAXKt6LVqujtJcM59JKr2u0X"
        + "Q75KwxcMp15gSXhBfInvPAwuAY4dEwwGqT8oIg4esPHwEsmChhYeDIxPG9R4fx9O0q6p8Gb+HXlTiS47P9YNeOpi"
        + "dOUKzDl/S1OvyhDtSL8LJc24QATFydo/iD/KUdvFTRlD0crkAMkZLoWQ8hLDGc6BZJXsdd7Zf2e4UW3tI/1oh/2t"
        + "23Ot3zyhTcv5gDbABu0LjVe98uRnS15SMwK//lJt9e5BqKvgABkSoABf+B4VFtPVEX0ygrYaFaI9i5ABrxnVBmzX"
        + "pRb21iI1NlNCfOGUPIhVpWECAwEAAQ==";

    private Pins() {}
  }
}
