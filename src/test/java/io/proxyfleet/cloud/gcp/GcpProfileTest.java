package io.proxyfleet.cloud.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.cloud.CloudException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What the CRD's CEL rules and patterns say about a gcp CloudProfile, enforced by the adapter too
 * (the embedded API runs no CEL): each bad setting fails INVALID naming its field.
 */
class GcpProfileTest {

  static CloudProfile profile(String gcp) {
    return new KubernetesSerialization()
        .unmarshal(
            """
        apiVersion: proxyfleet.io/v1alpha1
        kind: CloudProfile
        metadata: {name: p, namespace: default}
        spec:
          provider: gcp
          gcp: %s
        """
                .formatted(gcp),
            CloudProfile.class);
  }

  @Test
  void aValidProfileGetsItsDefaults() {
    GcpProfile p =
        GcpProfile.from(
            profile(
                "{project: my-proxies-123, regions: [{name: europe-west3, zones: [europe-west3-a]}]}"));
    assertThat(p.regions()).containsExactly("europe-west3");
    assertThat(p.machineType()).isEqualTo("e2-micro");
    assertThat(p.network()).isEqualTo("default");
    assertThat(p.staticAddresses()).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "project                 | {project: 'My Project', regions: [{name: europe-west3}]}                              | spec.gcp.project",
        "no regions              | {project: p-1234567, regions: []}                                                    | spec.gcp.regions",
        "region name             | {project: p-1234567, regions: [{name: Frankfurt}]}                                   | spec.gcp.regions[0].name",
        "region twice            | {project: p-1234567, regions: [{name: europe-west3}, {name: europe-west3}]}          | spec.gcp.regions[1].name",
        "zone of another region  | {project: p-1234567, regions: [{name: europe-west3, zones: [europe-west4-a]}]}       | spec.gcp.regions[0].zones",
        "subnetwork              | {project: p-1234567, regions: [{name: europe-west3, subnetwork: 'Sub Net'}]}         | spec.gcp.regions[0].subnetwork",
        "machine type            | {project: p-1234567, regions: [{name: europe-west3}], machineType: 'E2 Micro'}       | spec.gcp.machineType",
        "image family            | {project: p-1234567, regions: [{name: europe-west3}], image: {family: 'Debian 12'}}  | spec.gcp.image.family",
        "network                 | {project: p-1234567, regions: [{name: europe-west3}], network: 'My Net'}             | spec.gcp.network",
        "network tier            | {project: p-1234567, regions: [{name: europe-west3}], networkTier: FAST}             | spec.gcp.networkTier",
        "address mode            | {project: p-1234567, regions: [{name: europe-west3}], addressMode: Floating}         | spec.gcp.addressMode",
        "endpoint                | {project: p-1234567, regions: [{name: europe-west3}], endpoint: 'ftp://x'}           | spec.gcp.endpoint",
        "credentials secret name | {project: p-1234567, regions: [{name: europe-west3}], credentialsSecret: {key: k}}   | spec.gcp.credentialsSecret.name",
      })
  void eachBadSettingNamesItsField(String name, String gcp, String field) {
    assertThatThrownBy(() -> GcpProfile.from(profile(gcp)))
        .as(name)
        .isInstanceOfSatisfying(
            CloudException.class,
            e -> assertThat(e.reason()).isEqualTo(CloudException.Reason.INVALID))
        .hasMessageStartingWith("CloudProfile default/p: " + field + " ");
  }

  @Test
  void aMissingGcpSectionAndARegionOutsideTheProfileAreNamed() {
    CloudProfile missing = profile("{project: p-1234567, regions: [{name: europe-west3}]}");
    missing.getSpec().setGcp(null);
    assertThatThrownBy(() -> GcpProfile.from(missing)).hasMessageContaining("spec.gcp is required");
    GcpProfile p =
        GcpProfile.from(profile("{project: p-1234567, regions: [{name: europe-west3}]}"));
    assertThatThrownBy(() -> p.checkRegion("us-east1"))
        .hasMessageContaining("spec.gcp.regions")
        .hasMessageContaining("europe-west3");
  }
}
