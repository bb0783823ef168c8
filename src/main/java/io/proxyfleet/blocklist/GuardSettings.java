package io.proxyfleet.blocklist;

import io.proxyfleet.api.BlocklistGuardSpec;
import java.util.Optional;

/**
 * The guard's thresholds with defaults filled in; see {@link BlocklistGuardSpec} for their meaning.
 */
public record GuardSettings(
    int minIpv4Prefix,
    long maxNewIpv4Addresses,
    int maxGrowthFactor,
    long growthFloor,
    int maxShrinkPercent) {

  public static final GuardSettings DEFAULTS =
      new GuardSettings(
          BlocklistGuardSpec.DEFAULT_MIN_IPV4_PREFIX,
          BlocklistGuardSpec.DEFAULT_MAX_NEW_IPV4_ADDRESSES,
          BlocklistGuardSpec.DEFAULT_MAX_GROWTH_FACTOR,
          BlocklistGuardSpec.DEFAULT_GROWTH_FLOOR,
          BlocklistGuardSpec.DEFAULT_MAX_SHRINK_PERCENT);

  /** Settings with the default shrink threshold. */
  public GuardSettings(
      int minIpv4Prefix, long maxNewIpv4Addresses, int maxGrowthFactor, long growthFloor) {
    this(
        minIpv4Prefix,
        maxNewIpv4Addresses,
        maxGrowthFactor,
        growthFloor,
        BlocklistGuardSpec.DEFAULT_MAX_SHRINK_PERCENT);
  }

  public static GuardSettings from(BlocklistGuardSpec spec) {
    if (spec == null) {
      return DEFAULTS;
    }
    return new GuardSettings(
        Optional.ofNullable(spec.getMinIpv4Prefix()).orElse(DEFAULTS.minIpv4Prefix),
        Optional.ofNullable(spec.getMaxNewIpv4Addresses()).orElse(DEFAULTS.maxNewIpv4Addresses),
        Optional.ofNullable(spec.getMaxGrowthFactor()).orElse(DEFAULTS.maxGrowthFactor),
        Optional.ofNullable(spec.getGrowthFloor()).orElse(DEFAULTS.growthFloor),
        Optional.ofNullable(spec.getMaxShrinkPercent()).orElse(DEFAULTS.maxShrinkPercent));
  }
}
