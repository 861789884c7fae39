package org.fcp.shuffler.taskassignment;

/** An open task of a population, and what a device needs to take part in it. */
public record Task(String population, String id, int minClientVersion, int minMemoryMb, int capacity) {
  public Task {
    if (!population.matches("[a-z0-9][a-z0-9_-]*") || !id.matches("[A-Za-z0-9_-]+")) {
      throw new IllegalArgumentException("task " + population + ":" + id + ": names must be [a-z0-9_-]");
    }
    if (minClientVersion < 0 || minMemoryMb < 0 || capacity <= 0) {
      throw new IllegalArgumentException(
          "task " + id + ": versions and memory must be >= 0 and capacity > 0");
    }
  }

  /** Parses {@code population:task_id:min_client_version:min_memory_mb:capacity}. */
  public static Task parse(String spec) {
    String[] parts = spec.split(":", -1);
    if (parts.length != 5) {
      throw new IllegalArgumentException(
          "--task " + spec + ": expected population:task_id:min_client_version:min_memory_mb:capacity");
    }
    try {
      return new Task(parts[0], parts[1], Integer.parseInt(parts[2]), Integer.parseInt(parts[3]),
          Integer.parseInt(parts[4]));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--task " + spec + ": versions, memory and capacity are integers");
    }
  }
}
