package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.LinkedHashMap;
import java.util.Map;

/** Provider and provider-specific settings. */
@ValidationRule(
    value = "self.provider != 'aws' || has(self.aws)",
    message = "spec.aws is required when provider is aws")
@ValidationRule(
    value = "self.provider != 'gcp' || has(self.gcp)",
    message = "spec.gcp is required when provider is gcp")
@ValidationRule(
    value =
        "(has(self.aws) ? 1 : 0) + (has(self.gcp) ? 1 : 0) + (has(self.local) ? 1 : 0) <= 1"
            + " && (!has(self.aws) || self.provider == 'aws') && (!has(self.gcp) || self.provider == 'gcp')"
            + " && (!has(self.local) || self.provider == 'local')",
    message = "set only the settings of spec.provider: one of spec.aws, spec.gcp or spec.local")
public class CloudProfileSpec extends TolerantSpec {

  @Required
  @Pattern("^(aws|gcp|local)$")
  @JsonPropertyDescription(
      "Cloud provider: aws, gcp or local (loopback proxies for local mode and tests).")
  private String provider;

  @JsonPropertyDescription("Settings of the local provider.")
  private LocalProviderSpec local;

  @JsonPropertyDescription("Settings of the AWS EC2 provider; required when provider is aws.")
  private AwsProviderSpec aws;

  @JsonPropertyDescription(
      "Settings of the Google Compute Engine provider; required when provider is gcp.")
  private GcpProviderSpec gcp;

  @JsonPropertyDescription(
      "Extra tags (labels on GCP) written on every resource, beside ownership tags; they never override the"
          + " operator's proxyfleet.io/* and Name tags.")
  private Map<String, String> tags = new LinkedHashMap<>();

  public String getProvider() {
    return provider;
  }

  public void setProvider(String provider) {
    this.provider = provider;
  }

  public LocalProviderSpec getLocal() {
    return local;
  }

  public void setLocal(LocalProviderSpec local) {
    this.local = local;
  }

  public AwsProviderSpec getAws() {
    return aws;
  }

  public void setAws(AwsProviderSpec aws) {
    this.aws = aws;
  }

  public GcpProviderSpec getGcp() {
    return gcp;
  }

  public void setGcp(GcpProviderSpec gcp) {
    this.gcp = gcp;
  }

  /** The regions the provider's settings list (aws or gcp), in order; empty for local. */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public java.util.List<String> providerRegions() {
    java.util.List<String> out = new java.util.ArrayList<>();
    if (aws != null && aws.getRegions() != null) {
      out.addAll(aws.getRegions());
    }
    if (gcp != null && gcp.getRegions() != null) {
      gcp.getRegions().stream()
          .filter(r -> r != null && r.getName() != null)
          .forEach(r -> out.add(r.getName()));
    }
    return out;
  }

  /** The machine type the provider launches (aws instanceType or gcp machineType), or null. */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public String providerMachineType() {
    if (aws != null) {
      return aws.getInstanceType();
    }
    return gcp == null ? null : gcp.getMachineType();
  }

  public Map<String, String> getTags() {
    return tags;
  }

  public void setTags(Map<String, String> tags) {
    this.tags = tags;
  }
}
