package dev.ccserve.crypto.tls;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Server identity check with the same rules as the JDK's HTTPS endpoint identification (RFC 2818 /
 * RFC 6125): an IP address must equal an IP subjectAltName; a host name must match a DNS
 * subjectAltName (a wildcard only as the whole left-most label), and only when the certificate has
 * no DNS subjectAltName at all does the most specific subject CN count (the seed's v1
 * certificates). Used where the name to verify differs from the dialled host (a server-name
 * override), since JSSE can only check the dialled one. Stateless.
 */
public final class HostnameMatcher {
  private HostnameMatcher() {}

  public static void verify(String host, X509Certificate cert) throws CertificateException {
    if (host == null || host.isEmpty()) {
      throw new CertificateException("no server name to verify the certificate against");
    }
    String name = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (SubjectAltNames.isIpLiteral(name)) {
      verifyIp(name, cert);
    } else {
      verifyDns(name.toLowerCase(Locale.ROOT), cert);
    }
  }

  private static void verifyIp(String ip, X509Certificate cert) throws CertificateException {
    InetAddress want = parseIp(ip);
    for (List<?> san : sans(cert)) {
      if (((Integer) san.get(0)) == 7 && want.equals(parseIp((String) san.get(1)))) {
        return;
      }
    }
    throw new CertificateException(
        "No subject alternative name matching IP address " + ip + " in " + Pem.describe(cert));
  }

  private static void verifyDns(String host, X509Certificate cert) throws CertificateException {
    List<String> dns = new ArrayList<>();
    for (List<?> san : sans(cert)) {
      if (((Integer) san.get(0)) == 2) {
        dns.add(((String) san.get(1)).toLowerCase(Locale.ROOT));
      }
    }
    if (!dns.isEmpty()) {
      for (String d : dns) {
        if (matches(host, d)) {
          return;
        }
      }
      throw new CertificateException(
          "No subject alternative DNS name matching " + host + " found; certificate has " + dns);
    }
    String cn = mostSpecificCn(cert);
    if (cn != null && matches(host, cn.toLowerCase(Locale.ROOT))) {
      return;
    }
    throw new CertificateException(
        "No name matching " + host + " found: certificate has no DNS subjectAltName and CN "
            + (cn == null ? "(none)" : "'" + cn + "'"));
  }

  static boolean matches(String host, String pattern) {
    String h = stripDot(host);
    String p = stripDot(pattern);
    if (!p.startsWith("*.")) {
      return h.equals(p);
    }
    int dot = h.indexOf('.');
    return dot > 0 && h.substring(dot).equals(p.substring(1)) && p.indexOf('.', 2) > 0;
  }

  private static String stripDot(String s) {
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  private static String mostSpecificCn(X509Certificate cert) {
    try {
      List<Rdn> rdns = new LdapName(cert.getSubjectX500Principal().getName()).getRdns();
      String cn = null;
      for (Rdn r : rdns) { // LdapName lists RDNs least specific first
        if (r.getType().equalsIgnoreCase("CN")) {
          cn = r.getValue().toString();
        }
      }
      return cn;
    } catch (InvalidNameException e) {
      return null;
    }
  }

  private static Collection<List<?>> sans(X509Certificate cert) throws CertificateParsingException {
    Collection<List<?>> s = cert.getSubjectAlternativeNames();
    return s == null ? List.of() : s;
  }

  private static InetAddress parseIp(String ip) throws CertificateException {
    try {
      return InetAddress.getByName(ip); // a literal: no name lookup
    } catch (UnknownHostException e) {
      throw new CertificateException("not an IP address: " + ip);
    }
  }
}
