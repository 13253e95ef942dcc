package dev.ccserve.attestation.provider.tsm;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Test seam standing in for the kernel behind configfs: a real configfs creates the attribute
 * files on {@code mkdir}, produces {@code outblob} from {@code inblob} on read and drops the files
 * on {@code rmdir}; a plain directory does none of that. Production uses {@link #NONE}.
 */
interface ConfigfsHooks {
  ConfigfsHooks NONE = new ConfigfsHooks() {};

  /** After the report entry was created. */
  default void created(Path entry) throws IOException {}

  /** After inblob was written, before outblob is read. */
  default void inblobWritten(Path entry) throws IOException {}

  /** Before the entry is removed. */
  default void removing(Path entry) throws IOException {}
}
