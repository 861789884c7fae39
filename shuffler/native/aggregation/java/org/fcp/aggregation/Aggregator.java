package org.fcp.aggregation;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Federated averaging in native code ({@code libaggregation-jni.so}): the weighted mean of client
 * updates, each first scaled down to an L2-norm bound, over checkpoints in the format documented
 * in {@code shuffler/native/aggregation/README.md}.
 *
 * <p>The library is loaded with {@code System.loadLibrary("aggregation-jni")} when this class is
 * initialised, so it must be on {@code java.library.path} (the services run with {@code
 * -Djava.library.path=.} next to it). Bad input never crashes the JVM: every method throws {@link
 * IllegalArgumentException} with a message naming the checkpoint, tensor or element at fault, and
 * {@link NullPointerException} for a null argument.
 */
public final class Aggregator {
  /** The name {@link System#loadLibrary} is given: the file is {@code libaggregation-jni.so}. */
  public static final String LIBRARY_NAME = "aggregation-jni";

  /** The checkpoint format version this class and its library read and write. */
  public static final int FORMAT_VERSION = 1;

  static {
    System.loadLibrary(LIBRARY_NAME);
    int version = nativeFormatVersion();
    if (version != FORMAT_VERSION) {
      throw new UnsatisfiedLinkError(
          "lib" + LIBRARY_NAME + ".so writes checkpoint format " + version + ", this class expects " + FORMAT_VERSION);
    }
  }

  private Aggregator() {}

  /**
   * Aggregates client updates: {@code sum_i(w_i * c_i * u_i) / sum_i(w_i)}, element by element, where
   * {@code c_i = min(1, clipNorm / ||u_i||)} and {@code ||u_i||} is the L2 norm of all of update
   * {@code i}'s values together. Computed in double precision, rounded to float32 once.
   *
   * @param checkpoints the updates, each an encoded checkpoint with the same tensor names, order
   *     and shapes
   * @param weights one weight per update: finite, not negative, not all zero
   * @param clipNorm the largest norm an update keeps: positive, or {@link Double#POSITIVE_INFINITY}
   *     for no clipping
   * @return the aggregate as an encoded checkpoint, with the updates' names and shapes
   * @throws IllegalArgumentException for a checkpoint that is truncated or corrupt, shapes or names
   *     that differ, a NaN or infinite value, a bad weight or clip norm
   */
  public static byte[] aggregate(List<byte[]> checkpoints, double[] weights, double clipNorm) {
    Objects.requireNonNull(checkpoints, "checkpoints");
    Objects.requireNonNull(weights, "weights");
    byte[][] updates = new byte[checkpoints.size()][];
    for (int i = 0; i < updates.length; i++) {
      updates[i] = Objects.requireNonNull(checkpoints.get(i), "checkpoint " + i);
    }
    return nativeAggregate(updates, weights, clipNorm);
  }

  /** Encodes tensors as a checkpoint; names must be printable ASCII, unique, at most 1024 bytes. */
  public static byte[] encode(List<Tensor> tensors) {
    Objects.requireNonNull(tensors, "tensors");
    int count = tensors.size();
    String[] names = new String[count];
    long[][] shapes = new long[count][];
    float[][] values = new float[count][];
    for (int i = 0; i < count; i++) {
      Tensor tensor = Objects.requireNonNull(tensors.get(i), "tensor " + i);
      names[i] = tensor.name();
      shapes[i] = tensor.shape();
      values[i] = tensor.values();
    }
    return nativeEncode(names, shapes, values);
  }

  /** Decodes a checkpoint into its tensors, in the order they were written. */
  public static List<Tensor> decode(byte[] checkpoint) {
    Object[] parts = nativeDecode(Objects.requireNonNull(checkpoint, "checkpoint"));
    String[] names = (String[]) parts[0];
    long[][] shapes = (long[][]) parts[1];
    float[][] values = (float[][]) parts[2];
    List<Tensor> tensors = new ArrayList<>(names.length);
    for (int i = 0; i < names.length; i++) {
      tensors.add(new Tensor(names[i], shapes[i], values[i]));
    }
    return tensors;
  }

  /** The L2 norm of all of a checkpoint's values together, as {@link #aggregate} clips it. */
  public static double l2Norm(byte[] checkpoint) {
    return nativeL2Norm(Objects.requireNonNull(checkpoint, "checkpoint"));
  }

  // Registered by the library's JNI_OnLoad (aggregator_jni.cc), by name and signature.
  private static native byte[] nativeAggregate(byte[][] checkpoints, double[] weights, double clipNorm);

  private static native byte[] nativeEncode(String[] names, long[][] shapes, float[][] values);

  private static native Object[] nativeDecode(byte[] checkpoint);

  private static native double nativeL2Norm(byte[] checkpoint);

  private static native int nativeFormatVersion();
}
