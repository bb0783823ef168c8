package io.proxyfleet.cloud.gcp;

import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.GcpCredentialsSecret;
import io.proxyfleet.api.GcpProviderSpec;
import io.proxyfleet.api.GcpRegionSpec;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The validated settings of one gcp CloudProfile. Invalid input fails as INVALID naming the field.
 */
record GcpProfile(
    String key,
    String namespace,
    String project,
    List<String> regions,
    Map<String, List<String>> zones,
    Map<String, String> subnetworks,
    GcpCredentialsSecret credentialsSecret,
    URI endpoint,
    String machineType,
    String imageFamily,
    String imageProject,
    String network,
    String networkTier,
    boolean staticAddresses,
    Map<String, String> extraLabels) {

  static final String DEFAULT_IMAGE_FAMILY = "debian-12";
  static final String DEFAULT_IMAGE_PROJECT = "debian-cloud";

  private static final Pattern PROJECT = Pattern.compile(GcpProviderSpec.PROJECT_PATTERN);
  private static final Pattern REGION = Pattern.compile(GcpProviderSpec.REGION_PATTERN);
  private static final Pattern NAME = Pattern.compile(GcpProviderSpec.NAME_PATTERN);

  static GcpProfile from(CloudProfile profile) {
    String key = profile.getMetadata().getNamespace() + "/" + profile.getMetadata().getName();
    GcpProviderSpec gcp = profile.getSpec().getGcp();
    if (gcp == null) {
      throw invalid(key, "spec.gcp", "is required when provider is gcp");
    }
    if (gcp.getProject() == null || !PROJECT.matcher(gcp.getProject()).matches()) {
      throw invalid(
          key,
          "spec.gcp.project",
          "'" + gcp.getProject() + "' is not a project id such as my-proxies-123");
    }
    List<GcpRegionSpec> specs = Optional.ofNullable(gcp.getRegions()).orElse(List.of());
    if (specs.isEmpty()) {
      throw invalid(
          key, "spec.gcp.regions", "must list at least one region, e.g. [{name: europe-west3}]");
    }
    List<String> regions = new ArrayList<>();
    Map<String, List<String>> zones = new LinkedHashMap<>();
    Map<String, String> subnetworks = new LinkedHashMap<>();
    for (int i = 0; i < specs.size(); i++) {
      GcpRegionSpec r = specs.get(i);
      String field = "spec.gcp.regions[" + i + "]";
      if (r == null || r.getName() == null || !REGION.matcher(r.getName()).matches()) {
        throw invalid(
            key,
            field + ".name",
            "'" + (r == null ? null : r.getName()) + "' is not a region name such as europe-west3");
      }
      if (regions.contains(r.getName())) {
        throw invalid(key, field + ".name", "'" + r.getName() + "' is listed twice");
      }
      regions.add(r.getName());
      List<String> z = List.copyOf(Optional.ofNullable(r.getZones()).orElse(List.of()));
      for (String zone : z) {
        if (zone == null
            || !zone.startsWith(r.getName() + "-")
            || zone.length() != r.getName().length() + 2) {
          throw invalid(
              key,
              field + ".zones",
              "'" + zone + "' is not a zone of " + r.getName() + " such as " + r.getName() + "-a");
        }
      }
      zones.put(r.getName(), z);
      if (r.getSubnetwork() != null && !r.getSubnetwork().isBlank()) {
        if (!NAME.matcher(r.getSubnetwork()).matches()) {
          throw invalid(
              key, field + ".subnetwork", "'" + r.getSubnetwork() + "' is not a subnetwork name");
        }
        subnetworks.put(r.getName(), r.getSubnetwork());
      }
    }
    String machineType =
        Optional.ofNullable(gcp.getMachineType()).filter(s -> !s.isBlank()).orElse("e2-micro");
    if (!NAME.matcher(machineType).matches()) {
      throw invalid(
          key,
          "spec.gcp.machineType",
          "'" + machineType + "' is not a machine type such as e2-micro");
    }
    String family = DEFAULT_IMAGE_FAMILY;
    String imageProject = DEFAULT_IMAGE_PROJECT;
    if (gcp.getImage() != null) {
      family =
          Optional.ofNullable(gcp.getImage().getFamily())
              .filter(s -> !s.isBlank())
              .orElse(DEFAULT_IMAGE_FAMILY);
      imageProject =
          Optional.ofNullable(gcp.getImage().getProject())
              .filter(s -> !s.isBlank())
              .orElse(DEFAULT_IMAGE_PROJECT);
      if (!NAME.matcher(family).matches()) {
        throw invalid(
            key,
            "spec.gcp.image.family",
            "'" + family + "' is not an image family such as debian-12");
      }
    }
    String network =
        Optional.ofNullable(gcp.getNetwork()).filter(s -> !s.isBlank()).orElse("default");
    if (!NAME.matcher(network).matches()) {
      throw invalid(
          key, "spec.gcp.network", "'" + network + "' is not a network name such as default");
    }
    String tier = Optional.ofNullable(gcp.getNetworkTier()).orElse("PREMIUM");
    if (!tier.equals("PREMIUM") && !tier.equals("STANDARD")) {
      throw invalid(key, "spec.gcp.networkTier", "'" + tier + "' must be PREMIUM or STANDARD");
    }
    String mode = Optional.ofNullable(gcp.getAddressMode()).orElse("Static");
    if (!mode.equals("Static") && !mode.equals("Ephemeral")) {
      throw invalid(key, "spec.gcp.addressMode", "'" + mode + "' must be Static or Ephemeral");
    }
    URI endpoint = null;
    if (gcp.getEndpoint() != null && !gcp.getEndpoint().isBlank()) {
      try {
        endpoint = URI.create(gcp.getEndpoint().trim());
        if (endpoint.getScheme() == null
            || endpoint.getHost() == null
            || !(endpoint.getScheme().equals("http") || endpoint.getScheme().equals("https"))) {
          throw new IllegalArgumentException("needs http(s)://host");
        }
      } catch (IllegalArgumentException e) {
        throw invalid(
            key,
            "spec.gcp.endpoint",
            "'" + gcp.getEndpoint() + "' is not an http(s) URL: " + e.getMessage());
      }
    }
    GcpCredentialsSecret secret = gcp.getCredentialsSecret();
    if (secret != null && (secret.getName() == null || secret.getName().isBlank())) {
      throw invalid(key, "spec.gcp.credentialsSecret.name", "is required");
    }
    return new GcpProfile(
        key,
        profile.getMetadata().getNamespace(),
        gcp.getProject(),
        List.copyOf(regions),
        Map.copyOf(zones),
        Map.copyOf(subnetworks),
        secret,
        endpoint,
        machineType,
        family,
        imageProject,
        network,
        tier,
        mode.equals("Static"),
        GceLabels.extra(profile.getSpec().getTags()));
  }

  void checkRegion(String region) {
    if (!regions.contains(region)) {
      throw invalid(
          key,
          "spec.gcp.regions",
          "region '"
              + region
              + "' is not served by this profile (it serves "
              + String.join(", ", regions)
              + "); add it there or fix the fleet's placement");
    }
  }

  String regionField(String region) {
    return "spec.gcp.regions[" + regions.indexOf(region) + "]";
  }

  String sourceImage() {
    return "projects/" + imageProject + "/global/images/family/" + imageFamily;
  }

  static CloudException invalid(String key, String field, String problem) {
    return new CloudException(Reason.INVALID, "CloudProfile " + key + ": " + field + " " + problem);
  }
}
