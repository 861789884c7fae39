package org.fcp.shuffler.taskscheduler;

/**
 * What happens after a round: too few clients reported (WAIT), the averaged update is still large
 * (NEXT_ROUND), or it is small enough that the model has converged (COMPLETE).
 */
public enum RoundDecision {
  WAIT,
  NEXT_ROUND,
  COMPLETE;

  /** The decision for a round with {@code clients} reports whose averaged update has norm {@code norm}. */
  public static RoundDecision decide(int clients, int minClients, double norm, double convergenceNorm) {
    if (minClients <= 0) {
      throw new IllegalArgumentException("min_clients must be > 0");
    }
    if (!(convergenceNorm >= 0) || Double.isInfinite(convergenceNorm)) {
      throw new IllegalArgumentException("convergence_norm must be a finite number >= 0");
    }
    if (clients < minClients) {
      return WAIT;
    }
    return norm <= convergenceNorm ? COMPLETE : NEXT_ROUND;
  }
}
