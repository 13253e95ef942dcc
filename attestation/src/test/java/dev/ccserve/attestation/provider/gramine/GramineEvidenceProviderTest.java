package dev.ccserve.attestation.provider.gramine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against a temporary directory emulating Gramine's /dev/attestation (no SGX on this machine). */
class GramineEvidenceProviderTest {

  static byte[] reportData() {
    byte[] rd = new byte[64];
    Arrays.fill(rd, (byte) 0x5a);
    return rd;
  }

  static byte[] sgxQuote(byte[] rd) {
    byte[] q = new byte[1020];
    q[0] = 3;
    q[2] = 2;
    System.arraycopy(rd, 0, q, 368, 64);
    return q;
  }

  static Path device(Path dir, String type, byte[] quote) throws Exception {
    Files.writeString(dir.resolve("attestation_type"), type + "\n");
    Files.write(dir.resolve("user_report_data"), new byte[64]);
    Files.write(dir.resolve("quote"), quote);
    return dir;
  }

  @Test
  void attest_dcapDevice_writesReportDataAndReturnsQuote(@TempDir Path dir) throws Exception {
    byte[] rd = reportData();
    device(dir, "dcap", sgxQuote(rd));

    Evidence e = new GramineEvidenceProvider(dir).attest(rd);

    assertThat(e.format()).isEqualTo(EvidenceFormat.SGX_QUOTE_V3);
    assertThat(e.bytes()).isEqualTo(sgxQuote(rd));
    assertThat(Files.readAllBytes(dir.resolve("user_report_data"))).isEqualTo(rd);
  }

  @Test
  void attest_noDevice_saysNotInsideGramine(@TempDir Path dir) {
    AttestationException e = catchThrowableOfType(AttestationException.class,
        () -> new GramineEvidenceProvider(dir.resolve("absent")).attest(reportData()));

    assertThat(e.getMessage()).contains("not running inside Gramine-SGX");
  }

  @Test
  void attest_attestationTypeNone_unsupported(@TempDir Path dir) throws Exception {
    device(dir, "none", sgxQuote(reportData()));

    AttestationException e = catchThrowableOfType(AttestationException.class,
        () -> new GramineEvidenceProvider(dir).attest(reportData()));

    assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED_FORMAT);
    assertThat(e.getMessage()).contains("\"none\"");
  }

  @Test
  void attest_quoteForOtherReportData_mismatch(@TempDir Path dir) throws Exception {
    device(dir, "dcap", sgxQuote(new byte[64]));

    AttestationException e = catchThrowableOfType(AttestationException.class,
        () -> new GramineEvidenceProvider(dir).attest(reportData()));

    assertThat(e.reason()).isEqualTo(Reason.REPORT_DATA_MISMATCH);
  }

  @Test
  void attest_notAQuote_unsupported(@TempDir Path dir) throws Exception {
    device(dir, "dcap", new byte[100]);

    assertThat(catchThrowableOfType(AttestationException.class,
        () -> new GramineEvidenceProvider(dir).attest(reportData())).reason())
        .isEqualTo(Reason.UNSUPPORTED_FORMAT);
  }

  @Test
  void attest_reportDataNot64Bytes_rejected(@TempDir Path dir) throws Exception {
    device(dir, "dcap", sgxQuote(reportData()));

    assertThat(catchThrowableOfType(AttestationException.class,
        () -> new GramineEvidenceProvider(dir).attest(new byte[32])).reason())
        .isEqualTo(Reason.REPORT_DATA_MISMATCH);
  }
}
