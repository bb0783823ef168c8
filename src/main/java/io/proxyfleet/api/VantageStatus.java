package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** The latest results of a vantage's agent. */
public class VantageStatus {

  @JsonPropertyDescription(
      "When the agent last wrote a report (at least every 5 minutes while it runs, even when nothing changed).")
  private String lastReportTime;

  @JsonPropertyDescription("Proxies the latest round reached.")
  private Integer reachable;

  @JsonPropertyDescription("Proxies the latest round could not reach.")
  private Integer unreachable;

  @Size(max = VantageSpec.MAX_RESULTS)
  @JsonPropertyDescription("One entry per probed proxy.")
  private List<VantageResult> results = new ArrayList<>();

  @JsonPropertyDescription(
      "Reporting (the agent runs and its report was accepted), written by the agent and the operator.")
  private List<Condition> conditions = new ArrayList<>();

  public String getLastReportTime() {
    return lastReportTime;
  }

  public void setLastReportTime(String lastReportTime) {
    this.lastReportTime = lastReportTime;
  }

  public Integer getReachable() {
    return reachable;
  }

  public void setReachable(Integer reachable) {
    this.reachable = reachable;
  }

  public Integer getUnreachable() {
    return unreachable;
  }

  public void setUnreachable(Integer unreachable) {
    this.unreachable = unreachable;
  }

  public List<VantageResult> getResults() {
    return results;
  }

  public void setResults(List<VantageResult> results) {
    this.results = results;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }
}
