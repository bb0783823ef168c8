package io.proxyfleet.cloud;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Who owns a cloud resource. Written as tags (labels on GCP) on every instance and address, so the
 * operator can find its resources again after a crash and never touches anything else.
 */
public record OwnerTags(
    String cluster, String fleetNamespace, String fleet, String proxyName, String proxyUid) {

  public static final String CLUSTER = "proxyfleet.io/cluster";
  public static final String FLEET = "proxyfleet.io/fleet";
  public static final String PROXY = "proxyfleet.io/proxy";
  public static final String NAME = "Name";

  public OwnerTags {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(proxyUid, "proxyUid");
  }

  /** The tags as written on cloud resources; {@code proxyfleet.io/proxy} holds the Proxy UID. */
  public Map<String, String> asTags() {
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put(CLUSTER, cluster);
    tags.put(FLEET, fleetNamespace + "/" + fleet);
    tags.put(PROXY, proxyUid);
    tags.put(NAME, proxyName);
    return tags;
  }

  /** The owning proxy UID read back from a resource's tags, or null when the resource has none. */
  public static String proxyUidOf(Map<String, String> tags) {
    return tags == null ? null : tags.get(PROXY);
  }
}
