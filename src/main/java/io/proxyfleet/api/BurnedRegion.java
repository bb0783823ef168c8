package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * A region where a proxy drew only blocked addresses; persisted so a restart does not retry it at
 * once.
 */
public class BurnedRegion {

  @JsonPropertyDescription("CloudProfile name.")
  private String cloudProfile;

  @JsonPropertyDescription("Region name.")
  private String region;

  @JsonPropertyDescription("Until when the region receives no new proxies (RFC 3339).")
  private String until;

  @JsonPropertyDescription("What burned it, e.g. the proxy and the draws.")
  private String reason;

  public BurnedRegion() {}

  public BurnedRegion(String cloudProfile, String region, String until, String reason) {
    this.cloudProfile = cloudProfile;
    this.region = region;
    this.until = until;
    this.reason = reason;
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

  public String getUntil() {
    return until;
  }

  public void setUntil(String until) {
    this.until = until;
  }

  public String getReason() {
    return reason;
  }

  public void setReason(String reason) {
    this.reason = reason;
  }
}
