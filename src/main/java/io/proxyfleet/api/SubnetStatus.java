package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One subnet a profile can launch proxies into. */
public class SubnetStatus {
  @JsonPropertyDescription("Region of the subnet.")
  private String region;

  @JsonPropertyDescription("Subnet id.")
  private String id;

  @JsonPropertyDescription("Availability zone of the subnet.")
  private String zone;

  @JsonPropertyDescription("Private IPv4 range of the subnet.")
  private String cidr;

  public SubnetStatus() {}

  public SubnetStatus(String region, String id, String zone, String cidr) {
    this.region = region;
    this.id = id;
    this.zone = zone;
    this.cidr = cidr;
  }

  public String getRegion() {
    return region;
  }

  public void setRegion(String region) {
    this.region = region;
  }

  public String getId() {
    return id;
  }

  public void setId(String id) {
    this.id = id;
  }

  public String getZone() {
    return zone;
  }

  public void setZone(String zone) {
    this.zone = zone;
  }

  public String getCidr() {
    return cidr;
  }

  public void setCidr(String cidr) {
    this.cidr = cidr;
  }
}
