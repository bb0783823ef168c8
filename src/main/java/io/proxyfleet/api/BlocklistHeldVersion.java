package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** An update the feed sanity guard holds back until an engineer accepts it. */
public class BlocklistHeldVersion {
  @JsonPropertyDescription(
      "sha256 of the held version; accept it with the annotation proxyfleet.io/accept-update set to this value.")
  private String hash;

  @JsonPropertyDescription("IPv4 addresses the held version would cover.")
  private Long ipv4Addresses;

  @JsonPropertyDescription(
      "IPv4 addresses it would newly cover compared with the version in force.")
  private Long newIpv4Addresses;

  @JsonPropertyDescription("Which threshold it crossed, with the numbers and the offending entry.")
  private String reason;

  @JsonPropertyDescription("When this version was first held.")
  private String since;

  public String getHash() {
    return hash;
  }

  public void setHash(String hash) {
    this.hash = hash;
  }

  public Long getIpv4Addresses() {
    return ipv4Addresses;
  }

  public void setIpv4Addresses(Long ipv4Addresses) {
    this.ipv4Addresses = ipv4Addresses;
  }

  public Long getNewIpv4Addresses() {
    return newIpv4Addresses;
  }

  public void setNewIpv4Addresses(Long newIpv4Addresses) {
    this.newIpv4Addresses = newIpv4Addresses;
  }

  public String getReason() {
    return reason;
  }

  public void setReason(String reason) {
    this.reason = reason;
  }

  public String getSince() {
    return since;
  }

  public void setSince(String since) {
    this.since = since;
  }
}
