package dev.ccserve.attestation.snp;

import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.AttestationException.Reason;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The SEV-SNP certificate table returned by the GHCB extended guest request (Linux configfs-tsm
 * {@code auxblob}), which carries the VCEK or VLEK (and possibly ASK/ARK) next to a report.
 *
 * <p>Format: a sequence of 24-byte entries {GUID (16 bytes, RFC 4122 byte order), offset u32 LE,
 * length u32 LE}, ended by an all-zero entry; offsets are relative to the start of the table and
 * point at DER certificates. ccserve's SNP evidence is the 1184-byte report optionally followed by
 * such a table, so a VCEK can travel with the evidence.
 *
 * <p>Immutable and thread-safe.
 */
public final class SnpCertificateTable {
  public static final UUID VCEK = UUID.fromString("63da758d-e664-4564-adc5-f4b93be8accd");
  public static final UUID VLEK = UUID.fromString("a8074bc2-a25a-483e-aae6-39c045a0b8a1");
  public static final UUID ASK = UUID.fromString("4ab7b379-bbac-4fe4-a02f-05aef327c782");
  public static final UUID ARK = UUID.fromString("c0b406a4-a803-4952-9743-3fb6014cd0ae");

  private static final int ENTRY = 24;
  private static final int MAX_ENTRIES = 64;
  private static final int MAX_CERT = 16 * 1024;

  private final Map<UUID, byte[]> entries;

  private SnpCertificateTable(Map<UUID, byte[]> entries) {
    this.entries = entries;
  }

  /** A table with the given GUID to DER entries (insertion order kept). */
  public static SnpCertificateTable of(Map<UUID, byte[]> entries) {
    Map<UUID, byte[]> copy = new LinkedHashMap<>();
    entries.forEach((k, v) -> copy.put(k, v.clone()));
    return new SnpCertificateTable(Collections.unmodifiableMap(copy));
  }

  /**
   * Parses a table; trailing bytes after the last referenced certificate are allowed (hosts pad
   * the buffer to pages).
   *
   * @throws AttestationException MALFORMED when an entry points outside the table or the
   *     terminator is missing
   */
  public static SnpCertificateTable parse(byte[] table) throws AttestationException {
    ByteBuffer b = ByteBuffer.wrap(table).order(ByteOrder.LITTLE_ENDIAN);
    Map<UUID, byte[]> out = new LinkedHashMap<>();
    for (int i = 0; ; i++) {
      if (i >= MAX_ENTRIES) {
        throw malformed("more than " + MAX_ENTRIES + " entries");
      }
      int at = i * ENTRY;
      if (at + ENTRY > table.length) {
        throw malformed("entry " + i + " ends at " + (at + ENTRY) + " beyond table size " + table.length);
      }
      long msb = ByteBuffer.wrap(table, at, 8).getLong();
      long lsb = ByteBuffer.wrap(table, at + 8, 8).getLong();
      long offset = b.getInt(at + 16) & 0xFFFFFFFFL;
      long length = b.getInt(at + 20) & 0xFFFFFFFFL;
      if (msb == 0 && lsb == 0 && offset == 0 && length == 0) {
        return new SnpCertificateTable(Collections.unmodifiableMap(out));
      }
      if (length == 0 || length > MAX_CERT || offset + length > table.length) {
        throw malformed(
            "entry " + i + " (offset " + offset + ", length " + length + ") outside table of " + table.length + " bytes");
      }
      UUID guid = new UUID(msb, lsb);
      if (out.containsKey(guid)) {
        throw malformed("duplicate entry " + guid);
      }
      byte[] der = new byte[(int) length];
      System.arraycopy(table, (int) offset, der, 0, (int) length);
      out.put(guid, der);
    }
  }

  /** Encodes this table in the GHCB layout (entries, terminator, then the certificates). */
  public byte[] encode() {
    int header = (entries.size() + 1) * ENTRY;
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    ByteBuffer head = ByteBuffer.allocate(header).order(ByteOrder.LITTLE_ENDIAN);
    for (Map.Entry<UUID, byte[]> e : entries.entrySet()) {
      head.order(ByteOrder.BIG_ENDIAN)
          .putLong(e.getKey().getMostSignificantBits())
          .putLong(e.getKey().getLeastSignificantBits())
          .order(ByteOrder.LITTLE_ENDIAN)
          .putInt(header + body.size())
          .putInt(e.getValue().length);
      body.writeBytes(e.getValue());
    }
    byte[] out = new byte[header + body.size()];
    System.arraycopy(head.array(), 0, out, 0, header);
    System.arraycopy(body.toByteArray(), 0, out, header, body.size());
    return out;
  }

  /** The DER certificate stored under {@code guid}, if any (a copy). */
  public Optional<byte[]> get(UUID guid) {
    byte[] v = entries.get(guid);
    return v == null ? Optional.empty() : Optional.of(v.clone());
  }

  /** Number of entries. */
  public int size() {
    return entries.size();
  }

  private static AttestationException malformed(String what) {
    return new AttestationException(Reason.MALFORMED, "snp_cert_table", "certificate table: " + what);
  }

  @Override
  public String toString() {
    return "SnpCertificateTable" + entries.keySet();
  }
}
