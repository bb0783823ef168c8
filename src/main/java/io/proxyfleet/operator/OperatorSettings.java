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
 */
public record OperatorSettings(
    String cluster,
    int maxAddressDraws,
    int reconcileThreads,
    Clock clock,
    RandomGenerator names,
    RandomGenerator secrets) {

  public static OperatorSettings defaults(String cluster) {
    return new OperatorSettings(cluster, 10, 16, Clock.systemUTC(), RandomGenerator.getDefault(), new java.security.SecureRandom());
  }
}
