package dev.ccserve.attestation.dcap;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ccserve.attestation.AttestationException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Parsed QE Identity v2 ("QE" or "TD_QE"). Parse only after the signature verified. */
final class QeIdentity {
  final String id;
  final Instant issueDate;
  final Instant nextUpdate;
  final long miscSelect;
  final long miscSelectMask;
  final byte[] attributes;
  final byte[] attributesMask;
  final byte[] mrSigner;
  final int isvProdId;
  final List<TcbInfo.IsvLevel> levels;

  private QeIdentity(String id, Instant issueDate, Instant nextUpdate, long miscSelect,
      long miscSelectMask, byte[] attributes, byte[] attributesMask, byte[] mrSigner, int isvProdId,
      List<TcbInfo.IsvLevel> levels) {
    this.id = id;
    this.issueDate = issueDate;
    this.nextUpdate = nextUpdate;
    this.miscSelect = miscSelect;
    this.miscSelectMask = miscSelectMask;
    this.attributes = attributes;
    this.attributesMask = attributesMask;
    this.mrSigner = mrSigner;
    this.isvProdId = isvProdId;
    this.levels = levels;
  }

  static QeIdentity parse(String text) throws AttestationException {
    Json j = new Json("qe_identity");
    JsonNode n = j.parse(text);
    int version = j.integer(n, "version");
    if (version != 2) {
      throw j.fail("expected QE Identity version 2, found " + version);
    }
    byte[] misc = j.hex(n, "miscselect");
    byte[] miscMask = j.hex(n, "miscselectMask");
    byte[] attrs = j.hex(n, "attributes");
    byte[] attrsMask = j.hex(n, "attributesMask");
    byte[] mrSigner = j.hex(n, "mrsigner");
    if (misc.length != 4 || miscMask.length != 4 || attrs.length != 16 || attrsMask.length != 16
        || mrSigner.length != 32) {
      throw j.fail("expected 4-byte miscselect(+mask), 16-byte attributes(+mask), 32-byte mrsigner");
    }
    List<TcbInfo.IsvLevel> levels = new ArrayList<>();
    for (JsonNode l : j.array(n, "tcbLevels")) {
      levels.add(TcbInfo.isvLevel(j, l));
    }
    return new QeIdentity(j.text(n, "id"), j.instant(n, "issueDate"), j.instant(n, "nextUpdate"),
        bigEndian32(misc), bigEndian32(miscMask), attrs, attrsMask, mrSigner,
        j.integer(n, "isvprodid"), List.copyOf(levels));
  }

  /** Intel writes miscselect as big-endian hex of the u32 value. */
  private static long bigEndian32(byte[] b) {
    return (b[0] & 0xFFL) << 24 | (b[1] & 0xFFL) << 16 | (b[2] & 0xFFL) << 8 | (b[3] & 0xFFL);
  }
}
