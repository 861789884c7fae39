package org.fcp.shuffler.taskscheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RoundDecisionTest {
  @Test
  void waitsForEnoughClientsThenComparesTheNorm() {
    assertEquals(RoundDecision.WAIT, RoundDecision.decide(2, 3, Double.NaN, 0.1));
    assertEquals(RoundDecision.NEXT_ROUND, RoundDecision.decide(3, 3, 0.5, 0.1));
    assertEquals(RoundDecision.COMPLETE, RoundDecision.decide(3, 3, 0.1, 0.1));
    assertEquals(RoundDecision.COMPLETE, RoundDecision.decide(9, 3, 0.0, 0.0));
  }

  @Test
  void badThresholds() {
    assertThrows(IllegalArgumentException.class, () -> RoundDecision.decide(1, 0, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> RoundDecision.decide(1, 1, 1, -1));
    assertThrows(IllegalArgumentException.class, () -> RoundDecision.decide(1, 1, 1, Double.NaN));
  }
}
