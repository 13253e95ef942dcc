package dev.ccserve.attestation.dcap;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import java.security.MessageDigest;
import java.util.HexFormat;

/** TDX module identity check (reference §5.2 step 6). */
final class TdxModuleCheck {
  private TdxModuleCheck() {}

  /** Returns the module TCB level, or a synthetic UpToDate level when no identity applies. */
  static TcbInfo.IsvLevel check(TcbInfo info, TdReportBody body) throws AttestationException {
    String step = "tdx_module";
    if (info.tdxModule == null) {
      throw new AttestationException(Reason.COLLATERAL_MISMATCH, step,
          "expected tdxModule in TDX TCB Info, found none");
    }
    byte[] teeTcbSvn = body.teeTcbSvn();
    int minor = teeTcbSvn[0] & 0xFF;
    int major = teeTcbSvn[1] & 0xFF;
    TcbInfo.ModuleIdentity identity = info.tdxModule;
    TcbInfo.IsvLevel level = null;
    if (major > 0) {
      String wanted = String.format("TDX_%02X", major);
      identity = null;
      for (TcbInfo.ModuleIdentity m : info.tdxModuleIdentities) {
        if (m.id.equalsIgnoreCase(wanted)) {
          identity = m;
        }
      }
      if (identity == null) {
        throw new AttestationException(Reason.TCB_NOT_SUPPORTED, step,
            "expected TDX module identity " + wanted + " in TCB Info, found none");
      }
      level = TcbEvaluation.isvLevel(identity.levels, minor, Reason.TCB_NOT_SUPPORTED, step,
          "TDX module " + wanted);
    }
    if (!MessageDigest.isEqual(body.mrSignerSeam(), identity.mrSigner)) {
      throw new AttestationException(Reason.TCB_NOT_SUPPORTED, step,
          "expected mr_signer_seam " + HexFormat.of().formatHex(identity.mrSigner) + ", found "
              + HexFormat.of().formatHex(body.mrSignerSeam()));
    }
    byte[] attrs = body.seamAttributes();
    if (identity.attributes.length != 8 || identity.attributesMask.length != 8) {
      throw new AttestationException(Reason.MALFORMED, step, "expected 8-byte module attributes");
    }
    for (int i = 0; i < 8; i++) {
      if ((attrs[i] & identity.attributesMask[i]) != identity.attributes[i]) {
        throw new AttestationException(Reason.TCB_NOT_SUPPORTED, step,
            "expected seam_attributes (masked) " + HexFormat.of().formatHex(identity.attributes)
                + ", found " + HexFormat.of().formatHex(attrs));
      }
    }
    if (level == null) {
      level = new TcbInfo.IsvLevel(minor, dev.ccserve.attestation.TcbStatus.UP_TO_DATE, "",
          java.util.List.of());
    }
    return level;
  }
}
