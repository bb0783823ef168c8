package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/**
 * The Google Compute Engine provider: which project and regions (zones) proxies run in, on what
 * (machine type, image), in which network, and how their external addresses are obtained.
 */
public class GcpProviderSpec {

  /** A GCP project id: 6-30 lowercase letters, digits and hyphens, starting with a letter. */
  public static final String PROJECT_PATTERN = "^[a-z][-a-z0-9]{4,28}[a-z0-9]$";

  /** A GCE region name such as {@code europe-west3}. */
  public static final String REGION_PATTERN = "^[a-z]+-[a-z]+[0-9]+$";

  /** A GCE resource name (RFC 1035 label, at most 63 characters). */
  public static final String NAME_PATTERN = "^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$";

  @Required
  @Pattern(PROJECT_PATTERN)
  @JsonPropertyDescription(
      "Project id that proxies, addresses and the firewall rule are created in, e.g. my-proxies-123.")
  private String project;

  @Required
  @Size(min = 1, max = 32)
  @JsonPropertyDescription(
      "Regions this profile serves, each with optional zones (default: every zone of the region as GCE lists"
          + " it) and an optional subnetwork. Fleets may place proxies only in these regions.")
  private List<GcpRegionSpec> regions = new ArrayList<>();

  @JsonPropertyDescription(
      "Secret in the profile's namespace holding a service-account key JSON. When absent the operator uses"
          + " application default credentials (Workload Identity on GKE, GOOGLE_APPLICATION_CREDENTIALS).")
  private GcpCredentialsSecret credentialsSecret;

  @Pattern("^https?://[^\\s/]+(/.*)?$")
  @JsonPropertyDescription(
      "Endpoint override of the Compute Engine API, e.g. a Private Service Connect endpoint or a test fake."
          + " Leave empty for https://compute.googleapis.com.")
  private String endpoint;

  @Default("e2-micro")
  @Pattern("^[a-z][-a-z0-9]{0,61}[a-z0-9]$")
  @JsonPropertyDescription("Machine type of proxy VMs. Default: e2-micro.")
  private String machineType = "e2-micro";

  @JsonPropertyDescription(
      "Image of proxy VMs (Debian or Ubuntu: the startup script uses apt). Default: family debian-12 of project debian-cloud.")
  private GcpImageSpec image;

  @Default("default")
  @Pattern(NAME_PATTERN)
  @JsonPropertyDescription(
      "VPC network of proxy VMs and of the managed firewall rule. Default: default.")
  private String network = "default";

  @Default("PREMIUM")
  @Pattern("^(PREMIUM|STANDARD)$")
  @JsonPropertyDescription(
      "Network tier of external addresses: PREMIUM or STANDARD. They come from different Google ranges, so a"
          + " censor's block of one tier may spare the other. Default: PREMIUM.")
  private String networkTier = "PREMIUM";

  @Default("Static")
  @Pattern("^(Static|Ephemeral)$")
  @JsonPropertyDescription(
      "How proxies get external addresses. Static: a regional static address is reserved, checked against"
          + " the blocklists, then attached. Ephemeral (cheaper, nothing reserved): the access config is re-added"
          + " and the new address is checked after GCE assigns it. Default: Static.")
  private String addressMode = "Static";

  public String getProject() {
    return project;
  }

  public void setProject(String project) {
    this.project = project;
  }

  public List<GcpRegionSpec> getRegions() {
    return regions;
  }

  public void setRegions(List<GcpRegionSpec> regions) {
    this.regions = regions;
  }

  public GcpCredentialsSecret getCredentialsSecret() {
    return credentialsSecret;
  }

  public void setCredentialsSecret(GcpCredentialsSecret credentialsSecret) {
    this.credentialsSecret = credentialsSecret;
  }

  public String getEndpoint() {
    return endpoint;
  }

  public void setEndpoint(String endpoint) {
    this.endpoint = endpoint;
  }

  public String getMachineType() {
    return machineType;
  }

  public void setMachineType(String machineType) {
    this.machineType = machineType;
  }

  public GcpImageSpec getImage() {
    return image;
  }

  public void setImage(GcpImageSpec image) {
    this.image = image;
  }

  public String getNetwork() {
    return network;
  }

  public void setNetwork(String network) {
    this.network = network;
  }

  public String getNetworkTier() {
    return networkTier;
  }

  public void setNetworkTier(String networkTier) {
    this.networkTier = networkTier;
  }

  public String getAddressMode() {
    return addressMode;
  }

  public void setAddressMode(String addressMode) {
    this.addressMode = addressMode;
  }
}
