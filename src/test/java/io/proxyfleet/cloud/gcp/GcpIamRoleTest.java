package io.proxyfleet.cloud.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.proxyfleet.api.GcpRegionSpec;
import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.testing.gce.FakeCompute;
import io.proxyfleet.testing.gce.GcpTestCloud;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * operator/gcp-iam-role.yaml grants exactly the permissions the adapter declares, and every API
 * method the adapter really calls (as the fake records them, across launch, both address modes,
 * rotation, release, termination and the collector's listings) is declared.
 */
class GcpIamRoleTest {

  static Set<String> role() throws Exception {
    JsonNode role =
        new ObjectMapper(new YAMLFactory())
            .readTree(Files.readString(Path.of("operator/gcp-iam-role.yaml")));
    assertThat(role.path("stage").asText()).isEqualTo("GA");
    Set<String> out = new TreeSet<>();
    role.path("includedPermissions").forEach(p -> out.add(p.asText()));
    return out;
  }

  @Test
  void theRoleGrantsExactlyWhatTheAdapterDeclares() throws Exception {
    Set<String> declared = new TreeSet<>(GceCloudProvider.PERMISSIONS.values());
    declared.addAll(GceCloudProvider.IMPLIED_PERMISSIONS);
    assertThat(role()).isEqualTo(declared);
  }

  @Test
  void everyApiMethodTheAdapterCallsIsDeclaredAndGranted() throws Exception {
    Set<String> role = role();
    Set<String> seen = new HashSet<>();
    for (String mode : List.of("Static", "Ephemeral")) {
      try (FakeCompute fake = new FakeCompute("proxy-project-1")) {
        String key =
            GcpTestCloud.serviceAccountKey(
                fake, "pf@proxy-project-1.iam.gserviceaccount.com", true);
        GcpSettings settings = GcpSettings.defaults().withSnapshotTtl(Duration.ZERO);
        try (GceCloudProvider p =
            new GceCloudProviderFactory(
                    "iam", GcpTestCloud.secrets(key), settings, Clock.systemUTC(), new Random(3))
                .create(
                    GcpTestCloud.profile(
                        "gcp",
                        GcpTestCloud.spec(
                            fake, mode, List.of(new GcpRegionSpec("europe-west3", List.of()))),
                        Map.of()))) {
          String uid = UUID.randomUUID().toString();
          OwnerTags owner = new OwnerTags("iam", "default", "f", "f-1", uid);
          p.verifyAccess();
          p.subnets("europe-west3");
          p.launch(
              new LaunchSpec(
                  owner,
                  "europe-west3",
                  "europe-west3-a",
                  Protocol.HTTP,
                  8080,
                  new ProxyCredentials("pf-user", "pass-word-1")));
          Instance running =
              org.awaitility.Awaitility.await("instance running")
                  .atMost(java.time.Duration.ofSeconds(10))
                  .pollInterval(java.time.Duration.ofMillis(10))
                  .until(
                      () ->
                          p.findInstance("europe-west3", uid)
                              .filter(x -> x.state() == Instance.State.RUNNING),
                      Optional::isPresent)
                  .orElseThrow();
          Address a = p.allocateAddress("europe-west3", owner, Optional.empty());
          p.associateAddress("europe-west3", running.id(), a);
          Address b = p.allocateAddress("europe-west3", owner, Optional.empty());
          p.associateAddress("europe-west3", running.id(), b);
          p.releaseAddress("europe-west3", a);
          p.listManagedInstances("europe-west3", "iam");
          p.listManagedAddresses("europe-west3", "iam");
          p.managedRegions("iam", Set.of());
          p.terminate("europe-west3", running.id());
          p.releaseAddress("europe-west3", b);
          await()
              .atMost(Duration.ofSeconds(10))
              .pollInterval(Duration.ofMillis(20))
              .until(() -> fake.instances().isEmpty());
          assertThat(p.removeUnusedShared("iam", Duration.ZERO))
              .as("the firewall rule, now unused")
              .hasSize(1);
        }
        fake.calls().stream()
            .filter(c -> c.permission() != null)
            .forEach(
                c -> {
                  seen.add(c.method());
                  assertThat(GceCloudProvider.PERMISSIONS)
                      .as("declared: " + c.method())
                      .containsEntry(c.method(), c.permission());
                  assertThat(role).as("granted: " + c.permission()).contains(c.permission());
                });
      }
    }
    assertThat(seen)
        .as("the exercise reaches every declared API method, so none is declared without use")
        .containsAll(GceCloudProvider.PERMISSIONS.keySet());
  }
}
