package org.fcp.shuffler.tensors;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.fcp.aggregation.Aggregator;
import org.fcp.aggregation.Tensor;

/** Tensors and client updates as the JNI services' JSON carries them, and back. */
public final class TensorsJson {
  private TensorsJson() {}

  /** One tensor: {"name": "w", "shape": [2, 3], "values": [...]} (row-major float32). */
  public record TensorJson(String name, long[] shape, float[] values) {}

  /** One client's update and its weight (e.g. its number of examples). */
  public record UpdateJson(double weight, List<TensorJson> tensors) {}

  public static List<Tensor> toTensors(List<TensorJson> tensors, String what) {
    if (tensors == null || tensors.isEmpty()) {
      throw new IllegalArgumentException(what + ": no tensors");
    }
    List<Tensor> result = new ArrayList<>();
    for (TensorJson t : tensors) {
      Objects.requireNonNull(t, what + ": a null tensor");
      if (t.name() == null || t.shape() == null || t.values() == null) {
        throw new IllegalArgumentException(what + ": every tensor needs name, shape and values");
      }
      result.add(new Tensor(t.name(), t.shape(), t.values()));
    }
    return result;
  }

  public static List<TensorJson> fromTensors(List<Tensor> tensors) {
    List<TensorJson> result = new ArrayList<>();
    for (Tensor t : tensors) {
      result.add(new TensorJson(t.name(), t.shape(), t.values()));
    }
    return result;
  }

  /** The updates as checkpoints and their weights, as Aggregator.aggregate takes them. */
  public static List<byte[]> checkpoints(List<UpdateJson> updates) {
    if (updates == null || updates.isEmpty()) {
      throw new IllegalArgumentException("no updates");
    }
    List<byte[]> result = new ArrayList<>();
    for (int i = 0; i < updates.size(); i++) {
      result.add(Aggregator.encode(toTensors(updates.get(i).tensors(), "update " + i)));
    }
    return result;
  }

  public static double[] weights(List<UpdateJson> updates) {
    return updates.stream().mapToDouble(UpdateJson::weight).toArray();
  }

  /** A clip norm from JSON: absent means no clipping. */
  public static double clipNorm(Double value) {
    return value == null ? Double.POSITIVE_INFINITY : value;
  }

  public static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
