package io.proxyfleet.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.proxyfleet.api.ApiGroup;
import io.proxyfleet.block.BlockIndexRegistry;
import io.proxyfleet.blocklist.BlocklistReconciler;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.events.EventRecorder;
import io.proxyfleet.fleet.BlocklistSubscriptions;
import io.proxyfleet.fleet.FleetReconciler;
import io.proxyfleet.proxy.ProxyReconciler;
import java.time.Duration;
import java.util.Optional;

/**
 * The operator: three controllers sharing a block index registry and the cloud providers.
 *
 * <p>Server-side apply is off for primary resources and dependents in every mode: the embedded API
 * of local mode (and the mock server in tests) cannot do it, and the code path we test must be the
 * one we ship.
 */
public final class ProxyFleetOperator implements AutoCloseable {

  private final Operator operator;
  private final BlockIndexRegistry registry = new BlockIndexRegistry();

  public ProxyFleetOperator(KubernetesClient client, CloudProviders providers, OperatorSettings settings, Optional<String> leaderElectionNamespace) {
    operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withUseSSAToPatchPrimaryResource(false)
                  .withSSABasedCreateUpdateMatchForDependentResources(false)
                  .withConcurrentReconciliationThreads(settings.reconcileThreads())
                  .withCloseClientOnStop(false)
                  .withReconciliationTerminationTimeout(Duration.ofSeconds(5))
                  .withStopOnInformerErrorDuringStartup(true)
                  .withCacheSyncTimeout(Duration.ofSeconds(60));
              leaderElectionNamespace.ifPresent(ns -> o.withLeaderElectionConfiguration(new LeaderElectionConfiguration("proxyfleet-operator", ns)));
            });
    EventRecorder events = new EventRecorder(client, settings.clock(), "proxyfleet-operator");
    operator.register(
        new BlocklistReconciler(registry, events, settings.clock()),
        // Not generation-aware: the accept-update and refresh annotations do not bump generation.
        c -> c.withFinalizer(ApiGroup.FINALIZER).withName("blocklist").withGenerationAware(false));
    operator.register(
        new FleetReconciler(providers, registry, new BlocklistSubscriptions(), events, settings.clock(), settings.names(), settings.secrets()),
        c -> c.withFinalizer(ApiGroup.FINALIZER).withName("proxyfleet"));
    operator.register(
        new ProxyReconciler(providers, registry, events, settings.clock(), settings.cluster(), settings.maxAddressDraws()),
        // Not generation-aware: the rotate-ip annotation is a request that does not bump generation.
        c -> c.withFinalizer(ApiGroup.FINALIZER).withName("proxy").withGenerationAware(false));
  }

  public void start() {
    operator.start();
  }

  public BlockIndexRegistry registry() {
    return registry;
  }

  @Override
  public void close() {
    operator.stop();
  }
}
