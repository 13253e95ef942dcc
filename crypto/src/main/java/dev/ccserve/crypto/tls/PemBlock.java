package dev.ccserve.crypto.tls;

import java.util.Arrays;
import java.util.Objects;

/**
 * One decoded PEM block: its label ({@code CERTIFICATE}, {@code PRIVATE KEY}, ...) and the DER
 * bytes of its body. Immutable; {@link #der()} returns a copy. {@link #toString()} prints only the
 * label and the length, so that a block holding a private key never ends up in a log.
 */
public final class PemBlock {
  private final String label;
  private final byte[] der;

  public PemBlock(String label, byte[] der) {
    this.label = Objects.requireNonNull(label, "label");
    this.der = Objects.requireNonNull(der, "der").clone();
  }

  public String label() {
    return label;
  }

  public byte[] der() {
    return der.clone();
  }

  @Override
  public String toString() {
    return "PemBlock[" + label + ", " + der.length + " bytes]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PemBlock p && p.label.equals(label) && Arrays.equals(p.der, der);
  }

  @Override
  public int hashCode() {
    return label.hashCode() * 31 + Arrays.hashCode(der);
  }
}
