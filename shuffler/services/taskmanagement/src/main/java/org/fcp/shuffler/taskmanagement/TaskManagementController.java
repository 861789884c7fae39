package org.fcp.shuffler.taskmanagement;

import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** HTTP API of task_management. */
@RestController
public class TaskManagementController {
  /** A new task's definition. */
  public record CreateRequest(int min_client_version, int rounds, int clients_per_round) {}

  /** A requested state change. */
  public record TransitionRequest(String to) {}

  private final TaskStore store;

  public TaskManagementController(TaskStore store) {
    this.store = store;
  }

  @PostMapping("/taskmanagement/v1/populations/{population}/tasks")
  public ResponseEntity<Map<String, Object>> create(@PathVariable String population, @RequestBody CreateRequest request) {
    TaskStore.StoredTask task = store.create(population,
        new TaskStore.Definition(request.min_client_version(), request.rounds(), request.clients_per_round()));
    return ResponseEntity.status(HttpStatus.CREATED).body(view(task));
  }

  @GetMapping("/taskmanagement/v1/populations/{population}/tasks")
  public List<Map<String, Object>> list(@PathVariable String population) {
    return store.list(population).stream().map(TaskManagementController::view).toList();
  }

  @GetMapping("/taskmanagement/v1/populations/{population}/tasks/{id}")
  public Map<String, Object> get(@PathVariable String population, @PathVariable long id) {
    return view(store.get(population, id).orElseThrow(
        () -> new NoSuchElementException("no task " + id + " in population " + population)));
  }

  @PostMapping("/taskmanagement/v1/populations/{population}/tasks/{id}/transitions")
  public Map<String, Object> transition(
      @PathVariable String population, @PathVariable long id, @RequestBody TransitionRequest request) {
    TaskState to;
    try {
      to = TaskState.valueOf(String.valueOf(request.to()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown state " + request.to() + "; states: " + List.of(TaskState.values()));
    }
    return view(store.transition(population, id, to));
  }

  static Map<String, Object> view(TaskStore.StoredTask task) {
    return Map.of(
        "population", task.population(),
        "task_id", task.id(),
        "state", task.state().name(),
        "history", task.history().stream().map(Enum::name).toList(),
        "min_client_version", task.definition().minClientVersion(),
        "rounds", task.definition().rounds(),
        "clients_per_round", task.definition().clientsPerRound());
  }

  @ExceptionHandler(IllegalArgumentException.class)
  public ResponseEntity<Map<String, String>> badRequest(IllegalArgumentException e) {
    return ResponseEntity.status(HttpStatus.BAD_REQUEST).body(Map.of("error", e.getMessage()));
  }

  @ExceptionHandler(NoSuchElementException.class)
  public ResponseEntity<Map<String, String>> notFound(NoSuchElementException e) {
    return ResponseEntity.status(HttpStatus.NOT_FOUND).body(Map.of("error", e.getMessage()));
  }

  @ExceptionHandler({TaskStore.InvalidTransition.class, IllegalStateException.class})
  public ResponseEntity<Map<String, String>> conflict(RuntimeException e) {
    return ResponseEntity.status(HttpStatus.CONFLICT).body(Map.of("error", e.getMessage()));
  }
}
