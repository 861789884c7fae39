package org.fcp.shuffler.aggregator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.fcp.shuffler.tensors.TensorsJson;
import org.fcp.shuffler.tensors.TensorsJson.TensorJson;
import org.fcp.shuffler.tensors.TensorsJson.UpdateJson;
import org.junit.jupiter.api.Test;

/** The controller with the real native library: weighted mean and clipping, computed here too. */
class AggregatorControllerTest {
  private static UpdateJson update(double weight, float... values) {
    return new UpdateJson(weight, List.of(new TensorJson("w", new long[] {values.length}, values)));
  }

  @Test
  void weightedMeanOfClippedUpdates() {
    AggregatorController controller = new AggregatorController();
    // Norms 5 and 1; clipped to 2: (3,4) becomes (1.2,1.6).
    Map<String, Object> result = controller.aggregate(new AggregatorController.AggregateRequest(
        List.of(update(1, 3, 4), update(3, 0, 1)), 2.0));
    @SuppressWarnings("unchecked")
    List<TensorJson> tensors = (List<TensorJson>) result.get("tensors");
    float[] expected = {(float) ((1 * 1.2) / 4), (float) ((1 * 1.6 + 3 * 1) / 4)};
    assertArrayEquals(expected, tensors.get(0).values(), 1e-6f);
    assertEquals(2, result.get("clients"));
    assertEquals(Math.hypot(expected[0], expected[1]), (double) result.get("norm"), 1e-6);
  }

  @Test
  void badUpdatesAreIllegalArguments() {
    AggregatorController controller = new AggregatorController();
    assertThrows(IllegalArgumentException.class, () -> controller.aggregate(
        new AggregatorController.AggregateRequest(List.of(update(1, 1, 2), update(1, 1)), null)));
    assertThrows(IllegalArgumentException.class, () -> controller.aggregate(
        new AggregatorController.AggregateRequest(List.of(update(-1, 1)), null)));
    assertThrows(IllegalArgumentException.class, () -> TensorsJson.checkpoints(List.of()));
  }
}
