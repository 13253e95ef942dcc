package dev.ccserve.keybroker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ccserve.keybroker.KeyBrokerException.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Append-only audit log of the broker's decisions: one JSON object per line (see {@link
 * AuditEvent} for the fields), each line written with a single append and forced to disk before
 * {@link #append} returns. The broker appends a "released"/"issued" line BEFORE it sends the
 * secret or certificate, so a release that was not logged does not happen.
 *
 * <p>Thread-safe (appends are serialised).
 */
final class AuditLog implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path file;
  private final FileChannel channel;

  private AuditLog(Path file, FileChannel channel) {
    this.file = file;
    this.channel = channel;
  }

  static AuditLog open(Path file) throws KeyBrokerException {
    try {
      return new AuditLog(file, FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.APPEND));
    } catch (IOException e) {
      throw new KeyBrokerException(Kind.CONFIGURATION,
          "--audit_log: cannot open " + file + " for appending: " + e.getClass().getSimpleName(), e);
    }
  }

  /** Writes and fsyncs one line. */
  synchronized void append(AuditEvent event) throws IOException {
    String line;
    try {
      line = JSON.writeValueAsString(event.fields()) + "\n";
    } catch (JsonProcessingException e) {
      throw new IOException("cannot serialise audit event", e);
    }
    ByteBuffer buf = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
    while (buf.hasRemaining()) {
      channel.write(buf);
    }
    channel.force(false);
  }

  Path file() {
    return file;
  }

  @Override
  public synchronized void close() throws IOException {
    channel.close();
  }
}
