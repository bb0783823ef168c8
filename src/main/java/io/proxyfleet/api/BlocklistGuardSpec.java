package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/**
 * Thresholds of the feed sanity guard: an update that would newly block an absurd share of the
 * address space is held until an engineer accepts it, because a broken feed (a stray 0.0.0.0/0)
 * would otherwise make every fleet rotate every proxy at once.
 */
public class BlocklistGuardSpec {
  public static final int DEFAULT_MIN_IPV4_PREFIX = 8;

  /**
   * A /7 worth (0.78% of IPv4): far above the 13.9 M addresses reported blocked in the April 2018
   * wave.
   */
  public static final long DEFAULT_MAX_NEW_IPV4_ADDRESSES = 1L << 25;

  public static final int DEFAULT_MAX_GROWTH_FACTOR = 100;

  /**
   * A /10 worth: below this size a list may grow by any factor (antifilter ipsum.lst covers 3.2 M).
   */
  public static final long DEFAULT_GROWTH_FLOOR = 1L << 22;

  /**
   * A feed that loses more than half its addresses at once is more likely broken than unblocking.
   */
  public static final int DEFAULT_MAX_SHRINK_PERCENT = 50;

  /**
   * Every IPv4 address: a larger count means nothing, and the schema must bound what Java reads as
   * a long.
   */
  public static final long MAX_IPV4_ADDRESSES = 1L << 32;

  /**
   * A larger factor means "never hold for growth"; the schema must bound what Java reads as an int.
   */
  public static final int MAX_GROWTH_FACTOR = 1_000_000;

  @Default("8")
  @Min(0)
  @Max(32)
  @JsonPropertyDescription(
      "Hold an update with a newly covered IPv4 range wider than this prefix length (default 8: a /8"
          + " passes, a /7 or 0.0.0.0/0 is held). 0 turns the check off.")
  private Integer minIpv4Prefix = DEFAULT_MIN_IPV4_PREFIX;

  @Default("33554432")
  @Min(0)
  @Max(MAX_IPV4_ADDRESSES)
  @JsonPropertyDescription(
      "Hold an update that newly covers more IPv4 addresses than this (default 33554432, a /7 worth,"
          + " 0.78% of the IPv4 space).")
  private Long maxNewIpv4Addresses = DEFAULT_MAX_NEW_IPV4_ADDRESSES;

  @Default("100")
  @Min(1)
  @Max(MAX_GROWTH_FACTOR)
  @JsonPropertyDescription(
      "Hold an update that multiplies the IPv4 addresses covered by more than this factor (default"
          + " 100: two orders of magnitude; the real April 2018 wave grew the registry about 57x and must"
          + " not wait for a human), once the list covers more than growthFloor addresses.")
  private Integer maxGrowthFactor = DEFAULT_MAX_GROWTH_FACTOR;

  @Default("4194304")
  @Min(0)
  @Max(MAX_IPV4_ADDRESSES)
  @JsonPropertyDescription(
      "Size in IPv4 addresses up to which a list may grow by any factor (default 4194304, a /10"
          + " worth), so small lists can fill up.")
  private Long growthFloor = DEFAULT_GROWTH_FLOOR;

  @Default("50")
  @Min(0)
  @Max(100)
  @JsonPropertyDescription(
      "Hold an update from the sources that shrinks the IPv4 addresses covered by more than this"
          + " percentage (default 50): a feed that suddenly returns an empty or truncated list would"
          + " otherwise unblock everything at once. Edits of spec.cidrs or spec.sources are not held."
          + " 100 turns the check off.")
  private Integer maxShrinkPercent = DEFAULT_MAX_SHRINK_PERCENT;

  public Integer getMaxShrinkPercent() {
    return maxShrinkPercent;
  }

  public void setMaxShrinkPercent(Integer maxShrinkPercent) {
    this.maxShrinkPercent = maxShrinkPercent;
  }

  public Integer getMinIpv4Prefix() {
    return minIpv4Prefix;
  }

  public void setMinIpv4Prefix(Integer minIpv4Prefix) {
    this.minIpv4Prefix = minIpv4Prefix;
  }

  public Long getMaxNewIpv4Addresses() {
    return maxNewIpv4Addresses;
  }

  public void setMaxNewIpv4Addresses(Long maxNewIpv4Addresses) {
    this.maxNewIpv4Addresses = maxNewIpv4Addresses;
  }

  public Integer getMaxGrowthFactor() {
    return maxGrowthFactor;
  }

  public void setMaxGrowthFactor(Integer maxGrowthFactor) {
    this.maxGrowthFactor = maxGrowthFactor;
  }

  public Long getGrowthFloor() {
    return growthFloor;
  }

  public void setGrowthFloor(Long growthFloor) {
    this.growthFloor = growthFloor;
  }
}
