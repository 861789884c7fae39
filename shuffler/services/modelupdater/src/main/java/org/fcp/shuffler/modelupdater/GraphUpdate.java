package org.fcp.shuffler.modelupdater;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fcp.aggregation.Tensor;
import org.tensorflow.DataType;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.TensorFlow;
import org.tensorflow.Tensors;

/**
 * The model update as a TensorFlow graph: {@code new_w = w + learning_rate * delta} for each of the
 * model's tensors, run in a TensorFlow session (TensorFlow's own JNI library, loaded from
 * {@code java.library.path}).
 */
public final class GraphUpdate {
  private GraphUpdate() {}

  /** TensorFlow's version, which also loads its native library. */
  public static String tensorflowVersion() {
    return TensorFlow.version();
  }

  /** The weights after the update; names, order and shapes of {@code weights} and {@code delta} must match. */
  public static List<Tensor> apply(List<Tensor> weights, List<Tensor> delta, float learningRate) {
    if (!Float.isFinite(learningRate) || learningRate <= 0) {
      throw new IllegalArgumentException("learning_rate must be a positive number, got " + learningRate);
    }
    if (weights.size() != delta.size()) {
      throw new IllegalArgumentException(
          "the model has " + weights.size() + " tensors, the update " + delta.size());
    }
    List<Tensor> result = new ArrayList<>();
    for (int i = 0; i < weights.size(); i++) {
      Tensor w = weights.get(i);
      Tensor d = delta.get(i);
      if (!w.name().equals(d.name()) || !Arrays.equals(w.shape(), d.shape())) {
        throw new IllegalArgumentException("tensor " + i + ": the model has " + w.name() + Arrays.toString(w.shape())
            + ", the update " + d.name() + Arrays.toString(d.shape()));
      }
      result.add(new Tensor(w.name(), w.shape(), run(w, d, learningRate)));
    }
    return result;
  }

  private static float[] run(Tensor w, Tensor d, float learningRate) {
    try (Graph graph = new Graph();
        org.tensorflow.Tensor<Float> lr = Tensors.create(learningRate)) {
      Output<Float> weights = graph.opBuilder("Placeholder", "w").setAttr("dtype", DataType.FLOAT).build().output(0);
      Output<Float> delta = graph.opBuilder("Placeholder", "delta").setAttr("dtype", DataType.FLOAT).build().output(0);
      Output<Float> rate = graph.opBuilder("Const", "learning_rate").setAttr("dtype", DataType.FLOAT)
          .setAttr("value", lr).build().output(0);
      Output<Float> step = graph.opBuilder("Mul", "step").addInput(rate).addInput(delta).build().output(0);
      graph.opBuilder("AddV2", "new_w").addInput(weights).addInput(step).build();
      try (Session session = new Session(graph);
          org.tensorflow.Tensor<Float> wt = org.tensorflow.Tensor.create(w.shape(), FloatBuffer.wrap(w.values()));
          org.tensorflow.Tensor<Float> dt = org.tensorflow.Tensor.create(d.shape(), FloatBuffer.wrap(d.values()));
          org.tensorflow.Tensor<?> out = session.runner().feed("w", wt).feed("delta", dt).fetch("new_w").run().get(0)) {
        FloatBuffer values = FloatBuffer.allocate(w.values().length);
        out.writeTo(values);
        return values.array();
      }
    }
  }
}
