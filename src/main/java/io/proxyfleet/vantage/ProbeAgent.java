package io.proxyfleet.vantage;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.proxyfleet.api.ApiGroup;
import io.proxyfleet.api.Durations;
import io.proxyfleet.api.Protocol;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyStatus;
import io.proxyfleet.api.Vantage;
import io.proxyfleet.api.VantageResult;
import io.proxyfleet.api.VantageSpec;
import io.proxyfleet.api.VantageStatus;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.probe.ProbeOutcome;
import io.proxyfleet.probe.ProbeResult;
import io.proxyfleet.probe.ProxyProbe;
import io.proxyfleet.secrets.FleetSecrets;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes the proxies of a vantage's fleets from where it runs and reports compact results in the
 * vantage's status. It reads only what its shipped Role allows: Proxies in its namespace, the
 * credentials Secrets of its fleets by name, and its own Vantage. A report is written when the
 * results change (outcomes, addresses or failed rounds; never latencies alone), and besides that
 * every {@link #HEARTBEAT} so the operator can tell an unchanged vantage from a silent one.
 */
public final class ProbeAgent implements AutoCloseable {

  /** Longest time between two reports while the agent runs. */
  public static final Duration HEARTBEAT = Duration.ofMinutes(5);

  private static final Logger LOG = LoggerFactory.getLogger(ProbeAgent.class);

  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  private final InetAddress source;
  private final ProxyProbe.Target target;
  private final Clock clock;
  private final ExecutorService pool;
  private Map<String, VantageResult> reported = Map.of();
  private Instant lastReport = Instant.MIN;

  public ProbeAgent(
      KubernetesClient client,
      String namespace,
      String name,
      InetAddress source,
      ProxyProbe.Target target,
      int concurrency,
      Clock clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.namespace = Objects.requireNonNull(namespace, "namespace");
    this.name = Objects.requireNonNull(name, "name");
    this.source = source;
    this.target = Objects.requireNonNull(target, "target");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be at least 1");
    }
    this.pool =
        Executors.newFixedThreadPool(
            concurrency,
            r -> {
              Thread t = new Thread(r, "probe");
              t.setDaemon(true);
              return t;
            });
  }

  /** What one round did. */
  public record Round(int probed, int reachable, boolean reported, Duration interval) {}

  /** Probes every proxy once and reports if something changed or the heartbeat is due. */
  public Round runOnce() throws InterruptedException {
    Vantage vantage = client.resources(Vantage.class).inNamespace(namespace).withName(name).get();
    if (vantage == null) {
      throw new IllegalStateException(
          "Vantage "
              + namespace
              + "/"
              + name
              + " not found; create it first (kubectl apply -f vantage.yaml)");
    }
    VantageSpec spec = vantage.getSpec();
    Duration interval = Durations.parse(spec.getReportInterval());
    Duration timeout = Durations.parse(spec.getProbeTimeout());
    ProxyProbe probe = new ProxyProbe(timeout, source, target, clock);

    List<Proxy> proxies = new ArrayList<>();
    for (String fleet : spec.getFleets()) {
      client
          .resources(Proxy.class)
          .inNamespace(namespace)
          .withLabel(ApiGroup.FLEET_LABEL, fleet)
          .list()
          .getItems()
          .stream()
          .filter(
              p ->
                  p.getStatus() != null
                      && p.getStatus().getPublicIp() != null
                      && p.getMetadata().getDeletionTimestamp() == null)
          .forEach(proxies::add);
    }
    proxies.sort(Comparator.comparing(p -> p.getMetadata().getName()));
    if (proxies.size() > VantageSpec.MAX_RESULTS) {
      LOG.warn(
          "{} proxies to probe; reporting the first {} (the Vantage status bound)",
          proxies.size(),
          VantageSpec.MAX_RESULTS);
      proxies = proxies.subList(0, VantageSpec.MAX_RESULTS);
    }
    Map<String, Optional<Secret>> secrets = new HashMap<>();
    List<Future<ProbeResult>> running = new ArrayList<>();
    List<Proxy> probed = new ArrayList<>();
    for (Proxy proxy : proxies) {
      Optional<ProxyCredentials> credentials =
          secrets
              .computeIfAbsent(
                  proxy.getSpec().getCredentialsSecret(),
                  s ->
                      Optional.ofNullable(
                          client.secrets().inNamespace(namespace).withName(s).get()))
              .flatMap(secret -> FleetSecrets.forProxy(secret, proxy));
      Optional<Protocol> protocol = Protocol.fromWireName(proxy.getSpec().getProtocol());
      if (credentials.isEmpty() || protocol.isEmpty()) {
        LOG.warn(
            "Skipping proxy {}: its credentials Secret '{}' or protocol cannot be read",
            proxy.getMetadata().getName(),
            proxy.getSpec().getCredentialsSecret());
        continue;
      }
      ProxyStatus status = proxy.getStatus();
      InetSocketAddress address =
          new InetSocketAddress(status.getPublicIp(), proxy.getSpec().getPort());
      probed.add(proxy);
      running.add(pool.submit(() -> probe.probe(protocol.get(), address, credentials.get())));
    }
    Map<String, VantageResult> results = new java.util.TreeMap<>();
    int reachable = 0;
    for (int i = 0; i < probed.size(); i++) {
      ProbeResult result;
      try {
        result = running.get(i).get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        result =
            new ProbeResult(ProbeOutcome.TIMEOUT, timeout, clock.instant(), "probe did not finish");
      }
      Proxy proxy = probed.get(i);
      VantageResult r =
          next(
              reported.get(proxy.getMetadata().getName()),
              proxy.getMetadata().getName(),
              proxy.getStatus().getPublicIp(),
              result);
      results.put(r.getProxy(), r);
      reachable += result.outcome().answered() ? 1 : 0;
    }
    Instant now = clock.instant();
    boolean changed = !sameIgnoringLatency(reported, results);
    boolean heartbeat = !lastReport.plus(HEARTBEAT).isAfter(now);
    if (changed || heartbeat) {
      report(vantage, results, reachable, now);
      reported = results;
      lastReport = now;
    }
    return new Round(probed.size(), reachable, changed || heartbeat, interval);
  }

  /** Runs rounds until interrupted; a failed round is logged and retried after the interval. */
  public void run() {
    Duration interval = Duration.ofSeconds(30);
    while (!Thread.currentThread().isInterrupted()) {
      try {
        Round round = runOnce();
        interval = round.interval();
        LOG.info(
            "Probed {} proxies, {} reachable{}",
            round.probed(),
            round.reachable(),
            round.reported() ? "; reported" : "");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.warn("Probe round failed: {}", e.getMessage());
      }
      try {
        Thread.sleep(interval.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  static VantageResult next(VantageResult previous, String proxy, String ip, ProbeResult result) {
    VantageResult r = new VantageResult();
    r.setProxy(proxy);
    r.setIp(ip);
    r.setOutcome(wire(result.outcome()));
    r.setLatencyMs((int) Math.min(600_000, Math.round(result.latency().toMillis() / 10.0) * 10));
    int before = previous != null && ip.equals(previous.getIp()) ? previous.getFailedRounds() : 0;
    r.setFailedRounds(
        result.outcome().answered() ? 0 : Math.min(VantageResult.MAX_FAILED_ROUNDS, before + 1));
    return r;
  }

  /** The API's spelling of an outcome: Passed, AuthRefused, ... */
  public static String wire(ProbeOutcome outcome) {
    StringBuilder s = new StringBuilder();
    for (String part : outcome.name().split("_")) {
      s.append(part.charAt(0)).append(part.substring(1).toLowerCase(java.util.Locale.ROOT));
    }
    return s.toString();
  }

  /** The outcome a report names, if it names one. */
  public static Optional<ProbeOutcome> outcome(String wire) {
    for (ProbeOutcome o : ProbeOutcome.values()) {
      if (wire(o).equals(wire)) {
        return Optional.of(o);
      }
    }
    return Optional.empty();
  }

  private static boolean sameIgnoringLatency(
      Map<String, VantageResult> a, Map<String, VantageResult> b) {
    if (!a.keySet().equals(b.keySet())) {
      return false;
    }
    for (Map.Entry<String, VantageResult> e : a.entrySet()) {
      VantageResult x = e.getValue();
      VantageResult y = b.get(e.getKey());
      if (!x.getIp().equals(y.getIp())
          || !x.getOutcome().equals(y.getOutcome())
          || !x.getFailedRounds().equals(y.getFailedRounds())) {
        return false;
      }
    }
    return true;
  }

  private void report(
      Vantage vantage, Map<String, VantageResult> results, int reachable, Instant now) {
    VantageStatus status = new VantageStatus();
    status.setLastReportTime(now.truncatedTo(ChronoUnit.SECONDS).toString());
    status.setResults(new ArrayList<>(results.values()));
    status.setReachable(reachable);
    status.setUnreachable(results.size() - reachable);
    Condition reporting =
        new ConditionBuilder()
            .withType("Reporting")
            .withStatus("True")
            .withReason("Probing")
            .withMessage(
                "Probed "
                    + results.size()
                    + " proxies of "
                    + String.join(", ", vantage.getSpec().getFleets()))
            .withObservedGeneration(vantage.getMetadata().getGeneration())
            .withLastTransitionTime(
                Optional.ofNullable(vantage.getStatus())
                    .flatMap(
                        s ->
                            s.getConditions().stream()
                                .filter(
                                    c ->
                                        "Reporting".equals(c.getType())
                                            && "True".equals(c.getStatus()))
                                .findFirst())
                    .map(Condition::getLastTransitionTime)
                    .orElse(now.truncatedTo(ChronoUnit.SECONDS).toString()))
            .build();
    status.getConditions().add(reporting);
    // The list is replaced whole by a merge patch: keep what the operator wrote (Accepted).
    Optional.ofNullable(vantage.getStatus())
        .ifPresent(
            s ->
                s.getConditions().stream()
                    .filter(c -> !"Reporting".equals(c.getType()))
                    .forEach(status.getConditions()::add));
    Vantage patch = new Vantage();
    patch.setStatus(status);
    // A merge patch of the status subresource: lists are replaced whole, and nothing but status is
    // sent.
    client
        .resources(Vantage.class)
        .inNamespace(namespace)
        .withName(name)
        .subresource("status")
        .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
