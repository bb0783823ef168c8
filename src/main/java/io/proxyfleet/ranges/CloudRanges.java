package io.proxyfleet.ranges;

import io.proxyfleet.block.BlockIndex;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One published range file reduced to what placement needs: per region, the merged IPv4 space of
 * one service, plus what the file held and what could not be read.
 *
 * @param syncToken the publisher's version token ({@code syncToken}), null when absent
 * @param createdAt the publisher's timestamp as written ({@code createDate} / {@code creationTime})
 * @param service the service whose prefixes make up {@code regions}
 * @param regions per region, sorted by name
 */
public record CloudRanges(
    RangePublisher publisher,
    String syncToken,
    String createdAt,
    String service,
    Map<String, RegionRanges> regions,
    Stats stats) {

  public CloudRanges {
    regions = Collections.unmodifiableMap(new TreeMap<>(regions));
  }

  /**
   * What the file held, over every service.
   *
   * @param ipv4Records IPv4 prefix records (a prefix is listed once per service)
   * @param distinctIpv4Prefixes distinct IPv4 prefixes
   * @param ipv4Regions distinct regions (scopes) of IPv4 records
   * @param services IPv4 records per service, sorted by name
   * @param selectedRecords IPv4 records of the chosen service that went into {@code regions}
   * @param recordsWithoutRegion records with no region or scope (Google's goog.json), left out
   * @param badRecords records that could not be read, skipped
   * @param firstErrors the first few bad records, each naming its place in the file
   */
  public record Stats(
      int ipv4Records,
      int distinctIpv4Prefixes,
      int ipv4Regions,
      int ipv6Records,
      int distinctIpv6Prefixes,
      Map<String, Integer> services,
      int selectedRecords,
      int recordsWithoutRegion,
      int badRecords,
      List<String> firstErrors) {}

  public Optional<RegionRanges> region(String name) {
    return Optional.ofNullable(regions.get(name));
  }

  /** Addresses of the chosen service over every region. */
  public long totalAddresses() {
    return regions.values().stream().mapToLong(RegionRanges::totalAddresses).sum();
  }

  /** Every region's exposure to the index, worst first (ties by region name). */
  public List<RegionExposure> exposure(BlockIndex index) {
    List<RegionExposure> out = new ArrayList<>(regions.size());
    for (RegionRanges r : regions.values()) {
      out.add(r.exposure(index));
    }
    out.sort(
        Comparator.comparingDouble(RegionExposure::fraction)
            .reversed()
            .thenComparing(RegionExposure::region));
    return out;
  }

  /** One region's exposure, empty when the file does not list the region for this service. */
  public Optional<RegionExposure> exposure(String region, BlockIndex index) {
    return region(region).map(r -> r.exposure(index));
  }
}
