package io.proxyfleet.cli;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.proxyfleet.api.ApiGroup;
import io.proxyfleet.api.Protocol;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.local.LocalEnvironment;
import io.proxyfleet.local.LocalWorld;
import io.proxyfleet.operator.OperatorSettings;
import io.proxyfleet.probe.ProxyProbe;
import io.proxyfleet.secrets.FleetSecrets;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A censor that blocks without publishing, measured in local mode: the real operator, its checks,
 * the built-in vantage's agent and the loopback censor, all in this JVM. Each run censors one more
 * published proxy's address (the ConfigMap {@code local-censor}, as the README walk-through does)
 * and times detection (until the Proxy shows the block) and recovery (until it serves on a clean
 * address that passed its checks and is in the endpoints Secret). Then it counts what one check
 * costs on the wire. Reports figures; it asserts nothing.
 */
@Command(
    name = "censor",
    mixinStandardHelpOptions = true,
    description =
        "Measure, in local mode, detection and recovery of blocks nobody publishes, and the checks' traffic.")
final class CensorBenchCommand implements Callable<Integer> {

  static final String FLEET = "censor-bench";

  @Option(
      names = "--runs",
      defaultValue = "5",
      description =
          "Addresses censored one after another; the report shows each and the median. Default: ${DEFAULT-VALUE}.")
  int runs;

  @Option(
      names = "--replicas",
      defaultValue = "3",
      description = "Fleet size. Default: ${DEFAULT-VALUE}.")
  int replicas;

  @Option(
      names = "--health-interval",
      defaultValue = "5s",
      description = "The fleet's spec.health.interval. Default: ${DEFAULT-VALUE}.")
  String healthInterval;

  @Option(
      names = "--report-interval",
      defaultValue = "10s",
      description = "The vantage's spec.reportInterval (at least 10s). Default: ${DEFAULT-VALUE}.")
  String reportInterval;

  @Option(
      names = "--confirm-rounds",
      defaultValue = "2",
      description = "The fleet's spec.probes.confirmRounds. Default: ${DEFAULT-VALUE}.")
  int confirmRounds;

  @Option(
      names = "--traffic-probes",
      defaultValue = "50",
      description = "Checks per protocol for the traffic count. Default: ${DEFAULT-VALUE}.")
  int trafficProbes;

  @Override
  public Integer call() throws Exception {
    List<String> report = new ArrayList<>();
    report.add(
        String.format(
            "java %s, %d cores; fleet of %d socks5 proxies, health interval %s, vantage report interval %s, confirm rounds %d",
            System.getProperty("java.version"),
            Runtime.getRuntime().availableProcessors(),
            replicas,
            healthInterval,
            reportInterval,
            confirmRounds));
    try (LocalEnvironment env =
            LocalEnvironment.start("127.0.0.1", 0, OperatorSettings.localMode("bench"));
        LocalWorld world = LocalWorld.start(env, Clock.systemUTC())) {
      KubernetesClient client = env.client();
      BenchCommand.apply(
          client,
          BenchCommand.profileYaml()
              + fleetYaml(FLEET, "socks5", replicas)
              + fleetYaml(FLEET + "-http", "http", 1)
              + vantageYaml());
      BenchCommand.waitFor(
          () -> ready(client, FLEET, replicas) && ready(client, FLEET + "-http", 1),
          Duration.ofMinutes(3));

      List<Long> detection = new ArrayList<>();
      List<Long> recovery = new ArrayList<>();
      List<String> censored = new ArrayList<>();
      for (int run = 0; run < runs; run++) {
        Proxy victim = proxies(client, FLEET).get(run % replicas);
        String name = victim.getMetadata().getName();
        String ip = victim.getStatus().getPublicIp();
        censored.add(ip);
        long t0 = System.nanoTime();
        censor(client, censored);
        BenchCommand.waitFor(() -> foundOut(client, name, ip), Duration.ofMinutes(5));
        detection.add(ms(t0));
        BenchCommand.waitFor(
            () -> servingElsewhere(client, name, ip) && ready(client, FLEET, replicas),
            Duration.ofMinutes(5));
        recovery.add(ms(t0));
      }
      report.add(line("censor change -> Proxy shows the block (detection)", detection));
      report.add(
          line("censor change -> serving on a clean, checked, published IP (recovery)", recovery));

      report.add(traffic(client, FLEET, Protocol.SOCKS5));
      report.add(traffic(client, FLEET + "-http", Protocol.HTTP));
    }
    System.out.println(String.join(System.lineSeparator(), report));
    return 0;
  }

  /**
   * Payload bytes and socket writes/reads of one check, measured against the fleet's real daemons
   * with the same probe code the operator and the agents run; TCP/IP headers are added by count (52
   * bytes per segment: IPv4 20 + TCP 20 + timestamps 12; handshake 3 segments, close 4, an ACK per
   * data segment), since a capture needs privileges a benchmark should not.
   */
  private String traffic(KubernetesClient client, String fleet, Protocol protocol) {
    ProxyProbe probe =
        new ProxyProbe(
            Duration.ofSeconds(2), null, new ProxyProbe.Target("127.0.0.1", 9), Clock.systemUTC());
    ProxyFleet f = client.resources(ProxyFleet.class).inNamespace("default").withName(fleet).get();
    Secret credentials =
        client.secrets().inNamespace("default").withName(FleetSecrets.credentialsName(f)).get();
    int passed = 0;
    for (int i = 0; i < trafficProbes; i++) {
      for (Proxy p : proxies(client, fleet)) {
        var result =
            probe.probe(
                protocol,
                new InetSocketAddress(p.getStatus().getPublicIp(), p.getSpec().getPort()),
                FleetSecrets.forProxy(credentials, p).orElseThrow());
        passed += result.passed() ? 1 : 0;
      }
    }
    ProxyProbe.Traffic t = probe.traffic();
    double payload = (double) (t.bytesSent() + t.bytesReceived()) / t.probes();
    double segments = 3 + 4 + 2.0 * (t.writes() + t.reads()) / t.probes();
    double perCheck = payload + 52 * segments;
    double perHour = perCheck * 3600 / durationSeconds(healthInterval);
    double perHourAtDefault = perCheck * 3600 / 30;
    return String.format(
        "%-72s %.0f B sent + %.0f B received payload, ~%.0f segments, ~%.0f B on the wire per check;"
            + " per proxy per hour %.1f KB at %s, %.1f KB at the default 30s, from the operator and as much again per live vantage"
            + " (%d of %d checks passed)",
        "traffic of one " + protocol.wireName() + " check",
        (double) t.bytesSent() / t.probes(),
        (double) t.bytesReceived() / t.probes(),
        segments,
        perCheck,
        perHour / 1000,
        healthInterval,
        perHourAtDefault / 1000,
        passed,
        t.probes());
  }

  private static double durationSeconds(String value) {
    return io.proxyfleet.api.Durations.parse(value).toMillis() / 1000.0;
  }

  private static void censor(KubernetesClient client, List<String> addresses) {
    client
        .configMaps()
        .inNamespace("default")
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName(LocalWorld.CENSOR_CONFIGMAP)
                .withNamespace("default")
                .endMetadata()
                .addToData(LocalWorld.CENSOR_KEY, String.join("\n", addresses))
                .build())
        .createOr(NonDeletingOperation::update);
  }

  /**
   * The Proxy shows its address is blocked: from the vantages' report, its learned list, or already
   * a new address.
   */
  private static boolean foundOut(KubernetesClient client, String name, String ip) {
    Proxy p = client.resources(Proxy.class).inNamespace("default").withName(name).get();
    if (p == null || p.getStatus() == null) {
      return false;
    }
    boolean reported =
        p.getStatus().getConditions().stream()
            .anyMatch(
                c ->
                    "Reachable".equals(c.getType())
                        && "UnreachableFromVantage".equals(c.getReason()));
    return reported
        || p.getStatus().getBlockedBy() != null
        || !ip.equals(p.getStatus().getPublicIp());
  }

  private static boolean servingElsewhere(KubernetesClient client, String name, String ip) {
    Proxy p = client.resources(Proxy.class).inNamespace("default").withName(name).get();
    if (p == null || p.getStatus() == null || p.getStatus().getPhase() != ProxyPhase.Running) {
      return false;
    }
    String now = p.getStatus().getPublicIp();
    if (now == null || now.equals(ip) || !now.equals(p.getStatus().getReachableIp())) {
      return false;
    }
    String published = endpoints(client, FLEET);
    return published.contains("\"" + now + "\"") || published.contains(now + ":");
  }

  private static String endpoints(KubernetesClient client, String fleet) {
    Secret s = client.secrets().inNamespace("default").withName(fleet + "-endpoints").get();
    return s == null || s.getData() == null
        ? ""
        : Optional.ofNullable(s.getData().get(FleetSecrets.ENDPOINTS_KEY))
            .map(v -> new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8))
            .orElse("");
  }

  private static boolean ready(KubernetesClient client, String fleet, int replicas) {
    ProxyFleet f = client.resources(ProxyFleet.class).inNamespace("default").withName(fleet).get();
    return f != null
        && f.getStatus() != null
        && f.getStatus().getReadyReplicas() != null
        && f.getStatus().getReadyReplicas() == replicas
        && proxies(client, fleet).size() == replicas;
  }

  private static List<Proxy> proxies(KubernetesClient client, String fleet) {
    return client
        .resources(Proxy.class)
        .inNamespace("default")
        .withLabel(ApiGroup.FLEET_LABEL, fleet)
        .list()
        .getItems()
        .stream()
        .filter(
            p ->
                p.getMetadata().getDeletionTimestamp() == null
                    && p.getStatus() != null
                    && p.getStatus().getPublicIp() != null)
        .sorted(java.util.Comparator.comparing(p -> p.getMetadata().getName()))
        .toList();
  }

  private String fleetYaml(String name, String protocol, int n) {
    return """
        apiVersion: proxyfleet.io/v1alpha1
        kind: ProxyFleet
        metadata: {name: %s, namespace: default}
        spec:
          replicas: %d
          protocol: %s
          port: %d
          placement: [{cloudProfile: local, regions: [local-101, local-102]}]
          health: {interval: %s, grace: 2m, timeout: 2s}
          probes: {confirmRounds: %d}
        ---
        """
        .formatted(
            name,
            n,
            protocol,
            "http".equals(protocol) ? 3128 : 1080,
            healthInterval,
            confirmRounds);
  }

  private String vantageYaml() {
    return """
        apiVersion: proxyfleet.io/v1alpha1
        kind: Vantage
        metadata: {name: inside, namespace: default}
        spec:
          network: {country: RU, asn: 12389}
          fleets: [%s, %s-http]
          reportInterval: %s
          probeTimeout: 1s
        """
        .formatted(FLEET, FLEET, reportInterval);
  }

  private static String line(String what, List<Long> values) {
    List<Long> sorted = values.stream().sorted().toList();
    return String.format(
        "%-72s median %6d ms (runs: %s)",
        what,
        sorted.get(sorted.size() / 2),
        values.stream().map(String::valueOf).collect(Collectors.joining(", ")));
  }

  private static long ms(long t0) {
    return Duration.ofNanos(System.nanoTime() - t0).toMillis();
  }
}
