package dev.ccserve.attestation.provider.tsm;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.EvidenceProvider;
import dev.ccserve.attestation.TeeType;
import dev.ccserve.attestation.detect.EvidenceSniffer;
import dev.ccserve.attestation.snp.SnpCertificateTable;
import dev.ccserve.attestation.snp.SnpEvidence;
import dev.ccserve.attestation.snp.SnpReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * Gets TDX quotes or SEV-SNP reports from Linux configfs-tsm (Linux 6.7+, attestation.md section
 * 7): creates a report entry under {@code /sys/kernel/config/tsm/report/}, reads {@code provider}
 * ({@code tdx_guest} = TDX, {@code sev_guest} = SEV-SNP) and {@code generation}, writes the 64
 * report-data bytes to {@code inblob}, reads {@code outblob} (and for SNP {@code auxblob}, the
 * certificate table with the VCEK, appended as in {@link SnpEvidence}), checks that {@code
 * generation} advanced by exactly one (otherwise another writer raced us), checks the report data,
 * and removes the entry.
 *
 * <p>Works only in a TDX or SNP guest whose kernel has {@code CONFIG_TSM_REPORTS} and configfs
 * mounted; this project's machines have neither (no TEE, no configfs), so it is tested only
 * against an emulated directory. Thread-safe (each call uses its own entry).
 */
public final class TsmEvidenceProvider implements EvidenceProvider {
  /** The configfs-tsm report directory. */
  public static final Path DEFAULT_ROOT = Paths.get("/sys/kernel/config/tsm/report");
  private static final int MAX_BLOB = 64 * 1024;

  private final Path root;
  private final TeeType tee;
  private final ConfigfsHooks hooks;
  private final SecureRandom random = new SecureRandom();

  private TsmEvidenceProvider(Path root, TeeType tee, ConfigfsHooks hooks) {
    this.root = root;
    this.tee = tee;
    this.hooks = hooks;
  }

  /** Opens the default root, detecting TDX vs SNP from the kernel's {@code provider}. */
  public static TsmEvidenceProvider open() throws AttestationException {
    return open(DEFAULT_ROOT);
  }

  /** Opens {@code root}, detecting TDX vs SNP by creating (and removing) a probe entry. */
  public static TsmEvidenceProvider open(Path root) throws AttestationException {
    return open(root, ConfigfsHooks.NONE);
  }

  static TsmEvidenceProvider open(Path root, ConfigfsHooks hooks) throws AttestationException {
    Objects.requireNonNull(root, "root");
    TsmEvidenceProvider probe = new TsmEvidenceProvider(root, null, hooks);
    Path entry = probe.createEntry();
    try {
      return new TsmEvidenceProvider(root, probe.providerOf(entry), hooks);
    } finally {
      probe.remove(entry);
    }
  }

  @Override
  public Evidence attest(byte[] reportData64) throws AttestationException {
    if (reportData64 == null || reportData64.length != 64) {
      throw new AttestationException(
          Reason.REPORT_DATA_MISMATCH, "tsm.report_data",
          "expected 64 bytes of report data, found " + (reportData64 == null ? 0 : reportData64.length));
    }
    Path entry = createEntry();
    try {
      TeeType found = providerOf(entry);
      if (found != tee) {
        throw new AttestationException(
            Reason.UNSUPPORTED_FORMAT, "tsm.provider", "expected provider for " + tee + ", found " + found);
      }
      long before = generation(entry);
      write(entry.resolve("inblob"), reportData64);
      hooks.inblobWritten(entry);
      byte[] out = readBlob(entry, "outblob");
      byte[] aux = tee == TeeType.SEV_SNP && Files.exists(entry.resolve("auxblob")) ? readBlob(entry, "auxblob") : new byte[0];
      long after = generation(entry);
      if (after != before + 1) {
        throw new AttestationException(
            Reason.REPORT_DATA_MISMATCH, "tsm.generation",
            "generation went from " + before + " to " + after + ", expected " + (before + 1) + ": another writer used " + entry);
      }
      return toEvidence(out, aux, reportData64);
    } catch (IOException e) {
      throw new AttestationException(
          Reason.COLLATERAL_UNAVAILABLE, "tsm.io", "configfs-tsm I/O failed under " + entry + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
    } finally {
      remove(entry);
    }
  }

  private Evidence toEvidence(byte[] out, byte[] aux, byte[] reportData) throws AttestationException {
    Evidence evidence;
    if (tee == TeeType.SEV_SNP) {
      if (out.length != SnpReport.SIZE) {
        throw new AttestationException(
            Reason.MALFORMED, "tsm.outblob", "expected an SNP report of " + SnpReport.SIZE + " bytes, found " + out.length);
      }
      evidence = SnpEvidence.toEvidence(out, aux.length == 0 ? null : SnpCertificateTable.parse(aux));
    } else {
      Optional<EvidenceFormat> f = EvidenceSniffer.sniff(out);
      if (f.isEmpty() || f.get().tee() != TeeType.TDX) {
        throw new AttestationException(
            Reason.UNSUPPORTED_FORMAT, "tsm.outblob", "expected a TDX v4/v5 quote, found " + out.length + " unrecognised bytes");
      }
      evidence = Evidence.of(f.get(), out);
    }
    byte[] rd = EvidenceSniffer.reportData(evidence.format(), out).orElseThrow();
    if (!MessageDigest.isEqual(rd, reportData)) {
      throw new AttestationException(
          Reason.REPORT_DATA_MISMATCH, "tsm.outblob", "outblob report_data does not equal the inblob just written");
    }
    return evidence;
  }

  private Path createEntry() throws AttestationException {
    if (!Files.isDirectory(root)) {
      throw new AttestationException(
          Reason.COLLATERAL_UNAVAILABLE, "tsm.device",
          "no configfs-tsm directory " + root + ": not a TDX/SNP guest, kernel without CONFIG_TSM_REPORTS,"
              + " or configfs not mounted (mount -t configfs none /sys/kernel/config)");
    }
    byte[] suffix = new byte[8];
    random.nextBytes(suffix);
    Path entry = root.resolve("ccserve-" + HexFormat.of().formatHex(suffix));
    try {
      Files.createDirectory(entry);
      hooks.created(entry);
      return entry;
    } catch (IOException e) {
      throw new AttestationException(
          Reason.COLLATERAL_UNAVAILABLE, "tsm.device", "cannot create report entry " + entry + ": " + e.getClass().getSimpleName());
    }
  }

  private void remove(Path entry) {
    try {
      hooks.removing(entry);
      Files.deleteIfExists(entry);
    } catch (IOException e) {
      // best effort: a leftover entry only costs kernel memory until the next rmdir
    }
  }

  private TeeType providerOf(Path entry) throws AttestationException {
    String p = text(entry, "provider");
    switch (p) {
      case "tdx_guest":
        return TeeType.TDX;
      case "sev_guest":
        return TeeType.SEV_SNP;
      default:
        throw new AttestationException(
            Reason.UNSUPPORTED_FORMAT, "tsm.provider", "expected provider tdx_guest or sev_guest, found \"" + p + "\"");
    }
  }

  private long generation(Path entry) throws AttestationException {
    String g = text(entry, "generation");
    try {
      return Long.parseLong(g);
    } catch (NumberFormatException e) {
      throw new AttestationException(Reason.MALFORMED, "tsm.generation", "expected a decimal generation, found \"" + g + "\"");
    }
  }

  private String text(Path entry, String name) throws AttestationException {
    try {
      byte[] b = Files.readAllBytes(entry.resolve(name));
      return new String(b, 0, Math.min(b.length, 64), StandardCharsets.US_ASCII).trim();
    } catch (IOException e) {
      throw new AttestationException(
          Reason.COLLATERAL_UNAVAILABLE, "tsm.device", "cannot read " + entry.resolve(name) + ": " + e.getClass().getSimpleName());
    }
  }

  private static byte[] readBlob(Path entry, String name) throws IOException, AttestationException {
    byte[] b = Files.readAllBytes(entry.resolve(name));
    if (b.length > MAX_BLOB) {
      throw new AttestationException(Reason.MALFORMED, "tsm." + name, name + " of " + b.length + " bytes exceeds " + MAX_BLOB);
    }
    return b;
  }

  private static void write(Path p, byte[] data) throws IOException {
    Files.write(p, data, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
  }

  @Override
  public TeeType tee() {
    return tee;
  }

  @Override
  public String name() {
    return "tsm";
  }

  @Override
  public String toString() {
    return "TsmEvidenceProvider{" + root + ", " + tee + "}";
  }
}
