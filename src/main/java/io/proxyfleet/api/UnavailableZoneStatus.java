package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A zone skipped for launches of one instance type until a moment. */
public class UnavailableZoneStatus {
  @JsonPropertyDescription("Region of the zone.")
  private String region;

  @JsonPropertyDescription("Availability zone without capacity.")
  private String zone;

  @JsonPropertyDescription("Instance type the cloud had no capacity for.")
  private String instanceType;

  @JsonPropertyDescription("When launches into this zone are tried again (RFC 3339).")
  private String until;

  public UnavailableZoneStatus() {}

  public UnavailableZoneStatus(String region, String zone, String instanceType, String until) {
    this.region = region;
    this.zone = zone;
    this.instanceType = instanceType;
    this.until = until;
  }

  public String getRegion() {
    return region;
  }

  public void setRegion(String region) {
    this.region = region;
  }

  public String getZone() {
    return zone;
  }

  public void setZone(String zone) {
    this.zone = zone;
  }

  public String getInstanceType() {
    return instanceType;
  }

  public void setInstanceType(String instanceType) {
    this.instanceType = instanceType;
  }

  public String getUntil() {
    return until;
  }

  public void setUntil(String until) {
    this.until = until;
  }
}
