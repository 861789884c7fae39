package org.fcp.shuffler.aggregator;

import java.util.List;
import java.util.Map;
import org.fcp.aggregation.Aggregator;
import org.fcp.shuffler.tensors.TensorsJson;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** HTTP API of aggregator. */
@RestController
public class AggregatorController {
  /** Client updates to average, each clipped to {@code clip_norm} (absent: no clipping). */
  public record AggregateRequest(List<TensorsJson.UpdateJson> updates, Double clip_norm) {}

  @PostMapping("/aggregator/v1/aggregate")
  public Map<String, Object> aggregate(@RequestBody AggregateRequest request) {
    byte[] aggregate = Aggregator.aggregate(TensorsJson.checkpoints(request.updates()),
        TensorsJson.weights(request.updates()), TensorsJson.clipNorm(request.clip_norm()));
    return Map.of(
        "clients", request.updates().size(),
        "tensors", TensorsJson.fromTensors(Aggregator.decode(aggregate)),
        "norm", Aggregator.l2Norm(aggregate),
        "checkpoint_sha256", TensorsJson.sha256(aggregate));
  }

  @ExceptionHandler({IllegalArgumentException.class, NullPointerException.class})
  public ResponseEntity<Map<String, String>> badRequest(RuntimeException e) {
    return ResponseEntity.status(HttpStatus.BAD_REQUEST).body(Map.of("error", String.valueOf(e.getMessage())));
  }
}
