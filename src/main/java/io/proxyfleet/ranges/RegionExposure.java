package io.proxyfleet.ranges;

/**
 * How much of a region's public IPv4 space a block index covers.
 *
 * @param fraction blocked / total, 0 for a region with no addresses
 */
public record RegionExposure(
    String region, long totalAddresses, long blockedAddresses, double fraction) {

  public static RegionExposure of(String region, long total, long blocked) {
    return new RegionExposure(region, total, blocked, total == 0 ? 0 : (double) blocked / total);
  }

  /** The fraction as a percentage. */
  public double percent() {
    return fraction * 100;
  }
}
