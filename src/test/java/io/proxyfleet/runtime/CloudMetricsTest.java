package io.proxyfleet.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.BlocklistHeldVersion;
import io.proxyfleet.api.BlocklistSpec;
import io.proxyfleet.api.BlocklistStatus;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.CloudProfileSpec;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudProvider;
import io.proxyfleet.cloud.CloudProviderFactory;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.Subnet;
import io.proxyfleet.gc.GarbageCollector;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Cloud operations counted by provider, operation and outcome for every provider CloudProviders
 * hands out; GC removals; held blocklists.
 */
class CloudMetricsTest {

  /**
   * A provider whose subnets() answers (or throws) what the test queued; the rest is unused here.
   */
  static final class ScriptedProvider implements CloudProvider {
    final Deque<Supplier<List<Subnet>>> answers = new ArrayDeque<>();

    @Override
    public String type() {
      return "scripted";
    }

    @Override
    public List<Subnet> subnets(String region) {
      return answers.pop().get();
    }

    @Override
    public Optional<Instance> findInstance(String region, String ownerUid) {
      return Optional.empty();
    }

    @Override
    public Instance launch(LaunchSpec spec) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void terminate(String region, String instanceId) {}

    @Override
    public List<Instance> listManagedInstances(String region, String cluster) {
      return List.of();
    }

    @Override
    public Address allocateAddress(String region, OwnerTags owner, Optional<String> subnetHint) {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<Address> listManagedAddresses(String region, String cluster) {
      return List.of();
    }

    @Override
    public void associateAddress(String region, String instanceId, Address address) {}

    @Override
    public void releaseAddress(String region, Address address) {}
  }

  private static CloudProfile profile() {
    CloudProfile profile = new CloudProfile();
    profile.setMetadata(
        new ObjectMetaBuilder()
            .withNamespace("p")
            .withName("scripted")
            .withUid("u1")
            .withGeneration(1L)
            .build());
    CloudProfileSpec spec = new CloudProfileSpec();
    spec.setProvider("scripted");
    profile.setSpec(spec);
    return profile;
  }

  @Test
  void everyOperationOfAHandedOutProviderIsCountedByOutcome() {
    PrometheusMeterRegistry registry = OperatorMetrics.registry();
    CloudMetrics metrics = new CloudMetrics(registry);
    ScriptedProvider scripted = new ScriptedProvider();
    CloudProviders providers =
        new CloudProviders(
            List.of(
                new CloudProviderFactory() {
                  @Override
                  public String type() {
                    return "scripted";
                  }

                  @Override
                  public CloudProvider create(CloudProfile profile) {
                    return scripted;
                  }
                }),
            metrics);
    CloudProvider provider = providers.forProfile(profile());

    scripted.answers.add(() -> List.of(new Subnet("s1", "r1", "z1", "10.0.0.0/24")));
    scripted.answers.add(() -> List.of());
    scripted.answers.add(
        () -> {
          throw new CloudException(CloudException.Reason.THROTTLED, "slow down");
        });
    scripted.answers.add(
        () -> {
          throw new IllegalStateException("a bug in an adapter");
        });
    assertThat(provider.subnets("r1")).hasSize(1);
    assertThat(provider.subnets("r1")).isEmpty();
    assertThatThrownBy(() -> provider.subnets("r1")).isInstanceOf(CloudException.class);
    assertThatThrownBy(() -> provider.subnets("r1")).isInstanceOf(IllegalStateException.class);
    provider.listManagedInstances("r1", "c");
    assertThat(provider.type()).isEqualTo("scripted");

    String scrape = registry.scrape();
    assertThat(scrape)
        .contains(
            "proxyfleet_cloud_api_calls_total{operation=\"subnets\",outcome=\"success\",provider=\"scripted\"} 2.0")
        .contains(
            "proxyfleet_cloud_api_calls_total{operation=\"subnets\",outcome=\"throttled\",provider=\"scripted\"} 1.0")
        .contains(
            "proxyfleet_cloud_api_calls_total{operation=\"subnets\",outcome=\"error\",provider=\"scripted\"} 1.0")
        .contains(
            "proxyfleet_cloud_api_calls_total{operation=\"list_managed_instances\",outcome=\"success\",provider=\"scripted\"} 1.0");
    // Bounded labels: the region, instance or address never becomes one.
    assertThat(scrape.lines().filter(l -> l.startsWith("proxyfleet_cloud_api_calls_total")))
        .noneMatch(l -> l.contains("r1"));
  }

  @Test
  void garbageCollectorRemovalsAreCountedByKindAndStartAtZero() {
    PrometheusMeterRegistry registry = OperatorMetrics.registry();
    CloudMetrics metrics = new CloudMetrics(registry);
    assertThat(registry.scrape())
        .contains("proxyfleet_gc_removals_total{kind=\"instance\"} 0.0")
        .contains("proxyfleet_gc_removals_total{kind=\"address\"} 0.0");
    metrics.collected(
        new GarbageCollector.Report(List.of("r/i-1", "r/i-2"), List.of("r/1.2.3.4"), List.of()));
    assertThat(registry.scrape())
        .contains("proxyfleet_gc_removals_total{kind=\"instance\"} 2.0")
        .contains("proxyfleet_gc_removals_total{kind=\"address\"} 1.0");
  }

  @Test
  void aHeldBlocklistUpdateShowsAsOneAndEntriesAsTheyStand() {
    Blocklist held = new Blocklist();
    held.setMetadata(new ObjectMetaBuilder().withName("rkn").build());
    held.setSpec(new BlocklistSpec());
    BlocklistStatus status = new BlocklistStatus();
    status.setHeld(new BlocklistHeldVersion());
    status.setEntries(169_581);
    held.setStatus(status);
    Blocklist clean = new Blocklist();
    clean.setMetadata(new ObjectMetaBuilder().withName("manual").build());
    clean.setSpec(new BlocklistSpec());
    PrometheusMeterRegistry registry = OperatorMetrics.registry();
    registry
        .getPrometheusRegistry()
        .register(() -> DependencyMetrics.snapshot(List.of(), List.of(held, clean)));
    assertThat(registry.scrape())
        .contains("proxyfleet_blocklist_update_held{blocklist=\"rkn\"} 1.0")
        .contains("proxyfleet_blocklist_update_held{blocklist=\"manual\"} 0.0")
        .contains("proxyfleet_blocklist_entries{blocklist=\"rkn\"} 169581.0");
  }
}
