package io.proxyfleet.runtime;

import io.fabric8.kubernetes.api.model.Condition;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.api.ProxyStatus;
import io.proxyfleet.api.RotationRequest;
import io.proxyfleet.api.Timestamps;
import io.proxyfleet.planner.FleetPlan;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * How long a proxy took from its IP being found blocked to serving again on a clean one, read from
 * two successive versions of the Proxy: the one before the swap and the first one Running,
 * unblocked, on another address. The clock starts at whichever saw the block first: the Proxy's
 * {@code Blocked} condition turning true, or the fleet's rotation request for reason {@code
 * Blocked} (both controllers watch the blocklists, and when the fleet wins the race the Proxy swaps
 * its IP without ever having recorded the block). It stops at the new address's {@code
 * ipAssignedAt}. All three are written to the Proxy, so every replica that sees the change computes
 * the same value. A blocked proxy replaced by a new VM ({@code Replace}) is not measured here: its
 * successor is another Proxy.
 */
final class BlockRecovery {

  private BlockRecovery() {}

  /** The recovery this update shows, if it is one. */
  static Optional<Duration> of(Proxy before, Proxy after) {
    ProxyStatus was = before == null ? null : before.getStatus();
    ProxyStatus now = after == null ? null : after.getStatus();
    if (was == null
        || now == null
        || now.getBlockedBy() != null
        || now.getPhase() != ProxyPhase.Running
        || now.getPublicIp() == null
        || now.getPublicIp().equals(was.getPublicIp())) {
      return Optional.empty();
    }
    Optional<Instant> recorded =
        was.getBlockedBy() == null
            ? Optional.empty()
            : was.getConditions().stream()
                .filter(c -> "Blocked".equals(c.getType()) && "True".equals(c.getStatus()))
                .map(Condition::getLastTransitionTime)
                .map(Timestamps::parse)
                .flatMap(Optional::stream)
                .findFirst();
    Optional<Instant> requested =
        RotationRequest.servedBetween(was, now)
            .filter(r -> FleetPlan.Reason.Blocked.name().equals(r.reason()))
            .map(RotationRequest::requestedAt);
    // The Proxy's times are whole seconds (ipAssignedAt, condition times), the request's carry
    // milliseconds: a swap in the same second as the request looked like serving before the block
    // and was not measured, which is every swap when the fleet's request wins the race.
    Optional<Instant> blockedSince =
        Stream.of(recorded, requested)
            .flatMap(Optional::stream)
            .min(Comparator.naturalOrder())
            .map(t -> t.truncatedTo(ChronoUnit.SECONDS));
    Optional<Instant> serving = Timestamps.parse(now.getIpAssignedAt());
    if (blockedSince.isEmpty() || serving.isEmpty() || serving.get().isBefore(blockedSince.get())) {
      return Optional.empty();
    }
    return Optional.of(Duration.between(blockedSince.get(), serving.get()));
  }
}
