package org.fcp.shuffler.modelupdater;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.fcp.aggregation.Tensor;
import org.junit.jupiter.api.Test;

/** The update runs in TensorFlow's real native library and equals the same arithmetic in Java. */
class GraphUpdateTest {
  @Test
  void tensorflowIsTheOneFromMavenCentral() {
    assertEquals("1.15.0", GraphUpdate.tensorflowVersion());
  }

  @Test
  void appliesTheUpdateScaledByTheLearningRate() {
    List<Tensor> weights = List.of(new Tensor("w", new long[] {3}, new float[] {1, 2, 3}));
    List<Tensor> delta = List.of(new Tensor("w", new long[] {3}, new float[] {2, -2, 0.5f}));
    List<Tensor> updated = GraphUpdate.apply(weights, delta, 0.5f);
    assertArrayEquals(new float[] {2, 1, 3.25f}, updated.get(0).values());
    assertArrayEquals(new long[] {3}, updated.get(0).shape());
  }

  @Test
  void matrixTensorsAgreeWithJavaArithmetic() {
    Random random = new Random(7);
    float[] w = new float[6 * 5];
    float[] d = new float[w.length];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) random.nextGaussian();
      d[i] = (float) random.nextGaussian();
    }
    float lr = 0.1f;
    List<Tensor> updated = GraphUpdate.apply(
        List.of(new Tensor("dense/kernel", new long[] {6, 5}, w)),
        List.of(new Tensor("dense/kernel", new long[] {6, 5}, d)), lr);
    float[] got = updated.get(0).values();
    for (int i = 0; i < w.length; i++) {
      // TensorFlow computes lr * d, then w + that, in float32: the same two roundings as here.
      assertEquals(w[i] + lr * d[i], got[i], 0f, "element " + i);
    }
  }

  @Test
  void mismatchedModelsAndBadRatesAreRejected() {
    List<Tensor> weights = List.of(new Tensor("w", new long[] {2}, new float[] {1, 2}));
    IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
        () -> GraphUpdate.apply(weights, List.of(new Tensor("w", new long[] {1, 2}, new float[] {1, 2})), 1f));
    assertTrue(shape.getMessage().contains("the model has w[2], the update w[1, 2]"), shape.getMessage());
    assertThrows(IllegalArgumentException.class, () -> GraphUpdate.apply(weights, weights, 0f));
    assertThrows(IllegalArgumentException.class, () -> GraphUpdate.apply(weights, List.of(), 1f));
  }
}
