package io.proxyfleet.testing;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.proxyfleet.api.AwsImageSpec;
import io.proxyfleet.api.AwsProviderSpec;
import io.proxyfleet.api.AwsSubnetSelector;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.CloudProfileSpec;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

/** Setting up a moto account the way an AWS administrator would: VPCs, tagged subnets, images. */
public final class AwsTestCloud {

  /** Tag that marks the subnets proxies may use in these tests. */
  public static final String SUBNET_TAG = "proxyfleet.io/use";

  private AwsTestCloud() {}

  /**
   * A client with dummy static keys against moto (or the fault proxy) for test setup and checks.
   */
  public static Ec2Client admin(URI endpoint, String region) {
    return Ec2Client.builder()
        .region(Region.of(region))
        .endpointOverride(endpoint)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
        .httpClient(UrlConnectionHttpClient.create())
        .build();
  }

  /**
   * A VPC and subnets in distinct zones (a, b, c...) of the region, subnets tagged {@code
   * SUBNET_TAG=use}.
   */
  public record Network(String region, String vpcId, List<String> subnetIds, List<String> zones) {}

  public static Network network(Ec2Client ec2, String region, int subnets, String use) {
    String vpc = ec2.createVpc(b -> b.cidrBlock("10.0.0.0/16")).vpc().vpcId();
    List<String> ids = new ArrayList<>();
    List<String> zones = new ArrayList<>();
    for (int i = 0; i < subnets; i++) {
      String zone = region + (char) ('a' + i);
      int n = i;
      String id =
          ec2.createSubnet(
                  b ->
                      b.vpcId(vpc)
                          .cidrBlock("10.0." + n + ".0/24")
                          .availabilityZone(zone)
                          .tagSpecifications(
                              TagSpecification.builder()
                                  .resourceType(ResourceType.SUBNET)
                                  .tags(Tag.builder().key(SUBNET_TAG).value(use).build())
                                  .build()))
              .subnet()
              .subnetId();
      ids.add(id);
      zones.add(zone);
    }
    return new Network(region, vpc, ids, zones);
  }

  /** One of moto's bundled Amazon Linux 2 images (x86_64) in the region. */
  public static Image amazonLinux(Ec2Client ec2) {
    return ec2
        .describeImages(
            b ->
                b.owners("amazon")
                    .filters(
                        Filter.builder().name("name").values("amzn2-ami-hvm-*-x86_64-gp2").build()))
        .images()
        .stream()
        .min(Comparator.comparing(Image::imageId))
        .orElseThrow();
  }

  /**
   * An aws CloudProfile object with the given spec.aws; uid and generation set as the API server
   * would.
   */
  public static CloudProfile profile(String name, AwsProviderSpec aws, Map<String, String> tags) {
    CloudProfile p = new CloudProfile();
    p.setMetadata(
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace("default")
            .withUid(UUID.randomUUID().toString())
            .withGeneration(1L)
            .build());
    CloudProfileSpec spec = new CloudProfileSpec();
    spec.setProvider("aws");
    spec.setAws(aws);
    spec.setTags(new java.util.LinkedHashMap<>(tags));
    p.setSpec(spec);
    return p;
  }

  /** spec.aws for moto: regions, subnets by tag, images by owner/name, the given endpoint. */
  public static AwsProviderSpec aws(URI endpoint, List<String> regions, String subnetUse) {
    AwsProviderSpec aws = new AwsProviderSpec();
    aws.setRegions(new ArrayList<>(regions));
    aws.setEndpoint(endpoint.toString());
    AwsSubnetSelector subnets = new AwsSubnetSelector();
    subnets.setTags(new java.util.LinkedHashMap<>(Map.of(SUBNET_TAG, subnetUse)));
    aws.setSubnets(subnets);
    AwsImageSpec image = new AwsImageSpec();
    image.setOwner("amazon");
    image.setName("amzn2-ami-hvm-*-x86_64-gp2");
    aws.setImage(image);
    return aws;
  }
}
