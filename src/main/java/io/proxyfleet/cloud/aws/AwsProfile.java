package io.proxyfleet.cloud.aws;

import io.proxyfleet.api.AwsCredentialsSecret;
import io.proxyfleet.api.AwsProviderSpec;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.OwnerTags;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The validated settings of one aws CloudProfile. Invalid input fails as INVALID naming the field.
 */
record AwsProfile(
    String key,
    String namespace,
    List<String> regions,
    String instanceType,
    Map<String, String> imageIds,
    String imageOwner,
    String imageName,
    List<String> subnetIds,
    Map<String, String> subnetTags,
    List<String> securityGroupIds,
    Map<String, String> extraTags,
    URI endpoint,
    AwsCredentialsSecret credentialsSecret,
    String assumeRoleArn,
    String externalId) {

  /** The newest official Debian 12 amd64 image, when the profile names no image. */
  static final String DEFAULT_IMAGE_OWNER = "136693071363";

  static final String DEFAULT_IMAGE_NAME = "debian-12-amd64-*";

  private static final Pattern REGION = Pattern.compile(AwsProviderSpec.REGION_PATTERN);
  private static final Pattern AMI = Pattern.compile("^ami-[0-9a-f]{8,17}$");
  private static final Pattern SUBNET = Pattern.compile("^subnet-[0-9a-f]{8,17}$");
  private static final Pattern GROUP = Pattern.compile("^sg-[0-9a-f]{8,17}$");
  private static final Pattern INSTANCE_TYPE = Pattern.compile("^[a-z0-9-]+\\.[a-z0-9-]+$");

  static AwsProfile from(CloudProfile profile) {
    String key = profile.getMetadata().getNamespace() + "/" + profile.getMetadata().getName();
    AwsProviderSpec aws = profile.getSpec().getAws();
    if (aws == null) {
      throw invalid(key, "spec.aws", "is required when provider is aws");
    }
    List<String> regions = List.copyOf(Optional.ofNullable(aws.getRegions()).orElse(List.of()));
    if (regions.isEmpty()) {
      throw invalid(key, "spec.aws.regions", "must list at least one region, e.g. [eu-central-1]");
    }
    for (String r : regions) {
      if (r == null || !REGION.matcher(r).matches()) {
        throw invalid(
            key, "spec.aws.regions", "'" + r + "' is not an AWS region name such as eu-central-1");
      }
    }
    String type =
        Optional.ofNullable(aws.getInstanceType()).filter(s -> !s.isBlank()).orElse("t3.micro");
    if (!INSTANCE_TYPE.matcher(type).matches()) {
      throw invalid(
          key, "spec.aws.instanceType", "'" + type + "' is not an instance type such as t3.micro");
    }
    Map<String, String> imageIds = new LinkedHashMap<>();
    String owner = null;
    String name = null;
    if (aws.getImage() != null) {
      Optional.ofNullable(aws.getImage().getIds()).ifPresent(imageIds::putAll);
      owner = blankToNull(aws.getImage().getOwner());
      name = blankToNull(aws.getImage().getName());
      for (Map.Entry<String, String> e : imageIds.entrySet()) {
        if (e.getValue() == null || !AMI.matcher(e.getValue()).matches()) {
          throw invalid(
              key,
              "spec.aws.image.ids[" + e.getKey() + "]",
              "'" + e.getValue() + "' is not an AMI id such as ami-0123456789abcdef0");
        }
      }
      if ((owner == null) != (name == null)) {
        throw invalid(
            key,
            owner == null ? "spec.aws.image.owner" : "spec.aws.image.name",
            "image.owner and image.name go together");
      }
      if (imageIds.isEmpty() && owner == null) {
        throw invalid(
            key,
            "spec.aws.image",
            "set image.ids (region -> AMI id) or image.owner and image.name");
      }
    } else {
      owner = DEFAULT_IMAGE_OWNER;
      name = DEFAULT_IMAGE_NAME;
    }
    if (aws.getSubnets() == null) {
      throw invalid(key, "spec.aws.subnets", "is required: set subnets.ids or subnets.tags");
    }
    List<String> subnetIds =
        List.copyOf(Optional.ofNullable(aws.getSubnets().getIds()).orElse(List.of()));
    Map<String, String> subnetTags =
        new LinkedHashMap<>(Optional.ofNullable(aws.getSubnets().getTags()).orElse(Map.of()));
    if (subnetIds.isEmpty() && subnetTags.isEmpty()) {
      throw invalid(key, "spec.aws.subnets", "set subnets.ids or subnets.tags");
    }
    for (String id : subnetIds) {
      if (id == null || !SUBNET.matcher(id).matches()) {
        throw invalid(
            key,
            "spec.aws.subnets.ids",
            "'" + id + "' is not a subnet id such as subnet-0123456789abcdef0");
      }
    }
    List<String> groups =
        aws.getSecurityGroups() == null || aws.getSecurityGroups().getIds() == null
            ? List.of()
            : List.copyOf(aws.getSecurityGroups().getIds());
    for (String g : groups) {
      if (g == null || !GROUP.matcher(g).matches()) {
        throw invalid(
            key,
            "spec.aws.securityGroups.ids",
            "'" + g + "' is not a security group id such as sg-0123456789abcdef0");
      }
    }
    URI endpoint = null;
    if (aws.getEndpoint() != null && !aws.getEndpoint().isBlank()) {
      try {
        endpoint = URI.create(aws.getEndpoint().trim());
        if (endpoint.getScheme() == null
            || endpoint.getHost() == null
            || !(endpoint.getScheme().equals("http") || endpoint.getScheme().equals("https"))) {
          throw new IllegalArgumentException("needs http(s)://host");
        }
      } catch (IllegalArgumentException e) {
        throw invalid(
            key,
            "spec.aws.endpoint",
            "'" + aws.getEndpoint() + "' is not an http(s) URL: " + e.getMessage());
      }
    }
    AwsCredentialsSecret secret = aws.getCredentialsSecret();
    if (secret != null && (secret.getName() == null || secret.getName().isBlank())) {
      throw invalid(key, "spec.aws.credentialsSecret.name", "is required");
    }
    String role = blankToNull(aws.getAssumeRoleArn());
    String externalId = blankToNull(aws.getExternalId());
    if (externalId != null && role == null) {
      throw invalid(key, "spec.aws.externalId", "needs spec.aws.assumeRoleArn");
    }
    return new AwsProfile(
        key,
        profile.getMetadata().getNamespace(),
        regions,
        type,
        Map.copyOf(imageIds),
        owner,
        name,
        subnetIds,
        Map.copyOf(subnetTags),
        groups,
        extraTags(profile.getSpec().getTags()),
        endpoint,
        secret,
        role,
        externalId);
  }

  /** The profile's extra tags minus those it may not set: ownership tags, Name and aws:*. */
  static Map<String, String> extraTags(Map<String, String> tags) {
    Map<String, String> out = new LinkedHashMap<>();
    if (tags != null) {
      tags.forEach(
          (k, v) -> {
            if (k != null
                && v != null
                && !k.startsWith("proxyfleet.io/")
                && !k.startsWith("aws:")
                && !k.equals(OwnerTags.NAME)) {
              out.put(k, v);
            }
          });
    }
    return out;
  }

  /** The field an AMI for this region comes from, for error messages. */
  String imageField(String region) {
    return imageIds.containsKey(region)
        ? "spec.aws.image.ids[" + region + "]"
        : "spec.aws.image.name";
  }

  String securityGroupField() {
    return securityGroupIds.isEmpty()
        ? "the operator-managed security group"
        : "spec.aws.securityGroups.ids";
  }

  void checkRegion(String region) {
    if (!regions.contains(region)) {
      throw invalid(
          key,
          "spec.aws.regions",
          "region '"
              + region
              + "' is not served by this profile (it serves "
              + String.join(", ", regions)
              + "); add it there or fix the fleet's placement");
    }
  }

  List<String> allSubnetSelectors() {
    List<String> out = new ArrayList<>(subnetIds);
    subnetTags.forEach((k, v) -> out.add("tag " + k + "=" + v));
    return out;
  }

  static CloudException invalid(String key, String field, String problem) {
    return new CloudException(Reason.INVALID, "CloudProfile " + key + ": " + field + " " + problem);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
