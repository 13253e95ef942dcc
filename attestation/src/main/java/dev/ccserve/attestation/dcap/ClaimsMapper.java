package dev.ccserve.attestation.dcap;

import dev.ccserve.attestation.EvidenceClaims;
import dev.ccserve.attestation.TeeType;
import java.util.HexFormat;

/** Maps a parsed quote's body to claim names (see {@link EvidenceClaims}). */
final class ClaimsMapper {
  private static final HexFormat HEX = HexFormat.of();

  private ClaimsMapper() {}

  static EvidenceClaims.Builder claims(DcapQuote q) {
    if (q.isTdx()) {
      TdReportBody t = q.tdBody();
      EvidenceClaims.Builder b = EvidenceClaims.builder(TeeType.TDX, q.format())
          .measurement("mr_td", t.mrTd())
          .measurement("mr_seam", t.mrSeam())
          .measurement("mr_signer_seam", t.mrSignerSeam())
          .measurement("mr_config_id", t.mrConfigId())
          .measurement("mr_owner", t.mrOwner())
          .measurement("mr_owner_config", t.mrOwnerConfig())
          .reportData(t.reportData())
          .debug(t.debug())
          .attribute("td_attributes", HEX.formatHex(t.tdAttributes()))
          .attribute("xfam", HEX.formatHex(t.xfam()))
          .attribute("seam_attributes", HEX.formatHex(t.seamAttributes()))
          .attribute("tee_tcb_svn", HEX.formatHex(t.teeTcbSvn()));
      for (int i = 0; i < 4; i++) {
        b.measurement("rtmr" + i, t.rtmr(i));
      }
      if (t.isTd15()) {
        b.measurement("mr_servicetd", t.mrServiceTd());
        b.attribute("tee_tcb_svn2", HEX.formatHex(t.teeTcbSvn2()));
      }
      return b;
    }
    SgxReportBody s = q.sgxBody();
    return EvidenceClaims.builder(TeeType.SGX, q.format())
        .measurement("mr_enclave", s.mrEnclave())
        .measurement("mr_signer", s.mrSigner())
        .measurement("config_id", s.configId())
        .isvProdId(s.isvProdId())
        .isvSvn(s.isvSvn())
        .reportData(s.reportData())
        .debug(s.debug())
        .attribute("attributes", HEX.formatHex(s.attributes()))
        .attribute("misc_select", String.format("%08x", s.miscSelect()))
        .attribute("cpu_svn", HEX.formatHex(s.cpuSvn()))
        .attribute("config_svn", Integer.toString(s.configSvn()))
        .attribute("isv_ext_prod_id", HEX.formatHex(s.isvExtProdId()))
        .attribute("isv_family_id", HEX.formatHex(s.isvFamilyId()));
  }
}
