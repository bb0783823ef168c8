package io.proxyfleet.planner;

import java.util.List;

/** One placement entry of a fleet, already validated. */
public record PlacementView(String cloudProfile, List<String> regions, int weight) {
  public PlacementView {
    regions = List.copyOf(regions);
  }
}
