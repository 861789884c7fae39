package org.fcp.shuffler.taskassignment;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Picks a task for a device: among the population's tasks the device is eligible for (client
 * version and memory at least the task's minimum) and that still have capacity, the one with the
 * most capacity left; ties go to the smaller task id. Each assignment takes one unit of capacity,
 * and a device asking again gets the assignment it already has.
 */
public final class TaskAssigner {
  /** What a device reports about itself. */
  public record Device(String clientId, int clientVersion, int memoryMb) {}

  /** A task handed to a device. */
  public record Assignment(String population, String taskId, String assignmentId, int remainingCapacity) {}

  private final List<Task> tasks;
  private final Map<String, Integer> remaining = new HashMap<>();
  private final Map<String, Assignment> byDevice = new HashMap<>();

  public TaskAssigner(List<Task> tasks) {
    this.tasks = List.copyOf(tasks);
    for (Task task : this.tasks) {
      if (remaining.put(key(task.population(), task.id()), task.capacity()) != null) {
        throw new IllegalArgumentException("task " + task.population() + ":" + task.id() + " is given twice");
      }
    }
  }

  /** The device's assignment, or empty when no task of the population can take it. */
  public synchronized Optional<Assignment> assign(String population, Device device) {
    if (device.clientId() == null || device.clientId().isEmpty()) {
      throw new IllegalArgumentException("client_id is required");
    }
    Assignment existing = byDevice.get(key(population, device.clientId()));
    if (existing != null) {
      return Optional.of(existing);
    }
    List<Task> eligible = new ArrayList<>();
    for (Task task : tasks) {
      if (task.population().equals(population)
          && device.clientVersion() >= task.minClientVersion()
          && device.memoryMb() >= task.minMemoryMb()
          && remaining.get(key(population, task.id())) > 0) {
        eligible.add(task);
      }
    }
    Optional<Task> best = eligible.stream().min((a, b) -> {
      int byRoom = Integer.compare(remaining.get(key(population, b.id())), remaining.get(key(population, a.id())));
      return byRoom != 0 ? byRoom : a.id().compareTo(b.id());
    });
    if (best.isEmpty()) {
      return Optional.empty();
    }
    Task task = best.get();
    int left = remaining.merge(key(population, task.id()), -1, Integer::sum);
    Assignment assignment = new Assignment(population, task.id(),
        assignmentId(population, task.id(), device.clientId()), left);
    byDevice.put(key(population, device.clientId()), assignment);
    return Optional.of(assignment);
  }

  /** Capacity left per task id of a population. */
  public synchronized Map<String, Integer> capacity(String population) {
    Map<String, Integer> result = new HashMap<>();
    for (Task task : tasks) {
      if (task.population().equals(population)) {
        result.put(task.id(), remaining.get(key(population, task.id())));
      }
    }
    return result;
  }

  static String assignmentId(String population, String taskId, String clientId) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] digest = sha.digest((population + "\n" + taskId + "\n" + clientId).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String key(String population, String name) {
    return population + "\n" + name;
  }
}
