package dev.ccserve.attestation.detect;

import dev.ccserve.attestation.EvidenceFormat;
import java.util.Arrays;
import java.util.Optional;

/**
 * Recognises bare evidence formats from their first bytes, without verifying anything, and locates
 * report_data inside them. Used where evidence arrives without a format label: inside an RA-TLS
 * certificate, or in a file given to the diagnostics CLI.
 *
 * <p>Rules (all integers little-endian): a DCAP quote has u16 version 3/4/5 at 0 and u16
 * attestation key type 2 at 2; v3 is SGX (report_data at 368); v4 with tee_type 0x81 at 4 is TDX
 * (report_data at 568); v5 with body_type 2 or 3 at 48 is TDX (report_data at 574). An SNP report
 * has u32 version 2..5 at 0 and u32 signature_algo 1 at 0x34, at least 1184 bytes (report_data at
 * 0x50). SGX quotes v4/v5 are not produced by DCAP and are not recognised. Stateless and
 * thread-safe.
 */
public final class EvidenceSniffer {
  private static final int SNP_REPORT_SIZE = 0x4A0;
  private static final int MIN_SGX_V3 = 436;
  private static final int MIN_TDX_V4 = 636;
  private static final int MIN_TDX_V5 = 642;

  private EvidenceSniffer() {}

  /** The format of {@code b} if it looks like a bare quote or report. Never throws. */
  public static Optional<EvidenceFormat> sniff(byte[] b) {
    if (b == null || b.length < 48) {
      return Optional.empty();
    }
    int v16 = u16(b, 0);
    int keyType = u16(b, 2);
    if (keyType == 2 && v16 >= 3 && v16 <= 5) {
      long tee = u32(b, 4);
      if (v16 == 3 && b.length >= MIN_SGX_V3) {
        return Optional.of(EvidenceFormat.SGX_QUOTE_V3);
      }
      if (v16 == 4 && tee == 0x81 && b.length >= MIN_TDX_V4) {
        return Optional.of(EvidenceFormat.TDX_QUOTE_V4);
      }
      if (v16 == 5 && tee == 0x81 && b.length >= MIN_TDX_V5) {
        int bodyType = u16(b, 48);
        if (bodyType == 2 || bodyType == 3) {
          return Optional.of(EvidenceFormat.TDX_QUOTE_V5);
        }
      }
      return Optional.empty();
    }
    long v32 = u32(b, 0);
    if (b.length >= SNP_REPORT_SIZE && v32 >= 2 && v32 <= 5 && u32(b, 0x34) == 1) {
      return Optional.of(EvidenceFormat.SNP_REPORT);
    }
    return Optional.empty();
  }

  /**
   * The 64 report_data bytes of evidence in {@code format}, read without verification (the caller
   * must compare against verified claims afterwards), or empty when {@code b} is too short.
   */
  public static Optional<byte[]> reportData(EvidenceFormat format, byte[] b) {
    int off;
    switch (format) {
      case SGX_QUOTE_V3:
        off = 368;
        break;
      case TDX_QUOTE_V4:
        off = 568;
        break;
      case TDX_QUOTE_V5:
        off = 574;
        break;
      case SNP_REPORT:
      default:
        off = 0x50;
        break;
    }
    if (b == null || b.length < off + 64) {
      return Optional.empty();
    }
    return Optional.of(Arrays.copyOfRange(b, off, off + 64));
  }

  private static int u16(byte[] b, int off) {
    return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8;
  }

  private static long u32(byte[] b, int off) {
    return (u16(b, off) | (long) u16(b, off + 2) << 16) & 0xFFFFFFFFL;
  }
}
