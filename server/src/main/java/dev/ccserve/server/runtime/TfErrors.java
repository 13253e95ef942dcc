package dev.ccserve.server.runtime;

import dev.ccserve.server.core.Code;
import dev.ccserve.server.core.ServingException;
import org.tensorflow.exceptions.TFFailedPreconditionException;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.exceptions.TFOutOfRangeException;
import org.tensorflow.exceptions.TFPermissionDeniedException;
import org.tensorflow.exceptions.TFResourceExhaustedException;
import org.tensorflow.exceptions.TFUnauthenticatedException;
import org.tensorflow.exceptions.TFUnimplementedException;

/**
 * Maps TensorFlow Java's exceptions onto the canonical codes. Some of them extend JDK exceptions
 * ({@code TFInvalidArgumentException} is an IllegalArgumentException), so callers catch
 * {@link #isTensorFlow} exceptions as RuntimeExceptions.
 */
final class TfErrors {
  private TfErrors() {}

  static boolean isTensorFlow(RuntimeException e) {
    return e.getClass().getName().startsWith("org.tensorflow.exceptions.");
  }

  static ServingException map(String what, RuntimeException e) {
    String msg = e.getMessage() == null ? "" : e.getMessage().strip();
    Code code;
    if (e instanceof TFInvalidArgumentException) {
      code = Code.INVALID_ARGUMENT;
    } else if (e instanceof TFFailedPreconditionException) {
      code = Code.FAILED_PRECONDITION;
    } else if (e instanceof TFOutOfRangeException) {
      code = Code.OUT_OF_RANGE;
    } else if (e instanceof TFResourceExhaustedException) {
      code = Code.RESOURCE_EXHAUSTED;
    } else if (e instanceof TFUnimplementedException) {
      code = Code.UNIMPLEMENTED;
    } else if (e instanceof TFPermissionDeniedException) {
      code = Code.PERMISSION_DENIED;
    } else if (e instanceof TFUnauthenticatedException) {
      code = Code.UNAUTHENTICATED;
    } else if (msg.contains("Timed out") || msg.contains("DEADLINE_EXCEEDED")) {
      code = Code.DEADLINE_EXCEEDED;
    } else if (msg.startsWith("NOT_FOUND") || msg.contains("not found")) {
      code = Code.NOT_FOUND;
    } else {
      code = Code.INTERNAL;
    }
    return new ServingException(code, what + ": " + msg);
  }
}
