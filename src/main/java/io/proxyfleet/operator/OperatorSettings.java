package io.proxyfleet.operator;

import java.time.Clock;
import java.util.random.RandomGenerator;

/**
 * Operator-wide settings.
 *
 * @param cluster value of the {@code proxyfleet.io/cluster} tag on every cloud resource; two
 *     operators sharing a cloud account must use different values
 * @param maxAddressDraws how many addresses a proxy may draw (releasing blocked ones) before it gives up
 * @param reconcileThreads concurrent reconciles across all resources
 * @param names randomness for proxy name suffixes
 * @param secrets randomness for generated credentials (must be cryptographically strong in production)
 * @param watchNamespaces where fleets, proxies and profiles are watched; empty means every namespace
 *     (Blocklists are cluster-scoped and always watched)
 */
public record OperatorSettings(
    String cluster,
    int maxAddressDraws,
    int reconcileThreads,
    Clock clock,
    RandomGenerator names,
    RandomGenerator secrets,
    java.util.Set<String> watchNamespaces) {

  public OperatorSettings {
    watchNamespaces = java.util.Set.copyOf(watchNamespaces);
  }

  /** Watching every namespace. */
  public OperatorSettings(String cluster, int maxAddressDraws, int reconcileThreads, Clock clock, RandomGenerator names, RandomGenerator secrets) {
    this(cluster, maxAddressDraws, reconcileThreads, clock, names, secrets, java.util.Set.of());
  }

  public static OperatorSettings defaults(String cluster) {
    return new OperatorSettings(cluster, 10, 16, Clock.systemUTC(), RandomGenerator.getDefault(), new java.security.SecureRandom());
  }
}
