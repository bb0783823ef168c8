package io.proxyfleet.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.proxyfleet.cloud.CloudProviderFactory;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.aws.Ec2CloudProviderFactory;
import io.proxyfleet.cloud.aws.Ec2Settings;
import io.proxyfleet.cloud.local.LocalCloudProviderFactory;
import io.proxyfleet.cloud.local.LoopbackNetwork;
import io.proxyfleet.blocklist.SourceAccess;
import io.proxyfleet.operator.KubernetesSecretReader;
import io.proxyfleet.operator.LeaderElectionSettings;
import io.proxyfleet.operator.OperatorSettings;
import io.proxyfleet.operator.OperatorSupervisor;
import io.proxyfleet.operator.ProxyFleetOperator;
import io.proxyfleet.runtime.DependencyMetrics;
import io.proxyfleet.runtime.FleetMetrics;
import io.proxyfleet.runtime.OperatorMetrics;
import io.proxyfleet.runtime.RuntimeServer;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.random.RandomGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Production mode: the operator against the current kubeconfig or in-cluster config. */
@Command(name = "operator", mixinStandardHelpOptions = true, description = "Run the operator against a Kubernetes cluster (kubeconfig or in-cluster).")
final class OperatorCommand implements Callable<Integer> {

  @Option(names = "--cluster-name", defaultValue = "${env:PROXYFLEET_CLUSTER:-default}",
      description = "Written as tag proxyfleet.io/cluster on every cloud resource. Operators sharing a cloud account need different names. Default: ${DEFAULT-VALUE}.")
  String cluster;

  @Option(names = "--leader-election-namespace", defaultValue = "${env:POD_NAMESPACE}",
      description = "Namespace of the leader-election Lease; leader election is off when empty. Default: $POD_NAMESPACE.")
  String leaderElectionNamespace;

  @Option(names = "--leader-election-identity", defaultValue = "${env:POD_NAME:-${env:HOSTNAME:-proxyfleet}}",
      description = "Base of this process's identity in the Lease (a random suffix is always added, so two processes on one host never share it)."
          + " Default: $POD_NAME, else $HOSTNAME.")
  String identityBase;

  @Option(names = "--blocklist-allowed-cidrs", split = ",", paramLabel = "CIDR",
      description = "Non-public ranges Blocklist URL sources may reach anyway (comma-separated, e.g. 10.20.0.0/16 for an internal mirror)."
          + " Default: none; sources reach public hosts only (never loopback, link-local, private or metadata addresses).")
  List<String> allowedCidrs = new ArrayList<>();

  @Option(names = "--operator-namespace", defaultValue = "${env:POD_NAMESPACE:-default}",
      description = "The operator's own namespace: Blocklist authSecrets are read from here (or from Secrets labelled"
          + " proxyfleet.io/blocklist-auth=true). Default: $POD_NAMESPACE, else default.")
  String operatorNamespace;

  @Option(names = "--enable-local-provider", description = "Also serve CloudProfiles with provider 'local' (proxies on the operator's own loopback; for trials only).")
  boolean enableLocal;

  @Option(names = "--reconcile-threads", defaultValue = "16", description = "Concurrent reconciles. Default: ${DEFAULT-VALUE}.")
  int threads;

  @Option(names = "--cloud-ranges-refresh", defaultValue = "24h",
      description = "How often to refresh the published AWS and Google ranges from their official URLs (Go duration);"
          + " 0 keeps the snapshot shipped in the jar. Default: ${DEFAULT-VALUE}.")
  String rangesRefresh;

  @Option(names = "--watch-namespaces", split = ",", defaultValue = "${env:PROXYFLEET_WATCH_NAMESPACES}",
      description = "Namespaces whose fleets, proxies and profiles are watched (comma-separated); all when empty. Blocklists are cluster-scoped."
          + " Needs a --cluster-name of its own: cloud resources with this tag whose Proxy is elsewhere would look orphaned.")
  List<String> watchNamespaces;

  @Option(names = "--http-port", defaultValue = "${env:PROXYFLEET_HTTP_PORT:-8080}",
      description = "Port of /healthz, /readyz and /metrics on all interfaces; 0 turns them off. Default: ${DEFAULT-VALUE}.")
  int httpPort;

  @Override
  public Integer call() throws Exception {
    java.time.Duration refresh;
    try {
      refresh = rangesRefresh.equals("0") ? java.time.Duration.ZERO : io.proxyfleet.api.Durations.parse(rangesRefresh);
    } catch (IllegalArgumentException e) {
      System.err.println("--cloud-ranges-refresh: " + e.getMessage() + ", or 0 to keep the shipped snapshot");
      return 2;
    }
    java.util.Set<String> namespaces = watchNamespaces == null ? java.util.Set.of()
        : watchNamespaces.stream().map(String::strip).filter(n -> !n.isEmpty()).collect(java.util.stream.Collectors.toUnmodifiableSet());
    OperatorSettings settings = new OperatorSettings(cluster, 10, threads, Clock.systemUTC(), RandomGenerator.getDefault(), new java.security.SecureRandom(),
        new SourceAccess(operatorNamespace, List.copyOf(allowedCidrs)), namespaces);
    KubernetesClient client = new KubernetesClientBuilder().build();
    List<CloudProviderFactory> factories = new ArrayList<>();
    factories.add(new Ec2CloudProviderFactory(cluster, new KubernetesSecretReader(client), Ec2Settings.defaults(), settings.clock()));
    factories.add(new io.proxyfleet.cloud.gcp.GceCloudProviderFactory(cluster, new KubernetesSecretReader(client),
        io.proxyfleet.cloud.gcp.GcpSettings.defaults(), settings.clock(), new java.security.SecureRandom()));
    LoopbackNetwork network = enableLocal ? new LoopbackNetwork(settings.clock(), settings.names()) : null;
    if (network != null) {
      factories.add(new LocalCloudProviderFactory(network));
    }
    CloudProviders providers = new CloudProviders(factories);
    Optional<LeaderElectionSettings> leaderElection = Optional.ofNullable(leaderElectionNamespace).filter(s -> !s.isBlank())
        .map(ns -> LeaderElectionSettings.defaults(ns, LeaderElectionSettings.uniqueIdentity(identityBase, new java.security.SecureRandom())));
    PrometheusMeterRegistry registry = OperatorMetrics.registry();
    // One JOSDK metrics object for every instance the supervisor makes, so reconcile counters
    // continue across a lost Lease instead of registering the same meters twice.
    Metrics reconcileMetrics = OperatorMetrics.reconciles(registry);
    OperatorSupervisor supervisor = new OperatorSupervisor(onLostLease -> {
      ProxyFleetOperator operator = new ProxyFleetOperator(client, providers, settings, leaderElection, onLostLease, reconcileMetrics);
      if (!refresh.isZero()) {
        operator.refreshCloudRangesEvery(refresh);
      }
      return operator;
    });
    OperatorMetrics.leader(registry, supervisor::isLeader);
    FleetMetrics fleetMetrics = FleetMetrics.start(client, registry.getPrometheusRegistry(), namespaces);
    DependencyMetrics dependencyMetrics = DependencyMetrics.start(client, registry.getPrometheusRegistry(), namespaces);
    RuntimeServer http;
    try {
      // Before the operator starts, so a startup probe sees a live process while informers sync.
      http = httpPort == 0 ? null : RuntimeServer.start("0.0.0.0", httpPort, supervisor::isAlive, supervisor::isReady, registry);
    } catch (java.io.UncheckedIOException e) {
      System.err.println("--http-port: " + e.getMessage());
      fleetMetrics.close();
      dependencyMetrics.close();
      client.close();
      return 2;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      long start = System.nanoTime();
      // Stop reconciling and give up the Lease first, then close listeners and clients. Everything
      // here must finish well inside the pod's termination grace period.
      try {
        supervisor.close();
      } finally {
        if (http != null) http.close();
        fleetMetrics.close();
        dependencyMetrics.close();
        providers.close();
        if (network != null) network.close();
        client.close();
        System.err.printf("proxyfleet operator stopped in %d ms%n", (System.nanoTime() - start) / 1_000_000);
        stopped.countDown();
      }
    }, "proxyfleet-shutdown"));
    supervisor.start();
    System.err.println("proxyfleet operator started (cluster tag '" + cluster + "'"
        + leaderElection.map(le -> ", leader election in " + le.namespace() + " as " + le.identity()).orElse(", no leader election")
        + (namespaces.isEmpty() ? ", all namespaces" : ", namespaces " + new java.util.TreeSet<>(namespaces))
        + (http == null ? ", no HTTP endpoints" : ", /healthz /readyz /metrics on port " + http.port()) + ")");
    stopped.await();
    return 0;
  }
}
