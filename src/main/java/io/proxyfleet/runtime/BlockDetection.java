package io.proxyfleet.runtime;

import io.fabric8.kubernetes.api.model.Condition;
import io.proxyfleet.api.FleetBlocklists;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyStatus;
import io.proxyfleet.api.RotationRequest;
import io.proxyfleet.planner.FleetPlan;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Which kind of evidence an update of a Proxy shows it was found out by, read from two successive
 * versions of it (as {@link BlockRecovery} is), so every replica counts the same:
 *
 * <ul>
 *   <li>{@code health}: the reachability checks marked it {@code Unhealthy} (the daemon is down);
 *   <li>{@code list} or {@code probe}: its current address became blocked, by a published list or
 *       by the fleet's learned list (what vantages found). When the fleet's rotation request wins
 *       the race and the Proxy swaps its address without ever recording the block, the request's
 *       reason says it was a block and {@code listOf} says which list holds the old address.
 * </ul>
 */
final class BlockDetection {

  enum Kind {
    list,
    probe,
    health
  }

  private BlockDetection() {}

  /**
   * @param listOf the Blocklist that now holds a Proxy's current address, if any
   */
  static Optional<Kind> of(Proxy before, Proxy after, Function<Proxy, Optional<String>> listOf) {
    ProxyStatus was = before == null ? null : before.getStatus();
    ProxyStatus now = after == null ? null : after.getStatus();
    if (was == null || now == null) {
      return Optional.empty();
    }
    if (reachableReason(now).filter("Unhealthy"::equals).isPresent()
        && reachableReason(was).filter("Unhealthy"::equals).isEmpty()) {
      return Optional.of(Kind.health);
    }
    boolean wasBlocked =
        was.getBlockedBy() != null && Objects.equals(was.getPublicIp(), now.getPublicIp());
    String learned =
        FleetBlocklists.learnedName(after.getMetadata().getNamespace(), after.getSpec().getFleet());
    if (now.getBlockedBy() != null && !wasBlocked) {
      return Optional.of(kindOf(now.getBlockedBy(), learned));
    }
    boolean rotatedForBlock =
        RotationRequest.servedBetween(was, now)
            .filter(r -> FleetPlan.Reason.Blocked.name().equals(r.reason()))
            .isPresent();
    if (rotatedForBlock && was.getBlockedBy() == null) {
      return Optional.of(listOf.apply(before).map(list -> kindOf(list, learned)).orElse(Kind.list));
    }
    return Optional.empty();
  }

  /**
   * The fleet's learned list holds what its vantages found; every other list is published by
   * someone. {@code blockedBy} is a list name, or a Proxy's {@code status.blockedBy} ("list
   * (range)").
   */
  static Kind kindOf(String blockedBy, String learnedList) {
    return blockedBy.equals(learnedList) || blockedBy.startsWith(learnedList + " (")
        ? Kind.probe
        : Kind.list;
  }

  private static Optional<String> reachableReason(ProxyStatus status) {
    return status.getConditions() == null
        ? Optional.empty()
        : status.getConditions().stream()
            .filter(c -> "Reachable".equals(c.getType()))
            .map(Condition::getReason)
            .filter(Objects::nonNull)
            .findFirst();
  }
}
