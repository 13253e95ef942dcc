package dev.ccserve.attestation.snp;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceFormat;
import java.util.Arrays;
import java.util.Optional;

/**
 * The split form of {@link EvidenceFormat#SNP_REPORT} evidence as ccserve carries it: the
 * 1184-byte report, optionally followed by an {@link SnpCertificateTable} (the configfs-tsm
 * {@code auxblob}) that supplies the VCEK/VLEK. A report without a table is the plain AMD format;
 * the verifier then asks its {@link VcekSource}.
 *
 * <p>Still UNVERIFIED. Immutable and thread-safe.
 */
public final class SnpEvidence {
  /** Upper bound on evidence size: a report plus a table with a few certificates. */
  public static final int MAX_SIZE = SnpReport.SIZE + 64 * 1024;

  private final SnpReport report;
  private final SnpCertificateTable table;

  private SnpEvidence(SnpReport report, SnpCertificateTable table) {
    this.report = report;
    this.table = table;
  }

  /** Wraps a raw report and an optional certificate table as evidence. */
  public static Evidence toEvidence(byte[] report, SnpCertificateTable table) {
    if (report.length != SnpReport.SIZE) {
      throw new IllegalArgumentException(
          "expected an SNP report of " + SnpReport.SIZE + " bytes, found " + report.length);
    }
    if (table == null || table.size() == 0) {
      return Evidence.of(EvidenceFormat.SNP_REPORT, report);
    }
    byte[] t = table.encode();
    byte[] out = Arrays.copyOf(report, report.length + t.length);
    System.arraycopy(t, 0, out, report.length, t.length);
    return Evidence.of(EvidenceFormat.SNP_REPORT, out);
  }

  /** Splits raw SNP evidence bytes into report and optional table. */
  public static SnpEvidence parse(byte[] bytes) throws AttestationException {
    if (bytes == null || bytes.length < SnpReport.SIZE || bytes.length > MAX_SIZE) {
      throw new AttestationException(
          Reason.MALFORMED,
          "snp_report",
          "expected SNP evidence of " + SnpReport.SIZE + ".." + MAX_SIZE + " bytes, found "
              + (bytes == null ? 0 : bytes.length));
    }
    SnpReport report = SnpReport.parse(Arrays.copyOf(bytes, SnpReport.SIZE));
    SnpCertificateTable table = null;
    if (bytes.length > SnpReport.SIZE) {
      table = SnpCertificateTable.parse(Arrays.copyOfRange(bytes, SnpReport.SIZE, bytes.length));
    }
    return new SnpEvidence(report, table);
  }

  public SnpReport report() {
    return report;
  }

  /** The certificate table that came with the report, if any. */
  public Optional<SnpCertificateTable> certificateTable() {
    return Optional.ofNullable(table);
  }
}
