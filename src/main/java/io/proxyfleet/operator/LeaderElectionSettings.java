package io.proxyfleet.operator;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Leader election for operator replicas: one Lease, {@value #LEASE_NAME}, in {@code namespace}.
 *
 * @param namespace where the Lease lives (the operator's own namespace)
 * @param identity this process's name in the Lease; unique per process, see {@link #uniqueIdentity}
 * @param leaseDuration how long a standby waits after the leader's last renewal before taking over
 * @param renewDeadline how long the leader keeps trying to renew before it gives up leading
 * @param retryPeriod how often candidates try to acquire and the leader renews
 */
public record LeaderElectionSettings(
    String namespace,
    String identity,
    Duration leaseDuration,
    Duration renewDeadline,
    Duration retryPeriod) {

  public static final String LEASE_NAME = "proxyfleet-operator";
  private static final String SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

  /** Kubernetes' own controllers use 15 s / 10 s / 2 s. */
  public static LeaderElectionSettings defaults(String namespace, String identity) {
    return new LeaderElectionSettings(
        namespace, identity, Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));
  }

  /**
   * {@code base} (the pod name) plus a random suffix: two processes that share a host name (two
   * containers of one pod, a restarted container whose predecessor's Lease has not expired, two
   * shells on one laptop) must never believe they hold the same lease.
   */
  public static String uniqueIdentity(String base, RandomGenerator random) {
    StringBuilder id =
        new StringBuilder(base == null || base.isBlank() ? "proxyfleet" : base).append('-');
    for (int i = 0; i < 6; i++) {
      id.append(SUFFIX_ALPHABET.charAt(random.nextInt(SUFFIX_ALPHABET.length())));
    }
    return id.toString();
  }
}
