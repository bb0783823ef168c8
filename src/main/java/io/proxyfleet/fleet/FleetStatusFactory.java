package io.proxyfleet.fleet;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.proxyfleet.api.ProxyFleetStatus;
import io.proxyfleet.planner.FleetPlan;
import io.proxyfleet.policy.RotationBudget;
import io.proxyfleet.status.Conditions;
import io.proxyfleet.status.Reason;
import io.proxyfleet.status.SpecProblem;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Builds a fleet's conditions from what one pass found and decided. Every reason is a typed {@link
 * Reason}; time comes from the injected clock, so a test with a fixed clock gets exact transition
 * times.
 */
final class FleetStatusFactory {

  static final String READY = "Ready";
  static final String PROGRESSING = "Progressing";
  static final String DEGRADED = "Degraded";
  static final String ROTATIONS_HELD = "RotationsHeld";

  private final Conditions conditions;

  FleetStatusFactory(Clock clock) {
    this.conditions = new Conditions(clock);
  }

  /** A spec the validator refused: nothing is planned until it is fixed. */
  void invalid(ProxyFleetStatus status, List<SpecProblem> problems, int replicas, Long generation) {
    conditions.set(
        status.getConditions(), DEGRADED, true, Reason.InvalidSpec, describe(problems), generation);
    conditions.set(
        status.getConditions(),
        PROGRESSING,
        false,
        Reason.InvalidSpec,
        "Waiting for the spec to be fixed",
        generation);
    ready(status, replicas, generation);
  }

  /**
   * Degraded from the placement and credential problems of a valid spec; the first one's reason
   * wins.
   */
  void degraded(ProxyFleetStatus status, List<SpecProblem> problems, Long generation) {
    if (problems.isEmpty()) {
      conditions.set(
          status.getConditions(),
          DEGRADED,
          false,
          Reason.AsExpected,
          "The spec is valid and every placement is usable",
          generation);
    } else {
      conditions.set(
          status.getConditions(),
          DEGRADED,
          true,
          problems.get(0).reason(),
          describe(problems),
          generation);
    }
  }

  void progressing(ProxyFleetStatus status, FleetPlan plan, int replicas, Long generation) {
    boolean acting =
        !plan.creates().isEmpty() || !plan.deletes().isEmpty() || !plan.ipRotations().isEmpty();
    boolean settled =
        status.getReadyReplicas() == replicas
            && status.getReplicas() == replicas
            && status.getBlockedReplicas() == 0;
    if (acting || !settled) {
      conditions.set(
          status.getConditions(),
          PROGRESSING,
          true,
          progressReason(plan),
          status.getReadyReplicas() + " of " + replicas + " proxies ready",
          generation);
    } else {
      conditions.set(
          status.getConditions(),
          PROGRESSING,
          false,
          Reason.Stable,
          "All " + replicas + " proxies ready",
          generation);
    }
  }

  void ready(ProxyFleetStatus status, int replicas, Long generation) {
    boolean ready = status.getReadyReplicas() >= replicas;
    conditions.set(
        status.getConditions(),
        READY,
        ready,
        ready ? Reason.ProxiesReady : Reason.ProxiesNotReady,
        status.getReadyReplicas() + " of " + replicas + " proxies serve on unblocked IPs",
        generation);
  }

  /**
   * Records the rotation budget after this plan and whether rotations are held. Returns the held
   * message when rotations are held, else null.
   */
  String budget(
      ProxyFleetStatus status,
      FleetPlan plan,
      int perHour,
      double available,
      io.proxyfleet.api.RotationBudgetStatus after,
      Long generation) {
    int held = plan.rotationsHeldTotal();
    status.setRotationsHeld(held);
    int started = plan.rotationsStartedTotal();
    status.setRotationBudget(after);
    if (held == 0) {
      conditions.set(
          status.getConditions(),
          ROTATIONS_HELD,
          false,
          Reason.WithinBudget,
          "Rotations run as needed (budget " + perHour + " per hour)",
          generation);
      return null;
    }
    String breakdown =
        plan.rotationsHeld().entrySet().stream()
            .map(e -> e.getKey() + " " + e.getValue())
            .collect(Collectors.joining(", "));
    Duration wait = RotationBudget.untilNextToken(available - started, perHour);
    String message =
        held
            + " rotations held back ("
            + breakdown
            + "): rotation.maxRotationsPerHour "
            + perHour
            + " is spent; the next starts in about "
            + wait.toSeconds()
            + "s";
    conditions.set(
        status.getConditions(), ROTATIONS_HELD, true, Reason.BudgetSpent, message, generation);
    return message;
  }

  /** A pass that failed with an exception: Degraded says which API call and what to grant. */
  void error(ProxyFleetStatus status, Exception e, Long generation) {
    boolean forbidden = e instanceof KubernetesClientException k && k.getCode() == 403;
    String message =
        e instanceof KubernetesClientException k
            ? "Kubernetes API error " + k.getCode() + ": " + k.getMessage()
            : e.toString();
    if (forbidden) {
      message += "; grant the operator's ServiceAccount this permission (see operator/rbac.yaml)";
    }
    conditions.set(
        status.getConditions(),
        DEGRADED,
        true,
        forbidden ? Reason.Forbidden : Reason.ReconcileError,
        message + " (retrying)",
        generation);
  }

  static String describe(List<SpecProblem> problems) {
    return problems.stream().map(SpecProblem::toString).collect(Collectors.joining("; "));
  }

  static Reason progressReason(FleetPlan plan) {
    if (!plan.ipRotations().isEmpty()
        || plan.rotationsStarted().containsKey(FleetPlan.Reason.Blocked))
      return Reason.RotatingBlocked;
    if (plan.creates().stream().anyMatch(c -> c.reason() == FleetPlan.Reason.MaxAge))
      return Reason.RotatingByAge;
    if (!plan.creates().isEmpty()) return Reason.ScalingUp;
    if (!plan.deletes().isEmpty()) return Reason.ScalingDown;
    return Reason.WaitingForProxies;
  }
}
