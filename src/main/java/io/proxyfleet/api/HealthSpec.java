package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * How the operator checks each proxy's daemon from its own vantage, with the fleet's credentials.
 */
@ValidationRule(
    value =
        "duration(self.interval) >= duration('5s') && duration(self.interval) <= duration('1h')",
    message = "spec.health.interval must be between 5s and 1h")
@ValidationRule(
    value = "duration(self.grace) >= duration(self.interval)",
    message = "spec.health.grace must be at least spec.health.interval")
@ValidationRule(
    value =
        "duration(self.timeout) >= duration('100ms') && duration(self.timeout) <= duration('30s')",
    message = "spec.health.timeout must be between 100ms and 30s")
public class HealthSpec {

  @Default("true")
  @JsonPropertyDescription(
      "Check proxies from outside (default true). When off, nothing is checked and probes from vantages are not used either.")
  private Boolean enabled = true;

  @Default("30s")
  @Pattern(Durations.PATTERN)
  @JsonPropertyDescription("How often each proxy is checked (5s to 1h).")
  private String interval = "30s";

  @Default("2m")
  @Pattern(Durations.PATTERN)
  @JsonPropertyDescription(
      "How long a proxy may fail from outside before it is Unhealthy and replaced (never IP-rotated).")
  private String grace = "2m";

  @Default("5s")
  @Pattern(Durations.PATTERN)
  @JsonPropertyDescription("How long one check may take (100ms to 30s).")
  private String timeout = "5s";

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }

  public String getInterval() {
    return interval;
  }

  public void setInterval(String interval) {
    this.interval = interval;
  }

  public String getGrace() {
    return grace;
  }

  public void setGrace(String grace) {
    this.grace = grace;
  }

  public String getTimeout() {
    return timeout;
  }

  public void setTimeout(String timeout) {
    this.timeout = timeout;
  }
}
