package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** Observed state of one proxy. */
public class ProxyStatus {
  @JsonPropertyDescription("Pending, Launching, Running, Rotating, Terminating or Failed.")
  private ProxyPhase phase = ProxyPhase.Pending;

  @JsonPropertyDescription("Public IP clients connect to; set while the proxy has one.")
  private String publicIp;

  @JsonPropertyDescription("Cloud id of the public address (e.g. Elastic IP allocation id).")
  private String addressId;

  @JsonPropertyDescription(
      "Zone the instance actually runs in; differs from spec.zone when a capacity error moved the"
          + " launch to another zone of the region.")
  private String zone;

  @JsonPropertyDescription("Subnet the instance actually runs in (see zone).")
  private String subnet;

  @JsonPropertyDescription("Cloud instance id.")
  private String instanceId;

  @JsonPropertyDescription("When the instance was launched (RFC 3339).")
  private String launchedAt;

  @JsonPropertyDescription("When the current public IP was assigned (RFC 3339).")
  private String ipAssignedAt;

  @JsonPropertyDescription("How many times this proxy received a new IP.")
  private Integer ipRotations = 0;

  @JsonPropertyDescription(
      "Last rotate-ip request (annotation proxyfleet.io/rotate-ip) this proxy served.")
  private String ipRotationHandled;

  @JsonPropertyDescription(
      "Last IP rotation its fleet requested (the fleet's status.ipRotationRequests) that this proxy served.")
  private String fleetRotationHandled;

  public String getFleetRotationHandled() {
    return fleetRotationHandled;
  }

  public void setFleetRotationHandled(String fleetRotationHandled) {
    this.fleetRotationHandled = fleetRotationHandled;
  }

  @JsonPropertyDescription(
      "Which blocklist and range block the current IP, e.g. 'manual (127.1.0.0/24)'.")
  private String blockedBy;

  @JsonPropertyDescription(
      "The address the Reachable condition speaks of: a proxy counts as ready and is published only once its current IP passed a check.")
  private String reachableIp;

  @JsonPropertyDescription("Why the proxy is in its phase, for humans.")
  private String message;

  @JsonPropertyDescription("Ready and Blocked, following Kubernetes API conventions.")
  private List<Condition> conditions = new ArrayList<>();

  public ProxyPhase getPhase() {
    return phase;
  }

  public void setPhase(ProxyPhase phase) {
    this.phase = phase;
  }

  public String getPublicIp() {
    return publicIp;
  }

  public void setPublicIp(String publicIp) {
    this.publicIp = publicIp;
  }

  public String getAddressId() {
    return addressId;
  }

  public void setAddressId(String addressId) {
    this.addressId = addressId;
  }

  public String getInstanceId() {
    return instanceId;
  }

  public void setInstanceId(String instanceId) {
    this.instanceId = instanceId;
  }

  public String getLaunchedAt() {
    return launchedAt;
  }

  public void setLaunchedAt(String launchedAt) {
    this.launchedAt = launchedAt;
  }

  public String getIpAssignedAt() {
    return ipAssignedAt;
  }

  public void setIpAssignedAt(String ipAssignedAt) {
    this.ipAssignedAt = ipAssignedAt;
  }

  public Integer getIpRotations() {
    return ipRotations;
  }

  public void setIpRotations(Integer ipRotations) {
    this.ipRotations = ipRotations;
  }

  public String getIpRotationHandled() {
    return ipRotationHandled;
  }

  public void setIpRotationHandled(String ipRotationHandled) {
    this.ipRotationHandled = ipRotationHandled;
  }

  public String getBlockedBy() {
    return blockedBy;
  }

  public void setBlockedBy(String blockedBy) {
    this.blockedBy = blockedBy;
  }

  public String getReachableIp() {
    return reachableIp;
  }

  public void setReachableIp(String reachableIp) {
    this.reachableIp = reachableIp;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public String getZone() {
    return zone;
  }

  public void setZone(String zone) {
    this.zone = zone;
  }

  public String getSubnet() {
    return subnet;
  }

  public void setSubnet(String subnet) {
    this.subnet = subnet;
  }
}
