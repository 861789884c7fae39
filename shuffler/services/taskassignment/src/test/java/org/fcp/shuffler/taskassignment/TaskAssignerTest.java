package org.fcp.shuffler.taskassignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskAssignerTest {
  private static TaskAssigner assigner() {
    return new TaskAssigner(List.of(
        Task.parse("keyboard:small:100:256:1"),
        Task.parse("keyboard:big:120:1024:3"),
        Task.parse("keyboard:also-big:120:512:3"),
        Task.parse("photos:p1:0:0:5")));
  }

  private static TaskAssigner.Device device(String id, int version, int memory) {
    return new TaskAssigner.Device(id, version, memory);
  }

  @Test
  void picksTheEligibleTaskWithTheMostRoomThenTheSmallerId() {
    TaskAssigner a = assigner();
    // Both big tasks have 3 left: "also-big" sorts first.
    assertEquals("also-big", a.assign("keyboard", device("d1", 130, 2048)).orElseThrow().taskId());
    // Now "big" has more room (3 vs 2).
    assertEquals("big", a.assign("keyboard", device("d2", 130, 2048)).orElseThrow().taskId());
    assertEquals(Map.of("small", 1, "big", 2, "also-big", 2), a.capacity("keyboard"));
  }

  @Test
  void eligibilityFollowsVersionAndMemory() {
    TaskAssigner a = assigner();
    // Version 110 only qualifies for "small".
    assertEquals("small", a.assign("keyboard", device("old", 110, 4096)).orElseThrow().taskId());
    // 600 MB excludes "big" (1024); "small" is full now.
    assertEquals("also-big", a.assign("keyboard", device("mid", 125, 600)).orElseThrow().taskId());
    assertTrue(a.assign("keyboard", device("tiny", 125, 100)).isEmpty());
    assertTrue(a.assign("unknown-population", device("x", 999, 9999)).isEmpty());
  }

  @Test
  void capacityRunsOutAndRepeatedRequestsGetTheSameAssignment() {
    TaskAssigner a = new TaskAssigner(List.of(Task.parse("p:t:0:0:2")));
    TaskAssigner.Assignment first = a.assign("p", device("d1", 1, 1)).orElseThrow();
    assertEquals(1, first.remainingCapacity());
    assertEquals(first, a.assign("p", device("d1", 1, 1)).orElseThrow());
    assertEquals(0, a.assign("p", device("d2", 1, 1)).orElseThrow().remainingCapacity());
    assertTrue(a.assign("p", device("d3", 1, 1)).isEmpty());
  }

  @Test
  void assignmentIdsAreStableDigests() {
    String id = TaskAssigner.assignmentId("p", "t", "d1");
    assertEquals(16, id.length());
    assertEquals(id, TaskAssigner.assignmentId("p", "t", "d1"));
    assertTrue(!id.equals(TaskAssigner.assignmentId("p", "t", "d2")));
  }

  @Test
  void badTaskSpecsAreClearErrors() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Task.parse("p:t:1:2"));
    assertTrue(e.getMessage().contains("expected population:task_id"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Task.parse("p:t:x:2:3"));
    assertThrows(IllegalArgumentException.class, () -> Task.parse("p:t:1:2:0"));
    assertThrows(IllegalArgumentException.class,
        () -> new TaskAssigner(List.of(Task.parse("p:t:0:0:1"), Task.parse("p:t:0:0:1"))));
    assertThrows(IllegalArgumentException.class, () -> assigner().assign("keyboard", device("", 1, 1)));
  }
}
