package dev.ccserve.server.modelgen;

/**
 * Size and cost of a generated architecture, counted from the built graph.
 *
 * @param parameters element count of all trainable variables (conv kernels, batch-norm
 *     scale/offset, dense weights and bias)
 * @param batchNormStatistics element count of the batch-norm moving means and variances (not
 *     parameters in the usual sense, but stored in the checkpoint too)
 * @param macsPerExample multiply-accumulates of conv and dense layers for one input example
 *     (batch-norm, activations, pooling and additions not counted)
 */
public record ModelStatistics(long parameters, long batchNormStatistics, long macsPerExample) {
  public ModelStatistics {
    if (parameters < 0 || batchNormStatistics < 0 || macsPerExample < 0) {
      throw new IllegalArgumentException(
          "counts must be >= 0, got parameters=" + parameters + " batchNormStatistics="
              + batchNormStatistics + " macsPerExample=" + macsPerExample);
    }
  }

  /** Bytes the variables take as float32 (parameters plus statistics). */
  public long variableBytes() {
    return 4 * (parameters + batchNormStatistics);
  }
}
