package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** Which network a vantage stands for and which fleets it probes. */
@ValidationRule(
    value = "duration(self.reportInterval) >= duration('10s')",
    message = "spec.reportInterval must be at least 10s")
@ValidationRule(
    value =
        "duration(self.probeTimeout) >= duration('100ms') && duration(self.probeTimeout) <= duration('30s')",
    message = "spec.probeTimeout must be between 100ms and 30s")
public class VantageSpec {

  /** Bound on the results one report may carry; larger reports are refused by the schema. */
  public static final int MAX_RESULTS = 5000;

  @Required
  @JsonPropertyDescription("The network this vantage stands for (country, ASN).")
  private VantageNetwork network;

  @Required
  @Size(min = 1, max = 32)
  @JsonPropertyDescription(
      "Names of the ProxyFleets in this namespace whose proxies the agent probes.")
  private List<String> fleets = new ArrayList<>();

  @Default("30s")
  @Pattern(Durations.PATTERN)
  @JsonPropertyDescription(
      "How often the agent probes every proxy; it writes status only when results change, at most this often. At least 10s.")
  private String reportInterval = "30s";

  @Default("5s")
  @Pattern(Durations.PATTERN)
  @JsonPropertyDescription(
      "How long one probe may take before it counts as a timeout (100ms to 30s).")
  private String probeTimeout = "5s";

  public VantageNetwork getNetwork() {
    return network;
  }

  public void setNetwork(VantageNetwork network) {
    this.network = network;
  }

  public List<String> getFleets() {
    return fleets;
  }

  public void setFleets(List<String> fleets) {
    this.fleets = fleets;
  }

  public String getReportInterval() {
    return reportInterval;
  }

  public void setReportInterval(String reportInterval) {
    this.reportInterval = reportInterval;
  }

  public String getProbeTimeout() {
    return probeTimeout;
  }

  public void setProbeTimeout(String probeTimeout) {
    this.probeTimeout = probeTimeout;
  }
}
