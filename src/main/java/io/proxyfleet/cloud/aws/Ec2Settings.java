package io.proxyfleet.cloud.aws;

import java.time.Duration;

/**
 * Tuning of the EC2 adapter, operator-wide (not per CloudProfile).
 *
 * @param snapshotTtl how long one DescribeInstances / DescribeAddresses listing per region serves
 *     lookups before it is refreshed (own mutations invalidate it at once)
 * @param subnetTtl how long resolved subnets, security groups of a VPC and images are reused
 * @param capacityHold how long a (zone, instance type) stays unavailable after
 *     InsufficientInstanceCapacity
 * @param launchGrace how long a just-launched instance is reported from memory while
 *     DescribeInstances (eventually consistent) does not show it yet
 * @param describeRate describe calls per second per region (token bucket refill)
 * @param describeBurst describe bucket size
 * @param mutateRate mutating calls per second per region
 * @param mutateBurst mutating bucket size
 * @param maxRateWait longest a call waits for a token before it fails as THROTTLED
 * @param maxAttempts SDK attempts per call (1 = no retry); throttling retries are bounded by this
 *     too
 * @param retryBase first back-off of SDK retries (full jitter, doubling)
 * @param throttleRetryBase first back-off of SDK retries after a throttling error
 * @param retryMax longest single back-off
 * @param connectTimeout TCP connect timeout
 * @param socketTimeout read timeout of one response
 * @param attemptTimeout one HTTP attempt
 * @param callTimeout one call including retries and back-offs
 */
public record Ec2Settings(
    Duration snapshotTtl,
    Duration subnetTtl,
    Duration capacityHold,
    Duration launchGrace,
    double describeRate,
    int describeBurst,
    double mutateRate,
    int mutateBurst,
    Duration maxRateWait,
    int maxAttempts,
    Duration retryBase,
    Duration throttleRetryBase,
    Duration retryMax,
    Duration connectTimeout,
    Duration socketTimeout,
    Duration attemptTimeout,
    Duration callTimeout) {

  public Ec2Settings {
    if (describeRate <= 0 || mutateRate <= 0 || describeBurst < 1 || mutateBurst < 1) {
      throw new IllegalArgumentException("rates must be positive and bursts at least 1");
    }
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1");
    }
  }

  /**
   * Production defaults. EC2 refills 20 tokens/s (bucket 100) for describe calls and 5/s (bucket
   * 50) for mutating calls per account and region; the operator takes half of each so other tools
   * of the account keep room. Three attempts with throttling back-off from 500 ms keep a throttled
   * call under about 5 s before it surfaces as THROTTLED.
   */
  public static Ec2Settings defaults() {
    return new Ec2Settings(
        Duration.ofSeconds(5),
        Duration.ofMinutes(5),
        Duration.ofMinutes(5),
        Duration.ofMinutes(2),
        10,
        50,
        2.5,
        25,
        Duration.ofSeconds(10),
        3,
        Duration.ofMillis(100),
        Duration.ofMillis(500),
        Duration.ofSeconds(5),
        Duration.ofSeconds(5),
        Duration.ofSeconds(30),
        Duration.ofSeconds(30),
        Duration.ofSeconds(60));
  }

  public Ec2Settings withSnapshotTtl(Duration ttl) {
    return new Ec2Settings(
        ttl,
        subnetTtl,
        capacityHold,
        launchGrace,
        describeRate,
        describeBurst,
        mutateRate,
        mutateBurst,
        maxRateWait,
        maxAttempts,
        retryBase,
        throttleRetryBase,
        retryMax,
        connectTimeout,
        socketTimeout,
        attemptTimeout,
        callTimeout);
  }

  public Ec2Settings withRates(
      double describeRate,
      int describeBurst,
      double mutateRate,
      int mutateBurst,
      Duration maxRateWait) {
    return new Ec2Settings(
        snapshotTtl,
        subnetTtl,
        capacityHold,
        launchGrace,
        describeRate,
        describeBurst,
        mutateRate,
        mutateBurst,
        maxRateWait,
        maxAttempts,
        retryBase,
        throttleRetryBase,
        retryMax,
        connectTimeout,
        socketTimeout,
        attemptTimeout,
        callTimeout);
  }

  public Ec2Settings withRetries(
      int maxAttempts, Duration retryBase, Duration throttleRetryBase, Duration retryMax) {
    return new Ec2Settings(
        snapshotTtl,
        subnetTtl,
        capacityHold,
        launchGrace,
        describeRate,
        describeBurst,
        mutateRate,
        mutateBurst,
        maxRateWait,
        maxAttempts,
        retryBase,
        throttleRetryBase,
        retryMax,
        connectTimeout,
        socketTimeout,
        attemptTimeout,
        callTimeout);
  }

  public Ec2Settings withCapacityHold(Duration hold) {
    return new Ec2Settings(
        snapshotTtl,
        subnetTtl,
        hold,
        launchGrace,
        describeRate,
        describeBurst,
        mutateRate,
        mutateBurst,
        maxRateWait,
        maxAttempts,
        retryBase,
        throttleRetryBase,
        retryMax,
        connectTimeout,
        socketTimeout,
        attemptTimeout,
        callTimeout);
  }

  public Ec2Settings withLaunchGrace(Duration grace) {
    return new Ec2Settings(
        snapshotTtl,
        subnetTtl,
        capacityHold,
        grace,
        describeRate,
        describeBurst,
        mutateRate,
        mutateBurst,
        maxRateWait,
        maxAttempts,
        retryBase,
        throttleRetryBase,
        retryMax,
        connectTimeout,
        socketTimeout,
        attemptTimeout,
        callTimeout);
  }
}
