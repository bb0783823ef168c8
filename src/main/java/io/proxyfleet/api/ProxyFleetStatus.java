package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Observed state of a fleet. Field names are a contract other tools rely on. */
public class ProxyFleetStatus {

  @JsonPropertyDescription("The fleet generation this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription("Proxies that exist and are not being deleted.")
  @io.fabric8.kubernetes.model.annotation.StatusReplicas
  private Integer replicas = 0;

  @JsonPropertyDescription(
      "Label selector of the fleet's Proxies, for the scale subresource (kubectl scale, autoscalers).")
  @io.fabric8.kubernetes.model.annotation.LabelSelector
  private String selector;

  @JsonPropertyDescription(
      "Proxies Running on an unblocked IP: the ones published in the endpoints Secret.")
  private Integer readyReplicas = 0;

  @JsonPropertyDescription("Proxies whose current IP is in one of the fleet's blocklists.")
  private Integer blockedReplicas = 0;

  @JsonPropertyDescription(
      "Rotations started since the fleet was created (new IPs and replacements).")
  private Long rotations = 0L;

  @JsonPropertyDescription("Rotations by reason: Blocked, MaxAge, Failed.")
  private Map<String, Long> rotationsByReason = new LinkedHashMap<>();

  @JsonPropertyDescription("Rotations held back right now because the rotation budget is spent.")
  private Integer rotationsHeld = 0;

  @JsonPropertyDescription(
      "The rotation budget's state (rotation.maxRotationsPerHour, or its default).")
  private RotationBudgetStatus rotationBudget;

  @JsonPropertyDescription(
      "Regions where every drawn address was blocked, and until when they receive no new proxies.")
  private List<BurnedRegion> burnedRegions = new ArrayList<>();

  @JsonPropertyDescription(
      "Per cloud profile and region: desired, existing, ready and blocked proxies.")
  private List<RegionStatus> regions = new ArrayList<>();

  @JsonPropertyDescription("Secret holding endpoints.json: the ready proxies with connection URIs.")
  private String endpointsSecret;

  @JsonPropertyDescription("Secret holding the username and password proxies demand.")
  private String credentialsSecret;

  @JsonPropertyDescription("Ready, Progressing and Degraded, following Kubernetes API conventions.")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription(
      "Proxies the fleet wants on a new IP, by name: the request (<reason>-<epoch millis>) each"
          + " proxy records in its status.fleetRotationHandled once served. An entry goes once its"
          + " proxy served it or is gone.")
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  private Map<String, String> ipRotationRequests = new TreeMap<>();

  public Map<String, String> getIpRotationRequests() {
    return ipRotationRequests;
  }

  public void setIpRotationRequests(Map<String, String> ipRotationRequests) {
    this.ipRotationRequests =
        ipRotationRequests == null ? new TreeMap<>() : new TreeMap<>(ipRotationRequests);
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public Integer getReplicas() {
    return replicas;
  }

  public void setReplicas(Integer replicas) {
    this.replicas = replicas;
  }

  public Integer getReadyReplicas() {
    return readyReplicas;
  }

  public void setReadyReplicas(Integer readyReplicas) {
    this.readyReplicas = readyReplicas;
  }

  public Integer getBlockedReplicas() {
    return blockedReplicas;
  }

  public void setBlockedReplicas(Integer blockedReplicas) {
    this.blockedReplicas = blockedReplicas;
  }

  public Long getRotations() {
    return rotations;
  }

  public void setRotations(Long rotations) {
    this.rotations = rotations;
  }

  public Map<String, Long> getRotationsByReason() {
    return rotationsByReason;
  }

  public void setRotationsByReason(Map<String, Long> rotationsByReason) {
    this.rotationsByReason = rotationsByReason;
  }

  public List<RegionStatus> getRegions() {
    return regions;
  }

  public void setRegions(List<RegionStatus> regions) {
    this.regions = regions;
  }

  public String getSelector() {
    return selector;
  }

  public void setSelector(String selector) {
    this.selector = selector;
  }

  public String getEndpointsSecret() {
    return endpointsSecret;
  }

  public void setEndpointsSecret(String endpointsSecret) {
    this.endpointsSecret = endpointsSecret;
  }

  public String getCredentialsSecret() {
    return credentialsSecret;
  }

  public void setCredentialsSecret(String credentialsSecret) {
    this.credentialsSecret = credentialsSecret;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public Integer getRotationsHeld() {
    return rotationsHeld;
  }

  public void setRotationsHeld(Integer rotationsHeld) {
    this.rotationsHeld = rotationsHeld;
  }

  public RotationBudgetStatus getRotationBudget() {
    return rotationBudget;
  }

  public void setRotationBudget(RotationBudgetStatus rotationBudget) {
    this.rotationBudget = rotationBudget;
  }

  public List<BurnedRegion> getBurnedRegions() {
    return burnedRegions;
  }

  public void setBurnedRegions(List<BurnedRegion> burnedRegions) {
    this.burnedRegions = burnedRegions;
  }
}
