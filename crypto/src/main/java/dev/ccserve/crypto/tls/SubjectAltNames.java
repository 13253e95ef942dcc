package dev.ccserve.crypto.tls;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;

/** Turns host names and IP literals into subjectAltName entries (DNS or IP, never both). */
final class SubjectAltNames {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern DNS =
      Pattern.compile("(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\\.?");

  private SubjectAltNames() {}

  static boolean isIpLiteral(String name) {
    return IPV4.matcher(name).matches() || (name.contains(":") && name.matches("[0-9A-Fa-f:.]+"));
  }

  static boolean isDnsName(String name) {
    return name.length() <= 253 && DNS.matcher(name).matches();
  }

  /** Normalises and de-duplicates names, rejecting anything that is neither DNS nor IP. */
  static List<String> normalize(List<String> names) {
    Set<String> out = new LinkedHashSet<>();
    for (String raw : names) {
      String n = raw.trim();
      if (n.startsWith("[") && n.endsWith("]")) {
        n = n.substring(1, n.length() - 1);
      }
      if (isIpLiteral(n)) {
        out.add(n);
      } else if (isDnsName(n)) {
        out.add(n.toLowerCase(Locale.ROOT));
      } else {
        throw new TlsMaterialException(
            "expected a DNS name or an IP address for a subjectAltName, found '" + raw + "'");
      }
    }
    return new ArrayList<>(out);
  }

  static GeneralNames toGeneralNames(List<String> names) {
    List<GeneralName> gns = new ArrayList<>();
    for (String n : normalize(names)) {
      gns.add(
          isIpLiteral(n)
              ? new GeneralName(GeneralName.iPAddress, n)
              : new GeneralName(GeneralName.dNSName, n));
    }
    return new GeneralNames(gns.toArray(new GeneralName[0]));
  }
}
