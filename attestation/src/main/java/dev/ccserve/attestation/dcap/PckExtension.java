package dev.ccserve.attestation.dcap;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import java.io.IOException;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Enumerated;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;

/**
 * The Intel SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1, reference §4.5): PPID,
 * TCB (16 component SVNs, PCESVN, CPUSVN), PCE-ID, FMSPC and SGX type. It is the platform's TCB as
 * certified by Intel, which is what TCB levels are matched against (not the quote's cpu_svn).
 *
 * <p>Immutable; accessors return copies. {@link #encode()} writes the same structure (used by the
 * simulated TEE).
 */
public final class PckExtension {
  public static final String OID = "1.2.840.113741.1.13.1";
  private static final ASN1ObjectIdentifier ROOT = new ASN1ObjectIdentifier(OID);
  private static final ASN1ObjectIdentifier PPID = ROOT.branch("1");
  private static final ASN1ObjectIdentifier TCB = ROOT.branch("2");
  private static final ASN1ObjectIdentifier PCE_ID = ROOT.branch("3");
  private static final ASN1ObjectIdentifier FMSPC = ROOT.branch("4");
  private static final ASN1ObjectIdentifier SGX_TYPE = ROOT.branch("5");
  private static final String STEP = "pck_extension";

  private final byte[] ppid;
  private final int[] componentSvns;
  private final int pceSvn;
  private final byte[] cpuSvn;
  private final byte[] pceId;
  private final byte[] fmspc;
  private final int sgxType;

  public PckExtension(byte[] ppid, int[] componentSvns, int pceSvn, byte[] cpuSvn, byte[] pceId,
      byte[] fmspc, int sgxType) {
    if (componentSvns.length != 16 || fmspc.length != 6 || pceId.length != 2 || cpuSvn.length != 16) {
      throw new IllegalArgumentException(
          "expected 16 component SVNs, 16-byte CPUSVN, 2-byte PCE-ID, 6-byte FMSPC");
    }
    this.ppid = ppid.clone();
    this.componentSvns = componentSvns.clone();
    this.pceSvn = pceSvn;
    this.cpuSvn = cpuSvn.clone();
    this.pceId = pceId.clone();
    this.fmspc = fmspc.clone();
    this.sgxType = sgxType;
  }

  /** Reads the extension from a PCK certificate. */
  public static PckExtension of(X509Certificate pck) throws AttestationException {
    byte[] ext = pck.getExtensionValue(OID);
    if (ext == null) {
      throw new AttestationException(Reason.MALFORMED, STEP,
          "expected SGX extension " + OID + " in the PCK certificate, found none");
    }
    try {
      ASN1Primitive inner = ASN1Primitive.fromByteArray(ASN1OctetString.getInstance(ext).getOctets());
      return parse(ASN1Sequence.getInstance(inner));
    } catch (IOException | RuntimeException e) {
      throw new AttestationException(Reason.MALFORMED, STEP,
          "SGX extension is not valid DER: " + e.getClass().getSimpleName());
    }
  }

  private static PckExtension parse(ASN1Sequence seq) throws AttestationException {
    byte[] ppid = new byte[0];
    int[] comps = null;
    int pceSvn = -1;
    byte[] cpuSvn = null;
    byte[] pceId = null;
    byte[] fmspc = null;
    int sgxType = 0;
    for (ASN1Encodable e : seq) {
      ASN1Sequence kv = ASN1Sequence.getInstance(e);
      ASN1ObjectIdentifier oid = ASN1ObjectIdentifier.getInstance(kv.getObjectAt(0));
      ASN1Encodable v = kv.getObjectAt(1);
      if (oid.equals(PPID)) {
        ppid = ASN1OctetString.getInstance(v).getOctets();
      } else if (oid.equals(TCB)) {
        comps = new int[16];
        java.util.Arrays.fill(comps, -1);
        for (ASN1Encodable t : ASN1Sequence.getInstance(v)) {
          ASN1Sequence tkv = ASN1Sequence.getInstance(t);
          ASN1ObjectIdentifier toid = ASN1ObjectIdentifier.getInstance(tkv.getObjectAt(0));
          if (!toid.on(TCB)) {
            continue;
          }
          int idx = Integer.parseInt(toid.getId().substring(TCB.getId().length() + 1));
          if (idx >= 1 && idx <= 16) {
            comps[idx - 1] = smallInt(tkv.getObjectAt(1));
          } else if (idx == 17) {
            pceSvn = smallInt(tkv.getObjectAt(1));
          } else if (idx == 18) {
            cpuSvn = ASN1OctetString.getInstance(tkv.getObjectAt(1)).getOctets();
          }
        }
      } else if (oid.equals(PCE_ID)) {
        pceId = ASN1OctetString.getInstance(v).getOctets();
      } else if (oid.equals(FMSPC)) {
        fmspc = ASN1OctetString.getInstance(v).getOctets();
      } else if (oid.equals(SGX_TYPE)) {
        sgxType = ASN1Enumerated.getInstance(v).intValueExact();
      }
    }
    if (comps == null || pceSvn < 0 || cpuSvn == null || cpuSvn.length != 16 || pceId == null
        || pceId.length != 2 || fmspc == null || fmspc.length != 6) {
      throw new AttestationException(Reason.MALFORMED, STEP,
          "expected TCB (16 SVNs, PCESVN, 16-byte CPUSVN), 2-byte PCE-ID and 6-byte FMSPC");
    }
    for (int c : comps) {
      if (c < 0) {
        throw new AttestationException(Reason.MALFORMED, STEP, "missing TCB component SVN");
      }
    }
    return new PckExtension(ppid, comps, pceSvn, cpuSvn, pceId, fmspc, sgxType);
  }

  private static int smallInt(ASN1Encodable v) {
    BigInteger b = ASN1Integer.getInstance(v).getValue();
    if (b.signum() < 0 || b.bitLength() > 16) {
      throw new IllegalArgumentException("SVN out of range");
    }
    return b.intValue();
  }

  /** DER of the extension value (the SEQUENCE, not wrapped in an OCTET STRING). */
  public byte[] encode() {
    ASN1EncodableVector tcb = new ASN1EncodableVector();
    for (int i = 0; i < 16; i++) {
      tcb.add(pair(TCB.branch(Integer.toString(i + 1)), new ASN1Integer(componentSvns[i])));
    }
    tcb.add(pair(TCB.branch("17"), new ASN1Integer(pceSvn)));
    tcb.add(pair(TCB.branch("18"), new DEROctetString(cpuSvn)));
    ASN1EncodableVector all = new ASN1EncodableVector();
    all.add(pair(PPID, new DEROctetString(ppid)));
    all.add(pair(TCB, new DERSequence(tcb)));
    all.add(pair(PCE_ID, new DEROctetString(pceId)));
    all.add(pair(FMSPC, new DEROctetString(fmspc)));
    all.add(pair(SGX_TYPE, new ASN1Enumerated(sgxType)));
    try {
      return new DERSequence(all).getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static DERSequence pair(ASN1ObjectIdentifier oid, ASN1Encodable value) {
    return new DERSequence(new ASN1Encodable[] {oid, value});
  }

  public byte[] ppid() {
    return ppid.clone();
  }

  /** The 16 SGX TCB component SVNs. */
  public int[] componentSvns() {
    return componentSvns.clone();
  }

  public int pceSvn() {
    return pceSvn;
  }

  public byte[] cpuSvn() {
    return cpuSvn.clone();
  }

  public byte[] pceId() {
    return pceId.clone();
  }

  public byte[] fmspc() {
    return fmspc.clone();
  }

  /** FMSPC as upper-case hex, as Intel writes it in TCB Info. */
  public String fmspcHex() {
    return HexFormat.of().withUpperCase().formatHex(fmspc);
  }

  public String pceIdHex() {
    return HexFormat.of().withUpperCase().formatHex(pceId);
  }

  public int sgxType() {
    return sgxType;
  }
}
