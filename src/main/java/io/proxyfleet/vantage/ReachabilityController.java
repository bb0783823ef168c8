package io.proxyfleet.vantage;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.BlocklistSpec;
import io.proxyfleet.api.Durations;
import io.proxyfleet.api.HealthSpec;
import io.proxyfleet.api.ProbesSpec;
import io.proxyfleet.api.Protocol;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.api.Vantage;
import io.proxyfleet.api.VantageResult;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.events.EventRecorder;
import io.proxyfleet.probe.ProbeClassifier;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides from evidence whether each proxy is reachable: checks every Running proxy's daemon from
 * the operator's own vantage every {@code spec.health.interval}, reads what the fleet's Vantages
 * inside the censored network report, classifies ({@link ProbeClassifier}) and acts:
 *
 * <ul>
 *   <li>writes the Proxy's {@code Reachable} condition (True only when publishable: checked from
 *       outside and, where vantages are live, reached from inside once);
 *   <li>an address blocked from inside goes into the fleet's learned Blocklist, which the fleet
 *       uses like any other, so rotation follows {@code rotation.onBlocked} and its budget; a /24
 *       where {@code probes.rangeThreshold} addresses were blocked goes there too;
 *   <li>a proxy failing from outside past {@code health.grace} is deleted, so the fleet replaces it
 *       with a new VM (never a new IP: the daemon is the problem) — unless half the fleet fails at
 *       once, which points at the operator's own network, and nothing is deleted.
 * </ul>
 *
 * Only the leader runs it. Results live in memory; a new leader re-checks before acting, because
 * the grace and the confirmation rounds start again.
 */
public final class ReachabilityController implements AutoCloseable {

  /** Condition type on a Proxy. */
  public static final String REACHABLE = "Reachable";

  /** How long a Vantage may stay silent beyond its heartbeat before its results are ignored. */
  static final Duration SILENCE_ALLOWANCE = Duration.ofMinutes(1);

  private static final int HISTORY = 16;
  private static final Logger LOG = LoggerFactory.getLogger(ReachabilityController.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;
  private final EventRecorder events;
  private final Clock clock;
  private final InetAddress source;
  private final ProxyProbe.Target target;
  private final Set<String> namespaces;
  private final ExecutorService pool;

  /** Outside results per proxy UID, for its current address only. */
  private final Map<String, History> outside = new ConcurrentHashMap<>();

  private final Set<String> reportedBlocked = ConcurrentHashMap.newKeySet();
  private volatile ClusterReads reads;
  private volatile ReachabilityObserver observer = ReachabilityObserver.NONE;

  /**
   * Proxies found blocked from inside, by UID: the address and the first failed inside probe, until
   * they serve elsewhere.
   */
  private final Map<String, FirstFailure> blockedFromInside = new ConcurrentHashMap<>();

  private record FirstFailure(String ip, Instant at) {}

  private record History(String ip, Deque<ProbeResult> results) {}

  /** What one pass did, for tests and logs. */
  public record Pass(int checked, int blocked, int unhealthy, int replaced, List<String> learned) {}

  /**
   * @param namespaces the namespaces to watch (empty: all)
   * @param source the address to check from (null: the system's choice)
   */
  public ReachabilityController(
      KubernetesClient client,
      EventRecorder events,
      Clock clock,
      InetAddress source,
      ProxyProbe.Target target,
      int concurrency,
      Set<String> namespaces) {
    this.client = Objects.requireNonNull(client, "client");
    this.events = Objects.requireNonNull(events, "events");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.source = source;
    this.target = Objects.requireNonNull(target, "target");
    this.namespaces = Set.copyOf(namespaces);
    this.reads = ClusterReads.api(client, this.namespaces);
    this.pool =
        Executors.newFixedThreadPool(
            concurrency,
            r -> {
              Thread t = new Thread(r, "proxyfleet-health");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Reads fleets, Proxies, Vantages and credentials from {@code reads} from now on (the operator's
   * caches).
   */
  public void readFrom(ClusterReads reads) {
    this.reads = Objects.requireNonNull(reads, "reads");
  }

  /** Tells {@code observer} what the checks see (metrics). */
  public void observe(ReachabilityObserver observer) {
    this.observer = Objects.requireNonNull(observer, "observer");
  }

  /** One pass over every fleet: check what is due, classify, act. */
  public Pass pass() throws InterruptedException {
    int checked = 0, blocked = 0, unhealthy = 0, replaced = 0;
    List<String> learnedNow = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    Map<String, Map<String, ProxyFleet>> fleetsByNamespace = new HashMap<>();
    Map<String, Set<String>> proxyNamesByFleet = new HashMap<>();
    ClusterReads reads = this.reads;
    for (ProxyFleet fleet : reads.fleets()) {
      HealthSpec health =
          Optional.ofNullable(fleet.getSpec().getHealth()).orElseGet(HealthSpec::new);
      if (!Boolean.TRUE.equals(health.getEnabled())
          || fleet.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      String ns = fleet.getMetadata().getNamespace();
      String name = fleet.getMetadata().getName();
      fleetsByNamespace.computeIfAbsent(ns, k -> new HashMap<>()).put(name, fleet);
      Duration interval = Durations.parse(health.getInterval());
      ProbesSpec probes =
          Optional.ofNullable(fleet.getSpec().getProbes()).orElseGet(ProbesSpec::new);
      ProbeClassifier classifier =
          new ProbeClassifier(
              new ProbeClassifier.Settings(
                  probes.getMinVantages(),
                  probes.getConfirmRounds(),
                  Durations.parse(health.getGrace()),
                  interval.multipliedBy(3).plus(SILENCE_ALLOWANCE)));
      ProxyProbe probe =
          new ProxyProbe(Durations.parse(health.getTimeout()), source, target, clock);
      List<Proxy> owned = reads.proxiesOf(fleet);
      proxyNamesByFleet.put(
          ns + "/" + name,
          owned.stream()
              .map(p -> p.getMetadata().getName())
              .collect(java.util.stream.Collectors.toSet()));
      List<Proxy> proxies =
          owned.stream()
              .filter(
                  p ->
                      p.getMetadata().getDeletionTimestamp() == null
                          && p.getStatus() != null
                          && p.getStatus().getPhase() == ProxyPhase.Running
                          && p.getStatus().getPublicIp() != null)
              .toList();
      Secret secret = reads.credentials(fleet).orElse(null);
      Instant now = clock.instant();

      // Check from outside what is due: a new address at once, the others every interval.
      Map<Proxy, Future<ProbeResult>> running = new HashMap<>();
      for (Proxy proxy : proxies) {
        seen.add(proxy.getMetadata().getUid());
        History h = outside.get(proxy.getMetadata().getUid());
        boolean due =
            h == null
                || !h.ip().equals(proxy.getStatus().getPublicIp())
                || h.results().isEmpty()
                || !h.results().peekLast().at().plus(interval).isAfter(now);
        Optional<ProxyCredentials> credentials =
            secret == null ? Optional.empty() : FleetSecrets.forProxy(secret, proxy);
        Optional<Protocol> protocol = Protocol.fromWireName(proxy.getSpec().getProtocol());
        if (due && credentials.isPresent() && protocol.isPresent()) {
          InetSocketAddress address =
              new InetSocketAddress(proxy.getStatus().getPublicIp(), proxy.getSpec().getPort());
          running.put(
              proxy, pool.submit(() -> probe.probe(protocol.get(), address, credentials.get())));
        }
      }
      for (Map.Entry<Proxy, Future<ProbeResult>> e : running.entrySet()) {
        ProbeResult result;
        try {
          result =
              e.getValue()
                  .get(
                      Durations.parse(health.getTimeout()).toMillis() + 5_000,
                      TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException
            | java.util.concurrent.TimeoutException ex) {
          result =
              new ProbeResult(
                  ProbeOutcome.TIMEOUT, Duration.ZERO, clock.instant(), "check did not finish");
        }
        record(e.getKey(), result);
        observer.checked(result.outcome());
        checked++;
      }

      // What the vantages inside say.
      List<Vantage> vantages = reads.vantagesIn(ns);
      Evidence evidence = evidence(vantages, name, now);
      Map<Proxy, ProbeClassifier.Verdict> verdicts = new java.util.LinkedHashMap<>();
      for (Proxy proxy : proxies) {
        History h = outside.get(proxy.getMetadata().getUid());
        if (h == null || !h.ip().equals(proxy.getStatus().getPublicIp())) {
          continue;
        }
        verdicts.put(
            proxy,
            classifier.classify(
                new ProbeClassifier.Observation(
                    List.copyOf(h.results()),
                    evidence.forAddress(proxy.getMetadata().getName(), h.ip()),
                    evidence.live()),
                now));
      }
      long failing =
          verdicts.values().stream()
              .filter(v -> v.kind() == ProbeClassifier.Kind.UNHEALTHY)
              .count();
      // Half the fleet down from outside at once is more likely our own network than theirs.
      boolean holdReplacements = verdicts.size() >= 2 && failing * 2 >= verdicts.size();
      if (holdReplacements && failing > 0) {
        events.warning(
            fleet,
            "HealthChecksFailing",
            failing
                + " of "
                + verdicts.size()
                + " proxies fail checks from the operator at once; replacing none until fewer do (check the operator's own network)");
      }
      LearnedBlocks learned = null;
      for (Map.Entry<Proxy, ProbeClassifier.Verdict> e : verdicts.entrySet()) {
        Proxy proxy = e.getKey();
        ProbeClassifier.Verdict v = e.getValue();
        setCondition(proxy, v);
        String uid = proxy.getMetadata().getUid();
        String ip = proxy.getStatus().getPublicIp();
        FirstFailure found = blockedFromInside.get(uid);
        if (found != null && v.publishable() && !found.ip().equals(ip)) {
          observer.servingAgain(Duration.between(found.at(), now));
          blockedFromInside.remove(uid);
        }
        switch (v.kind()) {
          case BLOCKED -> {
            blocked++;
            blockedFromInside.computeIfAbsent(
                uid,
                k ->
                    new FirstFailure(
                        ip,
                        firstFailure(evidence.forAddress(proxy.getMetadata().getName(), ip), now)));
            if (learned == null) {
              learned = readLearned(ns, name);
            }
            Optional<String> range =
                learned.learn(
                    ip,
                    now.plus(Durations.parse(probes.getLearnedTTL())),
                    probes.getRangeThreshold());
            range.ifPresent(learnedNow::add);
            if (reportedBlocked.add(proxy.getMetadata().getUid() + "/" + ip)) {
              events.warning(
                  proxy,
                  "UnreachableFromVantage",
                  ip
                      + " is "
                      + v.detail()
                      + "; learned as blocked"
                      + range.map(r -> ", and with it " + r).orElse(""));
            }
          }
          case UNHEALTHY -> {
            unhealthy++;
            // Deleted once the Proxy shows why (its Reachable condition says Unhealthy), so the
            // evidence is on record for kubectl describe and the detection metrics.
            if (!holdReplacements && markedUnhealthy(proxy)) {
              events.warning(proxy, "Unhealthy", "Replacing: " + v.detail());
              client.resource(proxy).delete();
              outside.remove(proxy.getMetadata().getUid());
              replaced++;
            }
          }
          default -> {}
        }
      }
      if (learned != null) {
        writeLearned(ns, name, learned, now);
      }
    }
    outside.keySet().retainAll(seen);
    blockedFromInside.keySet().retainAll(seen);
    // Keys are "<uid>/<ip>": forget the proxies that are gone, so the set stays as small as the
    // fleets.
    reportedBlocked.removeIf(k -> !seen.contains(k.substring(0, k.indexOf('/'))));
    Map<String, ReachabilityObserver.VantageReport> reports = new java.util.TreeMap<>();
    fleetsByNamespace.forEach(
        (ns, fleets) ->
            judgeVantages(
                ns, reads.vantagesIn(ns), fleets, proxyNamesByFleet, clock.instant(), reports));
    observer.vantages(reports);
    return new Pass(checked, blocked, unhealthy, replaced, learnedNow);
  }

  private static boolean markedUnhealthy(Proxy proxy) {
    return proxy.getStatus().getConditions().stream()
        .anyMatch(c -> REACHABLE.equals(c.getType()) && "Unhealthy".equals(c.getReason()));
  }

  /** The earliest failed inside probe among the vantages' results for one address. */
  private static Instant firstFailure(Map<String, List<ProbeResult>> inside, Instant now) {
    return inside.values().stream()
        .flatMap(List::stream)
        .filter(r -> !r.outcome().answered())
        .map(ProbeResult::at)
        .min(java.util.Comparator.naturalOrder())
        .orElse(now);
  }

  private void record(Proxy proxy, ProbeResult result) {
    outside.compute(
        proxy.getMetadata().getUid(),
        (uid, h) -> {
          History next =
              h != null && h.ip().equals(proxy.getStatus().getPublicIp())
                  ? h
                  : new History(proxy.getStatus().getPublicIp(), new ArrayDeque<>());
          next.results().addLast(result);
          while (next.results().size() > HISTORY) {
            next.results().removeFirst();
          }
          return next;
        });
  }

  /** The vantages of a fleet and what they report, as classifier input. */
  record Evidence(Map<String, Map<String, List<ProbeResult>>> byProxy, Set<String> live) {
    Map<String, List<ProbeResult>> forAddress(String proxy, String ip) {
      Map<String, List<ProbeResult>> all = byProxy.getOrDefault(proxy + "|" + ip, Map.of());
      return all;
    }
  }

  Evidence evidence(List<Vantage> vantages, String fleet, Instant now) {
    Map<String, Map<String, List<ProbeResult>>> byProxy = new HashMap<>();
    Set<String> live = new HashSet<>();
    for (Vantage vantage : vantages) {
      if (vantage.getSpec() == null
          || !vantage.getSpec().getFleets().contains(fleet)
          || vantage.getStatus() == null) {
        continue;
      }
      Optional<Instant> reported =
          io.proxyfleet.api.Timestamps.parse(vantage.getStatus().getLastReportTime());
      Duration interval = Durations.parse(vantage.getSpec().getReportInterval());
      if (reported.isEmpty()
          || reported
              .get()
              .plus(ProbeAgent.HEARTBEAT)
              .plus(interval)
              .plus(SILENCE_ALLOWANCE)
              .isBefore(now)) {
        continue; // silent: its results prove nothing either way
      }
      String name = vantage.getMetadata().getName();
      live.add(name);
      for (VantageResult r : vantage.getStatus().getResults()) {
        Optional<ProbeOutcome> outcome = ProbeAgent.outcome(r.getOutcome());
        if (outcome.isEmpty() || r.getFailedRounds() == null) {
          continue;
        }
        // A live vantage vouches for its latest results now; failed rounds lie an interval apart.
        List<ProbeResult> results = new ArrayList<>();
        int rounds = Math.max(1, r.getFailedRounds());
        for (int i = rounds - 1; i >= 0; i--) {
          results.add(
              new ProbeResult(
                  outcome.get(),
                  Duration.ofMillis(Optional.ofNullable(r.getLatencyMs()).orElse(0)),
                  now.minus(interval.multipliedBy(i)),
                  name));
        }
        byProxy
            .computeIfAbsent(r.getProxy() + "|" + r.getIp(), k -> new HashMap<>())
            .put(name, results);
      }
    }
    return new Evidence(byProxy, live);
  }

  /** Condition type on a Vantage, written by the operator: whether its reports are used. */
  public static final String ACCEPTED = Vantage.ACCEPTED;

  private final Map<String, String> vantageReasons = new ConcurrentHashMap<>();

  /**
   * Says on each Vantage whether its reports count: {@code Accepted=False} with reason {@code
   * NoReport} or {@code Silent} (its results are ignored; its fleets get a warning), or {@code
   * UnknownProxies} (results for proxies outside its fleets are ignored, the rest used).
   */
  void judgeVantages(
      String namespace,
      List<Vantage> vantages,
      Map<String, ProxyFleet> fleets,
      Map<String, Set<String>> proxyNamesByFleet,
      Instant now,
      Map<String, ReachabilityObserver.VantageReport> reports) {
    for (Vantage vantage : vantages) {
      if (vantage.getSpec() == null
          || vantage.getSpec().getFleets().stream().noneMatch(fleets::containsKey)) {
        continue;
      }
      String name = vantage.getMetadata().getName();
      Optional<Instant> reported =
          Optional.ofNullable(vantage.getStatus())
              .flatMap(s -> io.proxyfleet.api.Timestamps.parse(s.getLastReportTime()));
      Duration interval = Durations.parse(vantage.getSpec().getReportInterval());
      String reason;
      String message;
      if (reported.isEmpty()) {
        reason = "NoReport";
        message =
            "No report yet; run its agent: proxyfleet probe-agent --vantage "
                + name
                + " -n "
                + namespace;
      } else if (reported
          .get()
          .plus(ProbeAgent.HEARTBEAT)
          .plus(interval)
          .plus(SILENCE_ALLOWANCE)
          .isBefore(now)) {
        reason = Vantage.SILENT;
        message =
            "No report since "
                + reported.get()
                + " (the agent reports at least every "
                + ProbeAgent.HEARTBEAT.toMinutes()
                + " minutes); its results are ignored until it reports again";
      } else {
        Set<String> known = new HashSet<>();
        vantage
            .getSpec()
            .getFleets()
            .forEach(
                f -> known.addAll(proxyNamesByFleet.getOrDefault(namespace + "/" + f, Set.of())));
        List<String> unknown =
            vantage.getStatus().getResults().stream()
                .map(VantageResult::getProxy)
                .filter(p -> !known.contains(p))
                .sorted()
                .toList();
        if (unknown.isEmpty()) {
          reason = "Accepted";
          message = vantage.getStatus().getResults().size() + " results in use";
        } else {
          reason = "UnknownProxies";
          message =
              "Ignored "
                  + unknown.size()
                  + " results for proxies that are not in its fleets ("
                  + String.join(", ", unknown.subList(0, Math.min(5, unknown.size())))
                  + (unknown.size() > 5 ? ", ..." : "")
                  + "); the others are in use";
        }
      }
      String key = namespace + "/" + name;
      String before = vantageReasons.put(key, reason);
      if (Vantage.SILENT.equals(reason) && !Vantage.SILENT.equals(before)) {
        events.warning(vantage, "VantageSilent", message);
        for (String f : vantage.getSpec().getFleets()) {
          Optional.ofNullable(fleets.get(f))
              .ifPresent(
                  fleet ->
                      events.warning(
                          fleet,
                          "VantageSilent",
                          "Vantage "
                              + name
                              + " is silent: "
                              + message
                              + "; blocks are detected from lists and the other vantages only"));
        }
      }
      writeAccepted(vantage, "Accepted".equals(reason), reason, message);
      Map<ProbeOutcome, Integer> byOutcome = new java.util.EnumMap<>(ProbeOutcome.class);
      for (ProbeOutcome o : ProbeOutcome.values()) {
        byOutcome.put(o, 0);
      }
      Optional.ofNullable(vantage.getStatus())
          .ifPresent(
              st ->
                  st.getResults()
                      .forEach(
                          r ->
                              ProbeAgent.outcome(r.getOutcome())
                                  .ifPresent(o -> byOutcome.merge(o, 1, Integer::sum))));
      reports.put(
          key,
          new ReachabilityObserver.VantageReport(
              byOutcome, !Vantage.SILENT.equals(reason) && !"NoReport".equals(reason)));
    }
  }

  private void writeAccepted(Vantage vantage, boolean accepted, String reason, String message) {
    String status = accepted ? "True" : "False";
    io.proxyfleet.api.VantageStatus current =
        Optional.ofNullable(vantage.getStatus()).orElseGet(io.proxyfleet.api.VantageStatus::new);
    Optional<Condition> existing =
        current.getConditions().stream().filter(c -> ACCEPTED.equals(c.getType())).findFirst();
    if (existing.isPresent()
        && status.equals(existing.get().getStatus())
        && reason.equals(existing.get().getReason())) {
      return;
    }
    io.proxyfleet.api.VantageStatus next =
        io.proxyfleet.status.StatusChange.copy(current, io.proxyfleet.api.VantageStatus.class);
    next.getConditions().removeIf(c -> ACCEPTED.equals(c.getType()));
    next.getConditions()
        .add(
            new ConditionBuilder()
                .withType(ACCEPTED)
                .withStatus(status)
                .withReason(reason)
                .withMessage(message)
                .withLastTransitionTime(clock.instant().truncatedTo(ChronoUnit.SECONDS).toString())
                .withObservedGeneration(vantage.getMetadata().getGeneration())
                .build());
    patchConditions(Vantage.class, vantage, next.getConditions(), Map.of());
  }

  /**
   * Replaces an object's status conditions with a merge patch that carries the resourceVersion
   * read, so the API server refuses it (409) when someone wrote in between (the reconciler that
   * owns the rest of the status); the next pass tries again.
   */
  private <T extends io.fabric8.kubernetes.api.model.HasMetadata> void patchConditions(
      Class<T> type, T object, List<Condition> conditions, Map<String, Object> alongside) {
    Map<String, Object> status = new HashMap<>(alongside);
    status.put("conditions", conditions);
    Map<String, Object> patch =
        Map.of(
            "metadata",
            Map.of("resourceVersion", object.getMetadata().getResourceVersion()),
            "status",
            status);
    try {
      client
          .resources(type)
          .inNamespace(object.getMetadata().getNamespace())
          .withName(object.getMetadata().getName())
          .subresource("status")
          .patch(
              io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                  io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
              JSON.writeValueAsString(patch));
    } catch (KubernetesClientException e) {
      LOG.debug(
          "Conditions of {} {} not written ({}); next pass",
          type.getSimpleName(),
          object.getMetadata().getName(),
          e.getCode());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private void setCondition(Proxy proxy, ProbeClassifier.Verdict v) {
    String reason =
        switch (v.kind()) {
          case UNCHECKED -> "NotChecked";
          case AWAITING_INSIDE -> "AwaitingVantage";
          case HEALTHY -> "Reachable";
          case SUSPECT -> "Failing";
          case UNHEALTHY -> "Unhealthy";
          case BLOCKED -> "UnreachableFromVantage";
        };
    String status = v.publishable() ? "True" : "False";
    String message = v.detail().length() > 512 ? v.detail().substring(0, 512) : v.detail();
    List<Condition> conditions = new ArrayList<>(proxy.getStatus().getConditions());
    Optional<Condition> current =
        conditions.stream().filter(c -> REACHABLE.equals(c.getType())).findFirst();
    String checkedIp = proxy.getStatus().getPublicIp();
    if (current.isPresent()
        && status.equals(current.get().getStatus())
        && reason.equals(current.get().getReason())
        && Objects.equals(checkedIp, proxy.getStatus().getReachableIp())) {
      return;
    }
    String since =
        current
            .filter(c -> status.equals(c.getStatus()))
            .map(Condition::getLastTransitionTime)
            .orElse(clock.instant().truncatedTo(ChronoUnit.SECONDS).toString());
    conditions.removeIf(c -> REACHABLE.equals(c.getType()));
    conditions.add(
        new ConditionBuilder()
            .withType(REACHABLE)
            .withStatus(status)
            .withReason(reason)
            .withMessage(message)
            .withLastTransitionTime(since)
            .withObservedGeneration(proxy.getMetadata().getGeneration())
            .build());
    patchConditions(Proxy.class, proxy, conditions, Map.of("reachableIp", checkedIp));
  }

  private LearnedBlocks readLearned(String namespace, String fleet) {
    Blocklist list =
        client
            .resources(Blocklist.class)
            .withName(LearnedBlocks.blocklistName(namespace, fleet))
            .get();
    Map<String, Instant> entries = new HashMap<>();
    String json =
        list == null || list.getMetadata().getAnnotations() == null
            ? null
            : list.getMetadata().getAnnotations().get(LearnedBlocks.ENTRIES_ANNOTATION);
    if (json != null) {
      try {
        JSON.readValue(json, new TypeReference<Map<String, String>>() {})
            .forEach(
                (cidr, at) ->
                    io.proxyfleet.api.Timestamps.parse(at).ifPresent(t -> entries.put(cidr, t)));
      } catch (java.io.IOException e) {
        LOG.warn(
            "Learned blocklist {} has unreadable entries; starting over",
            LearnedBlocks.blocklistName(namespace, fleet));
      }
    }
    return new LearnedBlocks(entries);
  }

  private void writeLearned(String namespace, String fleet, LearnedBlocks learned, Instant now) {
    learned.expire(now);
    String name = LearnedBlocks.blocklistName(namespace, fleet);
    Blocklist existing = client.resources(Blocklist.class).withName(name).get();
    if (existing == null && learned.entries().isEmpty()) {
      return;
    }
    Map<String, String> annotation = new java.util.TreeMap<>();
    learned
        .entries()
        .forEach((cidr, at) -> annotation.put(cidr, at.truncatedTo(ChronoUnit.SECONDS).toString()));
    String json;
    try {
      json = JSON.writeValueAsString(annotation);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    List<String> cidrs = new ArrayList<>(learned.entries().keySet());
    if (existing != null
        && cidrs.equals(existing.getSpec().getCidrs())
        && json.equals(
            Optional.ofNullable(existing.getMetadata().getAnnotations())
                .map(a -> a.get(LearnedBlocks.ENTRIES_ANNOTATION))
                .orElse(null))) {
      return;
    }
    if (existing == null) {
      Blocklist list = new Blocklist();
      list.getMetadata().setName(name);
      list.getMetadata().setLabels(Map.of(LearnedBlocks.FOR_LABEL, namespace + "." + fleet));
      list.getMetadata().setAnnotations(Map.of(LearnedBlocks.ENTRIES_ANNOTATION, json));
      BlocklistSpec spec = new BlocklistSpec();
      spec.setCidrs(cidrs);
      list.setSpec(spec);
      client.resource(list).create();
      return;
    }
    // A merge patch guarded by the resourceVersion read: two passes never interleave their entries.
    Map<String, Object> patch =
        Map.of(
            "metadata",
                Map.of(
                    "resourceVersion",
                    existing.getMetadata().getResourceVersion(),
                    "annotations",
                    Map.of(LearnedBlocks.ENTRIES_ANNOTATION, json)),
            "spec", Map.of("cidrs", cidrs));
    try {
      client
          .resources(Blocklist.class)
          .withName(name)
          .patch(
              io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                  io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
              JSON.writeValueAsString(patch));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Housekeeping of the learned lists, on the garbage collector's timer rather than every pass (one
   * list call for all of them): entries past their TTL leave, and a list whose fleet is gone is
   * deleted (it is the operator's, not anyone's input). Returns how many lists were deleted.
   */
  public int sweepLearnedLists() {
    int removed = 0;
    Instant now = clock.instant();
    for (Blocklist list :
        client.resources(Blocklist.class).withLabel(LearnedBlocks.FOR_LABEL).list().getItems()) {
      String owner = list.getMetadata().getLabels().get(LearnedBlocks.FOR_LABEL);
      int dot = owner.indexOf('.');
      if (dot <= 0
          || client
                  .resources(ProxyFleet.class)
                  .inNamespace(owner.substring(0, dot))
                  .withName(owner.substring(dot + 1))
                  .get()
              == null) {
        client.resource(list).delete();
        removed++;
        continue;
      }
      String ns = owner.substring(0, dot);
      String fleet = owner.substring(dot + 1);
      LearnedBlocks learned = readLearned(ns, fleet);
      if (learned.expire(now)) {
        writeLearned(ns, fleet, learned, now);
      }
    }
    return removed;
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
