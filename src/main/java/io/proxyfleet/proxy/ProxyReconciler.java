package io.proxyfleet.proxy;

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
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.proxyfleet.api.ApiGroup;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.FleetBlocklists;
import io.proxyfleet.api.Protocol;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.api.ProxyStatus;
import io.proxyfleet.block.BlockChecker;
import io.proxyfleet.block.BlockIndexRegistry;
import io.proxyfleet.block.BlockMatch;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudProvider;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.decide.DecisionLog;
import io.proxyfleet.decide.ProxyStep;
import io.proxyfleet.events.EventRecorder;
import io.proxyfleet.policy.FleetPolicy;
import io.proxyfleet.secrets.FleetSecrets;
import io.proxyfleet.secrets.SecretsByName;
import io.proxyfleet.status.Conditions;
import io.proxyfleet.status.Reason;
import io.proxyfleet.status.StatusChange;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles one Proxy against its cloud.
 *
 * <p>What to do (launch, wait for the boot, assign or rotate the address, fail with a reason,
 * retry, clean up) is decided by {@link ProxyStep}, the pure function the blockade replay calls
 * too; this class observes the Proxy and its VM for it and carries the decision out.
 *
 * <p>Crash safety comes from the cloud, not from memory: the instance and its addresses are looked
 * up by the Proxy UID tag on every pass, so a crash between any two calls is repaired by the next
 * pass (an unassociated address owned by this proxy is adopted or released; a launched instance is
 * found instead of launched again). The finalizer (added by the framework before the first
 * reconcile, so before any cloud call) keeps the Proxy until instance and addresses are gone.
 */
public final class ProxyReconciler implements Reconciler<Proxy>, Cleaner<Proxy> {

  public static final String READY = "Ready";
  public static final String BLOCKED = "Blocked";
  public static final String LAUNCHED = "Launched";
  public static final String ADDRESS_ASSIGNED = "AddressAssigned";

  /** Ready reason while the proxy's CloudProfile does not exist. */
  public static final String CLOUD_PROFILE_NOT_FOUND = Reason.CloudProfileNotFound.name();

  /** Ready=False reason of a proxy whose spec cannot be read into its fields. */
  public static final String INVALID_SPEC = Reason.InvalidSpec.name();

  private static final Logger log = LoggerFactory.getLogger(ProxyReconciler.class);

  private final CloudProviders providers;
  private final BlockIndexRegistry blocklists;
  private final EventRecorder events;
  private final Clock clock;
  private final String cluster;
  private final AddressAssignment addresses;
  private final Conditions conditions;

  /**
   * Rotation requests this process handled, by Proxy UID, until the informer shows them handled.
   * JOSDK may start the next reconcile from a cached Proxy older than our own status write; without
   * this the same request would swap the address a second time (an address and a rotation wasted).
   */
  private final Map<String, HandledRotation> handledRotations =
      new java.util.concurrent.ConcurrentHashMap<>();

  private record HandledRotation(String request, Instant at) {}

  /**
   * How long a handled request is trusted over a cache that does not show it (the write may have
   * failed).
   */
  static final Duration HANDLED_ROTATION_MEMORY = Duration.ofSeconds(30);

  private volatile DecisionLog decisions = DecisionLog.NONE;

  private final FleetChanges fleetChanges = new FleetChanges();

  private volatile SecretsByName secrets;

  public ProxyReconciler(
      CloudProviders providers,
      BlockIndexRegistry blocklists,
      EventRecorder events,
      Clock clock,
      String cluster,
      int maxAddressDraws) {
    this.providers = providers;
    this.blocklists = blocklists;
    this.events = events;
    this.clock = clock;
    this.cluster = cluster;
    this.addresses = new AddressAssignment(cluster, maxAddressDraws);
    this.conditions = new Conditions(clock);
  }

  /**
   * Reads credentials through the operator's by-name Secret cache, the one the fleet writes them
   * through: a fleet of a thousand proxies costs one read instead of a thousand. Without it, each
   * launch reads the Secret from the server.
   */
  public void readCredentialsThrough(SecretsByName secrets) {
    this.secrets = secrets;
  }

  /** Reports every step decision to {@code log} (tests comparing the operator with the replay). */
  public void recordDecisionsTo(DecisionLog log) {
    this.decisions = log;
  }

  /**
   * How long after a blocklist change a proxy looks at it on its own. The fleet reacts to the same
   * change by requesting a new IP for each blocked proxy, and a proxy that handles that request
   * first records the block and the swap in one status write. Looking at once instead wrote every
   * blocked proxy's status twice (Blocked, then the swap): a thousand extra writes when a block
   * hits a thousand proxies, on the same API server the swaps wait for. A proxy the fleet does not
   * rotate (its budget spent) shows Blocked this much later.
   */
  static final Duration BLOCKLIST_REACTION_DELAY = Duration.ofSeconds(3);

  private static final ScheduledExecutorService LATER =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "proxy-blocklist-reactions");
            t.setDaemon(true);
            return t;
          });

  private static void later(Runnable propagate) {
    LATER.schedule(
        () -> {
          try {
            propagate.run();
          } catch (RuntimeException e) {
            // The controller stopped in between: nothing left to wake.
            log.debug("Blocklist reaction dropped: {}", e.toString());
          }
        },
        BLOCKLIST_REACTION_DELAY.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  @Override
  public List<EventSource<?, Proxy>> prepareEventSources(EventSourceContext<Proxy> context) {
    var primaries = context.getPrimaryCache();
    InformerEventSource<ProxyFleet, Proxy> fleets =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(ProxyFleet.class, Proxy.class)
                .withName("fleets")
                .withPrimaryToSecondaryMapper(
                    (Proxy p) ->
                        Set.of(
                            new ResourceID(p.getSpec().getFleet(), p.getMetadata().getNamespace())))
                .withSecondaryToPrimaryMapper(f -> fleetChanges.proxiesToWake(f, primaries::list))
                // Spec changes (blocklists) and new rotation requests matter to proxies; the
                // rest of the fleet's status churn must not fan out.
                .withOnUpdateFilter(
                    (now, before) ->
                        !Objects.equals(
                                now.getMetadata().getGeneration(),
                                before.getMetadata().getGeneration())
                            || !FleetChanges.requests(now).equals(FleetChanges.requests(before)))
                .build(),
            context);
    InformerEventSource<CloudProfile, Proxy> profiles =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(CloudProfile.class, Proxy.class)
                .withName("cloud-profiles")
                .withPrimaryToSecondaryMapper(
                    (Proxy p) ->
                        Set.of(
                            new ResourceID(
                                p.getSpec().getCloudProfile(), p.getMetadata().getNamespace())))
                .withSecondaryToPrimaryMapper(
                    c ->
                        primaries
                            .list(
                                p ->
                                    Objects.equals(
                                            p.getMetadata().getNamespace(),
                                            c.getMetadata().getNamespace())
                                        && c.getMetadata()
                                            .getName()
                                            .equals(p.getSpec().getCloudProfile()))
                            .map(ResourceID::fromResource)
                            .collect(Collectors.toSet()))
                .build(),
            context);
    SimpleInboundEventSource<Proxy> blocklistEvents = new SimpleInboundEventSource<>("blocklists");
    blocklists.addListener(
        list ->
            primaries
                .list(p -> p.getStatus() != null && p.getStatus().getPublicIp() != null)
                .filter(
                    p ->
                        fleets
                            .get(
                                new ResourceID(
                                    p.getSpec().getFleet(), p.getMetadata().getNamespace()))
                            .map(
                                f ->
                                    f.getSpec() != null
                                        && FleetBlocklists.inForce(f).contains(list))
                            .orElse(false))
                .map(ResourceID::fromResource)
                .forEach(id -> later(() -> blocklistEvents.propagateEvent(id))));
    return List.of(fleets, profiles, blocklistEvents);
  }

  @Override
  public UpdateControl<Proxy> reconcile(Proxy proxy, Context<Proxy> context) {
    ProxyStatus previous = proxy.getStatus();
    ProxyStatus status =
        Optional.ofNullable(StatusChange.copy(previous, ProxyStatus.class))
            .orElseGet(ProxyStatus::new);
    Optional<ProxyFleet> fleet = context.getSecondaryResource(ProxyFleet.class);
    BlockChecker checker =
        blocklists.checkerFor(fleet.map(FleetBlocklists::inForce).orElse(List.of()));
    if (proxy.getSpec() != null && !proxy.getSpec().getUnreadableFields().isEmpty()) {
      // A spec the operator cannot read makes no cloud call: the proxy waits, named, until
      // replaced.
      String message =
          proxy.getSpec().getUnreadableFields().stream()
              .map(Object::toString)
              .collect(java.util.stream.Collectors.joining("; "));
      if (previous == null
          || Conditions.find(previous.getConditions(), READY)
              .filter(c -> INVALID_SPEC.equals(c.getReason()))
              .isEmpty()) {
        events.warning(proxy, INVALID_SPEC, message);
      }
      return finish(
          proxy,
          previous,
          status,
          Optional.ofNullable(status.getPhase()).orElse(ProxyPhase.Pending),
          INVALID_SPEC,
          message,
          checker,
          null);
    }
    Optional<CloudProfile> profile = context.getSecondaryResource(CloudProfile.class);
    if (profile.isEmpty()) {
      // Without its profile the operator cannot reach the cloud, but a running VM still serves:
      // keep its phase so the endpoints (reachability, not configuration) keep publishing it.
      ProxyPhase phase =
          status.getPhase() == ProxyPhase.Running ? ProxyPhase.Running : ProxyPhase.Pending;
      return finish(
          proxy,
          previous,
          status,
          phase,
          CLOUD_PROFILE_NOT_FOUND,
          "CloudProfile '"
              + proxy.getSpec().getCloudProfile()
              + "' not found; create it"
              + (phase == ProxyPhase.Running
                  ? " (the proxy keeps serving but cannot be repaired, rotated or deleted from the cloud until it exists)"
                  : ""),
          checker,
          null);
    }
    String region = proxy.getSpec().getRegion();
    String uid = proxy.getMetadata().getUid();
    Instant now = Instant.now(clock);
    Instant created = Instant.parse(proxy.getMetadata().getCreationTimestamp());
    Duration launchTimeout =
        fleet
            .map(f -> FleetPolicy.launchTimeout(f.getSpec()))
            .orElse(FleetPolicy.DEFAULT_LAUNCH_TIMEOUT);
    Requests requests = Requests.of(proxy, fleet, status);
    String request = requests.pending();
    boolean rotationRequested = request != null;
    HandledRotation handled = handledRotations.get(uid);
    if (handled != null) {
      // A retry follows a pass that failed, most often the status write that would have recorded
      // the request handled (a conflict, the API down): there is no write of ours to wait for.
      // Waiting anyway held the proxy's status back for the whole memory (30 s) after each
      // failed write; the swap itself is not redone, since the VM's newer address is kept.
      boolean lastPassFailed = context.getRetryInfo().isPresent();
      if (lastPassFailed || !rotationRequested || !handled.request().equals(request)) {
        handledRotations.remove(uid);
      } else if (handled.at().plus(HANDLED_ROTATION_MEMORY).isAfter(now)) {
        // Our write of this request's outcome has not reached the cache yet: wait for it.
        return UpdateControl.<Proxy>noUpdate().rescheduleAfter(Duration.ofMillis(500));
      } else {
        handledRotations.remove(uid);
      }
    }
    ProxyPhase recorded = status.getPhase();
    // A VM launched in this pass is announced once: with its address when it gets one in the same
    // pass (one event instead of Launched and IPAssigned, a thousand fewer writes per thousand
    // launches), on its own otherwise.
    StringBuilder launchedNote = new StringBuilder();

    try {
      CloudProvider provider = providers.forProfile(profile.get());
      Optional<Instance> found = provider.findInstance(region, uid);
      ProxyStep.Observation seen =
          new ProxyStep.Observation(
              recorded,
              status.getInstanceId(),
              status.getPublicIp(),
              created,
              launchTimeout,
              found,
              found.map(Instance::publicIp).map(checker::isBlocked).orElse(false),
              rotationRequested,
              now);
      ProxyStep.Decision decision = decide(proxy, seen);
      if (decision instanceof ProxyStep.Launch) {
        ProxyCredentials credentials = credentials(proxy, context.getClient());
        Instance launched =
            provider.launch(
                new LaunchSpec(
                    owner(proxy),
                    region,
                    proxy.getSpec().getSubnet(),
                    Protocol.fromWireName(proxy.getSpec().getProtocol())
                        .orElseThrow(
                            () ->
                                new CloudException(
                                    CloudException.Reason.INVALID,
                                    "spec.protocol: '"
                                        + proxy.getSpec().getProtocol()
                                        + "' is not a protocol")),
                    proxy.getSpec().getPort(),
                    credentials));
        status.setInstanceId(launched.id());
        status.setLaunchedAt(rfc3339(Optional.ofNullable(launched.launchedAt()).orElse(now)));
        launchedNote.append(
            "Launched instance "
                + launched.id()
                + " in "
                + region
                + " ("
                + proxy.getSpec().getSubnet()
                + ")");
        found = Optional.of(launched);
        decision = decide(proxy, seen.launched(launched));
        if (!(decision instanceof ProxyStep.AssignAddress)) {
          announceLaunch(proxy, launchedNote);
        }
      }
      if (found.isPresent()) {
        Instance instance = found.get();
        status.setInstanceId(instance.id());
        status.setZone(instance.zone());
        status.setSubnet(instance.subnetId());
        if (status.getLaunchedAt() == null && instance.launchedAt() != null) {
          status.setLaunchedAt(rfc3339(instance.launchedAt()));
        }
      }
      if (decision instanceof ProxyStep.StayFailed) {
        return finish(
            proxy,
            previous,
            status,
            ProxyPhase.Failed,
            Conditions.find(status.getConditions(), READY)
                .map(c -> c.getReason())
                .orElse(Reason.CloudError.name()),
            status.getMessage(),
            checker,
            null);
      }
      if (decision instanceof ProxyStep.Fail fail) {
        return fail(proxy, previous, status, fail.reason(), launchTimeout, found, checker);
      }
      if (decision instanceof ProxyStep.Boot) {
        return finish(
            proxy,
            previous,
            status,
            ProxyPhase.Launching,
            Reason.Booting.name(),
            "Instance " + found.get().id() + " is booting",
            checker,
            ProxyStep.BOOT_POLL);
      }
      if (decision instanceof ProxyStep.AssignAddress assign) {
        return assign(
            proxy,
            previous,
            status,
            assign,
            provider,
            found.get(),
            fleet,
            requests,
            checker,
            launchedNote);
      }
      if (decision instanceof ProxyStep.Serve) {
        status.setPublicIp(found.get().publicIp());
        status.setAddressId(found.get().addressId());
        return serving(proxy, previous, status, checker);
      }
      throw new IllegalStateException("no action for " + decision);
    } catch (CloudException e) {
      announceLaunch(proxy, launchedNote);
      return onCloudError(proxy, previous, status, e, checker);
    }
  }

  /** The Launched event of a VM this pass launched, if not announced yet. */
  private void announceLaunch(Proxy proxy, StringBuilder note) {
    if (!note.isEmpty()) {
      events.normal(proxy, "Launched", note.toString());
      note.setLength(0);
    }
  }

  /** The step's decision, reported to the decision log. */
  private ProxyStep.Decision decide(Proxy proxy, ProxyStep.Observation seen) {
    ProxyStep.Decision decision = ProxyStep.decide(seen);
    decisions.proxy(seen.now(), proxy.getMetadata().getName(), decision);
    return decision;
  }

  /** Draws a clean address (or keeps a newer one a crashed pass left), then serves or fails. */
  private UpdateControl<Proxy> assign(
      Proxy proxy,
      ProxyStatus previous,
      ProxyStatus status,
      ProxyStep.AssignAddress assign,
      CloudProvider provider,
      Instance instance,
      Optional<ProxyFleet> fleet,
      Requests requests,
      BlockChecker checker,
      StringBuilder launchedNote) {
    String request = requests.pending();
    String region = proxy.getSpec().getRegion();
    String oldIp = instance.publicIp();
    if (assign.rotation()) {
      // Only written if the swap does not finish in this pass (a cloud error between allocate,
      // associate and release): then status shows the proxy Rotating, not Running.
      status.setPhase(ProxyPhase.Rotating);
    }
    Optional<String> hint =
        assign.firstAddress() ? Optional.of(proxy.getSpec().getSubnet()) : Optional.empty();
    int draws =
        fleet
            .map(f -> FleetPolicy.maxAddressDraws(f.getSpec(), addresses.maxDraws()))
            .orElse(addresses.maxDraws());
    // A pass that associated a new address and crashed before releasing the old one or writing
    // status leaves the instance on an IP other than the recorded one: that newer IP wins.
    Optional<Address> kept =
        assign.keepNewer()
            ? addresses.keepCurrent(provider, region, owner(proxy), instance)
            : Optional.empty();
    if (kept.isPresent()) {
      oldIp = status.getPublicIp();
    }
    AddressAssignment.Result result =
        kept.map(a -> new AddressAssignment.Result(a, 0, 0))
            .orElseGet(
                () ->
                    addresses.assignClean(
                        provider, region, owner(proxy), instance, hint, checker, draws));
    ProxyStep.Decision after = ProxyStep.afterAssignment(result.clean());
    decisions.proxy(Instant.now(clock), proxy.getMetadata().getName(), after);
    if (after instanceof ProxyStep.Fail) {
      announceLaunch(proxy, launchedNote);
      events.warning(
          proxy,
          Reason.NoCleanAddress.name(),
          "Every one of "
              + draws
              + " addresses drawn in "
              + region
              + " was blocked; the fleet will replace this proxy");
      return finish(
          proxy,
          previous,
          status,
          ProxyPhase.Failed,
          Reason.NoCleanAddress.name(),
          draws + " addresses drawn in " + region + " were all blocked",
          checker,
          null);
    }
    Address fresh = result.address();
    status.setPublicIp(fresh.ip());
    status.setAddressId(fresh.id());
    status.setIpAssignedAt(conditions.now());
    if (oldIp != null) {
      status.setIpRotations(Optional.ofNullable(status.getIpRotations()).orElse(0) + 1);
      events.normal(
          proxy,
          "IPRotated",
          "Moved from "
              + oldIp
              + " to "
              + fresh.ip()
              + (request == null ? "" : " (" + request + ")"));
    } else if (!launchedNote.isEmpty()) {
      events.normal(
          proxy,
          "Launched",
          launchedNote + ", serving on " + fresh.ip() + ":" + proxy.getSpec().getPort());
      launchedNote.setLength(0);
    } else {
      events.normal(
          proxy, "IPAssigned", "Serving on " + fresh.ip() + ":" + proxy.getSpec().getPort());
    }
    if (request != null) {
      requests.served(status);
      handledRotations.put(
          proxy.getMetadata().getUid(), new HandledRotation(request, Instant.now(clock)));
    }
    return serving(proxy, previous, status, checker);
  }

  /**
   * Which proxies a fleet's change concerns. A new spec (or a fleet seen for the first time, or
   * deleted) concerns every proxy of the fleet; a status change only the proxies whose rotation
   * request is new. Waking all thousand proxies for each status write that adds or drops a request
   * would cost a cloud lookup each.
   */
  static final class FleetChanges {
    private record Seen(Long generation, Map<String, String> requests) {}

    private final Map<ResourceID, Seen> seen = new java.util.concurrent.ConcurrentHashMap<>();

    static Map<String, String> requests(ProxyFleet fleet) {
      return fleet.getStatus() == null ? Map.of() : fleet.getStatus().getIpRotationRequests();
    }

    /** {@code proxies} lists the cached Proxies that pass a filter (the primary cache's list). */
    Set<ResourceID> proxiesToWake(
        ProxyFleet fleet, Function<Predicate<Proxy>, Stream<Proxy>> proxies) {
      ResourceID id = ResourceID.fromResource(fleet);
      Map<String, String> requests = Map.copyOf(requests(fleet));
      Seen before = seen.put(id, new Seen(fleet.getMetadata().getGeneration(), requests));
      boolean all =
          before == null
              || !Objects.equals(before.generation(), fleet.getMetadata().getGeneration())
              || fleet.getMetadata().getDeletionTimestamp() != null;
      return proxies
          .apply(
              p ->
                  Objects.equals(p.getMetadata().getNamespace(), fleet.getMetadata().getNamespace())
                      && fleet.getMetadata().getName().equals(p.getSpec().getFleet())
                      && (all || isNew(p, requests, before.requests())))
          .map(ResourceID::fromResource)
          .collect(Collectors.toSet());
    }

    private static boolean isNew(Proxy p, Map<String, String> now, Map<String, String> before) {
      String request = now.get(p.getMetadata().getName());
      return request != null
          && !request.equals(before.get(p.getMetadata().getName()))
          && (p.getStatus() == null || !request.equals(p.getStatus().getFleetRotationHandled()));
    }
  }

  /**
   * The rotation requests a proxy can be asked to serve: its fleet's (an entry in the fleet's
   * {@code status.ipRotationRequests}) and a person's (the {@link ApiGroup#ROTATE_IP_ANNOTATION}
   * annotation). Each is served once, recorded in its own status field, so serving one never makes
   * the other look new again (an annotation stays on the object after it was served).
   */
  record Requests(String fromFleet, String fromAnnotation) {

    static Requests of(Proxy proxy, Optional<ProxyFleet> fleet, ProxyStatus status) {
      String fleetRequest =
          fleet
              .map(ProxyFleet::getStatus)
              .map(s -> s.getIpRotationRequests().get(proxy.getMetadata().getName()))
              .filter(r -> !r.equals(status.getFleetRotationHandled()))
              .orElse(null);
      String annotation =
          Optional.ofNullable(proxy.getMetadata().getAnnotations())
              .map(a -> a.get(ApiGroup.ROTATE_IP_ANNOTATION))
              .filter(r -> !r.equals(status.getIpRotationHandled()))
              .orElse(null);
      return new Requests(fleetRequest, annotation);
    }

    /** The request a swap now serves (both, when both wait), or null. */
    String pending() {
      return fromFleet != null ? fromFleet : fromAnnotation;
    }

    void served(ProxyStatus status) {
      if (fromFleet != null) {
        status.setFleetRotationHandled(fromFleet);
      }
      if (fromAnnotation != null) {
        status.setIpRotationHandled(fromAnnotation);
      }
    }
  }

  private UpdateControl<Proxy> serving(
      Proxy proxy, ProxyStatus previous, ProxyStatus status, BlockChecker checker) {
    return finish(
        proxy,
        previous,
        status,
        ProxyPhase.Running,
        Reason.Serving.name(),
        "Serving on " + status.getPublicIp() + ":" + proxy.getSpec().getPort(),
        checker,
        null);
  }

  /** A failure the step decided: the proxy's status and event say why; the fleet replaces it. */
  private UpdateControl<Proxy> fail(
      Proxy proxy,
      ProxyStatus previous,
      ProxyStatus status,
      Reason reason,
      Duration launchTimeout,
      Optional<Instance> instance,
      BlockChecker checker) {
    return switch (reason) {
      case InstanceLost -> {
        events.warning(
            proxy,
            Reason.InstanceLost.name(),
            "Instance "
                + status.getInstanceId()
                + " disappeared from the cloud; the fleet will replace this proxy");
        yield finish(
            proxy,
            previous,
            status,
            ProxyPhase.Failed,
            Reason.InstanceLost.name(),
            "Instance " + status.getInstanceId() + " is gone",
            checker,
            null);
      }
      case LaunchTimeout -> failLaunch(proxy, previous, status, launchTimeout, checker);
      case InstanceStopped ->
          finish(
              proxy,
              previous,
              status,
              ProxyPhase.Failed,
              Reason.InstanceStopped.name(),
              "Instance "
                  + instance.map(Instance::id).orElse(status.getInstanceId())
                  + " is "
                  + instance.map(Instance::state).orElse(Instance.State.TERMINATED),
              checker,
              null);
      default ->
          finish(
              proxy,
              previous,
              status,
              ProxyPhase.Failed,
              reason.name(),
              reason.name(),
              checker,
              null);
    };
  }

  @Override
  public DeleteControl cleanup(Proxy proxy, Context<Proxy> context) {
    showTerminating(proxy, context.getClient());
    Optional<CloudProfile> profile =
        context
            .getSecondaryResource(CloudProfile.class)
            .or(
                () ->
                    Optional.ofNullable(
                        context
                            .getClient()
                            .resources(CloudProfile.class)
                            .inNamespace(proxy.getMetadata().getNamespace())
                            .withName(proxy.getSpec().getCloudProfile())
                            .get()));
    if (profile.isEmpty()) {
      // Without the profile we cannot reach the cloud; keeping the finalizer keeps the VM visible.
      events.warning(
          proxy,
          "CloudProfileNotFound",
          "Cannot delete the VM: CloudProfile '"
              + proxy.getSpec().getCloudProfile()
              + "' is gone; recreate it so cleanup can finish");
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(Duration.ofSeconds(30).toMillis());
    }
    try {
      CloudProvider provider = providers.forProfile(profile.get());
      String region = proxy.getSpec().getRegion();
      Optional<Instance> instance = provider.findInstance(region, proxy.getMetadata().getUid());
      ProxyStep.Cleanup step = ProxyStep.cleanup(instance);
      decisions.proxy(Instant.now(clock), proxy.getMetadata().getName(), step);
      if (step instanceof ProxyStep.Terminate) {
        provider.terminate(region, instance.get().id());
        instance = provider.findInstance(region, proxy.getMetadata().getUid());
        step = ProxyStep.cleanup(instance);
        decisions.proxy(Instant.now(clock), proxy.getMetadata().getName(), step);
        if (step instanceof ProxyStep.Terminate) {
          return DeleteControl.noFinalizerRemoval()
              .rescheduleAfter(Duration.ofSeconds(2).toMillis());
        }
      }
      addresses.releaseAll(provider, region, proxy.getMetadata().getUid());
      return DeleteControl.defaultDelete();
    } catch (CloudException e) {
      log.warn(
          "Cleanup of proxy {}/{} failed ({}): {}",
          proxy.getMetadata().getNamespace(),
          proxy.getMetadata().getName(),
          e.reason(),
          e.getMessage());
      events.warning(proxy, "CleanupFailed", e.reason() + ": " + e.getMessage());
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(backoff(e).toMillis());
    }
  }

  /**
   * Shows the finalizer at work: phase Terminating and Ready=False (reason Terminating) while the
   * VM and its addresses are torn down. Written once; a failure to write it never blocks cleanup.
   */
  private void showTerminating(Proxy proxy, KubernetesClient client) {
    ProxyStatus previous = proxy.getStatus();
    if (previous != null && previous.getPhase() == ProxyPhase.Terminating) {
      return;
    }
    ProxyStatus status =
        Optional.ofNullable(StatusChange.copy(previous, ProxyStatus.class))
            .orElseGet(ProxyStatus::new);
    status.setPhase(ProxyPhase.Terminating);
    status.setMessage("Deleting the instance and releasing its addresses");
    conditions.set(
        status.getConditions(),
        READY,
        false,
        Reason.Terminating,
        status.getMessage(),
        proxy.getMetadata().getGeneration());
    try {
      Proxy copy = new Proxy();
      copy.setMetadata(
          new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
              .withName(proxy.getMetadata().getName())
              .withNamespace(proxy.getMetadata().getNamespace())
              .build());
      copy.setStatus(status);
      client.resource(copy).patchStatus();
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      log.debug(
          "Could not show proxy {}/{} as Terminating: {}",
          proxy.getMetadata().getNamespace(),
          proxy.getMetadata().getName(),
          e.getMessage());
    }
  }

  private UpdateControl<Proxy> onCloudError(
      Proxy proxy,
      ProxyStatus previous,
      ProxyStatus status,
      CloudException e,
      BlockChecker checker) {
    ProxyStep.Decision decision =
        ProxyStep.onCloudError(e.reason(), status.getPhase(), status.getInstanceId() != null);
    decisions.proxy(Instant.now(clock), proxy.getMetadata().getName(), decision);
    if (decision instanceof ProxyStep.Fail fail) {
      events.warning(proxy, fail.reason().name(), e.getMessage());
      return finish(
          proxy,
          previous,
          status,
          ProxyPhase.Failed,
          fail.reason().name(),
          e.getMessage(),
          checker,
          null);
    }
    ProxyStep.Retry retry = (ProxyStep.Retry) decision;
    if (retry.reason() == Reason.QuotaExceeded || retry.reason() == Reason.CapacityUnavailable) {
      events.warning(proxy, retry.reason().name(), e.getMessage());
    }
    return finish(
        proxy,
        previous,
        status,
        retry.phase(),
        retry.reason().name(),
        e.getMessage(),
        checker,
        retry.backoff());
  }

  private UpdateControl<Proxy> failLaunch(
      Proxy proxy,
      ProxyStatus previous,
      ProxyStatus status,
      Duration timeout,
      BlockChecker checker) {
    String message = "Not Running within launchTimeout (" + timeout.toSeconds() + "s)";
    events.warning(
        proxy, Reason.LaunchTimeout.name(), message + "; the fleet will replace this proxy");
    return finish(
        proxy,
        previous,
        status,
        ProxyPhase.Failed,
        Reason.LaunchTimeout.name(),
        message,
        checker,
        null);
  }

  /**
   * The steps to Ready, each its own condition, so {@code kubectl describe} shows how far a proxy
   * got: {@code Launched} (its instance exists), {@code AddressAssigned} (a public address is
   * attached and no swap is in flight), then {@code Ready}.
   */
  private void ladder(ProxyStatus status, ProxyPhase phase, Long generation) {
    boolean launched = status.getInstanceId() != null;
    conditions.set(
        status.getConditions(),
        LAUNCHED,
        launched,
        launched ? Reason.InstanceCreated : Reason.NotLaunched,
        launched
            ? "Instance "
                + status.getInstanceId()
                + (status.getZone() == null ? "" : " in " + status.getZone())
            : "No instance yet",
        generation);
    boolean rotating = phase == ProxyPhase.Rotating;
    boolean assigned = status.getPublicIp() != null && !rotating;
    conditions.set(
        status.getConditions(),
        ADDRESS_ASSIGNED,
        assigned,
        assigned ? Reason.AddressAttached : rotating ? Reason.Rotating : Reason.NoAddress,
        assigned
            ? status.getPublicIp()
                + (status.getAddressId() == null ? "" : " (" + status.getAddressId() + ")")
            : rotating ? "An address swap is unfinished; it is retried" : "No public address yet",
        generation);
  }

  private UpdateControl<Proxy> finish(
      Proxy proxy,
      ProxyStatus previous,
      ProxyStatus status,
      ProxyPhase phase,
      String reason,
      String message,
      BlockChecker checker,
      Duration next) {
    status.setPhase(phase);
    status.setMessage(message);
    Long generation = proxy.getMetadata().getGeneration();
    boolean running = phase == ProxyPhase.Running;
    ladder(status, phase, generation);
    Optional<BlockMatch> blocked =
        status.getPublicIp() == null ? Optional.empty() : checker.check(status.getPublicIp());
    status.setBlockedBy(blocked.map(BlockMatch::toString).orElse(null));
    conditions.set(
        status.getConditions(),
        BLOCKED,
        blocked.isPresent(),
        (blocked.isPresent() ? Reason.InBlocklist : Reason.NotBlocked).name(),
        blocked
            .map(b -> status.getPublicIp() + " is blocked by " + b)
            .orElse(
                status.getPublicIp() == null
                    ? "No public IP yet"
                    : status.getPublicIp() + " is in no blocklist of the fleet"),
        generation);
    conditions.set(
        status.getConditions(),
        READY,
        running && blocked.isEmpty(),
        running && blocked.isPresent() ? Reason.Blocked.name() : reason,
        message,
        generation);
    UpdateControl<Proxy> control;
    if (StatusChange.changed(previous, status)) {
      proxy.setStatus(status);
      control = UpdateControl.patchStatus(proxy);
    } else {
      control = UpdateControl.noUpdate();
    }
    return next == null ? control : control.rescheduleAfter(next);
  }

  private ProxyCredentials credentials(Proxy proxy, KubernetesClient client) {
    String namespace = proxy.getMetadata().getNamespace();
    String name = proxy.getSpec().getCredentialsSecret();
    Secret secret =
        secrets != null
            ? secrets.get(namespace, name).orElse(null)
            : client.secrets().inNamespace(namespace).withName(name).get();
    return FleetSecrets.forProxy(secret, proxy)
        .orElseThrow(
            () ->
                new CloudException(
                    CloudException.Reason.TRANSIENT,
                    "Secret '"
                        + proxy.getSpec().getCredentialsSecret()
                        + "' with keys username and password"
                        + ("mtproto".equals(proxy.getSpec().getProtocol())
                            ? " and this proxy's MTProto key (and spec.fakeTlsDomain on the proxy)"
                            : "")
                        + " not found yet"));
  }

  /** Timestamps the way the API server writes them: RFC 3339, whole seconds. */
  private static String rfc3339(Instant instant) {
    return instant.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
  }

  private OwnerTags owner(Proxy proxy) {
    return new OwnerTags(
        cluster,
        proxy.getMetadata().getNamespace(),
        proxy.getSpec().getFleet(),
        proxy.getMetadata().getName(),
        proxy.getMetadata().getUid());
  }

  /** Refused credentials and invalid requests do not get better by retrying every few seconds. */
  static final Duration CLEANUP_REFUSED_RETRY = Duration.ofMinutes(5);

  /**
   * When a failed cleanup tries again: as a failed reconcile does ({@link ProxyStep#onCloudError}).
   * Where a reconcile waits for its profile to change instead (unauthorized) or gives up (invalid),
   * cleanup still owes the cloud a VM, so it tries again after {@link #CLEANUP_REFUSED_RETRY}; the
   * profile's change wakes it earlier. Retrying those every 5 s, as cleanup once did, made deleting
   * a large fleet with revoked credentials a storm of refused cloud calls and CleanupFailed events.
   */
  private static Duration backoff(CloudException e) {
    return ProxyStep.onCloudError(e.reason(), ProxyPhase.Terminating) instanceof ProxyStep.Retry r
            && r.backoff() != null
        ? r.backoff()
        : CLEANUP_REFUSED_RETRY;
  }
}
