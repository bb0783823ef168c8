package io.proxyfleet.cloud.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.proxyfleet.api.AwsImageSpec;
import io.proxyfleet.api.AwsProviderSpec;
import io.proxyfleet.api.AwsSubnetSelector;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.testing.AwsTestCloud;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * What the CRD's CEL rules say, enforced by the adapter too (the embedded API does not run CEL).
 */
class AwsProfileTest {

  static CloudProfile profile(Consumer<AwsProviderSpec> change) {
    AwsProviderSpec aws =
        AwsTestCloud.aws(URI.create("http://127.0.0.1:5000"), List.of("eu-central-1"), "proxies");
    change.accept(aws);
    return AwsTestCloud.profile(
        "p",
        aws,
        Map.of("team", "x", OwnerTags.CLUSTER, "forged", "aws:createdBy", "x", "Name", "n"));
  }

  static void invalid(CloudProfile p, String field) {
    assertThatThrownBy(() -> AwsProfile.from(p))
        .isInstanceOf(CloudException.class)
        .satisfies(
            e -> assertThat(((CloudException) e).reason()).isEqualTo(CloudException.Reason.INVALID))
        .hasMessageContaining("CloudProfile default/p: " + field);
  }

  @Test
  void aValidProfile() {
    AwsProfile p = AwsProfile.from(profile(a -> {}));
    assertThat(p.regions()).containsExactly("eu-central-1");
    assertThat(p.instanceType()).isEqualTo("t3.micro");
    assertThat(p.extraTags()).as("reserved keys are dropped").containsOnlyKeys("team");
    assertThat(p.endpoint()).hasToString("http://127.0.0.1:5000");
  }

  @Test
  void theImageDefaultsToDebian() {
    AwsProfile p = AwsProfile.from(profile(a -> a.setImage(null)));
    assertThat(p.imageOwner()).isEqualTo(AwsProfile.DEFAULT_IMAGE_OWNER);
    assertThat(p.imageName()).isEqualTo("debian-12-amd64-*");
  }

  @Test
  void invalidSettingsNameTheirField() {
    CloudProfile missing = profile(a -> {});
    missing.getSpec().setAws(null);
    invalid(missing, "spec.aws is required");
    invalid(profile(a -> a.setRegions(List.of())), "spec.aws.regions");
    invalid(profile(a -> a.setRegions(List.of("Frankfurt"))), "spec.aws.regions");
    invalid(profile(a -> a.setInstanceType("big one")), "spec.aws.instanceType");
    invalid(profile(a -> a.setSubnets(null)), "spec.aws.subnets");
    invalid(profile(a -> a.setSubnets(new AwsSubnetSelector())), "spec.aws.subnets");
    invalid(
        profile(
            a -> {
              AwsSubnetSelector s = new AwsSubnetSelector();
              s.setIds(List.of("subnet-xyz"));
              a.setSubnets(s);
            }),
        "spec.aws.subnets.ids");
    invalid(profile(a -> a.setImage(new AwsImageSpec())), "spec.aws.image");
    invalid(
        profile(
            a -> {
              AwsImageSpec i = new AwsImageSpec();
              i.setOwner("amazon");
              a.setImage(i);
            }),
        "spec.aws.image.name");
    invalid(
        profile(
            a -> {
              AwsImageSpec i = new AwsImageSpec();
              i.setIds(Map.of("eu-central-1", "ubuntu"));
              a.setImage(i);
            }),
        "spec.aws.image.ids[eu-central-1]");
    invalid(profile(a -> a.setEndpoint("ftp://x")), "spec.aws.endpoint");
    invalid(profile(a -> a.setExternalId("abc")), "spec.aws.externalId");
  }

  @Test
  void regionsOutsideTheProfileAreInvalid() {
    AwsProfile p = AwsProfile.from(profile(a -> {}));
    assertThatThrownBy(() -> p.checkRegion("us-east-1"))
        .hasMessageContaining("spec.aws.regions")
        .hasMessageContaining("eu-central-1");
  }

  @Test
  void clientTokensFitEc2sLimitAndDifferPerSubnet() {
    String uid = "0f8fad5b-d9cb-469f-a165-70867728950e";
    String a = Ec2CloudProvider.clientToken(uid, "subnet-0123456789abcdef0");
    String b = Ec2CloudProvider.clientToken(uid, "subnet-0123456789abcdef1");
    assertThat(a).hasSizeLessThanOrEqualTo(64).startsWith(uid).isNotEqualTo(b);
    assertThat(Ec2CloudProvider.clientToken(uid, "subnet-0123456789abcdef0")).isEqualTo(a);
  }

  @Test
  void managedGroupNamesAndSessionNamesAreSafe() {
    assertThat(Ec2CloudProvider.managedGroupName("prod/eu west", 1080))
        .isEqualTo("proxyfleet-prod-eu-west-tcp-1080");
    assertThat(Ec2CloudProviderFactory.sessionName("x".repeat(100))).hasSize(64);
    assertThat(Ec2CloudProviderFactory.sessionName("a b")).isEqualTo("proxyfleet-a-b");
  }
}
