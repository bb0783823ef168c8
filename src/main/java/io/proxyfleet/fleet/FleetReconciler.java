package io.proxyfleet.fleet;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
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
import io.proxyfleet.api.Placement;
import io.proxyfleet.api.Protocol;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyFleetSpec;
import io.proxyfleet.api.ProxyFleetStatus;
import io.proxyfleet.api.ProxySpec;
import io.proxyfleet.api.RegionStatus;
import io.proxyfleet.api.RotationRequest;
import io.proxyfleet.block.BlockIndexRegistry;
import io.proxyfleet.block.BlockMatch;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudProvider;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.FakeTlsSecret;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.cloud.Subnet;
import io.proxyfleet.events.EventRecorder;
import io.proxyfleet.links.ProxyLinks;
import io.proxyfleet.planner.FleetPlan;
import io.proxyfleet.planner.FleetPlanner;
import io.proxyfleet.planner.PlanInput;
import io.proxyfleet.planner.ProxyView;
import io.proxyfleet.planner.RotationSettings;
import io.proxyfleet.planner.SlotKey;
import io.proxyfleet.status.Conditions;
import io.proxyfleet.status.StatusChange;
import java.time.Clock;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;

/**
 * Reconciles a ProxyFleet: observe (proxies, profiles, blocklists), validate, plan, act, record.
 *
 * <p>It owns the fleet's Proxy objects and Secrets and never touches a cloud resource directly: it
 * only reads subnets to place proxies. Everything that must survive a restart lives in the API
 * (proxies, annotations, status), so the reconciler itself keeps nothing but caches.
 */
public final class FleetReconciler implements Reconciler<ProxyFleet>, Cleaner<ProxyFleet> {

  public static final String READY = "Ready";
  public static final String PROGRESSING = "Progressing";
  public static final String DEGRADED = "Degraded";
  public static final String ROTATIONS_HELD = "RotationsHeld";
  private static final String NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

  private final CloudProviders providers;
  private final BlockIndexRegistry blocklists;
  private final BlocklistSubscriptions subscriptions;
  private final EventRecorder events;
  private final Clock clock;
  private final RandomGenerator names;
  private final RandomGenerator secrets;
  private final Conditions conditions;
  private final FleetValidator validator = new FleetValidator();
  private final FleetPlanner planner = new FleetPlanner();
  private final BlockedFractions exposure;
  private final WrittenStatus written = new WrittenStatus();
  /** Per fleet: rotation requests written but perhaps not yet seen by the informer, by proxy UID. */
  private final Map<ResourceID, Map<String, String>> requestedRotations = new java.util.concurrent.ConcurrentHashMap<>();
  private InformerEventSource<Proxy, ProxyFleet> proxyEvents;
  private InformerEventSource<Secret, ProxyFleet> secretEvents;

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
    this.conditions = new Conditions(clock);
    this.exposure = exposure;
  }

  @Override
  public List<EventSource<?, ProxyFleet>> prepareEventSources(EventSourceContext<ProxyFleet> context) {
    proxyEvents =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Proxy.class, ProxyFleet.class)
                .withName("proxies")
                .withSecondaryToPrimaryMapper(p -> Set.of(new ResourceID(p.getSpec().getFleet(), p.getMetadata().getNamespace())))
                .build(),
            context);
    secretEvents =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Secret.class, ProxyFleet.class)
                .withName("fleet-secrets")
                .withLabelSelector(ApiGroup.FLEET_LABEL)
                .withSecondaryToPrimaryMapper(s -> Set.of(new ResourceID(s.getMetadata().getLabels().get(ApiGroup.FLEET_LABEL), s.getMetadata().getNamespace())))
                .build(),
            context);
    var primaries = context.getPrimaryCache();
    InformerEventSource<CloudProfile, ProxyFleet> profileEvents =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(CloudProfile.class, ProxyFleet.class)
                .withName("cloud-profiles")
                // Profiles usually exist before the fleets that name them, so the index built from
                // profile events alone would miss them: map fleet -> profiles explicitly.
                .withPrimaryToSecondaryMapper((ProxyFleet f) -> f.getSpec() == null || f.getSpec().getPlacement() == null ? Set.<ResourceID>of()
                    : f.getSpec().getPlacement().stream().filter(p -> p.getCloudProfile() != null)
                        .map(p -> new ResourceID(p.getCloudProfile(), f.getMetadata().getNamespace())).collect(Collectors.toSet()))
                .withSecondaryToPrimaryMapper(
                    profile ->
                        primaries
                            .list(f -> Objects.equals(f.getMetadata().getNamespace(), profile.getMetadata().getNamespace())
                                && f.getSpec() != null && f.getSpec().getPlacement() != null
                                && f.getSpec().getPlacement().stream().anyMatch(p -> profile.getMetadata().getName().equals(p.getCloudProfile())))
                            .map(ResourceID::fromResource)
                            .collect(Collectors.toSet()))
                .build(),
            context);
    SimpleInboundEventSource<ProxyFleet> blocklistEvents = new SimpleInboundEventSource<>("blocklists");
    blocklists.addListener(name -> subscriptions.fleetsUsing(name).forEach(blocklistEvents::propagateEvent));
    return List.of(proxyEvents, secretEvents, profileEvents, blocklistEvents);
  }

  @Override
  public UpdateControl<ProxyFleet> reconcile(ProxyFleet fleet, Context<ProxyFleet> context) {
    KubernetesClient client = context.getClient();
    ResourceID id = ResourceID.fromResource(fleet);
    ProxyFleetSpec spec = fleet.getSpec();
    subscriptions.record(id, spec == null ? List.of() : spec.getBlocklists());
    ProxyFleetStatus previous = fleet.getStatus();
    ProxyFleetStatus status = Optional.ofNullable(StatusChange.copy(previous, ProxyFleetStatus.class)).orElseGet(ProxyFleetStatus::new);
    // The informer may hand us a fleet from before our last status write; the budget, counters and
    // burned regions must not go backwards because of that.
    written.catchUp(id, status);
    status.setObservedGeneration(fleet.getMetadata().getGeneration());
    status.setSelector(ApiGroup.FLEET_LABEL + "=" + fleet.getMetadata().getName());
    Long generation = fleet.getMetadata().getGeneration();
    List<Proxy> proxies = context.getSecondaryResources(Proxy.class).stream().filter(p -> ownedBy(p, fleet)).toList();
    Map<String, String> requests = requestedRotations.computeIfAbsent(id, k -> new java.util.concurrent.ConcurrentHashMap<>());
    requests.keySet().retainAll(proxies.stream().map(p -> p.getMetadata().getUid()).collect(Collectors.toSet()));

    List<Problem> invalid = validator.validate(fleet);
    if (!invalid.isEmpty()) {
      // Leave every proxy as it is: a typo must never tear a fleet down.
      String message = invalid.stream().map(Problem::toString).collect(Collectors.joining("; "));
      List<String> lists = spec == null || spec.getBlocklists() == null ? List.of() : spec.getBlocklists();
      summarizeProxies(status, proxies.stream().map(p -> view(p, lists, requests)).toList(), null, Map.of());
      conditions.set(status.getConditions(), DEGRADED, true, "InvalidSpec", message, generation);
      conditions.set(status.getConditions(), PROGRESSING, false, "InvalidSpec", "Waiting for the spec to be fixed", generation);
      setReady(status, spec == null || spec.getReplicas() == null ? 0 : Math.max(0, spec.getReplicas()), generation);
      if (StatusChange.changed(previous, status)) {
        events.warning(fleet, "InvalidSpec", message);
      }
      return patchIfChanged(fleet, context, previous, status, null);
    }

    List<Problem> problems = new ArrayList<>();
    Protocol protocol = Protocol.fromWireName(spec.getProtocol()).orElseThrow();
    for (int i = 0; i < spec.getBlocklists().size(); i++) {
      String list = spec.getBlocklists().get(i);
      if (!blocklists.isPublished(list)) {
        problems.add(new Problem("spec.blocklists[" + i + "]", "Blocklist '" + list + "' not found or not published yet (a first version held by the"
            + " feed guard or not loaded yet: kubectl describe blocklist " + list + "); create or fix it, or remove it from the list"));
      }
    }

    // Account quotas (addresses, instances) stop the fleet from growing in a region: say so on the
    // fleet, where on-call looks, not only on the proxy that hit it.
    Map<SlotKey, String> quotaHits = new LinkedHashMap<>();
    for (Proxy p : proxies) {
      if (p.getStatus() != null && p.getMetadata().getDeletionTimestamp() == null) {
        Conditions.find(p.getStatus().getConditions(), "Ready").filter(c -> "QuotaExceeded".equals(c.getReason()))
            .ifPresent(c -> quotaHits.putIfAbsent(new SlotKey(p.getSpec().getCloudProfile(), p.getSpec().getRegion()), c.getMessage()));
      }
    }
    quotaHits.forEach((slot, message) -> problems.add(new Problem("spec.placement",
        "cloud quota exceeded in " + slot.region() + " (CloudProfile " + slot.cloudProfile() + "): " + message
            + "; raise the account quota or lower spec.replicas")));

    // Credentials: without them no proxy can be launched, but existing ones keep serving.
    Optional<Secret> credentialsSecret = credentialsSecret(fleet, client, problems);
    Optional<ProxyCredentials> credentials = credentialsSecret.flatMap(FleetSecrets::read);
    // Without a FakeTLS domain an mtproto proxy cannot be launched; the ones running keep serving.
    Problem noDomain = FleetValidator.fakeTlsDomainMissing(spec);
    status.setCredentialsSecret(FleetSecrets.credentialsName(fleet));

    Instant now = Instant.now(clock);
    // Regions whose addresses were all blocked get no new proxies for a while (their share moves to
    // the other regions) instead of a launch/fail loop. Kept in status so a restart remembers them.
    Map<SlotKey, BurnedRegion> burned = burnedRegions(fleet, status, proxies, now);

    // Observe: subnets per slot from each placement's provider, and how blocked each region is.
    Map<SlotKey, List<Subnet>> subnets = new LinkedHashMap<>();
    Map<SlotKey, String> unavailable = new LinkedHashMap<>();
    Map<SlotKey, Double> blockedFractions = new HashMap<>();
    io.proxyfleet.block.BlockIndex fleetIndex = blocklists.union(spec.getBlocklists());
    int maxBlockedPercent = FleetPolicy.maxRegionBlockedPercent(spec);
    Map<String, CloudProfile> profiles = new HashMap<>();
    for (int i = 0; i < spec.getPlacement().size(); i++) {
      Placement placement = spec.getPlacement().get(i);
      String at = "spec.placement[" + i + "]";
      Optional<CloudProfile> profile = context.getSecondaryResources(CloudProfile.class).stream()
          .filter(c -> c.getMetadata().getName().equals(placement.getCloudProfile())).findFirst();
      if (profile.isEmpty()) {
        problems.add(new Problem(at + ".cloudProfile", "CloudProfile '" + placement.getCloudProfile() + "' not found in namespace '" + fleet.getMetadata().getNamespace() + "'; create it or fix the name"));
        continue;
      }
      profiles.put(placement.getCloudProfile(), profile.get());
      CloudProvider provider;
      try {
        provider = providers.forProfile(profile.get());
      } catch (CloudException e) {
        problems.add(new Problem(at + ".cloudProfile", e.getMessage()));
        continue;
      }
      if (!provider.supports(protocol)) {
        problems.add(new Problem("spec.protocol", protocol + " is not supported by CloudProfile '" + placement.getCloudProfile() + "' (provider " + provider.type() + "); choose another protocol or profile"));
        continue;
      }
      if (credentials.isEmpty() || noDomain != null) {
        continue;
      }
      for (int r = 0; r < placement.getRegions().size(); r++) {
        String region = placement.getRegions().get(r);
        SlotKey slot = new SlotKey(placement.getCloudProfile(), region);
        try {
          exposure.blockedFraction(provider, region, fleetIndex).ifPresent(f -> blockedFractions.put(slot, f));
        } catch (CloudException e) {
          // A region the provider does not know: subnets() below reports it with the field to fix.
        }
        BurnedRegion burn = burned.get(slot);
        if (burn != null) {
          unavailable.put(slot, "burned until " + burn.getUntil());
          problems.add(new Problem(at + ".regions[" + r + "]", "every address drawn in '" + region + "' was blocked; no new proxies there until " + burn.getUntil()));
          continue;
        }
        Double fraction = blockedFractions.get(slot);
        String why = fraction == null ? null : FleetPolicy.avoidance(fraction, maxBlockedPercent);
        if (why != null) {
          unavailable.put(slot, why);
          problems.add(new Problem(at + ".regions[" + r + "]", "region '" + region + "' is avoided: " + why
              + "; its share goes to the other regions (raise spec.maxRegionBlockedPercent to use it anyway)"));
        }
        try {
          // New proxies go only to zones with capacity now (the shared cache the adapters feed).
          subnets.put(slot, io.proxyfleet.cloud.capacity.ZoneCapacity.usable(provider.subnets(region), provider.unavailableZones(region)));
        } catch (CloudException e) {
          problems.add(new Problem(at + ".regions[" + r + "]", e.getMessage()));
        }
      }
    }

    if (noDomain != null) {
      problems.add(noDomain);
    }
    int replicas = spec.getReplicas();
    RotationSettings settings = FleetPolicy.rotation(spec);

    List<ProxyView> views = proxies.stream().map(p -> view(p, spec.getBlocklists(), requests)).toList();
    int perHour = FleetPolicy.maxRotationsPerHour(spec);
    double budget = RotationBudget.available(status.getRotationBudget(), perHour, now);
    FleetPlan plan =
        planner.plan(new PlanInput(
            replicas,
            FleetPolicy.placements(spec),
            settings,
            views,
            subnets,
            now,
            unavailable,
            (int) Math.floor(budget)));

    // Act.
    Map<String, Proxy> byName = proxies.stream().collect(Collectors.toMap(p -> p.getMetadata().getName(), p -> p));
    for (FleetPlan.Delete delete : plan.deletes()) {
      Proxy proxy = byName.get(delete.name());
      client.resource(proxy).delete();
      events.normal(fleet, "DeletingProxy", "Deleting proxy " + delete.name() + describeReason(delete.reason(), proxy, spec.getBlocklists()));
    }
    for (FleetPlan.RotateIp rotate : plan.ipRotations()) {
      Proxy proxy = byName.get(rotate.name());
      String request = new RotationRequest(rotate.reason().name(), now).value();
      // By name, not by the cached copy: its resourceVersion may be stale and the edit would 409.
      Proxy requested = client.resources(Proxy.class).inNamespace(proxy.getMetadata().getNamespace()).withName(rotate.name()).edit(p -> {
        p.getMetadata().getAnnotations().put(ApiGroup.ROTATE_IP_ANNOTATION, request);
        return p;
      });
      // The next reconcile may run before the informer has this edit: remember the request so it
      // is not made twice (a second rotation would waste an address and the budget).
      requests.put(requested.getMetadata().getUid(), request);
      events.normal(fleet, "RotatingIP", "Requested a new IP for proxy " + rotate.name() + describeReason(rotate.reason(), proxy, spec.getBlocklists()));
    }
    Map<FleetPlan.Create, Proxy> newProxies = new LinkedHashMap<>();
    for (FleetPlan.Create create : plan.creates()) {
      newProxies.put(create, newProxy(fleet, create, profiles.get(create.slot().cloudProfile()), subnets.get(create.slot())));
    }
    if (credentialsSecret.isPresent() && FleetSecrets.generatesCredentials(fleet)) {
      // Per-proxy MTProto keys exist before their proxies, so a proxy never launches without one.
      credentialsSecret = Optional.of(syncProxyKeys(fleet, client, credentialsSecret.get(), proxies, newProxies.values()));
    }
    for (Map.Entry<FleetPlan.Create, Proxy> entry : newProxies.entrySet()) {
      FleetPlan.Create create = entry.getKey();
      Proxy created = client.resource(entry.getValue()).create();
      // The informer has not seen it yet; without this the next reconcile would launch it twice.
      proxyEvents.handleRecentResourceCreate(ResourceID.fromResource(created), created);
      events.normal(fleet, "LaunchingProxy", "Launching proxy " + created.getMetadata().getName() + " in " + create.slot().region() + " (" + create.subnet() + "): " + create.reason());
    }
    plan.rotationsStarted().forEach((reason, count) -> {
      status.getRotationsByReason().merge(reason.name(), (long) count, Long::sum);
      status.setRotations(status.getRotations() + count);
    });
    Duration untilBudget = recordBudget(fleet, status, previous, plan, perHour, budget, now, generation);

    // Publish endpoints of ready proxies.
    if (credentialsSecret.isPresent()) {
      publishEndpoints(fleet, client, proxies, views, protocol, credentialsSecret.get());
    }
    status.setEndpointsSecret(FleetSecrets.endpointsName(fleet));

    // Record.
    summarizeProxies(status, views, plan, blockedFractions);
    for (SlotKey slot : plan.slotsWithoutSubnets()) {
      if (problems.stream().noneMatch(p -> p.field().startsWith("spec.placement")) && credentials.isPresent() && noDomain == null) {
        problems.add(new Problem("spec.placement", "no usable subnet in " + slot));
      }
    }
    if (problems.isEmpty()) {
      conditions.set(status.getConditions(), DEGRADED, false, "AsExpected", "The spec is valid and every placement is usable", generation);
    } else {
      String message = problems.stream().map(Problem::toString).collect(Collectors.joining("; "));
      conditions.set(status.getConditions(), DEGRADED, true, reasonFor(problems), message, generation);
    }
    boolean acting = !plan.creates().isEmpty() || !plan.deletes().isEmpty() || !plan.ipRotations().isEmpty();
    boolean settled = status.getReadyReplicas() == replicas && status.getReplicas() == replicas && status.getBlockedReplicas() == 0;
    if (acting || !settled) {
      conditions.set(status.getConditions(), PROGRESSING, true, progressReason(plan),
          status.getReadyReplicas() + " of " + replicas + " proxies ready", generation);
    } else {
      conditions.set(status.getConditions(), PROGRESSING, false, "Stable", "All " + replicas + " proxies ready", generation);
    }
    setReady(status, replicas, generation);
    if (!problems.isEmpty() && StatusChange.changed(previous == null ? null : previous.getConditions(), status.getConditions())) {
      events.warning(fleet, reasonFor(problems), problems.stream().map(Problem::toString).collect(Collectors.joining("; ")));
    }
    Duration next = settings.maxAge() == null ? null : clamp(settings.maxAge().dividedBy(20), Duration.ofSeconds(1), Duration.ofMinutes(1));
    if (credentials.isEmpty()) {
      // A Secret the user names carries no fleet label, so no event tells us it appeared: poll.
      next = next == null || next.compareTo(Duration.ofSeconds(5)) > 0 ? Duration.ofSeconds(5) : next;
    }
    Optional<Instant> nextHoldEnd = burned.values().stream().map(b -> Instant.parse(b.getUntil())).min(Comparator.naturalOrder());
    if (nextHoldEnd.isPresent()) {
      next = earliest(next, Duration.between(now, nextHoldEnd.get()).plusMillis(100));
    }
    if (untilBudget != null) {
      next = earliest(next, untilBudget);
    }
    return patchIfChanged(fleet, context, previous, status, next);
  }

  @Override
  public ErrorStatusUpdateControl<ProxyFleet> updateErrorStatus(ProxyFleet fleet, Context<ProxyFleet> context, Exception e) {
    ProxyFleetStatus status = Optional.ofNullable(StatusChange.copy(fleet.getStatus(), ProxyFleetStatus.class)).orElseGet(ProxyFleetStatus::new);
    Long generation = fleet.getMetadata().getGeneration();
    boolean forbidden = e instanceof KubernetesClientException k && k.getCode() == 403;
    String message = e instanceof KubernetesClientException k ? "Kubernetes API error " + k.getCode() + ": " + k.getMessage() : e.toString();
    if (forbidden) {
      message += "; grant the operator's ServiceAccount this permission (see operator/rbac.yaml)";
    }
    conditions.set(status.getConditions(), DEGRADED, true, forbidden ? "Forbidden" : "ReconcileError", message + " (retrying)", generation);
    // Counts come from the proxies that exist now, never from the last good pass: a fleet whose
    // creates are refused must not keep claiming the replicas it had asked for.
    ProxyFleetSpec spec = fleet.getSpec();
    List<String> lists = spec == null || spec.getBlocklists() == null ? List.of() : spec.getBlocklists();
    Map<String, String> requests = requestedRotations.getOrDefault(ResourceID.fromResource(fleet), Map.of());
    summarizeProxies(status, context.getSecondaryResources(Proxy.class).stream().filter(p -> ownedBy(p, fleet))
        .map(p -> view(p, lists, requests)).toList(), null, Map.of());
    setReady(status, spec == null || spec.getReplicas() == null ? 0 : Math.max(0, spec.getReplicas()), generation);
    fleet.setStatus(status);
    return ErrorStatusUpdateControl.patchStatus(fleet);
  }

  /** Deletes the fleet's proxies and waits until their finalizers have torn the VMs down. */
  @Override
  public DeleteControl cleanup(ProxyFleet fleet, Context<ProxyFleet> context) {
    KubernetesClient client = context.getClient();
    subscriptions.forget(ResourceID.fromResource(fleet));
    written.forget(ResourceID.fromResource(fleet));
    requestedRotations.remove(ResourceID.fromResource(fleet));
    List<Proxy> remaining = client.resources(Proxy.class).inNamespace(fleet.getMetadata().getNamespace())
        .withLabel(ApiGroup.FLEET_LABEL, fleet.getMetadata().getName()).list().getItems();
    if (!remaining.isEmpty()) {
      remaining.stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).forEach(p -> client.resource(p).delete());
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(Duration.ofSeconds(1).toMillis());
    }
    client.secrets().inNamespace(fleet.getMetadata().getNamespace()).withName(FleetSecrets.endpointsName(fleet)).delete();
    if (FleetSecrets.generatesCredentials(fleet)) {
      client.secrets().inNamespace(fleet.getMetadata().getNamespace()).withName(FleetSecrets.credentialsName(fleet)).delete();
    }
    events.normal(fleet, "Deleted", "Every proxy of the fleet is gone");
    return DeleteControl.defaultDelete();
  }

  private Optional<Secret> credentialsSecret(ProxyFleet fleet, KubernetesClient client, List<Problem> problems) {
    String name = FleetSecrets.credentialsName(fleet);
    String ns = fleet.getMetadata().getNamespace();
    Secret secret = secretEvents.get(new ResourceID(name, ns)).orElse(null);
    if (secret == null && !FleetSecrets.generatesCredentials(fleet)) {
      secret = client.secrets().inNamespace(ns).withName(name).get();
    }
    if (FleetSecrets.generatesCredentials(fleet) && secret != null && !FleetSecrets.ownedBy(secret, fleet)) {
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
      secretEvents.handleRecentResourceCreate(ResourceID.fromResource(created), created);
      events.normal(fleet, "CredentialsGenerated", "Generated proxy credentials in Secret " + name);
      secret = created;
    }
    if (secret == null) {
      problems.add(new Problem("spec.credentialsSecret", "Secret '" + name + "' not found; create it with keys 'username' and 'password' or remove the field to have one generated"));
      return Optional.empty();
    }
    Optional<ProxyCredentials> read = FleetSecrets.read(secret);
    if (read.isEmpty()) {
      problems.add(new Problem("spec.credentialsSecret", "Secret '" + name + "' needs non-empty keys 'username' and 'password'"));
      return Optional.empty();
    }
    // Links carry the credentials: refuse what a client would decode differently. The message names
    // the key and the reason, never the value.
    for (String key : List.of(FleetSecrets.USERNAME, FleetSecrets.PASSWORD)) {
      String why = ProxyLinks.unencodable(key.equals(FleetSecrets.USERNAME) ? read.get().username() : read.get().password());
      if (why != null) {
        problems.add(new Problem("spec.credentialsSecret", "key '" + key + "' of Secret '" + name + "' cannot be encoded in a link: it " + why));
        return Optional.empty();
      }
    }
    if (FleetSecrets.sharesMtprotoSecret(fleet) && FleetSecrets.mtprotoKey(secret, "").isEmpty()) {
      if (!FleetSecrets.generatesCredentials(fleet)) {
        problems.add(new Problem("spec.credentialsSecret", "Secret '" + name + "' needs key '" + FleetSecrets.MTPROTO_SECRET
            + "' (32 lowercase hex digits) for an mtproto fleet with secretScope fleet"));
        return Optional.empty();
      }
      // The fleet became mtproto after its Secret was generated: add the key, keep the rest.
      Secret before = secret;
      secret = client.secrets().inNamespace(ns).withName(name).edit(s -> {
        FleetSecrets.put(s, FleetSecrets.MTPROTO_SECRET, FakeTlsSecret.newKey(secrets));
        return s;
      });
      secretEvents.handleRecentResourceUpdate(ResourceID.fromResource(secret), secret, before);
      events.normal(fleet, "CredentialsGenerated", "Generated the MTProto secret in Secret " + name);
    }
    return Optional.of(secret);
  }

  /**
   * Keeps one MTProto key per proxy in the generated credentials Secret: adds keys for the proxies
   * about to be created (secretScope proxy) and drops keys of proxies that are gone, so the Secret
   * does not grow with every rotation. Writes only when something changed.
   */
  private Secret syncProxyKeys(ProxyFleet fleet, KubernetesClient client, Secret secret, List<Proxy> proxies, java.util.Collection<Proxy> creating) {
    Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
    Set<String> live = new java.util.HashSet<>();
    proxies.forEach(p -> live.add(FleetSecrets.mtprotoKeyName(p.getMetadata().getName())));
    List<String> add = new ArrayList<>();
    if (FleetSecrets.perProxyMtprotoSecret(fleet)) {
      creating.forEach(p -> add.add(FleetSecrets.mtprotoKeyName(p.getMetadata().getName())));
      live.addAll(add);
    }
    List<String> drop = data.keySet().stream().filter(k -> k.startsWith(FleetSecrets.MTPROTO_SECRET_PREFIX) && !live.contains(k)).toList();
    if (add.isEmpty() && drop.isEmpty()) {
      return secret;
    }
    Secret updated = client.secrets().inNamespace(secret.getMetadata().getNamespace()).withName(secret.getMetadata().getName()).edit(s -> {
      drop.forEach(s.getData()::remove);
      add.forEach(k -> FleetSecrets.put(s, k, FakeTlsSecret.newKey(secrets)));
      return s;
    });
    secretEvents.handleRecentResourceUpdate(ResourceID.fromResource(updated), updated, secret);
    return updated;
  }

  private void publishEndpoints(ProxyFleet fleet, KubernetesClient client, List<Proxy> proxies, List<ProxyView> views,
      Protocol protocol, Secret credentialsSecret) {
    Map<String, Proxy> byName = proxies.stream().collect(Collectors.toMap(p -> p.getMetadata().getName(), p -> p));
    ArrayNode list = JsonNodeFactory.instance.arrayNode();
    List<String> subscription = new ArrayList<>();
    views.stream().filter(ProxyView::ready).sorted(Comparator.comparing(ProxyView::name)).forEach(v -> {
      Proxy p = byName.get(v.name());
      // Each proxy's own credentials (its MTProto key and domain): a link never names another's.
      Optional<ProxyCredentials> credentials = FleetSecrets.forProxy(credentialsSecret, p);
      if (credentials.isEmpty()) {
        return;
      }
      ObjectNode node = list.addObject();
      node.put("name", v.name());
      node.put("cloudProfile", p.getSpec().getCloudProfile());
      node.put("region", p.getSpec().getRegion());
      node.put("zone", p.getStatus() != null && p.getStatus().getZone() != null ? p.getStatus().getZone() : p.getSpec().getZone());
      node.put("ip", v.publicIp());
      node.put("port", p.getSpec().getPort());
      node.put("protocol", protocol.wireName());
      node.put("uri", ProxyLinks.uri(protocol, v.publicIp(), p.getSpec().getPort(), credentials.get()));
      ArrayNode links = node.putArray("links");
      for (String link : ProxyLinks.links(protocol, v.name(), v.publicIp(), p.getSpec().getPort(), credentials.get())) {
        links.add(link);
        subscription.add(link);
      }
    });
    Secret desired = FleetSecrets.endpoints(fleet, list.toPrettyString(), ProxyLinks.subscription(subscription));
    // Only a Secret of this incarnation of the fleet counts: one of a deleted namesake is replaced.
    Optional<Secret> current = secretEvents.get(ResourceID.fromResource(desired)).filter(s -> FleetSecrets.ownedBy(s, fleet));
    if (current.isPresent() && Objects.equals(current.get().getData(), desired.getData())) {
      return;
    }
    if (current.isPresent()) {
      try {
        Secret written = client.resource(current.get()).edit(s -> { s.setData(desired.getData()); return s; });
        secretEvents.handleRecentResourceUpdate(ResourceID.fromResource(written), written, current.get());
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
          throw e;
        }
        // Deleted behind the cache's back: write it anew below instead of failing every retry.
      }
    }
    Secret written = createReplacing(client, desired);
    secretEvents.handleRecentResourceCreate(ResourceID.fromResource(written), written);
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
      client.secrets().inNamespace(desired.getMetadata().getNamespace()).withName(desired.getMetadata().getName()).delete();
      return client.resource(desired).create();
    }
  }

  private Proxy newProxy(ProxyFleet fleet, FleetPlan.Create create, CloudProfile profile, List<Subnet> subnets) {
    Proxy proxy = new Proxy();
    proxy.getMetadata().setName(fleet.getMetadata().getName() + "-" + suffix());
    proxy.getMetadata().setNamespace(fleet.getMetadata().getNamespace());
    proxy.getMetadata().setLabels(new LinkedHashMap<>(Map.of(ApiGroup.FLEET_LABEL, fleet.getMetadata().getName())));
    proxy.getMetadata().setAnnotations(new LinkedHashMap<>(Map.of("proxyfleet.io/created-for", create.reason().name())));
    proxy.getMetadata().setOwnerReferences(List.of(FleetSecrets.ownerReference(fleet)));
    ProxySpec spec = new ProxySpec();
    spec.setFleet(fleet.getMetadata().getName());
    spec.setCloudProfile(create.slot().cloudProfile());
    spec.setProvider(profile.getSpec().getProvider());
    spec.setRegion(create.slot().region());
    spec.setSubnet(create.subnet());
    spec.setZone(subnets.stream().filter(s -> s.id().equals(create.subnet())).map(Subnet::zone).findFirst().orElse(null));
    spec.setProtocol(fleet.getSpec().getProtocol());
    spec.setPort(fleet.getSpec().getPort());
    spec.setCredentialsSecret(FleetSecrets.credentialsName(fleet));
    if (Protocol.MTPROTO.wireName().equals(fleet.getSpec().getProtocol()) && fleet.getSpec().getMtproto() != null) {
      spec.setFakeTlsDomain(fleet.getSpec().getMtproto().getFakeTlsDomain());
    }
    proxy.setSpec(spec);
    return proxy;
  }

  private ProxyView view(Proxy p, List<String> lists, Map<String, String> requests) {
    var s = p.getStatus();
    String ip = s == null ? null : s.getPublicIp();
    BlockMatch match = ip == null ? null : blocklists.match(lists, ip).orElse(null);
    String request = p.getMetadata().getAnnotations() == null ? null : p.getMetadata().getAnnotations().get(ApiGroup.ROTATE_IP_ANNOTATION);
    String handled = s == null ? null : s.getIpRotationHandled();
    String remembered = requests.get(p.getMetadata().getUid());
    if (remembered != null && remembered.equals(handled)) {
      requests.remove(p.getMetadata().getUid(), remembered);
      remembered = null;
    }
    boolean pending = (request != null && !request.equals(handled)) || remembered != null;
    return new ProxyView(
        p.getMetadata().getName(),
        p.getMetadata().getUid(),
        new SlotKey(p.getSpec().getCloudProfile(), p.getSpec().getRegion()),
        p.getSpec().getSubnet(),
        s == null || s.getPhase() == null ? io.proxyfleet.api.ProxyPhase.Pending : s.getPhase(),
        ip,
        match,
        p.getMetadata().getDeletionTimestamp() != null,
        pending,
        Instant.parse(p.getMetadata().getCreationTimestamp() == null ? Instant.now(clock).toString() : p.getMetadata().getCreationTimestamp()));
  }

  private void summarizeProxies(ProxyFleetStatus status, List<ProxyView> all, FleetPlan plan, Map<SlotKey, Double> blockedFractions) {
    List<ProxyView> views = all.stream().filter(v -> !v.terminating()).toList();
    status.setReplicas(views.size());
    status.setReadyReplicas((int) views.stream().filter(ProxyView::ready).count());
    status.setBlockedReplicas((int) views.stream().filter(ProxyView::blocked).count());
    if (plan != null) {
      status.setRegions(plan.slots().stream()
          .map(s -> {
            RegionStatus region = new RegionStatus(s.slot().cloudProfile(), s.slot().region(), s.desired(), s.replicas(), s.ready(), s.blocked());
            Double fraction = blockedFractions.get(s.slot());
            region.setBlockedPercent(fraction == null ? null : BlockedFractions.percent(fraction));
            region.setUnavailable(s.unavailable());
            return region;
          })
          .toList());
    }
  }

  private void setReady(ProxyFleetStatus status, int replicas, Long generation) {
    boolean ready = status.getReadyReplicas() >= replicas;
    conditions.set(status.getConditions(), READY, ready, ready ? "ProxiesReady" : "ProxiesNotReady",
        status.getReadyReplicas() + " of " + replicas + " proxies serve on unblocked IPs", generation);
  }

  private UpdateControl<ProxyFleet> patchIfChanged(ProxyFleet fleet, Context<ProxyFleet> context, ProxyFleetStatus previous, ProxyFleetStatus status, Duration next) {
    UpdateControl<ProxyFleet> control;
    if (StatusChange.changed(previous, status)) {
      written.remember(ResourceID.fromResource(fleet), status);
      fleet.setStatus(status);
      control = UpdateControl.patchStatus(fleet);
    } else {
      control = UpdateControl.noUpdate();
    }
    return next == null ? control : control.rescheduleAfter(next);
  }



  private String describeReason(FleetPlan.Reason reason, Proxy proxy, List<String> lists) {
    return switch (reason) {
      case Blocked -> {
        String ip = proxy.getStatus() == null ? null : proxy.getStatus().getPublicIp();
        yield ": " + ip + " is blocked by " + blocklists.match(lists, ip).map(BlockMatch::toString).orElse("a blocklist");
      }
      case MaxAge -> ": older than rotation.maxAge";
      case Failed -> ": failed (" + Optional.ofNullable(proxy.getStatus()).map(s -> s.getMessage()).orElse("unknown") + ")";
      case ScaleDown -> ": scaling down";
      case Rebalance -> ": its region receives no proxies now (" + proxy.getSpec().getRegion() + " is burned or too blocked)";
      case ScaleUp -> "";
    };
  }

  private static String reasonFor(List<Problem> problems) {
    String first = problems.get(0).field();
    if (first.startsWith("spec.blocklists")) return "BlocklistNotFound";
    if (first.startsWith("spec.credentialsSecret")) return "CredentialsNotFound";
    if (first.startsWith("spec.protocol")) return "ProtocolNotSupported";
    if (first.startsWith("spec.mtproto")) return "InvalidSpec";
    if (problems.get(0).message().startsWith("every address drawn")) return "RegionBurned";
    if (problems.get(0).message().startsWith("cloud quota exceeded")) return "QuotaExceeded";
    if (problems.get(0).message().contains("is avoided:")) return "RegionsAvoided";
    return "PlacementUnavailable";
  }

  private static String progressReason(FleetPlan plan) {
    if (!plan.ipRotations().isEmpty() || plan.rotationsStarted().containsKey(FleetPlan.Reason.Blocked)) return "RotatingBlocked";
    if (plan.creates().stream().anyMatch(c -> c.reason() == FleetPlan.Reason.MaxAge)) return "RotatingByAge";
    if (!plan.creates().isEmpty()) return "ScalingUp";
    if (!plan.deletes().isEmpty()) return "ScalingDown";
    return "WaitingForProxies";
  }

  private static boolean ownedBy(Proxy p, ProxyFleet fleet) {
    return p.getSpec() != null && fleet.getMetadata().getName().equals(p.getSpec().getFleet());
  }

  private String suffix() {
    StringBuilder sb = new StringBuilder(5);
    for (int i = 0; i < 5; i++) sb.append(NAME_ALPHABET.charAt(names.nextInt(NAME_ALPHABET.length())));
    return sb.toString();
  }

  /**
   * Burned regions still in force, plus any a proxy just burned (it drew only blocked addresses).
   * Written into status; a warning event for each newly burned region.
   */
  private Map<SlotKey, BurnedRegion> burnedRegions(ProxyFleet fleet, ProxyFleetStatus status, List<Proxy> proxies, Instant now) {
    Map<SlotKey, BurnedRegion> burned = new LinkedHashMap<>();
    for (BurnedRegion b : status.getBurnedRegions()) {
      try {
        if (Instant.parse(b.getUntil()).isAfter(now)) {
          burned.put(new SlotKey(b.getCloudProfile(), b.getRegion()), b);
        }
      } catch (RuntimeException e) {
        // An unreadable entry (edited by hand) is dropped rather than blocking the region forever.
      }
    }
    Duration cooldown = FleetPolicy.burnedRegionCooldown(fleet.getSpec());
    for (Proxy p : proxies) {
      boolean burnedHere = p.getMetadata().getDeletionTimestamp() == null && p.getStatus() != null
          && p.getStatus().getPhase() == io.proxyfleet.api.ProxyPhase.Failed
          && Conditions.find(p.getStatus().getConditions(), "Ready").map(c -> "NoCleanAddress".equals(c.getReason())).orElse(false);
      SlotKey slot = new SlotKey(p.getSpec().getCloudProfile(), p.getSpec().getRegion());
      if (burnedHere && !burned.containsKey(slot)) {
        String until = now.plus(cooldown).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        String why = "proxy " + p.getMetadata().getName() + ": " + Optional.ofNullable(p.getStatus().getMessage()).orElse("no clean address");
        burned.put(slot, new BurnedRegion(slot.cloudProfile(), slot.region(), until, why));
        events.warning(fleet, "RegionBurned", "Region " + slot.region() + " (" + slot.cloudProfile() + ") is burned until " + until
            + " (" + why + "); its proxies go to the fleet's other regions meanwhile");
      }
    }
    status.setBurnedRegions(new ArrayList<>(burned.values()));
    return burned;
  }

  /**
   * Charges the rotation budget for the rotations this plan started and reports held ones. Returns
   * when to plan again for held rotations, or null.
   */
  private Duration recordBudget(ProxyFleet fleet, ProxyFleetStatus status, ProxyFleetStatus previous, FleetPlan plan,
      int perHour, double available, Instant now, Long generation) {
    int held = plan.rotationsHeldTotal();
    status.setRotationsHeld(held);
    int started = plan.rotationsStartedTotal();
    if (started > 0 || status.getRotationBudget() == null) {
      status.setRotationBudget(RotationBudget.charge(available, started, now));
    }
    if (held == 0) {
      conditions.set(status.getConditions(), ROTATIONS_HELD, false, "WithinBudget",
          "Rotations run as needed (budget " + perHour + " per hour)", generation);
      return null;
    }
    String breakdown = plan.rotationsHeld().entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    Duration wait = RotationBudget.untilNextToken(available - started, perHour);
    String message = held + " rotations held back (" + breakdown + "): rotation.maxRotationsPerHour " + perHour
        + " is spent; the next starts in about " + wait.toSeconds() + "s";
    conditions.set(status.getConditions(), ROTATIONS_HELD, true, "BudgetSpent", message, generation);
    int heldBefore = previous == null || previous.getRotationsHeld() == null ? 0 : previous.getRotationsHeld();
    if (heldBefore == 0) {
      events.warning(fleet, "RotationsHeld", message);
    }
    return wait.plusMillis(50);
  }

  private static Duration earliest(Duration a, Duration b) {
    return a == null || b.compareTo(a) < 0 ? b : a;
  }

  private static Duration clamp(Duration d, Duration min, Duration max) {
    return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
  }
}
