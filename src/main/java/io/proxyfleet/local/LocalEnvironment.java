package io.proxyfleet.local;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.local.LocalCloudProviderFactory;
import io.proxyfleet.cloud.local.LoopbackNetwork;
import io.proxyfleet.embedded.EmbeddedKubernetes;
import io.proxyfleet.operator.OperatorSettings;
import io.proxyfleet.operator.ProxyFleetOperator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * An in-process Kubernetes API with the CRDs installed, a loopback cloud, and the operator running.
 */
public final class LocalEnvironment implements AutoCloseable {

  private final EmbeddedKubernetes api;
  private final KubernetesClient client;
  private final LoopbackNetwork network;
  private final CloudProviders providers;
  private final ProxyFleetOperator operator;

  private LocalEnvironment(
      String host,
      int port,
      OperatorSettings settings,
      Metrics metrics,
      io.fabric8.kubernetes.client.http.HttpClient.Factory http) {
    api = EmbeddedKubernetes.start(host, port);
    try {
      api.installCrds(CustomResourceDefinitions.all());
      client = http == null ? api.client() : api.newClient(http);
      client
          .namespaces()
          .resource(
              new NamespaceBuilder().withNewMetadata().withName("default").endMetadata().build())
          .createOr(NonDeletingOperation::update);
      network = new LoopbackNetwork(settings.clock(), settings.names());
      providers = new CloudProviders(List.of(new LocalCloudProviderFactory(network)));
      // No leader election here, so there is no Lease to lose.
      operator =
          new ProxyFleetOperator(client, providers, settings, Optional.empty(), () -> {}, metrics);
    } catch (RuntimeException e) {
      api.close();
      throw e;
    }
  }

  /** Starts everything; {@code port} 0 picks a free port. */
  public static LocalEnvironment start(String host, int port, OperatorSettings settings) {
    return start(host, port, settings, Metrics.NOOP);
  }

  /**
   * As {@link #start(String, int, OperatorSettings)}, recording JOSDK's reconcile metrics in {@code
   * metrics}.
   */
  public static LocalEnvironment start(
      String host, int port, OperatorSettings settings, Metrics metrics) {
    return start(host, port, settings, metrics, null);
  }

  /** As above, the operator's client built by {@code http} (the bench counts requests with it). */
  public static LocalEnvironment start(
      String host,
      int port,
      OperatorSettings settings,
      Metrics metrics,
      io.fabric8.kubernetes.client.http.HttpClient.Factory http) {
    LocalEnvironment env = new LocalEnvironment(host, port, settings, metrics, http);
    env.operator.start();
    return env;
  }

  public KubernetesClient client() {
    return client;
  }

  public EmbeddedKubernetes api() {
    return api;
  }

  public LoopbackNetwork network() {
    return network;
  }

  public ProxyFleetOperator operator() {
    return operator;
  }

  /**
   * Creates or updates every object in a YAML file or every YAML file of a directory, in name
   * order.
   */
  public List<HasMetadata> apply(Path path) throws IOException {
    List<Path> files = new ArrayList<>();
    if (Files.isDirectory(path)) {
      try (Stream<Path> s = Files.list(path)) {
        s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
            .sorted()
            .forEach(files::add);
      }
    } else {
      files.add(path);
    }
    List<HasMetadata> applied = new ArrayList<>();
    for (Path file : files) {
      try (InputStream in = Files.newInputStream(file)) {
        applied.addAll(apply(in));
      }
    }
    return applied;
  }

  public List<HasMetadata> apply(InputStream yaml) {
    List<HasMetadata> applied = new ArrayList<>();
    for (HasMetadata item : client.load(yaml).items()) {
      applied.add(client.resource(item).createOr(NonDeletingOperation::update));
    }
    return applied;
  }

  @Override
  public void close() {
    try {
      operator.close();
    } finally {
      try {
        providers.close();
        network.close();
      } finally {
        client.close();
        api.close();
      }
    }
  }
}
