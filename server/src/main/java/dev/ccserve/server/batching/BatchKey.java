package dev.ccserve.server.batching;

import dev.ccserve.api.tf.DataType;
import dev.ccserve.server.runtime.TfSavedModel;
import java.util.List;

/**
 * What requests must share to be merged into one batch: the loaded model instance (identity, so a
 * reloaded version gets new queues), its name and version, the signature, the output filter, and
 * per input alias (sorted) the dtype and the dimensions after the batch dimension. Immutable.
 */
record BatchKey(TfSavedModel model, String modelName, long version, String signature,
    List<String> outputFilter, List<InputSpec> inputs) {

  /** One input's batch-invariant description. */
  record InputSpec(String alias, DataType dtype, List<Long> innerDims) {
    InputSpec {
      innerDims = List.copyOf(innerDims);
    }
  }

  BatchKey {
    outputFilter = List.copyOf(outputFilter);
    inputs = List.copyOf(inputs);
  }
}
