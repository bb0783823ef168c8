package io.proxyfleet.cloud;

import java.time.Instant;
import java.util.Map;

/**
 * A proxy VM as the provider reports it. {@code publicIp} and {@code addressId} are null until an
 * address is associated.
 */
public record Instance(
    String id,
    String region,
    String zone,
    String subnetId,
    State state,
    String publicIp,
    String addressId,
    Map<String, String> tags,
    Instant launchedAt) {

  /** Lifecycle states common to every provider. */
  public enum State {
    PENDING,
    RUNNING,
    STOPPING,
    TERMINATED
  }

  public String ownerUid() {
    return OwnerTags.proxyUidOf(tags);
  }
}
