package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/**
 * What a vantage found for one proxy, compactly: the outcome of its latest probe and how many
 * rounds in a row the proxy did not answer, so a report of proxies that keep answering does not
 * change from round to round.
 */
public class VantageResult {

  /**
   * Cap on {@link #getFailedRounds()}: enough for any confirmation setting, and reports stop
   * changing.
   */
  public static final int MAX_FAILED_ROUNDS = 5;

  @Required
  @Size(max = 253)
  @JsonPropertyDescription("The Proxy's name.")
  private String proxy;

  @Required
  @Size(max = 45)
  @JsonPropertyDescription("The address probed.")
  private String ip;

  @Required
  @Pattern("^(Passed|AuthRefused|ProtocolError|Timeout|Refused|Unreachable)$")
  @JsonPropertyDescription(
      "Passed, AuthRefused or ProtocolError (the proxy answered); Timeout, Refused or Unreachable (it did not).")
  private String outcome;

  @Required
  @Min(0)
  @Max(MAX_FAILED_ROUNDS)
  @JsonPropertyDescription(
      "Rounds in a row, up to 5, in which the proxy did not answer; 0 when the latest probe was answered.")
  private Integer failedRounds;

  @Min(0)
  @Max(600000)
  @JsonPropertyDescription("Latency of the latest probe in milliseconds, rounded to 10 ms.")
  private Integer latencyMs;

  public String getProxy() {
    return proxy;
  }

  public void setProxy(String proxy) {
    this.proxy = proxy;
  }

  public String getIp() {
    return ip;
  }

  public void setIp(String ip) {
    this.ip = ip;
  }

  public String getOutcome() {
    return outcome;
  }

  public void setOutcome(String outcome) {
    this.outcome = outcome;
  }

  public Integer getFailedRounds() {
    return failedRounds;
  }

  public void setFailedRounds(Integer failedRounds) {
    this.failedRounds = failedRounds;
  }

  public Integer getLatencyMs() {
    return latencyMs;
  }

  public void setLatencyMs(Integer latencyMs) {
    this.latencyMs = latencyMs;
  }
}
