package dev.ccserve.attestation.provider.tsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.Evidence;
import dev.ccserve.attestation.EvidenceClaims;
import dev.ccserve.attestation.EvidenceFormat;
import dev.ccserve.attestation.TeeType;
import dev.ccserve.attestation.snp.FakeAmd;
import dev.ccserve.attestation.snp.SnpCertificateTable;
import dev.ccserve.attestation.snp.SnpVerifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against a temporary directory plus hooks emulating the kernel side of configfs-tsm. */
class TsmEvidenceProviderTest {
  static FakeAmd amd;

  @BeforeAll
  static void setUp() {
    amd = FakeAmd.shared();
  }

  /** Emulates the kernel: attribute files on mkdir, outblob from inblob, generation counter. */
  static class FakeKernel implements ConfigfsHooks {
    final String provider;
    final int generationStep;

    FakeKernel(String provider, int generationStep) {
      this.provider = provider;
      this.generationStep = generationStep;
    }

    @Override
    public void created(Path entry) throws IOException {
      Files.writeString(entry.resolve("provider"), provider + "\n");
      Files.writeString(entry.resolve("generation"), "0\n");
      Files.write(entry.resolve("inblob"), new byte[0]);
      Files.write(entry.resolve("outblob"), new byte[0]);
    }

    @Override
    public void inblobWritten(Path entry) throws IOException {
      byte[] rd = Files.readAllBytes(entry.resolve("inblob"));
      if (provider.equals("sev_guest")) {
        byte[] report = amd.sign(amd.template(rd));
        Files.write(entry.resolve("outblob"), report);
        try {
          Files.write(entry.resolve("auxblob"),
              SnpCertificateTable.of(Map.of(SnpCertificateTable.VCEK, amd.vcek.getEncoded())).encode());
        } catch (java.security.cert.CertificateEncodingException e) {
          throw new IOException(e);
        }
      } else {
        Files.write(entry.resolve("outblob"), tdxQuote(rd));
      }
      Files.writeString(entry.resolve("generation"), generationStep + "\n");
    }

    @Override
    public void removing(Path entry) throws IOException {
      try (Stream<Path> files = Files.list(entry)) {
        for (Path p : files.toList()) {
          Files.delete(p);
        }
      }
    }
  }

  static byte[] tdxQuote(byte[] rd) {
    byte[] q = new byte[1200];
    q[0] = 4;
    q[2] = 2;
    q[4] = (byte) 0x81;
    System.arraycopy(rd, 0, q, 568, 64);
    return q;
  }

  static byte[] reportData() {
    byte[] rd = new byte[64];
    Arrays.fill(rd, (byte) 0x3c);
    return rd;
  }

  @Test
  void attest_sevGuest_snpEvidenceWithVcekThatVerifies(@TempDir Path root) throws Exception {
    TsmEvidenceProvider p = TsmEvidenceProvider.open(root, new FakeKernel("sev_guest", 1));

    Evidence e = p.attest(reportData());
    EvidenceClaims c = SnpVerifier.builder().trustAnchors(amd.anchors()).clock(Clock.systemUTC()).build().verify(e);

    assertThat(p.tee()).isEqualTo(TeeType.SEV_SNP);
    assertThat(e.format()).isEqualTo(EvidenceFormat.SNP_REPORT);
    assertThat(c.reportData()).isEqualTo(reportData());
    try (Stream<Path> left = Files.list(root)) {
      assertThat(left).as("report entries are removed").isEmpty();
    }
  }

  @Test
  void attest_tdxGuest_tdxQuote(@TempDir Path root) throws Exception {
    TsmEvidenceProvider p = TsmEvidenceProvider.open(root, new FakeKernel("tdx_guest", 1));

    Evidence e = p.attest(reportData());

    assertThat(p.tee()).isEqualTo(TeeType.TDX);
    assertThat(e.format()).isEqualTo(EvidenceFormat.TDX_QUOTE_V4);
  }

  @Test
  void attest_generationJumped_concurrentWriterDetected(@TempDir Path root) throws Exception {
    TsmEvidenceProvider p = TsmEvidenceProvider.open(root, new FakeKernel("tdx_guest", 2));

    AttestationException e = catchThrowableOfType(AttestationException.class, () -> p.attest(reportData()));

    assertThat(e.step()).isEqualTo("tsm.generation");
  }

  @Test
  void open_unknownProvider_unsupported(@TempDir Path root) {
    AttestationException e = catchThrowableOfType(AttestationException.class,
        () -> TsmEvidenceProvider.open(root, new FakeKernel("arm_cca_guest", 1)));

    assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED_FORMAT);
    assertThat(e.getMessage()).contains("arm_cca_guest");
  }

  @Test
  void open_noConfigfs_explains(@TempDir Path root) {
    AttestationException e = catchThrowableOfType(AttestationException.class,
        () -> TsmEvidenceProvider.open(root.resolve("missing")));

    assertThat(e.getMessage()).contains("CONFIG_TSM_REPORTS");
  }

  @Test
  void attest_outblobWithOtherReportData_mismatch(@TempDir Path root) throws Exception {
    FakeKernel lying = new FakeKernel("tdx_guest", 1) {
      @Override
      public void inblobWritten(Path entry) throws IOException {
        super.inblobWritten(entry);
        Files.write(entry.resolve("outblob"), tdxQuote(new byte[64]));
      }
    };
    TsmEvidenceProvider p = TsmEvidenceProvider.open(root, lying);

    assertThat(catchThrowableOfType(AttestationException.class, () -> p.attest(reportData())).reason())
        .isEqualTo(Reason.REPORT_DATA_MISMATCH);
  }
}
