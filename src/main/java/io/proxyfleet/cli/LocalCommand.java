package io.proxyfleet.cli;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.proxyfleet.local.FleetTable;
import io.proxyfleet.local.LocalEnvironment;
import io.proxyfleet.operator.OperatorSettings;
import io.proxyfleet.runtime.DependencyMetrics;
import io.proxyfleet.runtime.FleetMetrics;
import io.proxyfleet.runtime.OperatorMetrics;
import io.proxyfleet.runtime.RuntimeServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The embedded default: API, operator, loopback cloud and an example fleet in one process. */
@Command(
    name = "local",
    mixinStandardHelpOptions = true,
    description =
        "Run an in-process Kubernetes API, the operator and real loopback proxies, and apply examples/local/.")
final class LocalCommand implements Callable<Integer> {

  @Option(
      names = "--kubeconfig-out",
      defaultValue = ".proxyfleet/kubeconfig",
      description = "Where to write the kubeconfig for kubectl. Default: ${DEFAULT-VALUE}.")
  Path kubeconfig;

  @Option(
      names = "--api-port",
      defaultValue = "0",
      description =
          "Port of the embedded API on 127.0.0.1 (0 = any free port). Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(
      names = "--examples",
      defaultValue = "examples/local",
      description =
          "YAML file or directory applied at start (skipped if missing). Default: ${DEFAULT-VALUE}.")
  Path examples;

  @Option(names = "--quiet", description = "Do not print the fleet table on changes.")
  boolean quiet;

  @Option(
      names = "--http-port",
      defaultValue = "8080",
      description =
          "Port of /healthz, /readyz and /metrics on 127.0.0.1 (0 = off; when taken, local mode runs without them). Default: ${DEFAULT-VALUE}.")
  int httpPort;

  @Override
  public Integer call() throws Exception {
    long started = System.nanoTime();
    PrometheusMeterRegistry registry = OperatorMetrics.registry();
    LocalEnvironment env =
        LocalEnvironment.start(
            "127.0.0.1",
            port,
            OperatorSettings.localMode("local"),
            OperatorMetrics.reconciles(registry));
    OperatorMetrics.leader(registry, () -> env.operator().isReady() && env.operator().isLeader());
    FleetMetrics fleetMetrics =
        FleetMetrics.start(
            env.client(),
            registry.getPrometheusRegistry(),
            java.util.Set.of(),
            (lists, ip) ->
                env.operator()
                    .registry()
                    .match(lists, ip)
                    .map(io.proxyfleet.block.BlockMatch::blocklist));
    DependencyMetrics dependencyMetrics =
        DependencyMetrics.start(env.client(), registry.getPrometheusRegistry(), java.util.Set.of());
    RuntimeServer http = null;
    if (httpPort != 0) {
      try {
        http =
            RuntimeServer.start(
                "127.0.0.1", httpPort, () -> true, () -> env.operator().isReady(), registry);
      } catch (java.io.UncheckedIOException e) {
        // A trial on a laptop should not fail because something else holds 8080.
        System.err.println(
            "No /healthz, /readyz, /metrics: "
                + e.getMessage()
                + " (choose another with --http-port)");
      }
    }
    RuntimeServer endpoints = http;
    io.proxyfleet.local.LocalWorld world =
        io.proxyfleet.local.LocalWorld.start(
            env,
            java.time.Clock.systemUTC(),
            new io.proxyfleet.runtime.ReachabilityMetrics(registry));
    CountDownLatch done = new CountDownLatch(1);
    FleetTable table = quiet ? null : FleetTable.start(env.client(), System.out);
    Thread hook =
        new Thread(
            () -> {
              long t = System.nanoTime();
              if (table != null) table.close();
              if (endpoints != null) endpoints.close();
              world.close();
              fleetMetrics.close();
              dependencyMetrics.close();
              env.close();
              System.err.printf(
                  "proxyfleet local stopped in %d ms; every proxy listener is closed.%n",
                  TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t));
              done.countDown();
            },
            "proxyfleet-local-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    env.api().writeKubeconfig(kubeconfig);
    if (Files.exists(examples)) {
      env.apply(examples);
    } else {
      System.err.println("Examples " + examples + " not found; starting with an empty API.");
    }
    System.err.printf(
        """
        proxyfleet local is up in %d ms: Kubernetes API at %s
          export KUBECONFIG=%s
          kubectl get proxyfleets,proxies            # pf / px for short
          kubectl get secret demo-endpoints -o jsonpath='{.data.endpoints\\.json}' | base64 -d
          kubectl patch blocklist manual --type=merge -p '{"spec":{"cidrs":["127.1.0.0/24"]}}'
          kubectl create configmap local-censor --from-literal=cidrs=IP   # censor without telling: probes find it
          kubectl annotate proxy NAME proxyfleet.io/local-fault=daemon-down  # kill a daemon: it is replaced
        Press Ctrl-C to stop; every proxy closes.
        """,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
        env.api().url(),
        kubeconfig.toAbsolutePath());
    if (endpoints != null) {
      System.err.printf(
          "Operator metrics at http://127.0.0.1:%d/metrics (health: /healthz, /readyz)%n",
          endpoints.port());
    }
    done.await();
    return 0;
  }
}
