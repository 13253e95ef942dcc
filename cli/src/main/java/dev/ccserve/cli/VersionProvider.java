package dev.ccserve.cli;

import picocli.CommandLine.IVersionProvider;

/** Prints ccserve's version and the TensorFlow library it embeds. */
final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Main.class.getPackage().getImplementationVersion();
    return new String[] {
      "ccserve " + (v == null ? "development build" : v),
      "TensorFlow Library: 2.18.0 (TensorFlow Java 1.1.0)"
    };
  }
}
