package io.proxyfleet.runtime;

import io.fabric8.kubernetes.api.model.Condition;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.api.ProxyStatus;
import io.proxyfleet.api.Timestamps;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * How long a proxy took from its IP being found blocked to serving again on a clean one, read from
 * two successive versions of the Proxy: the one still blocked and the first one Running, unblocked,
 * on another address. The time runs from the {@code Blocked} condition turning true to the new
 * address's {@code ipAssignedAt}, both written by the Proxy reconciler, so every replica that sees
 * the change computes the same value. A blocked proxy replaced by a new VM ({@code Replace}) is
 * not measured here: its successor is another Proxy.
 */
final class BlockRecovery {

  private BlockRecovery() {}

  /** The recovery this update shows, if it is one. */
  static Optional<Duration> of(Proxy before, Proxy after) {
    ProxyStatus was = before == null ? null : before.getStatus();
    ProxyStatus now = after == null ? null : after.getStatus();
    if (was == null || now == null || was.getBlockedBy() == null || now.getBlockedBy() != null
        || now.getPhase() != ProxyPhase.Running || now.getPublicIp() == null || now.getPublicIp().equals(was.getPublicIp())) {
      return Optional.empty();
    }
    Optional<Instant> blockedSince = was.getConditions().stream()
        .filter(c -> "Blocked".equals(c.getType()) && "True".equals(c.getStatus()))
        .map(Condition::getLastTransitionTime).map(Timestamps::parse).flatMap(Optional::stream).findFirst();
    Optional<Instant> serving = Timestamps.parse(now.getIpAssignedAt());
    if (blockedSince.isEmpty() || serving.isEmpty() || serving.get().isBefore(blockedSince.get())) {
      return Optional.empty();
    }
    return Optional.of(Duration.between(blockedSince.get(), serving.get()));
  }

}
