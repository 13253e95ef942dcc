package dev.ccserve.crypto.tls;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * Reads and writes PEM text (RFC 7468) for TLS keys and certificates.
 *
 * <p>The reader is deliberately tolerant of the forms found in TF Serving deployments: base64
 * bodies of any line length (the seed scripts join each PEM onto one line), CRLF line ends, and the
 * two-character escape {@code \n} in place of line breaks (an {@code ssl.cfg} value copied without
 * text-format unescaping). It accepts PKCS#8 ({@code PRIVATE KEY}), SEC1 ({@code EC PRIVATE KEY})
 * and PKCS#1 ({@code RSA PRIVATE KEY}) keys; encrypted keys are refused. The writer emits PKCS#8
 * keys and 64-column bodies. Stateless and thread-safe.
 */
public final class Pem {
  public static final String CERTIFICATE = "CERTIFICATE";
  public static final String PRIVATE_KEY = "PRIVATE KEY";
  public static final String EC_PRIVATE_KEY = "EC PRIVATE KEY";
  public static final String RSA_PRIVATE_KEY = "RSA PRIVATE KEY";
  public static final String CERTIFICATE_REQUEST = "CERTIFICATE REQUEST";

  private static final Pattern BLOCK =
      Pattern.compile(
          "-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END ([A-Z0-9 ]+)-----", Pattern.DOTALL);

  private Pem() {}

  /** Decodes every PEM block in {@code text}, in order; fails when there is none. */
  public static List<PemBlock> decodeAll(String text) {
    if (text == null || text.isBlank()) {
      throw new TlsMaterialException("expected PEM text, found an empty value");
    }
    String normalized = text.replace("\\r", "").replace("\\n", "\n").replace("\r", "");
    Matcher m = BLOCK.matcher(normalized);
    List<PemBlock> blocks = new ArrayList<>();
    while (m.find()) {
      String label = m.group(1);
      if (!label.equals(m.group(3))) {
        throw new TlsMaterialException(
            "PEM block #" + (blocks.size() + 1) + ": 'BEGIN " + label
                + "' is closed by 'END " + m.group(3) + "'");
      }
      blocks.add(new PemBlock(label, decodeBody(label, blocks.size() + 1, m.group(2))));
    }
    if (blocks.isEmpty()) {
      throw new TlsMaterialException(
          "expected PEM text with a '-----BEGIN ...-----' line, found none in "
              + text.length() + " characters");
    }
    return List.copyOf(blocks);
  }

  private static byte[] decodeBody(String label, int index, String body) {
    if (body.contains("Proc-Type:") || body.contains("DEK-Info:")) {
      throw new TlsMaterialException(
          "PEM block #" + index + " '" + label
              + "' is encrypted (Proc-Type header); expected an unencrypted block");
    }
    String compact = body.replaceAll("\\s+", "");
    try {
      byte[] der = Base64.getDecoder().decode(compact);
      if (der.length == 0) {
        throw new TlsMaterialException("PEM block #" + index + " '" + label + "' has an empty body");
      }
      return der;
    } catch (IllegalArgumentException e) {
      throw new TlsMaterialException(
          "PEM block #" + index + " '" + label + "': body is not valid base64 ("
              + compact.length() + " characters)");
    }
  }

  /**
   * Reads the first private key in {@code text} (PKCS#8, SEC1 EC or PKCS#1 RSA).
   *
   * @throws TlsMaterialException naming the labels found when there is no usable key block
   */
  public static PrivateKey readPrivateKey(String text) {
    List<PemBlock> blocks = decodeAll(text);
    for (PemBlock b : blocks) {
      PrivateKey key;
      try {
        key = parseKey(b);
      } catch (IllegalArgumentException | IllegalStateException e) {
        throw new TlsMaterialException("PEM '" + b.label() + "' block is not a valid key structure");
      }
      if (key != null) {
        return key;
      }
    }
    throw new TlsMaterialException(
        "expected a PEM 'PRIVATE KEY' block, found " + labels(blocks));
  }

  private static PrivateKey parseKey(PemBlock b) {
    try {
      return parseKeyUnchecked(b);
    } catch (java.io.IOException e) {
      throw new TlsMaterialException("PEM '" + b.label() + "' block is not a valid key structure");
    }
  }

  private static PrivateKey parseKeyUnchecked(PemBlock b) throws java.io.IOException {
      switch (b.label()) {
        case PRIVATE_KEY:
          return toPrivateKey(PrivateKeyInfo.getInstance(safeDer(b)), b.label());
        case EC_PRIVATE_KEY:
          return toPrivateKey(sec1ToPkcs8(b), b.label());
        case RSA_PRIVATE_KEY:
          return toPrivateKey(
              new PrivateKeyInfo(
                  new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
                  RSAPrivateKey.getInstance(safeDer(b))),
              b.label());
        case "ENCRYPTED PRIVATE KEY":
          throw new TlsMaterialException(
              "expected an unencrypted PEM 'PRIVATE KEY' block, found 'ENCRYPTED PRIVATE KEY'"
                  + " (encrypted keys are not supported)");
        default:
          return null; // keep looking: a key file may also carry certificates
      }
  }

  /** Reads every {@code CERTIFICATE} block in {@code text}, in order (leaf first for a chain). */
  public static List<X509Certificate> readCertificates(String text) {
    List<PemBlock> blocks = decodeAll(text);
    List<X509Certificate> certs = new ArrayList<>();
    CertificateFactory cf = certificateFactory();
    for (PemBlock b : blocks) {
      if (!b.label().equals(CERTIFICATE)) {
        continue;
      }
      try {
        certs.add(
            (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der())));
      } catch (CertificateException | ClassCastException e) {
        throw new TlsMaterialException(
            "PEM 'CERTIFICATE' block #" + (certs.size() + 1)
                + " is not a valid X.509 certificate: " + e.getMessage());
      }
    }
    if (certs.isEmpty()) {
      throw new TlsMaterialException("expected a PEM 'CERTIFICATE' block, found " + labels(blocks));
    }
    return List.copyOf(certs);
  }

  /** Reads the first certificate in {@code text}. */
  public static X509Certificate readCertificate(String text) {
    return readCertificates(text).get(0);
  }

  /** Reads the DER body of the first block labelled {@code label}. */
  public static byte[] readBlock(String text, String label) {
    List<PemBlock> blocks = decodeAll(text);
    for (PemBlock b : blocks) {
      if (b.label().equals(label)) {
        return b.der();
      }
    }
    throw new TlsMaterialException(
        "expected a PEM '" + label + "' block, found " + labels(blocks));
  }

  /** Encodes {@code der} as one PEM block with 64-column lines and a trailing newline. */
  public static String encode(String label, byte[] der) {
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
  }

  /** Encodes a certificate chain, leaf first. */
  public static String encodeCertificates(List<X509Certificate> chain) {
    StringBuilder sb = new StringBuilder();
    for (X509Certificate c : chain) {
      sb.append(encodeCertificate(c));
    }
    return sb.toString();
  }

  public static String encodeCertificate(X509Certificate cert) {
    try {
      return encode(CERTIFICATE, cert.getEncoded());
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new TlsMaterialException("cannot encode certificate " + describe(cert), e);
    }
  }

  /** Encodes a private key as unencrypted PKCS#8 ({@code PRIVATE KEY}). */
  public static String encodePrivateKey(PrivateKey key) {
    if (!"PKCS#8".equals(key.getFormat()) || key.getEncoded() == null) {
      throw new TlsMaterialException(
          "expected a private key exportable as PKCS#8, found format " + key.getFormat());
    }
    return encode(PRIVATE_KEY, key.getEncoded());
  }

  /**
   * Renders PEM text in the seed's one-line form: every block becomes {@code -----BEGIN
   * L-----\nBODY\n-----END L-----} with the two characters backslash and {@code n} (not line
   * breaks) and the base64 body on one line; several blocks are joined with {@code \n}.
   */
  public static String toEscapedOneLine(String pemText) {
    List<PemBlock> blocks = decodeAll(pemText);
    StringBuilder sb = new StringBuilder();
    for (PemBlock b : blocks) {
      if (sb.length() > 0) {
        sb.append("\\n");
      }
      sb.append("-----BEGIN ").append(b.label()).append("-----\\n")
          .append(Base64.getEncoder().encodeToString(b.der()))
          .append("\\n-----END ").append(b.label()).append("-----");
    }
    return sb.toString();
  }

  /** A short, secret-free description of a certificate for error messages. */
  public static String describe(X509Certificate cert) {
    return "'" + cert.getSubjectX500Principal().getName() + "' (serial "
        + cert.getSerialNumber().toString(16) + ")";
  }

  static CertificateFactory certificateFactory() {
    try {
      return CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("the JDK has no X.509 certificate factory", e);
    }
  }

  private static PrivateKeyInfo sec1ToPkcs8(PemBlock b) throws java.io.IOException {
    ECPrivateKey ec = ECPrivateKey.getInstance(safeDer(b));
    ASN1Encodable params = ec.getParametersObject();
    if (params == null) {
      throw new TlsMaterialException(
          "PEM 'EC PRIVATE KEY' block has no curve parameters; expected a named curve");
    }
    return new PrivateKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, params), ec);
  }

  private static byte[] safeDer(PemBlock b) {
    byte[] der = b.der();
    try {
      org.bouncycastle.asn1.ASN1Primitive.fromByteArray(der);
    } catch (java.io.IOException | RuntimeException e) {
      throw new TlsMaterialException("PEM '" + b.label() + "' block is not valid DER");
    }
    return der;
  }

  private static PrivateKey toPrivateKey(PrivateKeyInfo info, String label) {
    try {
      return new JcaPEMKeyConverter().getPrivateKey(info);
    } catch (Exception e) {
      throw new TlsMaterialException(
          "PEM '" + label + "' block is not a supported private key (algorithm "
              + info.getPrivateKeyAlgorithm().getAlgorithm().getId() + ")");
    }
  }

  private static String labels(List<PemBlock> blocks) {
    List<String> ls = new ArrayList<>();
    for (PemBlock b : blocks) {
      ls.add("'" + b.label() + "'");
    }
    return String.join(", ", ls);
  }
}
