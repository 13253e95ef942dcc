package dev.ccserve.crypto.tls;

import java.io.IOException;
import java.security.KeyPair;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Makes PKCS#10 certificate signing requests (DER), e.g. for a key generated inside a TEE that the
 * key broker's {@link CertificateAuthority#signCsr} will certify. Requested SANs are carried as an
 * extensionRequest attribute (informational: the CA decides the names). Stateless.
 */
public final class Pkcs10 {
  private Pkcs10() {}

  public static byte[] create(KeyPair keyPair, String commonName, List<String> requestedSans) {
    try {
      PKCS10CertificationRequestBuilder b =
          new JcaPKCS10CertificationRequestBuilder(CertificateAuthority.cn(commonName), keyPair.getPublic());
      if (!requestedSans.isEmpty()) {
        ExtensionsGenerator ext = new ExtensionsGenerator();
        ext.addExtension(Extension.subjectAlternativeName, false, SubjectAltNames.toGeneralNames(requestedSans));
        b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
      }
      var signer = new JcaContentSignerBuilder(KeyAlgorithm.signatureAlgorithmFor(keyPair.getPrivate()))
          .build(keyPair.getPrivate());
      return b.build(signer).getEncoded();
    } catch (IOException | OperatorCreationException e) {
      throw new TlsMaterialException("cannot create a CSR for '" + commonName + "'", e);
    }
  }

  /** The CSR as PEM ({@code CERTIFICATE REQUEST}). */
  public static String toPem(byte[] der) {
    return Pem.encode(Pem.CERTIFICATE_REQUEST, der);
  }
}
