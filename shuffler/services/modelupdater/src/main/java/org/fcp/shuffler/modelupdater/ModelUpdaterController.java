package org.fcp.shuffler.modelupdater;

import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.fcp.aggregation.Aggregator;
import org.fcp.aggregation.Tensor;
import org.fcp.shuffler.tensors.TensorsJson;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** HTTP API of model_updater. */
@RestController
public class ModelUpdaterController {
  /**
   * The model's current weights, the clients' updates (averaged and clipped in native code) and the
   * server learning rate the averaged update is applied with.
   */
  public record UpdateRequest(
      List<TensorsJson.TensorJson> weights, List<TensorsJson.UpdateJson> updates, Double clip_norm,
      float learning_rate) {}

  private final ModelStore store;

  public ModelUpdaterController(ModelStore store) {
    this.store = store;
  }

  @PostMapping("/modelupdater/v1/models/{model}/updates")
  public Map<String, Object> update(@PathVariable String model, @RequestBody UpdateRequest request) {
    byte[] aggregate = Aggregator.aggregate(TensorsJson.checkpoints(request.updates()),
        TensorsJson.weights(request.updates()), TensorsJson.clipNorm(request.clip_norm()));
    List<Tensor> updated = GraphUpdate.apply(TensorsJson.toTensors(request.weights(), "weights"),
        Aggregator.decode(aggregate), request.learning_rate());
    byte[] checkpoint = Aggregator.encode(updated);
    int version = store.save(model, checkpoint);
    return Map.of(
        "model", model,
        "version", version,
        "tensors", TensorsJson.fromTensors(updated),
        "checkpoint_sha256", TensorsJson.sha256(checkpoint),
        "tensorflow_version", GraphUpdate.tensorflowVersion());
  }

  @GetMapping(path = "/modelupdater/v1/models/{model}/versions/{version}",
      produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
  public byte[] checkpoint(@PathVariable String model, @PathVariable int version) {
    return store.get(model, version).orElseThrow(
        () -> new NoSuchElementException("no version " + version + " of model " + model));
  }

  @ExceptionHandler({IllegalArgumentException.class, NullPointerException.class})
  public ResponseEntity<Map<String, String>> badRequest(RuntimeException e) {
    return ResponseEntity.status(HttpStatus.BAD_REQUEST).contentType(MediaType.APPLICATION_JSON)
        .body(Map.of("error", String.valueOf(e.getMessage())));
  }

  @ExceptionHandler(NoSuchElementException.class)
  public ResponseEntity<Map<String, String>> notFound(NoSuchElementException e) {
    return ResponseEntity.status(HttpStatus.NOT_FOUND).contentType(MediaType.APPLICATION_JSON)
        .body(Map.of("error", e.getMessage()));
  }
}
