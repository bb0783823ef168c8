package io.proxyfleet.operator;

import io.proxyfleet.blocklist.SourceAccess;
import java.time.Clock;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Operator-wide settings.
 *
 * @param cluster value of the {@code proxyfleet.io/cluster} tag on every cloud resource; two
 *     operators sharing a cloud account must use different values
 * @param maxAddressDraws how many addresses a proxy may draw (releasing blocked ones) before it
 *     gives up
 * @param reconcileThreads concurrent reconciles across all resources
 * @param names randomness for proxy name suffixes
 * @param secrets randomness for generated credentials (must be cryptographically strong in
 *     production)
 * @param sourceAccess where Blocklist URL sources may go and which Secrets they may use
 * @param watchNamespaces where fleets, proxies and profiles are watched; empty means every
 *     namespace (Blocklists are cluster-scoped and always watched)
 * @param resync every fleet, proxy and blocklist is reconciled at least this often without an event
 */
public record OperatorSettings(
    String cluster,
    int maxAddressDraws,
    int reconcileThreads,
    Clock clock,
    RandomGenerator names,
    RandomGenerator secrets,
    SourceAccess sourceAccess,
    java.util.Set<String> watchNamespaces,
    java.time.Duration resync) {

  /** The default resync period of {@code operator --resync-period}. */
  public static final java.time.Duration DEFAULT_RESYNC = java.time.Duration.ofMinutes(5);

  public OperatorSettings {
    watchNamespaces = java.util.Set.copyOf(watchNamespaces);
  }

  /** With the default resync period. */
  public OperatorSettings(
      String cluster,
      int maxAddressDraws,
      int reconcileThreads,
      Clock clock,
      RandomGenerator names,
      RandomGenerator secrets,
      SourceAccess sourceAccess,
      java.util.Set<String> watchNamespaces) {
    this(
        cluster,
        maxAddressDraws,
        reconcileThreads,
        clock,
        names,
        secrets,
        sourceAccess,
        watchNamespaces,
        DEFAULT_RESYNC);
  }

  /** Watching every namespace. */
  public OperatorSettings(
      String cluster,
      int maxAddressDraws,
      int reconcileThreads,
      Clock clock,
      RandomGenerator names,
      RandomGenerator secrets,
      SourceAccess sourceAccess) {
    this(
        cluster,
        maxAddressDraws,
        reconcileThreads,
        clock,
        names,
        secrets,
        sourceAccess,
        java.util.Set.of());
  }

  /**
   * Loopback feeds are allowed where everything runs on one machine: local mode, benchmarks, tests.
   */
  public static final List<String> LOOPBACK = List.of("127.0.0.0/8");

  /**
   * Local mode and the benchmarks: one machine, the {@code default} namespace, loopback feeds
   * allowed.
   */
  public static OperatorSettings localMode(String cluster) {
    return new OperatorSettings(
        cluster,
        10,
        16,
        Clock.systemUTC(),
        RandomGenerator.getDefault(),
        new java.security.SecureRandom(),
        new SourceAccess("default", LOOPBACK));
  }
}
