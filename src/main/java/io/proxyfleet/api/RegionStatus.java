package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Summary of one (cloud profile, region) slot of a fleet. */
public class RegionStatus {
  @JsonPropertyDescription("CloudProfile name.")
  private String cloudProfile;

  @JsonPropertyDescription("Region name.")
  private String region;

  @JsonPropertyDescription("Proxies the placement wants here.")
  private Integer desired;

  @JsonPropertyDescription("Proxies that exist here.")
  private Integer replicas;

  @JsonPropertyDescription("Proxies Running here on unblocked IPs.")
  private Integer ready;

  @JsonPropertyDescription("Proxies here whose IP is blocked.")
  private Integer blocked;

  @JsonPropertyDescription(
      "Share of the region's published compute address space the fleet's blocklists cover, as a"
          + " percentage with two decimals; empty when the provider publishes no ranges.")
  private String blockedPercent;

  @JsonPropertyDescription(
      "Why the region receives no new proxies now (burned or too blocked); empty when usable.")
  private String unavailable;

  public RegionStatus() {}

  public RegionStatus(
      String cloudProfile, String region, int desired, int replicas, int ready, int blocked) {
    this.cloudProfile = cloudProfile;
    this.region = region;
    this.desired = desired;
    this.replicas = replicas;
    this.ready = ready;
    this.blocked = blocked;
  }

  public String getCloudProfile() {
    return cloudProfile;
  }

  public void setCloudProfile(String cloudProfile) {
    this.cloudProfile = cloudProfile;
  }

  public String getRegion() {
    return region;
  }

  public void setRegion(String region) {
    this.region = region;
  }

  public Integer getDesired() {
    return desired;
  }

  public void setDesired(Integer desired) {
    this.desired = desired;
  }

  public Integer getReplicas() {
    return replicas;
  }

  public void setReplicas(Integer replicas) {
    this.replicas = replicas;
  }

  public Integer getReady() {
    return ready;
  }

  public void setReady(Integer ready) {
    this.ready = ready;
  }

  public Integer getBlocked() {
    return blocked;
  }

  public void setBlocked(Integer blocked) {
    this.blocked = blocked;
  }

  public String getBlockedPercent() {
    return blockedPercent;
  }

  public void setBlockedPercent(String blockedPercent) {
    this.blockedPercent = blockedPercent;
  }

  public String getUnavailable() {
    return unavailable;
  }

  public void setUnavailable(String unavailable) {
    this.unavailable = unavailable;
  }
}
