package org.fcp.shuffler.taskassignment;

import java.util.Map;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** HTTP API of task_assignment. */
@RestController
public class TaskAssignmentController {
  /** The request body: what the device says about itself. */
  public record AssignmentRequest(String client_id, int client_version, int memory_mb) {}

  private final TaskAssigner assigner;

  public TaskAssignmentController(TaskAssigner assigner) {
    this.assigner = assigner;
  }

  @PostMapping("/taskassignment/v1/populations/{population}/assignments")
  public ResponseEntity<Map<String, Object>> assign(
      @PathVariable String population, @RequestBody AssignmentRequest request) {
    Optional<TaskAssigner.Assignment> assignment = assigner.assign(population,
        new TaskAssigner.Device(request.client_id(), request.client_version(), request.memory_mb()));
    if (assignment.isEmpty()) {
      return ResponseEntity.ok(Map.of("assigned", false, "reason", "no eligible task with capacity"));
    }
    TaskAssigner.Assignment a = assignment.get();
    return ResponseEntity.ok(Map.of(
        "assigned", true,
        "population", a.population(),
        "task_id", a.taskId(),
        "assignment_id", a.assignmentId(),
        "remaining_capacity", a.remainingCapacity()));
  }

  @GetMapping("/taskassignment/v1/populations/{population}/capacity")
  public Map<String, Integer> capacity(@PathVariable String population) {
    return assigner.capacity(population);
  }

  @ExceptionHandler(IllegalArgumentException.class)
  public ResponseEntity<Map<String, String>> badRequest(IllegalArgumentException e) {
    return ResponseEntity.status(HttpStatus.BAD_REQUEST).body(Map.of("error", e.getMessage()));
  }
}
