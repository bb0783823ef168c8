package io.proxyfleet.fleet;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.proxyfleet.api.ApiGroup;
import io.proxyfleet.api.BurnedRegion;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.FleetBlocklists;
import io.proxyfleet.api.Placement;
import io.proxyfleet.api.Protocol;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyFleetSpec;
import io.proxyfleet.api.ProxyFleetStatus;
import io.proxyfleet.api.ProxySpec;
import io.proxyfleet.api.RegionStatus;
import io.proxyfleet.api.RotationRequest;
import io.proxyfleet.api.Vantage;
import io.proxyfleet.block.BlockIndexRegistry;
import io.proxyfleet.block.BlockMatch;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudProvider;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.FakeTlsSecret;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.cloud.Subnet;
import io.proxyfleet.decide.DecisionLog;
import io.proxyfleet.decide.FleetStep;
import io.proxyfleet.events.EventRecorder;
import io.proxyfleet.links.ProxyLinks;
import io.proxyfleet.planner.FleetPlan;
import io.proxyfleet.planner.ProxyView;
import io.proxyfleet.planner.SlotKey;
import io.proxyfleet.policy.BlockedFractions;
import io.proxyfleet.secrets.FleetSecrets;
import io.proxyfleet.secrets.SecretsByName;
import io.proxyfleet.status.Conditions;
import io.proxyfleet.status.Reason;
import io.proxyfleet.status.SpecProblem;
import io.proxyfleet.status.StatusChange;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;

/**
 * Reconciles a ProxyFleet: observe (proxies, profiles, blocklists), validate, plan, act, record.
 *
 * <p>What to do is decided by {@link FleetStep} (burned and avoided regions, the plan, the rotation
 * budget, the requeue), the pure function the blockade replay calls too; this class observes the
 * API and the clouds for it and acts on its decision.
 *
 * <p>It owns the fleet's Proxy objects and Secrets and never touches a cloud resource directly: it
 * only reads subnets to place proxies. Everything that must survive a restart lives in the API
 * (proxies, annotations, status), so the reconciler itself keeps nothing but caches.
 */
public final class FleetReconciler implements Reconciler<ProxyFleet>, Cleaner<ProxyFleet> {

  public static final String READY = FleetStatusFactory.READY;
  public static final String PROGRESSING = FleetStatusFactory.PROGRESSING;
  public static final String DEGRADED = FleetStatusFactory.DEGRADED;
  public static final String ROTATIONS_HELD = FleetStatusFactory.ROTATIONS_HELD;

  /** Proxies named in one aggregated event; the count says how many there were in all. */
  private static final int EVENT_ITEMS = 10;

  private static final String NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

  private final CloudProviders providers;
  private final BlockIndexRegistry blocklists;
  private final BlocklistSubscriptions subscriptions;
  private final EventRecorder events;
  private final Clock clock;
  private final RandomGenerator names;
  private final RandomGenerator secrets;
  private final FleetStatusFactory statuses;
  private final ParallelWrites writes;

  /** How soon a fleet that is still converging is looked at again without an event. */
  static final Duration PROGRESS_RECHECK = Duration.ofSeconds(5);

  private final FleetValidator validator = new FleetValidator();
  private final BlockedFractions exposure;
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(FleetReconciler.class);

  private final WrittenStatus written = new WrittenStatus();
  private volatile DecisionLog decisions = DecisionLog.NONE;

  /**
   * Per fleet: rotation requests written but perhaps not yet seen by the informer, by proxy UID.
   */
  private final Map<ResourceID, Map<String, String>> requestedRotations = new ConcurrentHashMap<>();

  private WriteThroughCache<Proxy> proxyEvents;

  /** The fleets' own Secrets, read by name: no list/watch on Secrets (see SecretsByName). */
  private WriteThroughCache<Secret> ownSecrets;

  private SecretsByName sharedSecrets;

  /** The informer caches, for the reachability checks; null until the controller is registered. */
  private volatile CachedReads reads;

  public FleetReconciler(
      CloudProviders providers,
      BlockIndexRegistry blocklists,
      BlocklistSubscriptions subscriptions,
      EventRecorder events,
      Clock clock,
      RandomGenerator names,
      RandomGenerator secrets,
      BlockedFractions exposure) {
    this.providers = providers;
    this.blocklists = blocklists;
    this.subscriptions = subscriptions;
    this.events = events;
    this.clock = clock;
    this.names = names;
    this.secrets = secrets;
    this.statuses = new FleetStatusFactory(clock);
    this.writes = ParallelWrites.shared();
    this.exposure = exposure;
  }

  @Override
  public List<EventSource<?, ProxyFleet>> prepareEventSources(
      EventSourceContext<ProxyFleet> context) {
    InformerEventSource<Proxy, ProxyFleet> proxyInformer =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Proxy.class, ProxyFleet.class)
                .withName("proxies")
                .withSecondaryToPrimaryMapper(
                    p ->
                        Set.of(
                            new ResourceID(p.getSpec().getFleet(), p.getMetadata().getNamespace())))
                .build(),
            context);
    var primaries = context.getPrimaryCache();
    InformerEventSource<CloudProfile, ProxyFleet> profileEvents =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(CloudProfile.class, ProxyFleet.class)
                .withName("cloud-profiles")
                // Profiles usually exist before the fleets that name them, so the index built from
                // profile events alone would miss them: map fleet -> profiles explicitly.
                .withPrimaryToSecondaryMapper(
                    (ProxyFleet f) ->
                        f.getSpec() == null || f.getSpec().getPlacement() == null
                            ? Set.<ResourceID>of()
                            : f.getSpec().getPlacement().stream()
                                .filter(p -> p.getCloudProfile() != null)
                                .map(
                                    p ->
                                        new ResourceID(
                                            p.getCloudProfile(), f.getMetadata().getNamespace()))
                                .collect(Collectors.toSet()))
                .withSecondaryToPrimaryMapper(
                    profile ->
                        primaries
                            .list(
                                f ->
                                    Objects.equals(
                                            f.getMetadata().getNamespace(),
                                            profile.getMetadata().getNamespace())
                                        && f.getSpec() != null
                                        && f.getSpec().getPlacement() != null
                                        && f.getSpec().getPlacement().stream()
                                            .anyMatch(
                                                p ->
                                                    profile
                                                        .getMetadata()
                                                        .getName()
                                                        .equals(p.getCloudProfile())))
                            .map(ResourceID::fromResource)
                            .collect(Collectors.toSet()))
                .build(),
            context);
    // A Vantage names the fleets it probes; when the operator marks one silent, those fleets say
    // so.
    InformerEventSource<Vantage, ProxyFleet> vantageEvents =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Vantage.class, ProxyFleet.class)
                .withName("vantages")
                .withSecondaryToPrimaryMapper(
                    v ->
                        v.getSpec() == null
                            ? Set.of()
                            : v.getSpec().getFleets().stream()
                                .map(f -> new ResourceID(f, v.getMetadata().getNamespace()))
                                .collect(Collectors.toSet()))
                .build(),
            context);
    SimpleInboundEventSource<ProxyFleet> blocklistEvents =
        new SimpleInboundEventSource<>("blocklists");
    blocklists.addListener(
        name -> subscriptions.fleetsUsing(name).forEach(blocklistEvents::propagateEvent));
    useCaches(
        WriteThroughCache.of(proxyInformer),
        new FleetSecretCache(
            Optional.ofNullable(sharedSecrets)
                .orElseGet(() -> new SecretsByName(context.getClient(), clock))));
    this.reads = new CachedReads(primaries, proxyInformer, vantageEvents, ownSecrets);
    return List.of(proxyInformer, profileEvents, vantageEvents, blocklistEvents);
  }

  /**
   * Reports every fleet decision acted on to {@code log} (tests comparing the operator with the
   * replay).
   */
  public void recordDecisionsTo(DecisionLog log) {
    this.decisions = log;
  }

  /**
   * Reads and writes the fleets' Secrets through {@code secrets}, the cache the proxy controller
   * reads credentials from (without it, a cache of its own).
   */
  public void shareSecrets(SecretsByName secrets) {
    this.sharedSecrets = secrets;
  }

  /** The caches the fleet writes through: the informers, or a test's maps. */
  void useCaches(WriteThroughCache<Proxy> proxies, WriteThroughCache<Secret> fleetSecrets) {
    this.proxyEvents = proxies;
    this.ownSecrets = fleetSecrets;
  }

  /**
   * What one pass starts from: the status to build on and the fleet's proxies as the cache has
   * them.
   */
  private record Observed(
      ResourceID id,
      ProxyFleetStatus previous,
      ProxyFleetStatus status,
      List<Proxy> proxies,
      Map<String, String> requests,
      Long generation) {}

  /**
   * What the fleet can use now, and every problem found on the way (each with its reason). Region
   * problems (burned, avoided, subnets unreadable) are added after the step decided, in placement
   * order: {@code regionProblemsAt} marks where each usable placement's go.
   */
  private record Usable(
      Protocol protocol,
      List<SpecProblem> problems,
      Optional<Secret> credentialsSecret,
      boolean canLaunch,
      FleetStep.Holds holds,
      Map<SlotKey, FleetStep.SlotObservation> slots,
      Map<SlotKey, String> subnetErrors,
      Map<SlotKey, Double> blockedFractions,
      Map<String, CloudProfile> profiles,
      List<ProxyView> views,
      Map<Integer, Integer> regionProblemsAt) {}

  /** What the fleet step decided, with the problems it implies. */
  private record Decision(
      FleetStep.Decision step, List<ProxyView> views, List<SpecProblem> problems) {
    FleetPlan plan() {
      return step.plan();
    }
  }

  /** observe → validate → plan → act → status; each step below is one method. */
  @Override
  public UpdateControl<ProxyFleet> reconcile(ProxyFleet fleet, Context<ProxyFleet> context) {
    Observed seen = observe(fleet, context);
    List<SpecProblem> invalid = validator.validate(fleet);
    if (!invalid.isEmpty()) {
      return recordInvalid(fleet, context, seen, invalid);
    }
    Instant now = Instant.now(clock);
    Usable usable = validatePlacement(fleet, context, seen, now);
    Decision decision = plan(fleet, seen, usable, now);
    Optional<Secret> credentials = act(fleet, context.getClient(), seen, usable, decision, now);
    return record(fleet, context, seen, usable, decision, credentials, now);
  }

  private Observed observe(ProxyFleet fleet, Context<ProxyFleet> context) {
    ResourceID id = ResourceID.fromResource(fleet);
    ProxyFleetSpec spec = fleet.getSpec();
    subscriptions.record(id, spec == null ? List.of() : FleetBlocklists.inForce(fleet));
    ProxyFleetStatus previous = fleet.getStatus();
    ProxyFleetStatus status =
        Optional.ofNullable(StatusChange.copy(previous, ProxyFleetStatus.class))
            .orElseGet(ProxyFleetStatus::new);
    // The informer may hand us a fleet from before our last status write; the budget, counters and
    // burned regions must not go backwards because of that.
    written.catchUp(id, status);
    status.setObservedGeneration(fleet.getMetadata().getGeneration());
    status.setSelector(ApiGroup.FLEET_LABEL + "=" + fleet.getMetadata().getName());
    List<Proxy> proxies = ownProxies(fleet, context);
    Map<String, String> requests =
        requestedRotations.computeIfAbsent(id, k -> new ConcurrentHashMap<>());
    requests
        .keySet()
        .retainAll(proxies.stream().map(p -> p.getMetadata().getUid()).collect(Collectors.toSet()));
    // Requests published before (by this process, or by one that stopped) stay owed until served.
    for (ProxyFleetStatus published : new ProxyFleetStatus[] {previous, status}) {
      if (published != null && !published.getIpRotationRequests().isEmpty()) {
        for (Proxy p : proxies) {
          String request = published.getIpRotationRequests().get(p.getMetadata().getName());
          if (request != null) {
            requests.putIfAbsent(p.getMetadata().getUid(), request);
          }
        }
      }
    }
    return new Observed(
        id, previous, status, proxies, requests, fleet.getMetadata().getGeneration());
  }

  private UpdateControl<ProxyFleet> recordInvalid(
      ProxyFleet fleet, Context<ProxyFleet> context, Observed seen, List<SpecProblem> invalid) {
    // Leave every proxy as it is: a typo must never tear a fleet down.
    ProxyFleetSpec spec = fleet.getSpec();
    List<String> lists =
        spec == null || spec.getBlocklists() == null ? List.of() : spec.getBlocklists();
    summarizeProxies(
        seen.status(),
        seen.proxies().stream()
            .map(p -> view(p, lists, seen.requests(), checksRequired(fleet)))
            .toList(),
        null,
        Map.of());
    publishRequests(seen.status(), seen.proxies(), seen.requests());
    statuses.invalid(
        seen.status(),
        invalid,
        spec == null || spec.getReplicas() == null ? 0 : Math.max(0, spec.getReplicas()),
        seen.generation());
    if (StatusChange.changed(seen.previous(), seen.status())) {
      events.warning(fleet, Reason.InvalidSpec.name(), FleetStatusFactory.describe(invalid));
    }
    return patchIfChanged(context.getClient(), fleet, seen.previous(), seen.status(), null);
  }

  /**
   * Checks what a valid spec refers to (blocklists, credentials, profiles, regions, quotas) and
   * reads the subnets of every usable region. Problems do not stop the pass: the usable part of the
   * placement is still planned.
   */
  private Usable validatePlacement(
      ProxyFleet fleet, Context<ProxyFleet> context, Observed seen, Instant now) {
    ProxyFleetSpec spec = fleet.getSpec();
    KubernetesClient client = context.getClient();
    List<SpecProblem> problems = new ArrayList<>();
    Protocol protocol = Protocol.fromWireName(spec.getProtocol()).orElseThrow();
    for (int i = 0; i < spec.getBlocklists().size(); i++) {
      String list = spec.getBlocklists().get(i);
      if (!blocklists.isPublished(list)) {
        problems.add(
            new SpecProblem(
                "spec.blocklists[" + i + "]",
                Reason.BlocklistNotFound,
                "Blocklist '"
                    + list
                    + "' not found or not published yet (a first version held by the"
                    + " feed guard or not loaded yet: kubectl describe blocklist "
                    + list
                    + "); create or fix it, or remove it from the list"));
      }
    }

    // Account quotas (addresses, instances) stop the fleet from growing in a region: say so on the
    // fleet, where on-call looks, not only on the proxy that hit it.
    Map<SlotKey, String> quotaHits = new LinkedHashMap<>();
    for (Proxy p : seen.proxies()) {
      if (p.getStatus() != null && p.getMetadata().getDeletionTimestamp() == null) {
        Conditions.find(p.getStatus().getConditions(), READY)
            .filter(c -> Reason.QuotaExceeded.is(c.getReason()))
            .ifPresent(
                c ->
                    quotaHits.putIfAbsent(
                        new SlotKey(p.getSpec().getCloudProfile(), p.getSpec().getRegion()),
                        c.getMessage()));
      }
    }
    quotaHits.forEach(
        (slot, message) ->
            problems.add(
                new SpecProblem(
                    "spec.placement",
                    Reason.QuotaExceeded,
                    "cloud quota exceeded in "
                        + slot.region()
                        + " (CloudProfile "
                        + slot.cloudProfile()
                        + "): "
                        + message
                        + "; raise the account quota or lower spec.replicas")));

    // Credentials: without them no proxy can be launched, but existing ones keep serving.
    Optional<Secret> credentialsSecret = credentialsSecret(fleet, client, problems);
    Optional<ProxyCredentials> credentials = credentialsSecret.flatMap(FleetSecrets::read);
    // Without a FakeTLS domain an mtproto proxy cannot be launched; the ones running keep serving.
    SpecProblem noDomain = FleetValidator.fakeTlsDomainMissing(spec);
    seen.status().setCredentialsSecret(FleetSecrets.credentialsName(fleet));
    boolean canLaunch = credentials.isPresent() && noDomain == null;

    // Regions whose addresses were all blocked get no new proxies for a while (their share moves to
    // the other regions) instead of a launch/fail loop. Kept in status so a restart remembers them.
    List<ProxyView> views =
        seen.proxies().stream()
            .map(
                p ->
                    view(p, FleetBlocklists.inForce(fleet), seen.requests(), checksRequired(fleet)))
            .toList();
    FleetStep.Holds holds = holds(fleet, seen.status(), seen.proxies(), views, now);

    // Per usable region: how blocked it is and its subnets (not read where a hold is in force).
    Map<SlotKey, FleetStep.SlotObservation> slots = new LinkedHashMap<>();
    Map<SlotKey, String> subnetErrors = new HashMap<>();
    Map<SlotKey, Double> blockedFractions = new HashMap<>();
    Map<Integer, Integer> regionProblemsAt = new LinkedHashMap<>();
    io.proxyfleet.block.BlockIndex fleetIndex = blocklists.union(FleetBlocklists.inForce(fleet));
    Map<String, CloudProfile> profiles = new HashMap<>();
    for (int i = 0; i < spec.getPlacement().size(); i++) {
      Placement placement = spec.getPlacement().get(i);
      String at = "spec.placement[" + i + "]";
      Optional<CloudProfile> profile =
          context.getSecondaryResources(CloudProfile.class).stream()
              .filter(c -> c.getMetadata().getName().equals(placement.getCloudProfile()))
              .findFirst();
      if (profile.isEmpty()) {
        problems.add(
            new SpecProblem(
                at + ".cloudProfile",
                Reason.PlacementUnavailable,
                "CloudProfile '"
                    + placement.getCloudProfile()
                    + "' not found in namespace '"
                    + fleet.getMetadata().getNamespace()
                    + "'; create it or fix the name"));
        continue;
      }
      profiles.put(placement.getCloudProfile(), profile.get());
      CloudProvider provider;
      try {
        provider = providers.forProfile(profile.get());
      } catch (CloudException e) {
        problems.add(
            new SpecProblem(at + ".cloudProfile", Reason.PlacementUnavailable, e.getMessage()));
        continue;
      }
      if (!provider.supports(protocol)) {
        problems.add(
            new SpecProblem(
                "spec.protocol",
                Reason.ProtocolNotSupported,
                protocol
                    + " is not supported by CloudProfile '"
                    + placement.getCloudProfile()
                    + "' (provider "
                    + provider.type()
                    + "); choose another protocol or profile"));
        continue;
      }
      if (!canLaunch) {
        continue;
      }
      regionProblemsAt.put(i, problems.size());
      for (String region : placement.getRegions()) {
        SlotKey slot = new SlotKey(placement.getCloudProfile(), region);
        try {
          exposure
              .blockedFraction(provider, region, fleetIndex)
              .ifPresent(f -> blockedFractions.put(slot, f));
        } catch (CloudException e) {
          // A region the provider does not know: subnets() below reports it with the field to fix.
        }
        List<Subnet> subnets = null;
        if (!holds.inForce().containsKey(slot)) {
          try {
            // New proxies go only to zones with capacity now (the shared cache the adapters feed).
            subnets =
                io.proxyfleet.cloud.capacity.ZoneCapacity.usable(
                    provider.subnets(region), provider.unavailableZones(region));
          } catch (CloudException e) {
            subnetErrors.put(slot, e.getMessage());
          }
        }
        slots.put(slot, new FleetStep.SlotObservation(blockedFractions.get(slot), subnets));
      }
    }
    if (noDomain != null) {
      problems.add(noDomain);
    }
    problems.addAll(silentVantages(fleet, context));
    return new Usable(
        protocol,
        problems,
        credentialsSecret,
        canLaunch,
        holds,
        slots,
        subnetErrors,
        blockedFractions,
        profiles,
        views,
        regionProblemsAt);
  }

  /**
   * Vantages of this fleet that the reachability checks marked silent: blocks nobody publishes are
   * then found from the other vantages and lists only, which on-call must know. Listed after the
   * placement problems, so those keep deciding the Degraded reason.
   */
  private static List<SpecProblem> silentVantages(ProxyFleet fleet, Context<ProxyFleet> context) {
    return context.getSecondaryResources(Vantage.class).stream()
        .filter(
            v ->
                v.getSpec() != null
                    && v.getSpec().getFleets().contains(fleet.getMetadata().getName())
                    && v.getStatus() != null)
        .sorted(Comparator.comparing(v -> v.getMetadata().getName()))
        .flatMap(
            v ->
                Conditions.find(v.getStatus().getConditions(), Vantage.ACCEPTED)
                    .filter(
                        c -> "False".equals(c.getStatus()) && Vantage.SILENT.equals(c.getReason()))
                    .map(
                        c ->
                            new SpecProblem(
                                "Vantage " + v.getMetadata().getName(),
                                Reason.VantageSilent,
                                c.getMessage()
                                    + "; until it reports, blocks are detected from lists and the other vantages only (check its probe-agent)"))
                    .stream())
        .toList();
  }

  /**
   * The fleet step's decision on what the cache shows, and the region problems it implies; no I/O.
   */
  private Decision plan(ProxyFleet fleet, Observed seen, Usable usable, Instant now) {
    ProxyFleetSpec spec = fleet.getSpec();
    FleetStep.Decision step =
        FleetStep.decide(
            new FleetStep.Observation(
                spec,
                usable.views(),
                usable.holds().inForce(),
                usable.slots(),
                seen.status().getRotationBudget(),
                now));
    // Region problems go where their placement was examined, so the first problem (the Degraded
    // reason) is the same whatever the step found.
    List<SpecProblem> problems = new ArrayList<>(usable.problems());
    List<Map.Entry<Integer, Integer>> at = new ArrayList<>(usable.regionProblemsAt().entrySet());
    for (int k = at.size() - 1; k >= 0; k--) {
      int i = at.get(k).getKey();
      Placement placement = spec.getPlacement().get(i);
      List<SpecProblem> here = new ArrayList<>();
      for (int r = 0; r < placement.getRegions().size(); r++) {
        String region = placement.getRegions().get(r);
        SlotKey slot = new SlotKey(placement.getCloudProfile(), region);
        String field = "spec.placement[" + i + "].regions[" + r + "]";
        FleetStep.Hold hold = usable.holds().inForce().get(slot);
        if (hold != null) {
          here.add(
              new SpecProblem(
                  field,
                  Reason.RegionBurned,
                  "every address drawn in '"
                      + region
                      + "' was blocked; no new proxies there until "
                      + hold.until()));
          continue;
        }
        String avoided = step.avoided().get(slot);
        if (avoided != null) {
          here.add(
              new SpecProblem(
                  field,
                  Reason.RegionsAvoided,
                  "region '"
                      + region
                      + "' is avoided: "
                      + avoided
                      + "; its share goes to the other regions (raise spec.maxRegionBlockedPercent to use it anyway)"));
        }
        String error = usable.subnetErrors().get(slot);
        if (error != null) {
          here.add(new SpecProblem(field, Reason.PlacementUnavailable, error));
        }
      }
      problems.addAll(at.get(k).getValue(), here);
    }
    return new Decision(step, usable.views(), problems);
  }

  /**
   * Carries the plan out: deletes, rotation requests and creates, each kind written with bounded
   * parallelism and announced by one aggregated event; then publishes the endpoints. A write that
   * fails leaves the successful ones recorded in the cache and fails the pass after all finished,
   * so the retry plans from what exists and never duplicates. Returns the credentials Secret as
   * written.
   */
  private Optional<Secret> act(
      ProxyFleet fleet,
      KubernetesClient client,
      Observed seen,
      Usable usable,
      Decision decision,
      Instant now) {
    ProxyFleetSpec spec = fleet.getSpec();
    FleetPlan plan = decision.plan();
    Map<String, Proxy> byName =
        seen.proxies().stream().collect(Collectors.toMap(p -> p.getMetadata().getName(), p -> p));
    ParallelWrites.Outcome<String> deleted =
        writes.run(
            plan.deletes(),
            delete -> {
              Proxy proxy = byName.get(delete.name());
              client.resource(proxy).delete();
              return delete.name()
                  + describeReason(delete.reason(), proxy, FleetBlocklists.inForce(fleet));
            });
    announce(fleet, "DeletingProxy", "Deleting", deleted.done());
    // Rotation requests travel in the fleet's own status (status.ipRotationRequests), written once
    // at the end of this pass: a block of a thousand proxies used to be a thousand merge patches of
    // an annotation, a third of the API server's writes while the proxies waited for their swaps.
    // Remembered here too, so the next pass neither repeats one nor loses it before the proxy's
    // status shows it served.
    List<String> rotated = new ArrayList<>();
    for (FleetPlan.RotateIp rotate : plan.ipRotations()) {
      Proxy proxy = byName.get(rotate.name());
      String request = new RotationRequest(rotate.reason().name(), now).value();
      seen.requests().put(proxy.getMetadata().getUid(), request);
      rotated.add(
          rotate.name() + describeReason(rotate.reason(), proxy, FleetBlocklists.inForce(fleet)));
    }
    announce(fleet, "RotatingIP", "Requested a new IP for", rotated);
    // A list, not a map keyed by Create: creates are values (slot, subnet, reason), and equal ones
    // are distinct proxies. A map here once collapsed them to one create per subnet and pass.
    List<Map.Entry<FleetPlan.Create, Proxy>> newProxies = new ArrayList<>();
    // Five random characters clash about once in thirty launches of a thousand proxies; a clash is
    // a 409 that fails the pass and delays the last proxy by a retry, so names in use are skipped.
    Set<String> names = new HashSet<>(byName.keySet());
    for (FleetPlan.Create create : plan.creates()) {
      newProxies.add(
          Map.entry(
              create,
              newProxy(
                  fleet,
                  create,
                  usable.profiles().get(create.slot().cloudProfile()),
                  decision.step().subnets().get(create.slot()),
                  names)));
    }
    DecisionLog.fleetPass(
        decisions,
        now,
        fleet.getMetadata().getName(),
        decision.step(),
        usable.holds().added(),
        newProxies.stream().map(e -> e.getValue().getMetadata().getName()).toList());
    Optional<Secret> credentialsSecret = usable.credentialsSecret();
    if (credentialsSecret.isPresent() && FleetSecrets.generatesCredentials(fleet)) {
      // Per-proxy MTProto keys exist before their proxies, so a proxy never launches without one.
      credentialsSecret =
          Optional.of(
              syncProxyKeys(
                  fleet,
                  client,
                  credentialsSecret.get(),
                  seen.proxies(),
                  newProxies.stream().map(Map.Entry::getValue).toList()));
    }
    ParallelWrites.Outcome<String> created =
        writes.run(
            newProxies,
            entry -> {
              FleetPlan.Create create = entry.getKey();
              Proxy proxy = client.resource(entry.getValue()).create();
              // The informer has not seen it yet; without this the next reconcile would launch it
              // twice.
              proxyEvents.handleRecentResourceCreate(ResourceID.fromResource(proxy), proxy);
              return proxy.getMetadata().getName()
                  + " in "
                  + create.slot().region()
                  + " ("
                  + create.subnet()
                  + "): "
                  + create.reason();
            });
    announce(fleet, "LaunchingProxy", "Launching", created.done());
    deleted.throwIfFailed();
    created.throwIfFailed();
    if (credentialsSecret.isPresent()) {
      publishEndpoints(
          fleet,
          client,
          seen.proxies(),
          decision.views(),
          usable.protocol(),
          credentialsSecret.get());
    }
    return credentialsSecret;
  }

  /** One event for one kind of action on many proxies, its count the number of proxies. */
  private void announce(ProxyFleet fleet, String reason, String verb, List<String> items) {
    if (items.isEmpty()) {
      return;
    }
    String head = items.size() == 1 ? verb + " proxy " : verb + " " + items.size() + " proxies: ";
    String shown = items.stream().limit(EVENT_ITEMS).collect(Collectors.joining("; "));
    String more =
        items.size() > EVENT_ITEMS ? "; and " + (items.size() - EVENT_ITEMS) + " more" : "";
    events.normal(fleet, reason, head + shown + more, items.size());
  }

  /** Counters, conditions and the requeue from what this pass saw, decided and did. */
  private UpdateControl<ProxyFleet> record(
      ProxyFleet fleet,
      Context<ProxyFleet> context,
      Observed seen,
      Usable usable,
      Decision decision,
      Optional<Secret> credentials,
      Instant now) {
    ProxyFleetStatus status = seen.status();
    FleetPlan plan = decision.plan();
    int replicas = fleet.getSpec().getReplicas();
    Long generation = seen.generation();
    plan.rotationsStarted()
        .forEach(
            (reason, count) -> {
              status.getRotationsByReason().merge(reason.name(), (long) count, Long::sum);
              status.setRotations(status.getRotations() + count);
            });
    FleetStep.Decision step = decision.step();
    String held =
        statuses.budget(
            status, plan, step.perHour(), step.budgetAvailable(), step.budgetAfter(), generation);
    int heldBefore =
        seen.previous() == null || seen.previous().getRotationsHeld() == null
            ? 0
            : seen.previous().getRotationsHeld();
    if (held != null && heldBefore == 0) {
      events.warning(fleet, "RotationsHeld", held);
    }
    status.setEndpointsSecret(FleetSecrets.endpointsName(fleet));
    summarizeProxies(status, decision.views(), plan, usable.blockedFractions());
    publishRequests(status, seen.proxies(), seen.requests());
    List<SpecProblem> problems = new ArrayList<>(decision.problems());
    for (SlotKey slot : plan.slotsWithoutSubnets()) {
      if (problems.stream().noneMatch(p -> p.field().startsWith("spec.placement"))
          && usable.canLaunch()) {
        problems.add(
            new SpecProblem(
                "spec.placement", Reason.PlacementUnavailable, "no usable subnet in " + slot));
      }
    }
    statuses.degraded(status, problems, generation);
    statuses.progressing(status, plan, replicas, generation);
    statuses.ready(status, replicas, generation);
    if (!problems.isEmpty()
        && StatusChange.changed(
            seen.previous() == null ? null : seen.previous().getConditions(),
            status.getConditions())) {
      events.warning(fleet, problems.get(0).reason().name(), FleetStatusFactory.describe(problems));
    }
    Duration next = step.requeue();
    boolean acted =
        !plan.creates().isEmpty() || !plan.deletes().isEmpty() || !plan.ipRotations().isEmpty();
    if (acted || status.getReadyReplicas() < status.getReplicas()) {
      // While proxies are on their way, look again soon even without an event. A proxy's last
      // status write has been seen not to start a pass (the fleet's informer held the Running
      // proxy, yet no pass ran after the fleet's own status write), leaving readyReplicas stale
      // until the resync. A pass with nothing to do writes nothing; a fleet whose proxies all serve
      // is not rechecked, so a fleet stuck below its replicas (a quota) does not poll its cloud.
      next = next == null || next.compareTo(PROGRESS_RECHECK) > 0 ? PROGRESS_RECHECK : next;
    }
    if (credentials.isEmpty()) {
      // A Secret the user names carries no fleet label, so no event tells us it appeared: poll.
      next =
          next == null || next.compareTo(Duration.ofSeconds(5)) > 0 ? Duration.ofSeconds(5) : next;
    }
    return patchIfChanged(context.getClient(), fleet, seen.previous(), status, next);
  }

  @Override
  public ErrorStatusUpdateControl<ProxyFleet> updateErrorStatus(
      ProxyFleet fleet, Context<ProxyFleet> context, Exception e) {
    ProxyFleetStatus status =
        Optional.ofNullable(StatusChange.copy(fleet.getStatus(), ProxyFleetStatus.class))
            .orElseGet(ProxyFleetStatus::new);
    Long generation = fleet.getMetadata().getGeneration();
    statuses.error(status, e, generation);
    // Counts come from the proxies that exist now, never from the last good pass: a fleet whose
    // creates are refused must not keep claiming the replicas it had asked for.
    ProxyFleetSpec spec = fleet.getSpec();
    List<String> lists = spec == null ? List.of() : FleetBlocklists.inForce(fleet);
    Map<String, String> requests =
        requestedRotations.getOrDefault(ResourceID.fromResource(fleet), Map.of());
    List<Proxy> proxies = ownProxies(fleet, context);
    summarizeProxies(
        status,
        proxies.stream().map(p -> view(p, lists, requests, checksRequired(fleet))).toList(),
        null,
        Map.of());
    publishRequests(status, proxies, requests);
    statuses.ready(
        status,
        spec == null || spec.getReplicas() == null ? 0 : Math.max(0, spec.getReplicas()),
        generation);
    // Written as every status is (see patchIfChanged) and remembered as our last write, so the
    // next good pass compares with it instead of with an older write of ours.
    try {
      replaceStatus(context.getClient(), fleet, status);
    } catch (KubernetesClientException write) {
      log.warn(
          "Could not write the error status of fleet {}/{}: {}",
          fleet.getMetadata().getNamespace(),
          fleet.getMetadata().getName(),
          write.getMessage());
    }
    return ErrorStatusUpdateControl.noStatusUpdate();
  }

  /** Deletes the fleet's proxies and waits until their finalizers have torn the VMs down. */
  @Override
  public DeleteControl cleanup(ProxyFleet fleet, Context<ProxyFleet> context) {
    KubernetesClient client = context.getClient();
    subscriptions.forget(ResourceID.fromResource(fleet));
    written.forget(ResourceID.fromResource(fleet));
    requestedRotations.remove(ResourceID.fromResource(fleet));
    List<Proxy> remaining =
        client
            .resources(Proxy.class)
            .inNamespace(fleet.getMetadata().getNamespace())
            .withLabel(ApiGroup.FLEET_LABEL, fleet.getMetadata().getName())
            .list()
            .getItems();
    if (!remaining.isEmpty()) {
      remaining.stream()
          .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
          .forEach(p -> client.resource(p).delete());
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(Duration.ofSeconds(1).toMillis());
    }
    client
        .secrets()
        .inNamespace(fleet.getMetadata().getNamespace())
        .withName(FleetSecrets.endpointsName(fleet))
        .delete();
    ownSecrets.forget(
        new ResourceID(FleetSecrets.endpointsName(fleet), fleet.getMetadata().getNamespace()));
    if (FleetSecrets.generatesCredentials(fleet)) {
      client
          .secrets()
          .inNamespace(fleet.getMetadata().getNamespace())
          .withName(FleetSecrets.credentialsName(fleet))
          .delete();
    }
    ownSecrets.forget(
        new ResourceID(FleetSecrets.credentialsName(fleet), fleet.getMetadata().getNamespace()));
    events.normal(fleet, "Deleted", "Every proxy of the fleet is gone");
    return DeleteControl.defaultDelete();
  }

  private Optional<Secret> credentialsSecret(
      ProxyFleet fleet, KubernetesClient client, List<SpecProblem> problems) {
    String name = FleetSecrets.credentialsName(fleet);
    String ns = fleet.getMetadata().getNamespace();
    Secret secret = ownSecrets.get(new ResourceID(name, ns)).orElse(null);
    if (FleetSecrets.generatesCredentials(fleet)
        && secret != null
        && !FleetSecrets.ownedBy(secret, fleet)) {
      // The cache may still hold the Secret of a deleted fleet of the same name (the informer lags,
      // or the garbage collector has not run yet): ask the server, and never adopt another owner's.
      secret = client.secrets().inNamespace(ns).withName(name).get();
      if (secret != null && !FleetSecrets.ownedBy(secret, fleet)) {
        client.resource(secret).delete();
        secret = null;
      }
    }
    if (secret == null && FleetSecrets.generatesCredentials(fleet)) {
      Secret created = createReplacing(client, FleetSecrets.newCredentials(fleet, secrets));
      ownSecrets.remember(created);
      events.normal(fleet, "CredentialsGenerated", "Generated proxy credentials in Secret " + name);
      secret = created;
    }
    if (secret == null) {
      problems.add(
          new SpecProblem(
              "spec.credentialsSecret",
              Reason.CredentialsNotFound,
              "Secret '"
                  + name
                  + "' not found; create it with keys 'username' and 'password' or remove the field to have one generated"));
      return Optional.empty();
    }
    Optional<ProxyCredentials> read = FleetSecrets.read(secret);
    if (read.isEmpty()) {
      problems.add(
          new SpecProblem(
              "spec.credentialsSecret",
              Reason.CredentialsNotFound,
              "Secret '" + name + "' needs non-empty keys 'username' and 'password'"));
      return Optional.empty();
    }
    // Links carry the credentials: refuse what a client would decode differently. The message names
    // the key and the reason, never the value.
    for (String key : List.of(FleetSecrets.USERNAME, FleetSecrets.PASSWORD)) {
      String why =
          ProxyLinks.unencodable(
              key.equals(FleetSecrets.USERNAME) ? read.get().username() : read.get().password());
      if (why != null) {
        problems.add(
            new SpecProblem(
                "spec.credentialsSecret",
                Reason.CredentialsNotFound,
                "key '"
                    + key
                    + "' of Secret '"
                    + name
                    + "' cannot be encoded in a link: it "
                    + why));
        return Optional.empty();
      }
    }
    if (FleetSecrets.sharesMtprotoSecret(fleet) && FleetSecrets.mtprotoKey(secret, "").isEmpty()) {
      if (!FleetSecrets.generatesCredentials(fleet)) {
        problems.add(
            new SpecProblem(
                "spec.credentialsSecret",
                Reason.CredentialsNotFound,
                "Secret '"
                    + name
                    + "' needs key '"
                    + FleetSecrets.MTPROTO_SECRET
                    + "' (32 lowercase hex digits) for an mtproto fleet with secretScope fleet"));
        return Optional.empty();
      }
      // The fleet became mtproto after its Secret was generated: add the key, keep the rest.
      secret =
          client
              .secrets()
              .inNamespace(ns)
              .withName(name)
              .edit(
                  s -> {
                    FleetSecrets.put(s, FleetSecrets.MTPROTO_SECRET, FakeTlsSecret.newKey(secrets));
                    return s;
                  });
      ownSecrets.remember(secret);
      events.normal(
          fleet, "CredentialsGenerated", "Generated the MTProto secret in Secret " + name);
    }
    return Optional.of(secret);
  }

  /**
   * Keeps one MTProto key per proxy in the generated credentials Secret: adds keys for the proxies
   * about to be created (secretScope proxy) and drops keys of proxies that are gone, so the Secret
   * does not grow with every rotation. Writes only when something changed.
   */
  private Secret syncProxyKeys(
      ProxyFleet fleet,
      KubernetesClient client,
      Secret secret,
      List<Proxy> proxies,
      java.util.Collection<Proxy> creating) {
    Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
    Set<String> live = new java.util.HashSet<>();
    proxies.forEach(p -> live.add(FleetSecrets.mtprotoKeyName(p.getMetadata().getName())));
    List<String> add = new ArrayList<>();
    if (FleetSecrets.perProxyMtprotoSecret(fleet)) {
      creating.forEach(p -> add.add(FleetSecrets.mtprotoKeyName(p.getMetadata().getName())));
      live.addAll(add);
    }
    List<String> drop =
        data.keySet().stream()
            .filter(k -> k.startsWith(FleetSecrets.MTPROTO_SECRET_PREFIX) && !live.contains(k))
            .toList();
    if (add.isEmpty() && drop.isEmpty()) {
      return secret;
    }
    Secret updated =
        client
            .secrets()
            .inNamespace(secret.getMetadata().getNamespace())
            .withName(secret.getMetadata().getName())
            .edit(
                s -> {
                  drop.forEach(s.getData()::remove);
                  add.forEach(k -> FleetSecrets.put(s, k, FakeTlsSecret.newKey(secrets)));
                  return s;
                });
    ownSecrets.remember(updated);
    return updated;
  }

  private void publishEndpoints(
      ProxyFleet fleet,
      KubernetesClient client,
      List<Proxy> proxies,
      List<ProxyView> views,
      Protocol protocol,
      Secret credentialsSecret) {
    Map<String, Proxy> byName =
        proxies.stream().collect(Collectors.toMap(p -> p.getMetadata().getName(), p -> p));
    ArrayNode list = JsonNodeFactory.instance.arrayNode();
    List<String> subscription = new ArrayList<>();
    views.stream()
        .filter(ProxyView::ready)
        .sorted(Comparator.comparing(ProxyView::name))
        .forEach(
            v -> {
              Proxy p = byName.get(v.name());
              // Each proxy's own credentials (its MTProto key and domain): a link never names
              // another's.
              Optional<ProxyCredentials> credentials = FleetSecrets.forProxy(credentialsSecret, p);
              if (credentials.isEmpty()) {
                return;
              }
              ObjectNode node = list.addObject();
              node.put("name", v.name());
              node.put("cloudProfile", p.getSpec().getCloudProfile());
              node.put("region", p.getSpec().getRegion());
              node.put(
                  "zone",
                  p.getStatus() != null && p.getStatus().getZone() != null
                      ? p.getStatus().getZone()
                      : p.getSpec().getZone());
              node.put("ip", v.publicIp());
              node.put("port", p.getSpec().getPort());
              node.put("protocol", protocol.wireName());
              node.put(
                  "uri",
                  ProxyLinks.uri(protocol, v.publicIp(), p.getSpec().getPort(), credentials.get()));
              ArrayNode links = node.putArray("links");
              for (String link :
                  ProxyLinks.links(
                      protocol, v.name(), v.publicIp(), p.getSpec().getPort(), credentials.get())) {
                links.add(link);
                subscription.add(link);
              }
            });
    Secret desired =
        FleetSecrets.endpoints(fleet, list.toPrettyString(), ProxyLinks.subscription(subscription));
    // Only a Secret of this incarnation of the fleet counts: one of a deleted namesake is replaced.
    Optional<Secret> current =
        ownSecrets
            .get(ResourceID.fromResource(desired))
            .filter(s -> FleetSecrets.ownedBy(s, fleet));
    if (current.isPresent() && Objects.equals(current.get().getData(), desired.getData())) {
      return;
    }
    if (current.isPresent()) {
      try {
        Secret written =
            client
                .resource(current.get())
                .edit(
                    s -> {
                      s.setData(desired.getData());
                      return s;
                    });
        ownSecrets.remember(written);
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
          throw e;
        }
        // Deleted behind the cache's back: write it anew below instead of failing every retry.
      }
    }
    Secret written = createReplacing(client, desired);
    ownSecrets.remember(written);
  }

  /**
   * Creates a Secret the fleet owns; one already there under that name (the cache did not know it,
   * or it belongs to a deleted namesake) is replaced, so the result is always this fleet's.
   */
  private static Secret createReplacing(KubernetesClient client, Secret desired) {
    try {
      return client.resource(desired).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e;
      }
      client
          .secrets()
          .inNamespace(desired.getMetadata().getNamespace())
          .withName(desired.getMetadata().getName())
          .delete();
      return client.resource(desired).create();
    }
  }

  private Proxy newProxy(
      ProxyFleet fleet,
      FleetPlan.Create create,
      CloudProfile profile,
      List<Subnet> subnets,
      Set<String> taken) {
    Proxy proxy = new Proxy();
    String name;
    do {
      name = fleet.getMetadata().getName() + "-" + suffix();
    } while (!taken.add(name));
    proxy.getMetadata().setName(name);
    proxy.getMetadata().setNamespace(fleet.getMetadata().getNamespace());
    proxy
        .getMetadata()
        .setLabels(
            new LinkedHashMap<>(Map.of(ApiGroup.FLEET_LABEL, fleet.getMetadata().getName())));
    proxy
        .getMetadata()
        .setAnnotations(
            new LinkedHashMap<>(Map.of("proxyfleet.io/created-for", create.reason().name())));
    proxy.getMetadata().setOwnerReferences(List.of(FleetSecrets.ownerReference(fleet)));
    // Created with the proxy controller's finalizer, so the controller need not add it in a write
    // and a pass of its own before launching: one request and one round trip less per proxy. The
    // guarantee is the same: the finalizer is there before any cloud call.
    proxy.getMetadata().setFinalizers(new ArrayList<>(List.of(ApiGroup.FINALIZER)));
    ProxySpec spec = new ProxySpec();
    spec.setFleet(fleet.getMetadata().getName());
    spec.setCloudProfile(create.slot().cloudProfile());
    spec.setProvider(profile.getSpec().getProvider());
    spec.setRegion(create.slot().region());
    spec.setSubnet(create.subnet());
    spec.setZone(
        subnets.stream()
            .filter(s -> s.id().equals(create.subnet()))
            .map(Subnet::zone)
            .findFirst()
            .orElse(null));
    spec.setProtocol(fleet.getSpec().getProtocol());
    spec.setPort(fleet.getSpec().getPort());
    spec.setCredentialsSecret(FleetSecrets.credentialsName(fleet));
    if (Protocol.MTPROTO.wireName().equals(fleet.getSpec().getProtocol())
        && fleet.getSpec().getMtproto() != null) {
      spec.setFakeTlsDomain(fleet.getSpec().getMtproto().getFakeTlsDomain());
    }
    proxy.setSpec(spec);
    return proxy;
  }

  /**
   * Once the operator checks proxies itself (ProxyFleetOperator#startReachability), a fleet with
   * spec.health.enabled counts a proxy as ready, and publishes it, only when its current IP passed
   * a check: until then it is treated as still launching. Blocked proxies keep their phase, so a
   * block found before the check still rotates them.
   */
  private volatile boolean reachabilityRequired;

  /**
   * The informer caches for other readers in this process; empty until the operator registered this
   * controller.
   */
  public Optional<CachedReads> cachedReads() {
    return Optional.ofNullable(reads);
  }

  public void requireReachability() {
    reachabilityRequired = true;
  }

  private boolean checksRequired(ProxyFleet fleet) {
    return reachabilityRequired
        && fleet.getSpec() != null
        && (fleet.getSpec().getHealth() == null
            || !Boolean.FALSE.equals(fleet.getSpec().getHealth().getEnabled()));
  }

  private static boolean unchecked(Proxy p) {
    var s = p.getStatus();
    return s == null
        || s.getPublicIp() == null
        || !s.getPublicIp().equals(s.getReachableIp())
        || s.getConditions().stream()
            .noneMatch(c -> "Reachable".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private ProxyView view(
      Proxy p, List<String> lists, Map<String, String> requests, boolean checksRequired) {
    var s = p.getStatus();
    String ip = s == null ? null : s.getPublicIp();
    BlockMatch match = ip == null ? null : blocklists.match(lists, ip).orElse(null);
    io.proxyfleet.api.ProxyPhase phase =
        s == null || s.getPhase() == null ? io.proxyfleet.api.ProxyPhase.Pending : s.getPhase();
    if (checksRequired
        && phase == io.proxyfleet.api.ProxyPhase.Running
        && match == null
        && unchecked(p)) {
      phase = io.proxyfleet.api.ProxyPhase.Launching;
    }
    String request =
        p.getMetadata().getAnnotations() == null
            ? null
            : p.getMetadata().getAnnotations().get(ApiGroup.ROTATE_IP_ANNOTATION);
    String handled = s == null ? null : s.getIpRotationHandled();
    String remembered = requests.get(p.getMetadata().getUid());
    if (remembered != null
        && (remembered.equals(s == null ? null : s.getFleetRotationHandled())
            || remembered.equals(handled))) {
      requests.remove(p.getMetadata().getUid(), remembered);
      remembered = null;
    }
    boolean pending = (request != null && !request.equals(handled)) || remembered != null;
    return new ProxyView(
        p.getMetadata().getName(),
        p.getMetadata().getUid(),
        new SlotKey(p.getSpec().getCloudProfile(), p.getSpec().getRegion()),
        p.getSpec().getSubnet(),
        phase,
        ip,
        match,
        p.getMetadata().getDeletionTimestamp() != null,
        pending,
        Instant.parse(
            p.getMetadata().getCreationTimestamp() == null
                ? Instant.now(clock).toString()
                : p.getMetadata().getCreationTimestamp()));
  }

  /**
   * The rotation requests still owed, by proxy name, as the proxies read them. Served ones were
   * dropped from {@code requests} by {@link #view}; a gone proxy's with it.
   */
  private static void publishRequests(
      ProxyFleetStatus status, List<Proxy> proxies, Map<String, String> requests) {
    Map<String, String> owed = new java.util.TreeMap<>();
    for (Proxy p : proxies) {
      String request = requests.get(p.getMetadata().getUid());
      if (request != null) {
        owed.put(p.getMetadata().getName(), request);
      }
    }
    status.setIpRotationRequests(owed);
  }

  private void summarizeProxies(
      ProxyFleetStatus status,
      List<ProxyView> all,
      FleetPlan plan,
      Map<SlotKey, Double> blockedFractions) {
    List<ProxyView> views = all.stream().filter(v -> !v.terminating()).toList();
    status.setReplicas(views.size());
    status.setReadyReplicas((int) views.stream().filter(ProxyView::ready).count());
    status.setBlockedReplicas((int) views.stream().filter(ProxyView::blocked).count());
    if (plan != null) {
      status.setRegions(
          plan.slots().stream()
              .map(
                  s -> {
                    RegionStatus region =
                        new RegionStatus(
                            s.slot().cloudProfile(),
                            s.slot().region(),
                            s.desired(),
                            s.replicas(),
                            s.ready(),
                            s.blocked());
                    Double fraction = blockedFractions.get(s.slot());
                    region.setBlockedPercent(
                        fraction == null ? null : BlockedFractions.percent(fraction));
                    region.setUnavailable(s.unavailable());
                    return region;
                  })
              .toList());
    }
  }

  /**
   * Writes {@code status} when it differs from what the server holds: what this process last wrote
   * there, or, when that is unknown or older than the informer's copy, the copy this pass started
   * from.
   *
   * <p>The status replaces the whole of the server's (one JSON Patch {@code add /status}), written
   * here rather than through {@code UpdateControl.patchStatus}: JOSDK sends the difference between
   * the status and the cached fleet the pass started from, and when that copy was older than our
   * own last write (the informer had not delivered it yet), a field whose stale value equalled the
   * new one was left out, so the server kept the value written in between. A fleet whose proxies
   * all came back stayed at "2 of 3 ready" that way; its own status write changes no generation, so
   * no pass followed it, and the pass that computed 3 of 3 saw nothing to do. Comparing with our
   * last write, and replacing status whole, leaves nothing to a stale base.
   */
  private UpdateControl<ProxyFleet> patchIfChanged(
      KubernetesClient client,
      ProxyFleet fleet,
      ProxyFleetStatus previous,
      ProxyFleetStatus status,
      Duration next) {
    ProxyFleetStatus onServer =
        written
            .lastWrittenIfNewer(
                ResourceID.fromResource(fleet), fleet.getMetadata().getResourceVersion())
            .orElse(previous);
    if (StatusChange.changed(onServer, status)) {
      replaceStatus(client, fleet, status);
    }
    UpdateControl<ProxyFleet> control = UpdateControl.noUpdate();
    return next == null ? control : control.rescheduleAfter(next);
  }

  /** Replaces the fleet's status on the server and remembers it as this process's last write. */
  private void replaceStatus(KubernetesClient client, ProxyFleet fleet, ProxyFleetStatus status) {
    ObjectNode add = JsonNodeFactory.instance.objectNode();
    add.put("op", "add").put("path", "/status");
    add.set("value", client.getKubernetesSerialization().convertValue(status, ObjectNode.class));
    ProxyFleet stub = new ProxyFleet();
    stub.setMetadata(
        new ObjectMetaBuilder()
            .withName(fleet.getMetadata().getName())
            .withNamespace(fleet.getMetadata().getNamespace())
            .build());
    ProxyFleet stored =
        client
            .resource(stub)
            .subresource("status")
            .patch(
                PatchContext.of(PatchType.JSON),
                JsonNodeFactory.instance.arrayNode().add(add).toString());
    written.remember(
        ResourceID.fromResource(fleet), status, stored.getMetadata().getResourceVersion());
    fleet.setStatus(status);
  }

  private String describeReason(FleetPlan.Reason reason, Proxy proxy, List<String> lists) {
    return switch (reason) {
      case Blocked -> {
        String ip = proxy.getStatus() == null ? null : proxy.getStatus().getPublicIp();
        yield ": "
            + ip
            + " is blocked by "
            + blocklists.match(lists, ip).map(BlockMatch::toString).orElse("a blocklist");
      }
      case MaxAge -> ": older than rotation.maxAge";
      case Failed ->
          ": failed ("
              + Optional.ofNullable(proxy.getStatus()).map(s -> s.getMessage()).orElse("unknown")
              + ")";
      case ScaleDown -> ": scaling down";
      case Rebalance ->
          ": its region receives no proxies now ("
              + proxy.getSpec().getRegion()
              + " is burned or too blocked)";
      case ScaleUp -> "";
    };
  }

  /**
   * The fleet's Proxies: JOSDK's secondary resources (which include what this process just created
   * or patched) merged with the informer's own store, the newer version of each winning. The
   * secondary-resource index alone was seen to miss a proxy the fleet had just created for as long
   * as 30 s while the informer's store held it Running, so the fleet kept reporting it absent and
   * its readyReplicas stayed stale.
   */
  private List<Proxy> ownProxies(ProxyFleet fleet, Context<ProxyFleet> context) {
    Map<String, Proxy> byUid = new LinkedHashMap<>();
    context.getSecondaryResources(Proxy.class).stream()
        .filter(p -> ownedBy(p, fleet))
        .forEach(p -> byUid.put(p.getMetadata().getUid(), p));
    CachedReads informer = reads;
    if (informer != null) {
      for (Proxy p : informer.proxiesOf(fleet)) {
        if (ownedBy(p, fleet)) {
          byUid.merge(p.getMetadata().getUid(), p, (a, b) -> newer(b, a) ? b : a);
        }
      }
    }
    return List.copyOf(byUid.values());
  }

  /** Whether {@code a} is a later version than {@code b} (resourceVersions are etcd revisions). */
  private static boolean newer(Proxy a, Proxy b) {
    try {
      return Long.parseLong(a.getMetadata().getResourceVersion())
          > Long.parseLong(b.getMetadata().getResourceVersion());
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static boolean ownedBy(Proxy p, ProxyFleet fleet) {
    return p.getSpec() != null && fleet.getMetadata().getName().equals(p.getSpec().getFleet());
  }

  private String suffix() {
    StringBuilder sb = new StringBuilder(5);
    for (int i = 0; i < 5; i++)
      sb.append(NAME_ALPHABET.charAt(names.nextInt(NAME_ALPHABET.length())));
    return sb.toString();
  }

  /**
   * Burned regions still in force, plus any a proxy just burned (it drew only blocked addresses),
   * as the fleet step decides them. Written into status; a warning event for each newly burned
   * region.
   */
  private FleetStep.Holds holds(
      ProxyFleet fleet,
      ProxyFleetStatus status,
      List<Proxy> proxies,
      List<ProxyView> views,
      Instant now) {
    List<FleetStep.Hold> previous = new ArrayList<>();
    for (BurnedRegion b : status.getBurnedRegions()) {
      try {
        previous.add(
            new FleetStep.Hold(
                new SlotKey(b.getCloudProfile(), b.getRegion()),
                Instant.parse(b.getUntil()),
                b.getReason()));
      } catch (RuntimeException e) {
        // An unreadable entry (edited by hand) is dropped rather than blocking the region forever.
      }
    }
    List<FleetStep.Member> members = new ArrayList<>();
    for (int i = 0; i < proxies.size(); i++) {
      Proxy p = proxies.get(i);
      Reason failure =
          p.getStatus() == null
              ? null
              : Conditions.find(p.getStatus().getConditions(), READY)
                  .map(c -> Reason.parse(c.getReason()))
                  .orElse(null);
      members.add(
          new FleetStep.Member(
              views.get(i), failure, p.getStatus() == null ? null : p.getStatus().getMessage()));
    }
    FleetStep.Holds holds = FleetStep.holds(fleet.getSpec(), previous, members, now);
    for (FleetStep.Hold h : holds.added()) {
      events.warning(
          fleet,
          Reason.RegionBurned.name(),
          "Region "
              + h.slot().region()
              + " ("
              + h.slot().cloudProfile()
              + ") is burned until "
              + h.until()
              + " ("
              + h.why()
              + "); its proxies go to the fleet's other regions meanwhile");
    }
    status.setBurnedRegions(
        new ArrayList<>(
            holds.inForce().values().stream()
                .map(
                    h ->
                        new BurnedRegion(
                            h.slot().cloudProfile(),
                            h.slot().region(),
                            h.until().toString(),
                            h.why()))
                .toList()));
    return holds;
  }
}
