package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.IntOrString;

/** How and when proxies are rotated. */
@ValidationRule(
    value = RotationPolicy.MAX_SURGE_RULE,
    message = "maxSurge must be a count from 0 to 1000000 or a percentage such as 25%",
    fieldPath = ".maxSurge",
    reason = "FieldValueInvalid")
@ValidationRule(
    value = RotationPolicy.MAX_UNAVAILABLE_RULE,
    message = "maxUnavailable must be a count from 0 to 1000000 or a percentage such as 25%",
    fieldPath = ".maxUnavailable",
    reason = "FieldValueInvalid")
public class RotationPolicy {

  /**
   * Bound of maxSurge and maxUnavailable: an integer is read into a Java int, so 99999999999 failed
   * the read, and "99999999999" failed later when parsed. The CRD generator drops
   * minimum/maximum/pattern on int-or-string fields, so the schema says it in CEL rules on this
   * object (a real API server refuses such a value), and the validator says it again for the
   * embedded API, which does not run CEL. No fleet surges by more than a million proxies or
   * percent.
   */
  public static final int INT_OR_PERCENT_MAX = 1_000_000;

  /** The bound in CEL: an int in range, or digits (at most 1000000) with an optional %. */
  static final String MAX_SURGE_RULE =
      "!has(self.maxSurge) || (type(self.maxSurge) == int ? (self.maxSurge >= 0 && self.maxSurge <= 1000000)"
          + " : string(self.maxSurge).matches('^0*([0-9]{1,6}|1000000)%?$'))";

  static final String MAX_UNAVAILABLE_RULE =
      "!has(self.maxUnavailable) || (type(self.maxUnavailable) == int"
          + " ? (self.maxUnavailable >= 0 && self.maxUnavailable <= 1000000)"
          + " : string(self.maxUnavailable).matches('^0*([0-9]{1,6}|1000000)%?$'))";

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

  @Min(1)
  @Max(100000)
  @JsonPropertyDescription(
      "Rotation budget: at most this many rotations (new IPs and replacements for blocked or aged"
          + " proxies) start per hour, refilled continuously. Rotations over budget are held back, not"
          + " dropped (condition RotationsHeld, event) and run as the budget refills. Empty: the larger of 60"
          + " and twice replicas, so a short maxAge or a flapping list never becomes a launch storm.")
  private Integer maxRotationsPerHour;

  @Default("10")
  @Min(1)
  @Max(100)
  @JsonPropertyDescription(
      "ReassignIP: how many fresh addresses a proxy draws until one is unblocked. When all are blocked"
          + " the proxy fails and its region is treated as burned for burnedRegionCooldown; the"
          + " replacement goes to the fleet's other regions.")
  private Integer maxAddressDraws = 10;

  @Default("30m")
  @Pattern(Durations.PATTERN)
  @JsonPropertyDescription(
      "How long a region where every drawn address was blocked receives no new proxies (Go duration)."
          + " Its share moves to the fleet's other regions meanwhile.")
  private String burnedRegionCooldown = "30m";

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

  public Integer getMaxRotationsPerHour() {
    return maxRotationsPerHour;
  }

  public void setMaxRotationsPerHour(Integer maxRotationsPerHour) {
    this.maxRotationsPerHour = maxRotationsPerHour;
  }

  public Integer getMaxAddressDraws() {
    return maxAddressDraws;
  }

  public void setMaxAddressDraws(Integer maxAddressDraws) {
    this.maxAddressDraws = maxAddressDraws;
  }

  public String getBurnedRegionCooldown() {
    return burnedRegionCooldown;
  }

  public void setBurnedRegionCooldown(String burnedRegionCooldown) {
    this.burnedRegionCooldown = burnedRegionCooldown;
  }
}
