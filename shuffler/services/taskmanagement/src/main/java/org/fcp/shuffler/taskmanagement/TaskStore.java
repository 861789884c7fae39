package org.fcp.shuffler.taskmanagement;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Task definitions by population and id, with their state and the history of transitions. */
public final class TaskStore {
  /** What a task is: who takes part and how long it runs. */
  public record Definition(int minClientVersion, int rounds, int clientsPerRound) {
    public Definition {
      if (minClientVersion < 0) {
        throw new IllegalArgumentException("min_client_version must be >= 0");
      }
      if (rounds <= 0 || clientsPerRound <= 0) {
        throw new IllegalArgumentException("rounds and clients_per_round must be > 0");
      }
    }
  }

  /** A stored task; {@code history} lists every state it has been in, oldest first. */
  public record StoredTask(String population, long id, Definition definition, TaskState state, List<TaskState> history) {}

  /** A transition the state machine does not allow. */
  public static final class InvalidTransition extends RuntimeException {
    InvalidTransition(String message) {
      super(message);
    }
  }

  private final int maxTasks;
  private final Map<String, StoredTask> tasks = new LinkedHashMap<>();
  private long nextId = 1;

  public TaskStore(int maxTasks) {
    if (maxTasks <= 0) {
      throw new IllegalArgumentException("--max_tasks must be > 0");
    }
    this.maxTasks = maxTasks;
  }

  public synchronized StoredTask create(String population, Definition definition) {
    if (!population.matches("[a-z0-9][a-z0-9_-]*")) {
      throw new IllegalArgumentException("population " + population + ": names must be [a-z0-9_-]");
    }
    if (tasks.size() >= maxTasks) {
      throw new IllegalStateException("the store holds " + maxTasks + " tasks, its limit");
    }
    StoredTask task = new StoredTask(population, nextId++, definition, TaskState.CREATED, List.of(TaskState.CREATED));
    tasks.put(key(population, task.id()), task);
    return task;
  }

  public synchronized Optional<StoredTask> get(String population, long id) {
    return Optional.ofNullable(tasks.get(key(population, id)));
  }

  public synchronized List<StoredTask> list(String population) {
    List<StoredTask> result = new ArrayList<>();
    for (StoredTask task : tasks.values()) {
      if (task.population().equals(population)) {
        result.add(task);
      }
    }
    return result;
  }

  /** Moves the task to {@code to}; throws InvalidTransition if its state machine forbids it. */
  public synchronized StoredTask transition(String population, long id, TaskState to) {
    StoredTask task = get(population, id).orElseThrow(
        () -> new java.util.NoSuchElementException("no task " + id + " in population " + population));
    if (!task.state().next().contains(to)) {
      throw new InvalidTransition("task " + id + " is " + task.state() + " and cannot become " + to
          + (task.state().isFinal() ? " (a final state)" : "; allowed: " + task.state().next()));
    }
    List<TaskState> history = new ArrayList<>(task.history());
    history.add(to);
    StoredTask moved = new StoredTask(population, id, task.definition(), to, List.copyOf(history));
    tasks.put(key(population, id), moved);
    return moved;
  }

  private static String key(String population, long id) {
    return population + "\n" + id;
  }
}
