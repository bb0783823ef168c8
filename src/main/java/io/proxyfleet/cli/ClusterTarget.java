package io.proxyfleet.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.local.LocalCloudProviderFactory;
import io.proxyfleet.cloud.local.LoopbackNetwork;
import io.proxyfleet.operator.OperatorSettings;
import io.proxyfleet.operator.ProxyFleetOperator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark against a real cluster: the operator with the local provider in this JVM, its API
 * calls going to the cluster of a kubeconfig. Closing it deletes what the benchmark made (and waits
 * for the fleet's finalizer), so runs start from nothing.
 */
final class ClusterTarget implements BenchCommand.Target {

  private final KubernetesClient client;
  private final LoopbackNetwork network;
  private final CloudProviders providers;
  private final ProxyFleetOperator operator;

  private ClusterTarget(KubernetesClient client, OperatorSettings settings) {
    this.client = client;
    this.network = new LoopbackNetwork(settings.clock(), settings.names());
    this.providers = new CloudProviders(List.of(new LocalCloudProviderFactory(network)));
    this.operator = new ProxyFleetOperator(client, providers, settings, Optional.empty());
  }

  static ClusterTarget start(
      Path kubeconfig,
      io.fabric8.kubernetes.client.http.HttpClient.Factory http,
      OperatorSettings settings) {
    Config config;
    try {
      config = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read kubeconfig " + kubeconfig, e);
    }
    KubernetesClient client =
        new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(http).build();
    ClusterTarget target = new ClusterTarget(client, settings);
    target.operator.start();
    return target;
  }

  @Override
  public KubernetesClient client() {
    return client;
  }

  @Override
  public int openListeners() {
    return network.openListeners();
  }

  @Override
  public void close() {
    try {
      // Every fleet the bench made: "bench", and "bench-0".. of the heap measurement. Those were
      // once left behind, so the next bench's operator first had to tear down 10,000 proxies and
      // timed out.
      List<ProxyFleet> made =
          client.resources(ProxyFleet.class).inNamespace("default").list().getItems().stream()
              .filter(f -> f.getMetadata().getName().matches("bench(-\\d+)?"))
              .toList();
      for (ProxyFleet fleet : made) {
        client.resource(fleet).delete();
      }
      for (ProxyFleet fleet : made) {
        client.resource(fleet).waitUntilCondition(f -> f == null, 10, TimeUnit.MINUTES);
      }
      client.resources(Blocklist.class).withName("bench-manual").delete();
      client.resources(CloudProfile.class).inNamespace("default").withName("local").delete();
    } finally {
      operator.close();
      providers.close();
      network.close();
      client.close();
    }
  }
}
