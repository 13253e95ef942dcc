package dev.ccserve.attestation.dcap;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import dev.ccserve.attestation.TcbStatus;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/** TCB level matching and status convergence (reference §5.2 steps 6, 9, 11, 12). */
final class TcbEvaluation {
  private TcbEvaluation() {}

  /** Platform level: first level with all SGX SVNs, PCESVN (and TDX SVNs) at or above it. */
  static TcbInfo.Level platformLevel(TcbInfo info, PckExtension pck, byte[] teeTcbSvn)
      throws AttestationException {
    int[] svns = pck.componentSvns();
    for (TcbInfo.Level level : info.levels) {
      if (pck.pceSvn() < level.pceSvn || !allAtLeast(svns, level.sgxSvns, 0)) {
        continue;
      }
      if (teeTcbSvn != null) {
        if (level.tdxSvns == null) {
          throw new AttestationException(Reason.MALFORMED, "tcb_level",
              "expected tdxtcbcomponents in TDX TCB Info levels, found none");
        }
        int start = (teeTcbSvn[1] & 0xFF) > 0 ? 2 : 0;
        int[] tee = new int[16];
        for (int i = 0; i < 16; i++) {
          tee[i] = teeTcbSvn[i] & 0xFF;
        }
        if (!allAtLeast(tee, level.tdxSvns, start)) {
          continue;
        }
      }
      return level;
    }
    throw new AttestationException(Reason.TCB_NOT_SUPPORTED, "tcb_level",
        "no TCB level matches the platform: PCK component SVNs " + Arrays.toString(svns) + " PCESVN "
            + pck.pceSvn()
            + (teeTcbSvn == null ? "" : " tee_tcb_svn " + HexFormat.of().formatHex(teeTcbSvn))
            + "; TCB Info (FMSPC " + info.fmspc + ", evaluation " + info.evaluationDataNumber
            + ") has " + info.levels.size() + " level(s)");
  }

  private static boolean allAtLeast(int[] have, int[] need, int from) {
    for (int i = from; i < 16; i++) {
      if (have[i] < need[i]) {
        return false;
      }
    }
    return true;
  }

  /** First level (levels sorted by descending isvsvn) whose isvsvn is at most {@code isvSvn}. */
  static TcbInfo.IsvLevel isvLevel(List<TcbInfo.IsvLevel> levels, int isvSvn, Reason reason,
      String step, String what) throws AttestationException {
    TcbInfo.IsvLevel best = null;
    for (TcbInfo.IsvLevel l : levels) {
      if (l.isvSvn <= isvSvn && (best == null || l.isvSvn > best.isvSvn)) {
        best = l;
      }
    }
    if (best == null) {
      throw new AttestationException(reason, step,
          "no " + what + " TCB level has isvsvn <= " + isvSvn);
    }
    return best;
  }

  /** Converges the platform status with a QE or TDX module status. */
  static TcbStatus converge(TcbStatus platform, TcbStatus other) {
    if (other == TcbStatus.REVOKED || platform == TcbStatus.REVOKED) {
      return TcbStatus.REVOKED;
    }
    if (other == TcbStatus.OUT_OF_DATE || other == TcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED) {
      switch (platform) {
        case UP_TO_DATE:
        case SW_HARDENING_NEEDED:
          return TcbStatus.OUT_OF_DATE;
        case CONFIGURATION_NEEDED:
        case CONFIGURATION_AND_SW_HARDENING_NEEDED:
          return TcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED;
        default:
          return platform;
      }
    }
    return platform;
  }
}
