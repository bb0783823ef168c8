package io.proxyfleet.blocklist;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.BlocklistHeldVersion;
import io.proxyfleet.api.BlocklistSource;
import io.proxyfleet.api.BlocklistSourceStatus;
import io.proxyfleet.api.BlocklistSpec;
import io.proxyfleet.api.BlocklistStatus;
import io.proxyfleet.api.ObjectKeyRef;
import io.proxyfleet.block.BlockIndexRegistry;
import io.proxyfleet.block.ParsedBlocklist;
import io.proxyfleet.block.format.ParseLimits;
import io.proxyfleet.events.EventRecorder;
import io.proxyfleet.status.Conditions;
import io.proxyfleet.status.SpecProblem;
import io.proxyfleet.status.StatusChange;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Builds a Blocklist's index from its inline cidrs and its sources (URLs fetched with conditional
 * GET on their refresh interval, ConfigMaps re-read when edited), passes every new version through
 * the feed sanity guard, publishes it, and reports per source what was read.
 *
 * <p>The last good version of each source stays in force through fetch errors and broken files:
 * losing ranges because a mirror returned an HTML error page would put proxies back on blocked
 * addresses. Not generation-aware: the accept-update and refresh annotations are requests that do
 * not bump the generation.
 */
public final class BlocklistReconciler implements Reconciler<Blocklist>, Cleaner<Blocklist> {

  public static final String READY = "Ready";
  public static final String STALE = "Stale";
  public static final String DEGRADED = "Degraded";
  public static final String HELD = "Held";

  /** Annotation whose value, a held version's hash, lets that version through the guard. */
  public static final String ACCEPT_UPDATE_ANNOTATION = "proxyfleet.io/accept-update";

  /** Annotation whose every new value makes the URL sources be fetched now. */
  public static final String REFRESH_ANNOTATION = "proxyfleet.io/refresh";

  static final String SUSPICIOUS_UPDATE = "SuspiciousUpdate";

  private final BlockIndexRegistry registry;
  private final EventRecorder events;
  private final Clock clock;
  private final Conditions conditions;
  private final SourceReader reader;
  private final BlocklistValidator validator = new BlocklistValidator();
  private final SourceAccess access;
  private final Map<String, ListState> lists = new ConcurrentHashMap<>();
  private InformerEventSource<ConfigMap, Blocklist> configMaps;

  /**
   * @param access where URL sources may go and which Secrets they may use (production: {@link
   *     SourceAccess#publicOnly})
   */
  public BlocklistReconciler(
      BlockIndexRegistry registry, EventRecorder events, Clock clock, SourceAccess access) {
    this(registry, events, clock, access, new HttpSourceFetcher(access));
  }

  public BlocklistReconciler(
      BlockIndexRegistry registry,
      EventRecorder events,
      Clock clock,
      SourceAccess access,
      HttpSourceFetcher fetcher) {
    this.access = access;
    this.registry = registry;
    this.events = events;
    this.clock = clock;
    this.conditions = new Conditions(clock);
    this.reader = new SourceReader(fetcher, clock);
  }

  @Override
  public List<EventSource<?, Blocklist>> prepareEventSources(
      EventSourceContext<Blocklist> context) {
    var primaries = context.getPrimaryCache();
    configMaps =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(ConfigMap.class, Blocklist.class)
                .withName("blocklist-configmaps")
                .withWatchAllNamespaces()
                // A ConfigMap matters only to the lists that name it: everything else maps to
                // nothing.
                .withSecondaryToPrimaryMapper(
                    cm ->
                        primaries
                            .list(
                                b ->
                                    references(
                                        b,
                                        cm.getMetadata().getNamespace(),
                                        cm.getMetadata().getName()))
                            .map(ResourceID::fromResource)
                            .collect(Collectors.toSet()))
                .withPrimaryToSecondaryMapper(
                    (Blocklist b) ->
                        sources(b).stream()
                            .filter(
                                s ->
                                    s != null
                                        && s.getConfigMap() != null
                                        && s.getConfigMap().getName() != null)
                            .map(
                                s ->
                                    new ResourceID(
                                        s.getConfigMap().getName(),
                                        s.getConfigMap().getNamespace()))
                            .collect(Collectors.toSet()))
                .build(),
            context);
    return List.of(configMaps);
  }

  @Override
  public UpdateControl<Blocklist> reconcile(Blocklist list, Context<Blocklist> context) {
    String name = list.getMetadata().getName();
    Long generation = list.getMetadata().getGeneration();
    BlocklistStatus previous = list.getStatus();
    BlocklistStatus status =
        Optional.ofNullable(StatusChange.copy(previous, BlocklistStatus.class))
            .orElseGet(BlocklistStatus::new);
    status.setObservedGeneration(generation);
    BlocklistSpec spec = Optional.ofNullable(list.getSpec()).orElseGet(BlocklistSpec::new);
    ListState state = lists.computeIfAbsent(name, k -> new ListState());

    BlocklistValidator.Result validation = validator.validate(spec);
    List<ResolvedSource> sources = validation.sources();
    if (validation.problems().isEmpty()) {
      boolean refresh = refreshRequested(list, state);
      readSources(list, context.getClient(), state, sources, previous, refresh);
      List<ParsedBlocklist> parts = new ArrayList<>();
      List<String> partNames = new ArrayList<>();
      parts.add(state.inline);
      partNames.add(null);
      for (ResolvedSource s : sources) {
        SourceState st = state.sources.get(s.identity());
        if (st.good != null) {
          parts.add(st.good);
          partNames.add(s.name());
        }
      }
      if (state.inForce == null || !state.inForce.sameParts(parts)) {
        Version candidate =
            state.held != null && state.held.sameParts(parts)
                ? state.held
                : Version.merge(parts, partNames);
        decide(list, state, candidate, previous);
      }
    }
    // An invalid spec freezes the list: the version in force stays published and nothing is
    // fetched,
    // because a typo must never remove ranges that protect fleets.

    writeStatus(list, state, status, sources, validation.problems(), previous, generation);
    Optional<Duration> next =
        nextFetch(state, validation.problems().isEmpty() ? sources : List.of());
    UpdateControl<Blocklist> control = UpdateControl.noUpdate();
    if (StatusChange.changed(previous, status)) {
      list.setStatus(status);
      control = UpdateControl.patchStatus(list);
    }
    return next.isPresent() ? control.rescheduleAfter(next.get().toMillis()) : control;
  }

  @Override
  public DeleteControl cleanup(Blocklist list, Context<Blocklist> context) {
    lists.remove(list.getMetadata().getName());
    registry.withdraw(list.getMetadata().getName());
    return DeleteControl.defaultDelete();
  }

  private boolean refreshRequested(Blocklist list, ListState state) {
    String request = Objects.requireNonNullElse(annotation(list, REFRESH_ANNOTATION), "");
    // The value seen on the first reconcile after a start is only remembered: everything is fetched
    // then anyway.
    boolean requested = state.refreshRequest != null && !request.equals(state.refreshRequest);
    state.refreshRequest = request;
    return requested;
  }

  private void readSources(
      Blocklist list,
      KubernetesClient client,
      ListState state,
      List<ResolvedSource> sources,
      BlocklistStatus previous,
      boolean refresh) {
    BlocklistSpec spec = list.getSpec() == null ? new BlocklistSpec() : list.getSpec();
    List<String> cidrs = spec.getCidrs() == null ? List.of() : spec.getCidrs();
    if (state.inline == null || !cidrs.equals(state.inlineCidrs)) {
      state.inline = ParsedBlocklist.parse(cidrs, "spec.cidrs");
      state.inlineCidrs = List.copyOf(cidrs);
    }
    state.retain(sources.stream().map(ResolvedSource::identity).collect(Collectors.toSet()));
    for (ResolvedSource source : sources) {
      boolean fresh = !state.sources.containsKey(source.identity());
      SourceState st = state.source(source.identity());
      if (fresh) {
        seed(st, source, previous);
      }
      ParseLimits limits = withinList(spec, state, source);
      if (source.isUrl()) {
        reader.refreshUrl(source, limits, st, refresh, ref -> secret(client, ref));
      } else {
        ObjectKeyRef ref = source.configMap();
        reader.readConfigMap(
            source, limits, st, configMaps.get(new ResourceID(ref.getName(), ref.getNamespace())));
      }
    }
  }

  /**
   * The source's own limits, lowered to what the list has left (spec.maxEntries minus the inline
   * entries and the other sources' versions in force), so a list of many sources stays bounded too.
   */
  private static ParseLimits withinList(
      BlocklistSpec spec, ListState state, ResolvedSource source) {
    long used = state.inline == null ? 0 : state.inline.entries();
    for (Map.Entry<String, SourceState> e : state.sources.entrySet()) {
      if (!e.getKey().equals(source.identity()) && e.getValue().good != null) {
        used += e.getValue().good.entries();
      }
    }
    long listMax =
        Optional.ofNullable(spec.getMaxEntries()).orElse(BlocklistSpec.DEFAULT_MAX_ENTRIES);
    int left = (int) Math.max(0, Math.min(source.limits().maxEntries(), listMax - used));
    return new ParseLimits(source.limits().maxBytes(), left);
  }

  /**
   * A source first seen by this process: keep its change time from status if its content turns out
   * the same.
   */
  private static void seed(SourceState st, ResolvedSource source, BlocklistStatus previous) {
    if (previous == null || previous.getSources() == null) {
      return;
    }
    previous.getSources().stream()
        .filter(s -> source.name().equals(s.getName()))
        .findFirst()
        .ifPresent(
            s -> {
              st.goodHash = s.getHash();
              st.lastChange = parse(s.getLastChangeTime());
            });
  }

  private Optional<Secret> secret(KubernetesClient client, ObjectKeyRef ref) {
    // Read on demand, not watched: the operator needs no list/watch on Secrets for this.
    Optional<Secret> secret =
        Optional.ofNullable(
            client.secrets().inNamespace(ref.getNamespace()).withName(ref.getName()).get());
    // A Secret that may not be used looks exactly like a missing one: whoever writes a Blocklist
    // must not learn which Secrets exist in other namespaces, let alone send their values.
    return secret.filter(access::mayUse);
  }

  /**
   * Whether the candidate differs from the version in force only through re-read sources: the
   * inline part is the same object (re-parsed only when spec.cidrs changes) and no source was
   * removed.
   */
  private static boolean changedOnlyBySources(Version inForce, Version candidate) {
    return inForce != null
        && inForce.parts().get(0) == candidate.parts().get(0)
        && candidate.parts().size() >= inForce.parts().size();
  }

  /**
   * Publishes a candidate version, or holds it when the guard finds it absurd and nobody accepted
   * it.
   */
  private void decide(
      Blocklist list, ListState state, Version candidate, BlocklistStatus previous) {
    String name = list.getMetadata().getName();
    Instant now = clock.instant();
    String inForceHash =
        state.inForce != null ? state.inForce.hash() : previous == null ? null : previous.getHash();
    BlocklistGuard.Baseline baseline =
        state.inForce != null
            ? BlocklistGuard.Baseline.of(state.inForce.index())
            : previous != null && previous.getHash() != null
                ? BlocklistGuard.Baseline.sizeOnly(
                    Optional.ofNullable(previous.getIpv4Addresses()).orElse(0L))
                : BlocklistGuard.Baseline.none();
    boolean sameContent = candidate.hash().equals(inForceHash);
    boolean accepted = candidate.hash().equals(annotation(list, ACCEPT_UPDATE_ANNOTATION));
    if (!sameContent && !accepted) {
      BlocklistGuard.Verdict verdict =
          candidate == state.held
              ? state.heldVerdict
              : new BlocklistGuard(
                      GuardSettings.from(list.getSpec() == null ? null : list.getSpec().getGuard()))
                  .check(
                      baseline, candidate.index(), changedOnlyBySources(state.inForce, candidate));
      if (verdict.held()) {
        if (state.held == null || !state.held.hash().equals(candidate.hash())) {
          state.heldSince = now;
        }
        state.held = candidate;
        state.heldVerdict = verdict;
        return;
      }
    }
    if (accepted && state.held != null && state.held.hash().equals(candidate.hash())) {
      events.normal(
          list,
          "UpdateAccepted",
          "Held update " + candidate.hash() + " accepted by annotation and published");
    }
    if (!sameContent) {
      state.inForceChanged = now;
    } else if (state.inForceChanged == null && previous != null) {
      state.inForceChanged = parse(previous.getLastChangeTime());
    }
    if (state.inForceChanged == null) {
      state.inForceChanged = now;
    }
    state.inForce = candidate;
    state.held = null;
    state.heldVerdict = null;
    state.heldSince = null;
    registry.publish(name, candidate.index());
  }

  private void writeStatus(
      Blocklist list,
      ListState state,
      BlocklistStatus status,
      List<ResolvedSource> sources,
      List<SpecProblem> problems,
      BlocklistStatus previous,
      Long generation) {
    String name = list.getMetadata().getName();
    Version v = state.inForce;
    if (v != null) {
      status.setEntries(v.entries());
      status.setIpv4Addresses(v.index().ipv4Addresses());
      status.setRanges(v.index().rangeCount());
      status.setIpv6Ranges(IndexHash.ipv6Ranges(v.index()));
      status.setParseErrors(v.parseErrors());
      status.setErrors(v.errors());
      status.setHash(v.hash());
      status.setLastChangeTime(format(state.inForceChanged));
    }
    if (problems.isEmpty()) {
      List<BlocklistSourceStatus> sourceStatuses = new ArrayList<>();
      for (ResolvedSource s : sources) {
        sourceStatuses.add(sourceStatus(s, state.sources.get(s.identity())));
      }
      status.setSources(sourceStatuses);
    }

    // Held.
    if (state.held != null) {
      BlocklistHeldVersion held = new BlocklistHeldVersion();
      held.setHash(state.held.hash());
      held.setIpv4Addresses(state.held.index().ipv4Addresses());
      held.setNewIpv4Addresses(state.heldVerdict.newIpv4Addresses());
      held.setReason(state.heldVerdict.reason());
      held.setSince(format(state.heldSince));
      status.setHeld(held);
      String message =
          "Update "
              + state.held.hash()
              + " held: "
              + state.heldVerdict.reason()
              + ". "
              + (v == null
                  ? "Nothing is published for this list yet, so fleets report it as not found and check no address against it."
                  : "The previous version ("
                      + v.index().ipv4Addresses()
                      + " IPv4 addresses) stays in force.")
              + " If the update is right, accept it: kubectl annotate blocklist "
              + name
              + " "
              + ACCEPT_UPDATE_ANNOTATION
              + "="
              + state.held.hash()
              + " --overwrite";
      conditions.set(status.getConditions(), HELD, true, SUSPICIOUS_UPDATE, message, generation);
      String previousHeld =
          previous == null || previous.getHeld() == null ? null : previous.getHeld().getHash();
      if (!state.held.hash().equals(previousHeld)) {
        events.warning(list, SUSPICIOUS_UPDATE, message);
      }
    } else {
      status.setHeld(null);
      conditions.set(
          status.getConditions(), HELD, false, "AsExpected", "No update is held", generation);
    }

    // Stale: sources whose last attempt failed.
    List<String> failing = new ArrayList<>();
    String staleReason = null;
    if (problems.isEmpty()) {
      for (ResolvedSource s : sources) {
        SourceState st = state.sources.get(s.identity());
        if (st.failure != null) {
          staleReason = staleReason == null ? st.failure.reason().reason() : staleReason;
          failing.add(
              st.failure.message()
                  + (st.good == null
                      ? " (no version of it has been read yet)"
                      : " (its last good version stays in force)"));
          SourceFailure before = previousFailure(previous, s.name());
          if (!st.failure.equals(before)) {
            events.warning(list, st.failure.reason().reason(), st.failure.message());
          }
        }
      }
    }
    if (failing.isEmpty()) {
      conditions.set(
          status.getConditions(),
          STALE,
          false,
          "AsExpected",
          "Every source's last read succeeded",
          generation);
    } else {
      conditions.set(
          status.getConditions(), STALE, true, staleReason, String.join("; ", failing), generation);
    }

    // Degraded: spec problems or skipped entries.
    if (!problems.isEmpty()) {
      String message =
          problems.stream().map(SpecProblem::toString).collect(Collectors.joining("; "))
              + ". Nothing is fetched until the spec is fixed; the version in force stays published.";
      conditions.set(status.getConditions(), DEGRADED, true, "InvalidSpec", message, generation);
      if (Conditions.find(previous == null ? null : previous.getConditions(), DEGRADED)
          .map(c -> !message.equals(c.getMessage()))
          .orElse(true)) {
        events.warning(list, "InvalidSpec", message);
      }
    } else if (v != null && v.parseErrors() > 0) {
      String message =
          v.parseErrors()
              + " entries skipped: "
              + String.join("; ", v.errors())
              + "; fix them as address or CIDR (e.g. 52.58.0.0/15)";
      conditions.set(status.getConditions(), DEGRADED, true, "ParseErrors", message, generation);
      if (StatusChange.changed(
          previous == null ? null : previous.getErrors(), status.getErrors())) {
        events.warning(list, "ParseErrors", message);
      }
    } else {
      conditions.set(
          status.getConditions(),
          DEGRADED,
          false,
          "AsExpected",
          "The spec is valid and every entry parsed",
          generation);
    }

    // Ready: a version is published and every source contributed to it.
    List<String> pending =
        problems.isEmpty()
            ? sources.stream()
                .filter(s -> state.sources.get(s.identity()).good == null)
                .map(ResolvedSource::name)
                .toList()
            : List.of();
    if (!problems.isEmpty()) {
      conditions.set(
          status.getConditions(),
          READY,
          v != null,
          "InvalidSpec",
          v == null
              ? "Nothing published: fix the spec (see Degraded)"
              : "The version in force stays published until the spec is fixed (see Degraded)",
          generation);
    } else if (v == null) {
      conditions.set(
          status.getConditions(),
          READY,
          false,
          state.held != null ? "Held" : "NotPublished",
          "Nothing published yet"
              + (state.held != null ? ": the first version is held (see Held)" : ""),
          generation);
    } else if (!pending.isEmpty()) {
      conditions.set(
          status.getConditions(),
          READY,
          false,
          "SourcesPending",
          "Published without source(s) "
              + String.join(", ", pending)
              + ", which have not been read yet (see Stale)",
          generation);
    } else {
      conditions.set(
          status.getConditions(),
          READY,
          true,
          "Published",
          v.entries() + " entries, " + v.index().rangeCount() + " merged ranges in force",
          generation);
    }
  }

  private BlocklistSourceStatus sourceStatus(ResolvedSource s, SourceState st) {
    BlocklistSourceStatus out = new BlocklistSourceStatus();
    out.setName(s.name());
    if (st.good != null) {
      out.setEntries(st.good.entries());
      out.setIpv4Addresses(st.good.index().ipv4Addresses());
      out.setRanges(st.good.index().rangeCount());
      out.setIpv6Ranges(IndexHash.ipv6Ranges(st.good.index()));
      out.setParseErrors(st.good.parseErrors());
      out.setErrors(st.good.firstErrors());
      out.setHash(st.goodHash);
    }
    out.setEtag(st.etag);
    out.setLastModified(st.lastModified);
    out.setLastFetchTime(format(st.lastFetch));
    out.setLastSuccessTime(format(st.lastSuccess));
    out.setLastChangeTime(st.good == null ? null : format(st.lastChange));
    out.setNextFetchTime(s.isUrl() ? format(st.nextFetch) : null);
    out.setFailureReason(st.failure == null ? null : st.failure.reason().reason());
    out.setFailureMessage(st.failure == null ? null : st.failure.message());
    return out;
  }

  private static SourceFailure previousFailure(BlocklistStatus previous, String source) {
    if (previous == null || previous.getSources() == null) {
      return null;
    }
    return previous.getSources().stream()
        .filter(s -> source.equals(s.getName()) && s.getFailureReason() != null)
        .findFirst()
        .flatMap(
            s ->
                java.util.Arrays.stream(FailureReason.values())
                    .filter(r -> r.reason().equals(s.getFailureReason()))
                    .findFirst()
                    .map(r -> new SourceFailure(r, s.getFailureMessage())))
        .orElse(null);
  }

  private Optional<Duration> nextFetch(ListState state, List<ResolvedSource> sources) {
    Instant now = clock.instant();
    return sources.stream()
        .filter(ResolvedSource::isUrl)
        .map(s -> state.sources.get(s.identity()))
        .filter(st -> st != null && st.nextFetch != null)
        .map(st -> st.nextFetch)
        .min(Comparator.naturalOrder())
        .map(
            at -> {
              Duration d = Duration.between(now, at);
              return d.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : d;
            });
  }

  private static boolean references(Blocklist b, String namespace, String name) {
    return sources(b).stream()
        .anyMatch(
            s ->
                s != null
                    && s.getConfigMap() != null
                    && Objects.equals(namespace, s.getConfigMap().getNamespace())
                    && Objects.equals(name, s.getConfigMap().getName()));
  }

  private static List<BlocklistSource> sources(Blocklist b) {
    return b.getSpec() == null || b.getSpec().getSources() == null
        ? List.of()
        : b.getSpec().getSources();
  }

  private static String annotation(Blocklist list, String key) {
    Map<String, String> annotations = list.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }

  private static String format(Instant t) {
    return t == null ? null : t.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static Instant parse(String t) {
    return io.proxyfleet.api.Timestamps.parse(t).orElse(null);
  }
}
