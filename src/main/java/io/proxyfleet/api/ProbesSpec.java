package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/** How results from vantages inside the censored network are weighed. */
@ValidationRule(
    value = "duration(self.learnedTTL) >= duration('10m')",
    message = "spec.probes.learnedTTL must be at least 10m")
public class ProbesSpec {

  @Default("1")
  @Min(1)
  @Max(16)
  @JsonPropertyDescription(
      "Vantages that must agree an address is unreachable before it counts as blocked.")
  private Integer minVantages = 1;

  @Default("2")
  @Min(1)
  @Max(VantageResult.MAX_FAILED_ROUNDS)
  @JsonPropertyDescription(
      "Consecutive failed rounds from a vantage that count as its verdict (1 to 5); damps flapping.")
  private Integer confirmRounds = 2;

  @Default("3")
  @Min(1)
  @Max(256)
  @JsonPropertyDescription(
      "Addresses of one /24 found blocked by probes after which the whole /24 is avoided for new addresses.")
  private Integer rangeThreshold = 3;

  @Default("168h")
  @Pattern(Durations.PATTERN)
  @JsonPropertyDescription(
      "How long a learned block stays in the fleet's learned Blocklist (default 7 days).")
  private String learnedTTL = "168h";

  public Integer getMinVantages() {
    return minVantages;
  }

  public void setMinVantages(Integer minVantages) {
    this.minVantages = minVantages;
  }

  public Integer getConfirmRounds() {
    return confirmRounds;
  }

  public void setConfirmRounds(Integer confirmRounds) {
    this.confirmRounds = confirmRounds;
  }

  public Integer getRangeThreshold() {
    return rangeThreshold;
  }

  public void setRangeThreshold(Integer rangeThreshold) {
    this.rangeThreshold = rangeThreshold;
  }

  public String getLearnedTTL() {
    return learnedTTL;
  }

  public void setLearnedTTL(String learnedTTL) {
    this.learnedTTL = learnedTTL;
  }
}
