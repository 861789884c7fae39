package org.fcp.shuffler.taskmanagement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

class TaskStoreTest {
  private static final TaskStore.Definition DEFINITION = new TaskStore.Definition(100, 10, 50);

  @Test
  void tasksMoveThroughTheirStates() {
    TaskStore store = new TaskStore(10);
    TaskStore.StoredTask task = store.create("keyboard", DEFINITION);
    assertEquals(TaskState.CREATED, task.state());
    store.transition("keyboard", task.id(), TaskState.OPEN);
    TaskStore.StoredTask done = store.transition("keyboard", task.id(), TaskState.COMPLETED);
    assertEquals(List.of(TaskState.CREATED, TaskState.OPEN, TaskState.COMPLETED), done.history());
    assertEquals(done, store.get("keyboard", task.id()).orElseThrow());
  }

  @Test
  void forbiddenTransitionsAreRejectedAndChangeNothing() {
    TaskStore store = new TaskStore(10);
    long id = store.create("keyboard", DEFINITION).id();
    TaskStore.InvalidTransition e = assertThrows(TaskStore.InvalidTransition.class,
        () -> store.transition("keyboard", id, TaskState.COMPLETED));
    assertTrue(e.getMessage().contains("is CREATED and cannot become COMPLETED"), e.getMessage());
    store.transition("keyboard", id, TaskState.CANCELED);
    e = assertThrows(TaskStore.InvalidTransition.class, () -> store.transition("keyboard", id, TaskState.OPEN));
    assertTrue(e.getMessage().contains("(a final state)"), e.getMessage());
    assertEquals(TaskState.CANCELED, store.get("keyboard", id).orElseThrow().state());
  }

  @Test
  void everyFinalStateIsFinalAndEveryOtherCanBeCanceled() {
    for (TaskState state : TaskState.values()) {
      boolean terminal = state == TaskState.COMPLETED || state == TaskState.FAILED || state == TaskState.CANCELED;
      assertEquals(terminal, state.isFinal(), state.name());
      assertEquals(!terminal, state.next().contains(TaskState.CANCELED), state.name());
    }
  }

  @Test
  void tasksAreKeptPerPopulationWithinTheLimit() {
    TaskStore store = new TaskStore(2);
    store.create("a", DEFINITION);
    store.create("b", DEFINITION);
    assertEquals(1, store.list("a").size());
    assertTrue(store.get("b", 1).isEmpty(), "ids are per store, populations do not share them");
    assertThrows(IllegalStateException.class, () -> store.create("a", DEFINITION));
    assertThrows(NoSuchElementException.class, () -> store.transition("a", 99, TaskState.OPEN));
  }

  @Test
  void badDefinitionsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new TaskStore.Definition(1, 0, 5));
    assertThrows(IllegalArgumentException.class, () -> new TaskStore.Definition(-1, 1, 5));
    assertThrows(IllegalArgumentException.class, () -> new TaskStore(1).create("Bad Name", DEFINITION));
  }
}
