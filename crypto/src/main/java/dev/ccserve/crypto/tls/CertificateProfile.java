package dev.ccserve.crypto.tls;

/**
 * What an issued leaf certificate may be used for; selects its extended key usages
 * (id-kp-serverAuth, id-kp-clientAuth or both).
 */
public enum CertificateProfile {
  SERVER,
  CLIENT,
  SERVER_AND_CLIENT
}
