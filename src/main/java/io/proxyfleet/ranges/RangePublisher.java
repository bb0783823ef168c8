package io.proxyfleet.ranges;

import java.net.URI;
import java.util.Arrays;
import java.util.Optional;

/**
 * A cloud that publishes its IP ranges, with the file's official address and the service proxies
 * draw from.
 */
public enum RangePublisher {
  /**
   * AWS {@code ip-ranges.json}: service {@code EC2} is the space EC2 public IPs (and Elastic IPs)
   * come from.
   */
  AWS("aws", "EC2", URI.create("https://ip-ranges.amazonaws.com/ip-ranges.json")),
  /**
   * Google {@code cloud.json}: every record is service {@code Google Cloud}, scoped to a region or
   * "global".
   */
  GCP("gcp", "Google Cloud", URI.create("https://www.gstatic.com/ipranges/cloud.json"));

  private final String wireName;
  private final String defaultService;
  private final URI officialUrl;

  RangePublisher(String wireName, String defaultService, URI officialUrl) {
    this.wireName = wireName;
    this.defaultService = defaultService;
    this.officialUrl = officialUrl;
  }

  /** As written in {@code CloudProfile.spec.provider}. */
  public String wireName() {
    return wireName;
  }

  public String defaultService() {
    return defaultService;
  }

  public URI officialUrl() {
    return officialUrl;
  }

  public static Optional<RangePublisher> fromWireName(String name) {
    return Arrays.stream(values()).filter(p -> p.wireName.equals(name)).findFirst();
  }
}
