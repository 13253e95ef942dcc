package dev.ccserve.client;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;

/** Maps gRPC failures to {@link PredictException}, naming the TLS reason when there is one. */
final class GrpcErrors {
  private GrpcErrors() {}

  static PredictException toPredictException(StatusRuntimeException e) {
    Status s = e.getStatus();
    StringBuilder msg = new StringBuilder(s.getCode().name());
    if (s.getDescription() != null) {
      String d = s.getDescription();
      int pipeline = d.indexOf("\nChannel Pipeline:"); // Netty internals, not useful to a user
      msg.append(": ").append(pipeline >= 0 ? d.substring(0, pipeline) : d);
    }
    String tls = tlsReason(e);
    if (tls != null) {
      msg.append(" (TLS: ").append(tls).append(')');
    } else if (e.getCause() != null) {
      Throwable root = e.getCause();
      while (root.getCause() != null) {
        root = root.getCause();
      }
      if (root.getMessage() != null && !msg.toString().contains(root.getMessage())) {
        msg.append(" (").append(root.getMessage()).append(')');
      }
    }
    return new PredictException(s.getCode().name(), msg.toString(), e);
  }

  /** The innermost SSL/certificate message in the cause chain, with a hint for client-cert alerts. */
  static String tlsReason(Throwable t) {
    String reason = null;
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SSLException || c instanceof CertificateException) {
        reason = c.getMessage();
      }
    }
    if (reason == null) {
      return null;
    }
    String lower = reason.toLowerCase(java.util.Locale.ROOT);
    if (lower.contains("certificate_required") || lower.contains("bad_certificate")
        || lower.contains("certificate required")) {
      reason += "; the server requires a client certificate it accepts: check -ca, -crt and -key";
    }
    return reason;
  }
}
