package io.proxyfleet.planner;

/** A (cloud profile, region) pair: the unit replicas are spread over. */
public record SlotKey(String cloudProfile, String region) implements Comparable<SlotKey> {
  @Override
  public int compareTo(SlotKey o) {
    int c = cloudProfile.compareTo(o.cloudProfile);
    return c != 0 ? c : region.compareTo(o.region);
  }

  @Override
  public String toString() {
    return cloudProfile + "/" + region;
  }
}
