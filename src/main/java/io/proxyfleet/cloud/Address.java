package io.proxyfleet.cloud;

import java.time.Instant;
import java.util.Map;

/**
 * A public address (Elastic IP, static address, loopback address). {@code instanceId} is null when
 * unassociated.
 */
public record Address(
    String id,
    String region,
    String ip,
    String instanceId,
    Map<String, String> tags,
    Instant allocatedAt) {

  public String ownerUid() {
    return OwnerTags.proxyUidOf(tags);
  }
}
