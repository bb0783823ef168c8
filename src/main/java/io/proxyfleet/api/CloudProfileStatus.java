package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** Observed state of a cloud profile. */
public class CloudProfileStatus {

  /** {@link #getCredentials()} when a cheap authenticated call succeeded. */
  public static final String CREDENTIALS_VALID = "Valid";

  /** {@link #getCredentials()} when the cloud rejected the credentials or their permissions. */
  public static final String CREDENTIALS_INVALID = "Invalid";

  /**
   * {@link #getCredentials()} when the check could not run (throttled, unreachable, not checked
   * yet).
   */
  public static final String CREDENTIALS_UNKNOWN = "Unknown";

  @JsonPropertyDescription("The profile generation this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription(
      "Ready (credentials and settings work) or not, with the bad field named.")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("Result of the last credentials check: Valid, Invalid or Unknown.")
  private String credentials;

  @JsonPropertyDescription("Regions this profile serves.")
  private List<String> regions = new ArrayList<>();

  @JsonPropertyDescription("Subnets usable for proxies, per region, as last resolved.")
  private List<SubnetStatus> subnets = new ArrayList<>();

  @JsonPropertyDescription(
      "Zones skipped for a while because the cloud reported no capacity for the instance type there.")
  private List<UnavailableZoneStatus> unavailableZones = new ArrayList<>();

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public String getCredentials() {
    return credentials;
  }

  public void setCredentials(String credentials) {
    this.credentials = credentials;
  }

  public List<String> getRegions() {
    return regions;
  }

  public void setRegions(List<String> regions) {
    this.regions = regions;
  }

  public List<SubnetStatus> getSubnets() {
    return subnets;
  }

  public void setSubnets(List<SubnetStatus> subnets) {
    this.subnets = subnets;
  }

  public List<UnavailableZoneStatus> getUnavailableZones() {
    return unavailableZones;
  }

  public void setUnavailableZones(List<UnavailableZoneStatus> unavailableZones) {
    this.unavailableZones = unavailableZones;
  }
}
