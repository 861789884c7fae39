package org.fcp.shuffler.taskmanagement;

import java.util.EnumSet;
import java.util.Set;

/**
 * The life of a task: created, then open for clients, then completed, failed or canceled. A task
 * may be canceled before it finishes; nothing leaves a final state.
 */
public enum TaskState {
  CREATED,
  OPEN,
  COMPLETED,
  FAILED,
  CANCELED;

  /** The states this one may move to. */
  public Set<TaskState> next() {
    return switch (this) {
      case CREATED -> EnumSet.of(OPEN, CANCELED);
      case OPEN -> EnumSet.of(COMPLETED, FAILED, CANCELED);
      case COMPLETED, FAILED, CANCELED -> EnumSet.noneOf(TaskState.class);
    };
  }

  public boolean isFinal() {
    return next().isEmpty();
  }
}
