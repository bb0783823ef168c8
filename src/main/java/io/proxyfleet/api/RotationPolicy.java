package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.kubernetes.api.model.IntOrString;

/** How and when proxies are rotated. */
public class RotationPolicy {

  @Pattern(Durations.PATTERN)
  @JsonPropertyDescription(
      "Replace proxies older than this (Go duration, e.g. 72h), surge first, each proxy's deadline"
          + " jittered down by up to 10% so a fleet does not rotate all at once. Empty: no age rotation.")
  private String maxAge;

  @Default("ReassignIP")
  @Pattern("^(ReassignIP|Replace)$")
  @JsonPropertyDescription(
      "What to do when a proxy's IP is blocked: ReassignIP (new IP, same VM) or Replace (new VM).")
  private String onBlocked = "ReassignIP";

  @Default("25%")
  @JsonPropertyDescription(
      "How many proxies above replicas may exist during age rotation: a count or a percentage of"
          + " replicas (rounded up).")
  private IntOrString maxSurge = new IntOrString("25%");

  @Default("0")
  @JsonPropertyDescription(
      "How many of the replicas may be unavailable during age rotation: a count or a percentage of"
          + " replicas (rounded down). maxSurge and maxUnavailable cannot both be 0.")
  private IntOrString maxUnavailable = new IntOrString(0);

  public String getMaxAge() {
    return maxAge;
  }

  public void setMaxAge(String maxAge) {
    this.maxAge = maxAge;
  }

  public String getOnBlocked() {
    return onBlocked;
  }

  public void setOnBlocked(String onBlocked) {
    this.onBlocked = onBlocked;
  }

  public IntOrString getMaxSurge() {
    return maxSurge;
  }

  public void setMaxSurge(IntOrString maxSurge) {
    this.maxSurge = maxSurge;
  }

  public IntOrString getMaxUnavailable() {
    return maxUnavailable;
  }

  public void setMaxUnavailable(IntOrString maxUnavailable) {
    this.maxUnavailable = maxUnavailable;
  }
}
