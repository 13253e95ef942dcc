package dev.ccserve.server.grpc;

import dev.ccserve.server.core.ServingException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one mapping from the serving core's errors to gRPC statuses. Canonical codes map 1:1. Any
 * other exception becomes INTERNAL with a generic message; its detail goes to the server log only,
 * never to the client.
 */
public final class GrpcErrors {
  private static final Logger log = LoggerFactory.getLogger(GrpcErrors.class);

  private GrpcErrors() {}

  public static StatusRuntimeException toStatus(Throwable t) {
    if (t instanceof ServingException se) {
      log.debug("request failed: code={} message={}", se.code(), se.getMessage());
      return Status.fromCodeValue(se.code().value()).withDescription(se.getMessage())
          .asRuntimeException();
    }
    if (t instanceof StatusRuntimeException sre) {
      return sre;
    }
    log.warn("request failed with an unexpected error: {}", t.toString());
    return Status.INTERNAL.withDescription("internal error in ccserve; see the server log")
        .asRuntimeException();
  }
}
