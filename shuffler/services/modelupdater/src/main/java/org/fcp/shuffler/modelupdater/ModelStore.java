package org.fcp.shuffler.modelupdater;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Saved versions of each model as checkpoints (the aggregation library's format), newest last. */
public final class ModelStore {
  private final int maxVersions;
  private final Map<String, List<byte[]>> versions = new HashMap<>();
  private final Map<String, Integer> first = new HashMap<>();

  public ModelStore(int maxVersions) {
    if (maxVersions <= 0) {
      throw new IllegalArgumentException("--max_versions must be > 0");
    }
    this.maxVersions = maxVersions;
  }

  /** Saves a new version of {@code model}; returns its number (1 for the first). */
  public synchronized int save(String model, byte[] checkpoint) {
    if (!model.matches("[a-z0-9][a-z0-9_-]*")) {
      throw new IllegalArgumentException("model " + model + ": names must be [a-z0-9_-]");
    }
    List<byte[]> list = versions.computeIfAbsent(model, m -> new ArrayList<>());
    first.putIfAbsent(model, 1);
    list.add(checkpoint.clone());
    if (list.size() > maxVersions) {
      list.remove(0);
      first.merge(model, 1, Integer::sum);
    }
    return first.get(model) + list.size() - 1;
  }

  public synchronized Optional<byte[]> get(String model, int version) {
    List<byte[]> list = versions.get(model);
    if (list == null) {
      return Optional.empty();
    }
    int index = version - first.get(model);
    return index < 0 || index >= list.size() ? Optional.empty() : Optional.of(list.get(index).clone());
  }
}
