package io.proxyfleet.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.proxyfleet.blocklist.SourceAccess;
import io.proxyfleet.cloud.CloudProviderFactory;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.aws.Ec2CloudProviderFactory;
import io.proxyfleet.cloud.aws.Ec2Settings;
import io.proxyfleet.cloud.local.LocalCloudProviderFactory;
import io.proxyfleet.cloud.local.LoopbackNetwork;
import io.proxyfleet.operator.KubernetesSecretReader;
import io.proxyfleet.operator.LeaderElectionSettings;
import io.proxyfleet.operator.OperatorSettings;
import io.proxyfleet.operator.OperatorSupervisor;
import io.proxyfleet.operator.ProxyFleetOperator;
import io.proxyfleet.runtime.CloudMetrics;
import io.proxyfleet.runtime.DependencyMetrics;
import io.proxyfleet.runtime.FleetMetrics;
import io.proxyfleet.runtime.OperatorMetrics;
import io.proxyfleet.runtime.RuntimeServer;
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
@Command(
    name = "operator",
    mixinStandardHelpOptions = true,
    description = "Run the operator against a Kubernetes cluster (kubeconfig or in-cluster).")
final class OperatorCommand implements Callable<Integer> {

  @Option(
      names = "--cluster-name",
      defaultValue = "${env:PROXYFLEET_CLUSTER:-default}",
      description =
          "Written as tag proxyfleet.io/cluster on every cloud resource. Operators sharing a cloud account need different names. Default: ${DEFAULT-VALUE}.")
  String cluster;

  @Option(
      names = "--leader-election-namespace",
      defaultValue = "${env:POD_NAMESPACE}",
      description =
          "Namespace of the leader-election Lease; leader election is off when empty. Default: $POD_NAMESPACE.")
  String leaderElectionNamespace;

  @Option(
      names = "--leader-election-identity",
      defaultValue = "${env:POD_NAME:-${env:HOSTNAME:-proxyfleet}}",
      description =
          "Base of this process's identity in the Lease (a random suffix is always added, so two processes on one host never share it)."
              + " Default: $POD_NAME, else $HOSTNAME.")
  String identityBase;

  @Option(
      names = "--blocklist-allowed-cidrs",
      split = ",",
      paramLabel = "CIDR",
      description =
          "Non-public ranges Blocklist URL sources may reach anyway (comma-separated, e.g. 10.20.0.0/16 for an internal mirror)."
              + " Default: none; sources reach public hosts only (never loopback, link-local, private or metadata addresses).")
  List<String> allowedCidrs = new ArrayList<>();

  @Option(
      names = "--operator-namespace",
      defaultValue = "${env:POD_NAMESPACE:-default}",
      description =
          "The operator's own namespace: Blocklist authSecrets are read from here (or from Secrets labelled"
              + " proxyfleet.io/blocklist-auth=true). Default: $POD_NAMESPACE, else default.")
  String operatorNamespace;

  @Option(
      names = "--enable-local-provider",
      description =
          "Also serve CloudProfiles with provider 'local' (proxies on the operator's own loopback; for trials only).")
  boolean enableLocal;

  @Option(
      names = "--reconcile-threads",
      defaultValue = "16",
      description = "Concurrent reconciles. Default: ${DEFAULT-VALUE}.")
  int threads;

  @Option(
      names = "--cloud-ranges-refresh",
      defaultValue = "24h",
      description =
          "How often to refresh the published AWS and Google ranges from their official URLs (Go duration);"
              + " 0 keeps the snapshot shipped in the jar. Default: ${DEFAULT-VALUE}.")
  String rangesRefresh;

  @Option(
      names = "--watch-namespaces",
      split = ",",
      defaultValue = "${env:PROXYFLEET_WATCH_NAMESPACES}",
      description =
          "Namespaces whose fleets, proxies and profiles are watched (comma-separated); all when empty. Blocklists are cluster-scoped."
              + " Needs a --cluster-name of its own: cloud resources with this tag whose Proxy is elsewhere would look orphaned.")
  List<String> watchNamespaces;

  @Option(
      names = "--http-port",
      defaultValue = "${env:PROXYFLEET_HTTP_PORT:-8080}",
      description =
          "Port of /healthz, /readyz and /metrics on all interfaces; 0 turns them off. Default: ${DEFAULT-VALUE}.")
  int httpPort;

  @Option(
      names = "--log-level",
      defaultValue = "${env:PROXYFLEET_LOG_LEVEL:-info}",
      description =
          "error, warn, info, debug or trace, for the operator and the libraries it uses. Default: ${DEFAULT-VALUE}.")
  String logLevel;

  @Option(
      names = "--log-format",
      defaultValue = "${env:PROXYFLEET_LOG_FORMAT:-text}",
      description =
          "text (one line per record) or json (one JSON object per line: time, level, logger, thread, message, exception). Default: ${DEFAULT-VALUE}.")
  String logFormat;

  @Option(
      names = "--resync-period",
      defaultValue = "${env:PROXYFLEET_RESYNC_PERIOD:-5m}",
      description =
          "Every fleet, proxy and blocklist is reconciled at least this often even when nothing changes (Go duration, at least 10s)."
              + " Default: ${DEFAULT-VALUE}.")
  String resyncPeriod;

  /**
   * The shortest resync: below it, resyncs of a large fleet would crowd out the reconciles that
   * matter.
   */
  static final java.time.Duration MIN_RESYNC = java.time.Duration.ofSeconds(10);

  /**
   * Logging is configured from flags before anything logs: slf4j-simple and the JSON provider both
   * read their settings once, when the first logger is made.
   */
  static String configureLogging(String level, String format) {
    String normalized = level == null ? "" : level.strip().toLowerCase(java.util.Locale.ROOT);
    if (!List.of("error", "warn", "info", "debug", "trace").contains(normalized)) {
      return "--log-level: '" + level + "' is not one of error, warn, info, debug, trace";
    }
    String f = format == null ? "" : format.strip().toLowerCase(java.util.Locale.ROOT);
    if (!f.equals("text") && !f.equals("json")) {
      return "--log-format: '" + format + "' is not text or json";
    }
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", normalized);
    System.setProperty(io.proxyfleet.runtime.JsonLogProvider.LEVEL_PROPERTY, normalized);
    if (f.equals("json")) {
      System.setProperty("slf4j.provider", io.proxyfleet.runtime.JsonLogProvider.class.getName());
      // SLF4J announces an explicitly chosen provider in plain text; every line must parse as JSON.
      System.setProperty("slf4j.internal.verbosity", "WARN");
    }
    return null;
  }

  /** The resync period, or an error message naming the flag. */
  static java.util.Optional<java.time.Duration> resync(
      String value, java.util.function.Consumer<String> error) {
    try {
      java.time.Duration d = io.proxyfleet.api.Durations.parse(value);
      if (d.compareTo(MIN_RESYNC) < 0) {
        error.accept(
            "--resync-period: " + value + " is shorter than " + MIN_RESYNC.toSeconds() + "s");
        return java.util.Optional.empty();
      }
      return java.util.Optional.of(d);
    } catch (IllegalArgumentException e) {
      error.accept("--resync-period: " + e.getMessage());
      return java.util.Optional.empty();
    }
  }

  /**
   * How often the reachability pass looks for due checks; each fleet's health.interval decides what
   * is due.
   */
  static final java.time.Duration REACHABILITY_TICK = java.time.Duration.ofSeconds(5);

  @Option(
      names = "--health-checks",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Check every proxy from this process and act on Vantage reports (learned blocks, replacing dead daemons);"
              + " fleets opt out with spec.health.enabled: false. Default: ${DEFAULT-VALUE}.")
  boolean healthChecks;

  @Option(
      names = "--health-check-target",
      paramLabel = "HOST:PORT",
      defaultValue = "1.1.1.1:443",
      description =
          "Where checks ask SOCKS5 and HTTP proxies to connect; any answer of the proxy counts. Default: ${DEFAULT-VALUE}.")
  String healthTarget;

  @Override
  public Integer call() throws Exception {
    String logProblem = configureLogging(logLevel, logFormat);
    if (logProblem != null) {
      System.err.println(logProblem);
      return 2;
    }
    java.util.Optional<java.time.Duration> resync = resync(resyncPeriod, System.err::println);
    if (resync.isEmpty()) {
      return 2;
    }
    io.proxyfleet.probe.ProxyProbe.Target target;
    try {
      target = ProbeAgentCommand.target(healthTarget);
    } catch (IllegalArgumentException e) {
      System.err.println("--health-check-target: " + e.getMessage());
      return 2;
    }
    java.time.Duration refresh;
    try {
      refresh =
          rangesRefresh.equals("0")
              ? java.time.Duration.ZERO
              : io.proxyfleet.api.Durations.parse(rangesRefresh);
    } catch (IllegalArgumentException e) {
      System.err.println(
          "--cloud-ranges-refresh: " + e.getMessage() + ", or 0 to keep the shipped snapshot");
      return 2;
    }
    java.util.Set<String> namespaces =
        watchNamespaces == null
            ? java.util.Set.of()
            : watchNamespaces.stream()
                .map(String::strip)
                .filter(n -> !n.isEmpty())
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
    OperatorSettings settings =
        new OperatorSettings(
            cluster,
            10,
            threads,
            Clock.systemUTC(),
            RandomGenerator.getDefault(),
            new java.security.SecureRandom(),
            new SourceAccess(operatorNamespace, List.copyOf(allowedCidrs)),
            namespaces,
            resync.get());
    KubernetesClient client = new KubernetesClientBuilder().build();
    List<CloudProviderFactory> factories = new ArrayList<>();
    factories.add(
        new Ec2CloudProviderFactory(
            cluster, new KubernetesSecretReader(client), Ec2Settings.defaults(), settings.clock()));
    factories.add(
        new io.proxyfleet.cloud.gcp.GceCloudProviderFactory(
            cluster,
            new KubernetesSecretReader(client),
            io.proxyfleet.cloud.gcp.GcpSettings.defaults(),
            settings.clock(),
            new java.security.SecureRandom()));
    LoopbackNetwork network =
        enableLocal ? new LoopbackNetwork(settings.clock(), settings.names()) : null;
    if (network != null) {
      factories.add(new LocalCloudProviderFactory(network));
    }
    PrometheusMeterRegistry registry = OperatorMetrics.registry();
    CloudMetrics cloudMetrics = new CloudMetrics(registry);
    io.proxyfleet.runtime.ReachabilityMetrics reachabilityMetrics =
        new io.proxyfleet.runtime.ReachabilityMetrics(registry);
    CloudProviders providers = new CloudProviders(factories, cloudMetrics);
    Optional<LeaderElectionSettings> leaderElection =
        Optional.ofNullable(leaderElectionNamespace)
            .filter(s -> !s.isBlank())
            .map(
                ns ->
                    LeaderElectionSettings.defaults(
                        ns,
                        LeaderElectionSettings.uniqueIdentity(
                            identityBase, new java.security.SecureRandom())));
    // One JOSDK metrics object for every instance the supervisor makes, so reconcile counters
    // continue across a lost Lease instead of registering the same meters twice.
    Metrics reconcileMetrics = OperatorMetrics.reconciles(registry);
    OperatorSupervisor supervisor =
        new OperatorSupervisor(
            onLostLease -> {
              ProxyFleetOperator operator =
                  new ProxyFleetOperator(
                      client, providers, settings, leaderElection, onLostLease, reconcileMetrics);
              operator.onGarbageCollected(cloudMetrics::collected);
              if (!refresh.isZero()) {
                operator.refreshCloudRangesEvery(refresh);
              }
              if (healthChecks) {
                io.proxyfleet.vantage.ReachabilityController checks =
                    new io.proxyfleet.vantage.ReachabilityController(
                        client,
                        new io.proxyfleet.events.EventRecorder(
                            client, settings.clock(), "proxyfleet-operator"),
                        settings.clock(),
                        null,
                        target,
                        32,
                        namespaces);
                checks.observe(reachabilityMetrics);
                operator.startReachability(checks, REACHABILITY_TICK);
              }
              return operator;
            });
    OperatorMetrics.leader(registry, supervisor::isLeader);
    FleetMetrics fleetMetrics =
        FleetMetrics.start(
            client,
            registry.getPrometheusRegistry(),
            namespaces,
            (lists, ip) ->
                supervisor
                    .current()
                    .flatMap(op -> op.registry().match(lists, ip))
                    .map(io.proxyfleet.block.BlockMatch::blocklist));
    DependencyMetrics dependencyMetrics =
        DependencyMetrics.start(client, registry.getPrometheusRegistry(), namespaces);
    RuntimeServer http;
    try {
      // Before the operator starts, so a startup probe sees a live process while informers sync.
      http =
          httpPort == 0
              ? null
              : RuntimeServer.start(
                  "0.0.0.0", httpPort, supervisor::isAlive, supervisor::isReady, registry);
    } catch (java.io.UncheckedIOException e) {
      System.err.println("--http-port: " + e.getMessage());
      fleetMetrics.close();
      dependencyMetrics.close();
      client.close();
      return 2;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  long start = System.nanoTime();
                  // Stop reconciling and give up the Lease first, then close listeners and clients.
                  // Everything
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
                    System.err.printf(
                        "proxyfleet operator stopped in %d ms%n",
                        (System.nanoTime() - start) / 1_000_000);
                    stopped.countDown();
                  }
                },
                "proxyfleet-shutdown"));
    supervisor.start();
    System.err.println(
        "proxyfleet operator started (cluster tag '"
            + cluster
            + "'"
            + leaderElection
                .map(le -> ", leader election in " + le.namespace() + " as " + le.identity())
                .orElse(", no leader election")
            + (namespaces.isEmpty()
                ? ", all namespaces"
                : ", namespaces " + new java.util.TreeSet<>(namespaces))
            + (http == null
                ? ", no HTTP endpoints"
                : ", /healthz /readyz /metrics on port " + http.port())
            + ")");
    stopped.await();
    return 0;
  }
}
