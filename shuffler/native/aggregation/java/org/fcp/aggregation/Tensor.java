package org.fcp.aggregation;

import java.util.Arrays;
import java.util.Objects;

/**
 * A named float32 tensor of a checkpoint: its shape (empty for a scalar) and its values in
 * row-major order. The arrays are copied in and out, so a tensor never changes.
 */
public final class Tensor {
  private final String name;
  private final long[] shape;
  private final float[] values;

  public Tensor(String name, long[] shape, float[] values) {
    this.name = Objects.requireNonNull(name, "name");
    this.shape = Objects.requireNonNull(shape, "shape").clone();
    this.values = Objects.requireNonNull(values, "values").clone();
  }

  public String name() {
    return name;
  }

  public long[] shape() {
    return shape.clone();
  }

  public float[] values() {
    return values.clone();
  }

  @Override
  public boolean equals(Object other) {
    if (!(other instanceof Tensor)) {
      return false;
    }
    Tensor that = (Tensor) other;
    // Arrays.equals compares floats by their bits: -0.0 differs from 0.0, NaN equals NaN.
    return name.equals(that.name) && Arrays.equals(shape, that.shape) && Arrays.equals(values, that.values);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, Arrays.hashCode(shape), Arrays.hashCode(values));
  }

  @Override
  public String toString() {
    return "Tensor[" + name + ", shape " + Arrays.toString(shape) + ", " + values.length + " values]";
  }
}
