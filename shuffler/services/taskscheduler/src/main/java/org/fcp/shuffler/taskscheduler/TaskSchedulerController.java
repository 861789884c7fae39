package org.fcp.shuffler.taskscheduler;

import java.util.List;
import java.util.Map;
import org.fcp.aggregation.Aggregator;
import org.fcp.shuffler.tensors.TensorsJson;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** HTTP API of task_scheduler. */
@RestController
public class TaskSchedulerController {
  /** A round's reports and the task's thresholds. */
  public record DecisionRequest(
      List<TensorsJson.UpdateJson> updates, Double clip_norm, int min_clients, double convergence_norm) {}

  @PostMapping("/taskscheduler/v1/tasks/{task}/rounds/{round}/decision")
  public Map<String, Object> decide(
      @PathVariable String task, @PathVariable int round, @RequestBody DecisionRequest request) {
    List<TensorsJson.UpdateJson> updates = request.updates() == null ? List.of() : request.updates();
    double norm = Double.NaN;
    if (!updates.isEmpty()) {
      norm = Aggregator.l2Norm(Aggregator.aggregate(TensorsJson.checkpoints(updates), TensorsJson.weights(updates),
          TensorsJson.clipNorm(request.clip_norm())));
    }
    RoundDecision decision = RoundDecision.decide(updates.size(), request.min_clients(), norm,
        request.convergence_norm());
    return Map.of(
        "task", task,
        "round", round,
        "clients", updates.size(),
        "decision", decision.name(),
        "update_norm", Double.isNaN(norm) ? "none" : norm);
  }

  @ExceptionHandler({IllegalArgumentException.class, NullPointerException.class})
  public ResponseEntity<Map<String, String>> badRequest(RuntimeException e) {
    return ResponseEntity.status(HttpStatus.BAD_REQUEST).body(Map.of("error", String.valueOf(e.getMessage())));
  }
}
