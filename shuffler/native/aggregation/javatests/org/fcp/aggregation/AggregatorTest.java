package org.fcp.aggregation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * The JNI boundary of libaggregation-jni.so, loaded by the real JVM: results against the same
 * arithmetic done here in Java, the checkpoint bytes against a reader and writer of the documented
 * format written here (java.util.zip.CRC32 for the checksum), and bad input that must come back as
 * IllegalArgumentException, never a crash.
 */
final class AggregatorTest {
  private static final double NO_CLIP = Double.POSITIVE_INFINITY;

  // --- The format, written and read here without the library.

  private static byte[] writeJava(List<Tensor> tensors) {
    ByteBuffer out = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    out.put("FCPCKPT\0".getBytes(StandardCharsets.US_ASCII)).putInt(1).putInt(tensors.size());
    for (Tensor t : tensors) {
      byte[] name = t.name().getBytes(StandardCharsets.US_ASCII);
      out.putShort((short) name.length).put(name).put((byte) t.shape().length);
      for (long dim : t.shape()) {
        out.putLong(dim);
      }
      for (float v : t.values()) {
        out.putFloat(v);
      }
    }
    CRC32 crc = new CRC32();
    crc.update(out.array(), 0, out.position());
    out.putInt((int) crc.getValue());
    byte[] bytes = new byte[out.position()];
    System.arraycopy(out.array(), 0, bytes, 0, bytes.length);
    return bytes;
  }

  private static List<Tensor> readJava(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[8];
    in.get(magic);
    assertEquals("FCPCKPT\0", new String(magic, StandardCharsets.US_ASCII));
    assertEquals(1, in.getInt());
    int count = in.getInt();
    List<Tensor> tensors = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      byte[] name = new byte[Short.toUnsignedInt(in.getShort())];
      in.get(name);
      long[] shape = new long[Byte.toUnsignedInt(in.get())];
      long elements = 1;
      for (int d = 0; d < shape.length; d++) {
        shape[d] = in.getLong();
        elements *= shape[d];
      }
      float[] values = new float[(int) elements];
      for (int k = 0; k < values.length; k++) {
        values[k] = in.getFloat();
      }
      tensors.add(new Tensor(new String(name, StandardCharsets.US_ASCII), shape, values));
    }
    CRC32 crc = new CRC32();
    crc.update(bytes, 0, in.position());
    assertEquals((int) crc.getValue(), in.getInt(), "checksum");
    assertEquals(0, in.remaining(), "bytes after the checksum");
    return tensors;
  }

  // --- The arithmetic, in Java.

  private static double norm(List<Tensor> update) {
    double sum = 0;
    for (Tensor t : update) {
      for (float v : t.values()) {
        sum += (double) v * v;
      }
    }
    return Math.sqrt(sum);
  }

  private static List<float[]> aggregateJava(List<List<Tensor>> updates, double[] weights, double clip) {
    double total = 0;
    List<double[]> sums = new ArrayList<>();
    for (Tensor t : updates.get(0)) {
      sums.add(new double[t.values().length]);
    }
    for (int u = 0; u < updates.size(); u++) {
      double n = norm(updates.get(u));
      double factor = weights[u] * (n > clip ? clip / n : 1.0);
      total += weights[u];
      for (int t = 0; t < sums.size(); t++) {
        float[] values = updates.get(u).get(t).values();
        for (int k = 0; k < values.length; k++) {
          sums.get(t)[k] += factor * values[k];
        }
      }
    }
    List<float[]> result = new ArrayList<>();
    for (double[] sum : sums) {
      float[] mean = new float[sum.length];
      for (int k = 0; k < sum.length; k++) {
        mean[k] = (float) (sum[k] / total);
      }
      result.add(mean);
    }
    return result;
  }

  private static List<Tensor> update(float w0, float w1, float w2, float w3, float b) {
    return List.of(
        new Tensor("dense/kernel", new long[] {2, 2}, new float[] {w0, w1, w2, w3}),
        new Tensor("dense/bias", new long[] {}, new float[] {b}));
  }

  private static List<byte[]> encodeAll(List<List<Tensor>> updates) {
    List<byte[]> out = new ArrayList<>();
    for (List<Tensor> u : updates) {
      out.add(Aggregator.encode(u));
    }
    return out;
  }

  private static IllegalArgumentException assertRejected(String expected, Runnable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
    assertTrue(e.getMessage().contains(expected),
        "message \"" + e.getMessage() + "\" should contain \"" + expected + "\"");
    return e;
  }

  // --- Checkpoints.

  @Test
  public void encodeWritesTheDocumentedFormat() {
    List<Tensor> tensors = List.of(
        new Tensor("w", new long[] {2, 3}, new float[] {1.5f, -2f, 0f, -0f, Float.MIN_VALUE, Float.MAX_VALUE}),
        new Tensor("step", new long[] {}, new float[] {7f}),
        new Tensor("empty", new long[] {0}, new float[] {}));
    byte[] bytes = Aggregator.encode(tensors);
    assertEquals(tensors, readJava(bytes));
    assertArrayEquals(writeJava(tensors), bytes);
  }

  @Test
  public void decodeReadsWhatJavaWrote() {
    List<Tensor> tensors = update(1f, 2f, 3f, 4f, -0.5f);
    assertEquals(tensors, Aggregator.decode(writeJava(tensors)));
  }

  @Test
  public void everyTruncationThrows() {
    byte[] bytes = Aggregator.encode(update(1f, 2f, 3f, 4f, 5f));
    for (int size = 0; size < bytes.length; size++) {
      byte[] truncated = java.util.Arrays.copyOf(bytes, size);
      assertRejected("", () -> Aggregator.decode(truncated));
      assertRejected("checkpoint 1:", () -> Aggregator.aggregate(List.of(bytes, truncated), new double[] {1, 1}, NO_CLIP));
    }
    byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length - 9);
    assertRejected("truncated at byte", () -> Aggregator.decode(cut));
  }

  @Test
  public void everySingleByteCorruptionThrows() {
    byte[] bytes = Aggregator.encode(update(1f, 2f, 3f, 4f, 5f));
    for (int i = 0; i < bytes.length; i++) {
      byte[] corrupt = bytes.clone();
      corrupt[i] ^= 0x20;
      assertRejected("", () -> Aggregator.decode(corrupt));
    }
    byte[] corrupt = bytes.clone();
    corrupt[bytes.length - 5] ^= 1;
    assertRejected("checksum mismatch", () -> Aggregator.l2Norm(corrupt));
    assertRejected("not a checkpoint", () -> Aggregator.decode("hello, world".getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  public void encodeRejectsBadTensors() {
    assertRejected("tensor 'w' has shape [2, 2], which holds 4 values, but 3 were given",
        () -> Aggregator.encode(List.of(new Tensor("w", new long[] {2, 2}, new float[3]))));
    assertRejected("tensor 'w' has dimension 0 of size -1",
        () -> Aggregator.encode(List.of(new Tensor("w", new long[] {-1}, new float[0]))));
    assertRejected("names are printable ASCII",
        () -> Aggregator.encode(List.of(new Tensor("caf\u00e9", new long[] {}, new float[1]))));
    assertRejected("names are printable ASCII",
        () -> Aggregator.encode(List.of(new Tensor("a\u0000b", new long[] {}, new float[1]))));
    assertRejected("appears twice", () -> Aggregator.encode(List.of(
        new Tensor("w", new long[] {}, new float[1]), new Tensor("w", new long[] {}, new float[1]))));
  }

  // --- Aggregation.

  @Test
  public void weightedMeanIsExactWhereBinaryIsExact() {
    byte[] result = Aggregator.aggregate(
        encodeAll(List.of(update(1f, 2f, 3f, 4f, 0f), update(5f, 6f, 7f, 8f, 4f))), new double[] {1, 3}, NO_CLIP);
    List<Tensor> tensors = Aggregator.decode(result);
    assertEquals(update(4f, 5f, 6f, 7f, 3f), tensors);
    assertArrayEquals(writeJava(tensors), result);
  }

  @Test
  public void clippingMatchesJavaArithmetic() {
    List<List<Tensor>> updates = List.of(update(3f, 0f, 0f, 4f, 0f), update(0.3f, 0.1f, -0.2f, 0.05f, 0.01f),
        update(-10f, 20f, 0.5f, -7f, 1f));
    double[] weights = {2.0, 0.5, 1.25};
    List<float[]> expected = aggregateJava(updates, weights, 1.0);
    List<Tensor> actual = Aggregator.decode(Aggregator.aggregate(encodeAll(updates), weights, 1.0));
    assertArrayEquals(expected.get(0), actual.get(0).values(), 0f);
    assertArrayEquals(expected.get(1), actual.get(1).values(), 0f);
    // The clipped update [3, 0, 0, 4, 0] counts as [0.6, 0, 0, 0.8, 0].
    assertEquals(5.0, Aggregator.l2Norm(Aggregator.encode(updates.get(0))), 0.0);
  }

  @Test
  public void randomUpdatesMatchJavaArithmetic() {
    Random random = new Random(20261201);
    for (int round = 0; round < 50; round++) {
      int clients = 1 + random.nextInt(6);
      long[] shape = {1 + random.nextInt(5), 1 + random.nextInt(5)};
      int elements = (int) (shape[0] * shape[1]);
      List<List<Tensor>> updates = new ArrayList<>();
      double[] weights = new double[clients];
      for (int c = 0; c < clients; c++) {
        float[] kernel = new float[elements];
        for (int k = 0; k < elements; k++) {
          kernel[k] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(7) - 3));
        }
        updates.add(List.of(new Tensor("kernel", shape, kernel),
            new Tensor("bias", new long[] {1}, new float[] {(float) random.nextGaussian()})));
        weights[c] = random.nextInt(4) == 0 ? 0 : random.nextDouble() * 100;
      }
      weights[random.nextInt(clients)] += 1;  // at least one positive
      double clip = random.nextBoolean() ? NO_CLIP : 0.01 + random.nextDouble() * 10;
      List<float[]> expected = aggregateJava(updates, weights, clip);
      List<Tensor> actual = Aggregator.decode(Aggregator.aggregate(encodeAll(updates), weights, clip));
      for (int t = 0; t < expected.size(); t++) {
        float[] want = expected.get(t);
        float[] got = actual.get(t).values();
        for (int k = 0; k < want.length; k++) {
          // The same operations in the same order: at most one float32 rounding apart.
          assertEquals(want[k], got[k], Math.ulp(want[k]), "round " + round);
        }
      }
    }
  }

  @Test
  public void mismatchedShapesThrow() {
    List<Tensor> other = List.of(
        new Tensor("dense/kernel", new long[] {4}, new float[4]), new Tensor("dense/bias", new long[] {}, new float[1]));
    assertRejected("checkpoint 1: tensor 'dense/kernel' has shape [4], in checkpoint 0 it has [2, 2]",
        () -> Aggregator.aggregate(encodeAll(List.of(update(1, 2, 3, 4, 5), other)), new double[] {1, 1}, NO_CLIP));
    List<Tensor> renamed = List.of(
        new Tensor("dense/kernel", new long[] {2, 2}, new float[4]), new Tensor("bias", new long[] {}, new float[1]));
    assertRejected("checkpoint 1: tensor 1 is 'bias', in checkpoint 0 it is 'dense/bias'",
        () -> Aggregator.aggregate(encodeAll(List.of(update(1, 2, 3, 4, 5), renamed)), new double[] {1, 1}, NO_CLIP));
  }

  @Test
  public void nonFiniteValuesThrow() {
    assertRejected("checkpoint 1: tensor 'dense/kernel' element 2 is NaN", () -> Aggregator.aggregate(
        encodeAll(List.of(update(1, 2, 3, 4, 5), update(1, 2, Float.NaN, 4, 5))), new double[] {1, 1}, NO_CLIP));
    assertRejected("checkpoint 0: tensor 'dense/bias' element 0 is Infinity", () -> Aggregator.aggregate(
        encodeAll(List.of(update(1, 2, 3, 4, Float.POSITIVE_INFINITY))), new double[] {1}, NO_CLIP));
  }

  @Test
  public void badWeightsAndClipNormsThrow() {
    List<byte[]> two = encodeAll(List.of(update(1, 2, 3, 4, 5), update(1, 2, 3, 4, 5)));
    assertRejected("weight 1 is -0.5; weights must be finite and not negative",
        () -> Aggregator.aggregate(two, new double[] {1, -0.5}, NO_CLIP));
    assertRejected("weight 0 is NaN", () -> Aggregator.aggregate(two, new double[] {Double.NaN, 1}, NO_CLIP));
    assertRejected("the weights sum to 0", () -> Aggregator.aggregate(two, new double[] {0, 0}, NO_CLIP));
    assertRejected("2 checkpoints but 1 weights", () -> Aggregator.aggregate(two, new double[] {1}, NO_CLIP));
    assertRejected("clip norm is 0", () -> Aggregator.aggregate(two, new double[] {1, 1}, 0));
    assertRejected("clip norm is NaN", () -> Aggregator.aggregate(two, new double[] {1, 1}, Double.NaN));
    assertRejected("no checkpoints to aggregate", () -> Aggregator.aggregate(List.of(), new double[] {}, NO_CLIP));
  }

  @Test
  public void nullsThrowNullPointerException() {
    assertThrows(NullPointerException.class, () -> Aggregator.decode(null));
    assertThrows(NullPointerException.class, () -> Aggregator.aggregate(null, new double[0], NO_CLIP));
    List<byte[]> withNull = new ArrayList<>();
    withNull.add(null);
    assertThrows(NullPointerException.class, () -> Aggregator.aggregate(withNull, new double[] {1}, NO_CLIP));
  }

  @Test
  public void theLibraryIsTheOneNamed() {
    assertEquals("aggregation-jni", Aggregator.LIBRARY_NAME);
    String path = System.mapLibraryName(Aggregator.LIBRARY_NAME);
    assertEquals("libaggregation-jni.so", path);
  }
}
