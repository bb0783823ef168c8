package io.proxyfleet.fleet;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which fleets reference which blocklists, recorded on every reconcile (including references to
 * lists that do not exist yet), so a published list re-evaluates exactly the fleets that use it.
 */
public final class BlocklistSubscriptions {

  private final Map<ResourceID, List<String>> byFleet = new ConcurrentHashMap<>();

  public void record(ResourceID fleet, List<String> blocklists) {
    byFleet.put(fleet, blocklists == null ? List.of() : List.copyOf(blocklists));
  }

  public void forget(ResourceID fleet) {
    byFleet.remove(fleet);
  }

  public Set<ResourceID> fleetsUsing(String blocklist) {
    return byFleet.entrySet().stream()
        .filter(e -> e.getValue().contains(blocklist))
        .map(Map.Entry::getKey)
        .collect(java.util.stream.Collectors.toSet());
  }
}
