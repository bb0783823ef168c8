package io.proxyfleet.cloud.gcp;

import java.time.Duration;

/**
 * Bounds of every Compute Engine call. The generated client allows 600 s of retries per call; a
 * reconciler thread must never hang that long, so every call and every operation wait has an
 * explicit total timeout here.
 *
 * @param callTimeout total time of one API call including the client's retries (GET and list only)
 * @param rpcTimeout time of one attempt
 * @param maxAttempts attempts of a retryable call (5xx, timeouts; mutations are never retried
 *     blindly)
 * @param operationTimeout how long a mutation's operation is waited for before the call gives up
 *     (the operation continues; its requestId and the owner labels find the result later)
 * @param snapshotTtl how long listings of instances and addresses serve reads
 * @param capacityHold how long a zone that reported ZONE_RESOURCE_POOL_EXHAUSTED is skipped
 */
public record GcpSettings(
    Duration callTimeout,
    Duration rpcTimeout,
    int maxAttempts,
    Duration operationTimeout,
    Duration snapshotTtl,
    Duration capacityHold) {

  public static GcpSettings defaults() {
    return new GcpSettings(
        Duration.ofSeconds(30),
        Duration.ofSeconds(20),
        3,
        Duration.ofSeconds(120),
        Duration.ofSeconds(10),
        Duration.ofMinutes(10));
  }

  /** The same with another snapshot TTL (tests and benchmarks). */
  public GcpSettings withSnapshotTtl(Duration ttl) {
    return new GcpSettings(
        callTimeout, rpcTimeout, maxAttempts, operationTimeout, ttl, capacityHold);
  }

  public GcpSettings withOperationTimeout(Duration timeout) {
    return new GcpSettings(
        callTimeout, rpcTimeout, maxAttempts, timeout, snapshotTtl, capacityHold);
  }
}
