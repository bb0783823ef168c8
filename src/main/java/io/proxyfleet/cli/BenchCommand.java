package io.proxyfleet.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.local.LocalEnvironment;
import io.proxyfleet.operator.OperatorSettings;
import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * End-to-end benchmark of local mode: the real operator, the embedded API and real loopback proxies
 * in this JVM. Reports figures; it asserts nothing (timings belong here, not in unit tests).
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Measure fleet start-up, reaction to a blocklist change and heap use in local mode.",
    subcommands = {BlocklistBenchCommand.class, CensorBenchCommand.class})
final class BenchCommand implements Callable<Integer> {

  @Option(
      names = "--replicas",
      defaultValue = "100",
      description = "Fleet size for start-up and block reaction. Default: ${DEFAULT-VALUE}.")
  int replicas;

  @Option(
      names = "--heap-replicas",
      defaultValue = "1000",
      description = "Fleet size for the heap measurement (0 skips it). Default: ${DEFAULT-VALUE}.")
  int heapReplicas;

  @Option(
      names = "--heap-fleets",
      defaultValue = "1",
      description =
          "Fleets the heap measurement's proxies are split into (10 with --heap-replicas 10000: the 10 x 1,000 target). Default: ${DEFAULT-VALUE}.")
  int heapFleets;

  @Option(
      names = "--runs",
      defaultValue = "3",
      description =
          "Repetitions of each timing; the report shows each run and the median. Default: ${DEFAULT-VALUE}.")
  int runs;

  @Option(
      names = "--warmup",
      defaultValue = "1",
      description =
          "Runs done first and discarded, so the JIT compiler has warmed up (an operator runs for days; its first minute is not its steady state). Default: ${DEFAULT-VALUE}.")
  int warmup;

  @Option(
      names = "--reconcile-threads",
      defaultValue = "16",
      description =
          "Concurrent reconciles of the operator under test (the operator command's --reconcile-threads). Default: ${DEFAULT-VALUE}.")
  int reconcileThreads;

  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description =
          "Run against the cluster of this kubeconfig (its CRDs installed, namespace 'default') instead of the embedded API;"
              + " the operator and the loopback proxies still run in this JVM. See README: Benchmarks on a real API server.")
  java.nio.file.Path kubeconfig;

  /** Where the operator under test runs: local mode's embedded API, or a real cluster. */
  interface Target extends AutoCloseable {
    KubernetesClient client();

    int openListeners();

    @Override
    void close();
  }

  private final RequestCounter requests = new RequestCounter();

  @Override
  public Integer call() throws Exception {
    List<String> report = new ArrayList<>();
    report.add(
        String.format(
                "java %s, %d cores, max heap %d MB, API: %s",
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20,
                kubeconfig == null ? "embedded (local mode)" : "cluster of " + kubeconfig)
            + ", reconcile threads "
            + reconcileThreads
            + ", "
            + warmup
            + " warm-up run(s) discarded");
    List<Long> startup = new ArrayList<>();
    List<Long> block10 = new ArrayList<>();
    List<Long> blockAll = new ArrayList<>();
    List<String> perProxy = new ArrayList<>();
    Map<String, Long> breakdown = Map.of();
    Map<String, Long> blockBreakdown = Map.of();
    for (int run = -warmup; run < runs; run++) {
      boolean counted = run >= 0;
      try (Target env = target();
          ProxyWatch proxies = new ProxyWatch(env.client())) {
        requests.reset();
        apply(
            env,
            profileYaml() + blocklistYaml(List.of()) + fleetYaml(replicas, regionsFor(replicas)));
        long t0 = System.nanoTime();
        waitFor(() -> runningClean(proxies.all(), replicas, Set.of()), Duration.ofMinutes(5));
        long up = ms(t0);
        long launched = requests.count("fleet POST proxies");
        String fleetRequests =
            String.format(
                "%.2f (%d requests / %d proxies)",
                (double) requests.total("fleet") / Math.max(1, launched),
                requests.total("fleet"),
                launched);
        Map<String, Long> applied = requests.snapshot();
        long few = blockAndWait(env.client(), proxies, 10);
        requests.reset();
        long all = blockAndWait(env.client(), proxies, replicas);
        if (counted) {
          startup.add(up);
          perProxy.add(fleetRequests);
          breakdown = applied;
          block10.add(few);
          blockAll.add(all);
          blockBreakdown = requests.snapshot();
        }
      }
    }
    boolean local = kubeconfig == null;
    report.add(
        line(
            "apply " + replicas + "-proxy fleet -> all Running",
            startup,
            local ? "target < 5000 ms (1,000, local)" : "target < 10000 ms (1,000, real server)"));
    report.add(
        line(
            "blocklist change, 10 proxies affected -> all on clean IPs",
            block10,
            "target < 3000 ms"));
    report.add(
        line(
            "blocklist change, " + replicas + " proxies affected -> all on clean IPs",
            blockAll,
            local ? "target < 3000 ms (100, local)" : "target < 10000 ms (1,000, real server)"));
    report.add(
        String.format(
            "%-62s %s  target <= 3",
            "fleet-side API requests per proxy launched (apply)", String.join(", ", perProxy)));
    report.add("  requests during the last apply, by controller, verb and resource: " + breakdown);
    report.add(
        "  requests during the last block of "
            + replicas
            + ", by controller, verb and resource: "
            + blockBreakdown);

    if (heapReplicas > 0) {
      try (Target env = target()) {
        StringBuilder fleets = new StringBuilder(profileYaml() + blocklistYaml(List.of()));
        int fleetCount = Math.max(1, heapFleets);
        for (int f = 0; f < fleetCount; f++) {
          int size = heapReplicas / fleetCount + (f < heapReplicas % fleetCount ? 1 : 0);
          fleets
              .append(
                  fleetYaml(
                      fleetCount == 1 ? "bench" : "bench-" + f,
                      size,
                      // A local region has about 1,000 addresses: enough that none runs out.
                      Math.max(8, (heapReplicas + 599) / 600)))
              .append("---\n");
        }
        long up;
        // The bench's own cache of the proxies is closed before the heap is measured.
        try (ProxyWatch proxies = new ProxyWatch(env.client())) {
          long t0 = System.nanoTime();
          apply(env, fleets.toString());
          waitFor(
              () -> runningClean(proxies.all(), heapReplicas, Set.of()), Duration.ofMinutes(10));
          up = ms(t0);
        }
        long heap = heapAfterGc();
        report.add(
            String.format(
                "%-62s %6d MB (apply -> all Running in %d ms, %d listeners open)  target < %s",
                "heap after GC with "
                    + heapReplicas
                    + " proxies in "
                    + fleetCount
                    + " fleet(s) ("
                    + (kubeconfig == null ? "whole process" : "operator and proxies")
                    + ")",
                heap >> 20,
                up,
                env.openListeners(),
                kubeconfig == null ? "256 MB" : "512 MB; 10,000 in 10 fleets Running < 90 s"));
      }
    }
    System.out.println(String.join(System.lineSeparator(), report));
    return 0;
  }

  /** Blocks the current IPs of {@code affected} proxies and times until each runs on a clean IP. */
  private static long blockAndWait(KubernetesClient client, ProxyWatch watch, int affected)
      throws InterruptedException {
    List<Proxy> proxies = watch.all();
    List<String> ips =
        proxies.stream().limit(affected).map(p -> p.getStatus().getPublicIp()).toList();
    Set<String> blocked = Set.copyOf(ips);
    long t0 = System.nanoTime();
    setCidrs(client, ips.stream().map(ip -> ip + "/32").collect(Collectors.toList()));
    int replicas = proxies.size();
    waitFor(() -> runningClean(watch.all(), replicas, blocked), Duration.ofMinutes(2));
    long elapsed = ms(t0);
    // Reset for the next measurement.
    setCidrs(client, new ArrayList<>());
    return elapsed;
  }

  /**
   * An edit is a read and a conditional write; the operator writes the Blocklist's status in
   * between often enough to make it 409 on a loaded machine, so it is retried on a fresh read.
   */
  static void setCidrs(KubernetesClient client, List<String> cidrs) {
    for (int attempt = 1; ; attempt++) {
      try {
        client
            .resources(Blocklist.class)
            .withName("bench-manual")
            .edit(
                b -> {
                  b.getSpec().setCidrs(new ArrayList<>(cidrs));
                  return b;
                });
        return;
      } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
        if (e.getCode() != 409 || attempt >= 10) {
          throw e;
        }
      }
    }
  }

  private Target target() {
    if (kubeconfig == null) {
      LocalEnvironment env =
          LocalEnvironment.start(
              "127.0.0.1",
              0,
              settings(),
              io.javaoperatorsdk.operator.api.monitoring.Metrics.NOOP,
              requests.factory());
      return new Target() {
        @Override
        public KubernetesClient client() {
          return env.client();
        }

        @Override
        public int openListeners() {
          return env.network().openListeners();
        }

        @Override
        public void close() {
          env.close();
        }
      };
    }
    return ClusterTarget.start(kubeconfig, requests.factory(), settings());
  }

  private OperatorSettings settings() {
    OperatorSettings local = OperatorSettings.localMode("bench");
    return new OperatorSettings(
        local.cluster(),
        local.maxAddressDraws(),
        reconcileThreads,
        local.clock(),
        local.names(),
        local.secrets(),
        local.sourceAccess());
  }

  private static boolean runningClean(List<Proxy> proxies, int replicas, Set<String> blocked) {
    long ok =
        proxies.stream()
            .filter(
                p ->
                    p.getMetadata().getDeletionTimestamp() == null
                        && p.getStatus() != null
                        && p.getStatus().getPhase() == ProxyPhase.Running
                        && p.getStatus().getPublicIp() != null
                        && !blocked.contains(p.getStatus().getPublicIp())
                        && p.getStatus().getBlockedBy() == null)
            .count();
    return ok == replicas && proxies.size() == replicas;
  }

  /**
   * The bench's view of the proxies: one list and a watch, read in memory. Polling a full list
   * every few milliseconds instead cost the API server as much as the operator under test did (88
   * lists of 1,000 proxies during one apply), so the bench measured partly itself.
   */
  static final class ProxyWatch implements AutoCloseable {
    private final SharedIndexInformer<Proxy> informer;

    ProxyWatch(KubernetesClient client) {
      informer = client.resources(Proxy.class).inNamespace("default").inform();
    }

    List<Proxy> all() {
      return informer.getStore().list();
    }

    @Override
    public void close() {
      informer.close();
    }
  }

  static void waitFor(BooleanSupplier condition, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline)
        throw new IllegalStateException("timed out after " + timeout);
      Thread.sleep(10);
    }
  }

  private static long heapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static void apply(Target env, String yaml) {
    apply(env.client(), yaml);
  }

  /** Creates or updates every object of a multi-document YAML. */
  static void apply(KubernetesClient client, String yaml) {
    for (var item :
        client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
      client.resource(item).createOr(io.fabric8.kubernetes.client.dsl.NonDeletingOperation::update);
    }
  }

  private static String line(String what, List<Long> values, String target) {
    List<Long> sorted = values.stream().sorted().toList();
    return String.format(
        "%-62s %6d ms (runs: %s)  %s",
        what,
        sorted.get(sorted.size() / 2),
        values.stream().map(String::valueOf).collect(Collectors.joining(", ")),
        target);
  }

  private static long ms(long t0) {
    return Duration.ofNanos(System.nanoTime() - t0).toMillis();
  }

  static String profileYaml() {
    return """
        apiVersion: proxyfleet.io/v1alpha1
        kind: CloudProfile
        metadata: {name: local, namespace: default}
        spec: {provider: local, local: {subnetsPerRegion: 4}}
        ---
        """;
  }

  static String blocklistYaml(List<String> cidrs) {
    return "apiVersion: proxyfleet.io/v1alpha1\nkind: Blocklist\nmetadata: {name: bench-manual}\nspec: {cidrs: "
        + cidrs
        + "}\n---\n";
  }

  /**
   * Regions for the main runs' fleet: a local region has about 1,000 addresses, and a block of
   * every proxy blocks a quarter of each region's with 250 proxies a region (as 1,000 in 4 regions
   * always did). More per region and the fleet rightly avoids regions that much blocked.
   */
  static int regionsFor(int replicas) {
    return Math.max(4, (replicas + 249) / 250);
  }

  static String fleetYaml(int replicas, int regions) {
    return fleetYaml("bench", replicas, regions);
  }

  static String fleetYaml(String name, int replicas, int regions) {
    String list =
        java.util.stream.IntStream.rangeClosed(1, regions)
            .mapToObj(r -> "local-" + (100 + r))
            .collect(Collectors.joining(", "));
    return """
        apiVersion: proxyfleet.io/v1alpha1
        kind: ProxyFleet
        metadata: {name: %s, namespace: default}
        spec:
          replicas: %d
          protocol: socks5
          port: 1080
          placement: [{cloudProfile: local, regions: [%s]}]
          blocklists: [bench-manual]
        """
        .formatted(name, replicas, list);
  }
}
