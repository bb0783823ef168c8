package io.proxyfleet.api;

import java.util.ArrayList;
import java.util.List;

/**
 * The blocklists a fleet is checked against: the ones its spec names, then the one the operator
 * learns for it from probes ({@code learned-<namespace>-<fleet>}, cluster-scoped like every
 * Blocklist). A learned list that does not exist yet matches nothing.
 */
public final class FleetBlocklists {

  private FleetBlocklists() {}

  public static String learnedName(String namespace, String fleet) {
    return "learned-" + namespace + "-" + fleet;
  }

  /** The lists in force for this fleet, the named ones first (matches report the first list). */
  public static List<String> inForce(ProxyFleet fleet) {
    List<String> lists = new ArrayList<>();
    if (fleet.getSpec() != null && fleet.getSpec().getBlocklists() != null) {
      lists.addAll(fleet.getSpec().getBlocklists());
    }
    lists.add(learnedName(fleet.getMetadata().getNamespace(), fleet.getMetadata().getName()));
    return lists;
  }
}
