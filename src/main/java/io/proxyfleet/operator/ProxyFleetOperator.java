package io.proxyfleet.operator;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import io.proxyfleet.api.ApiGroup;
import io.proxyfleet.block.BlockIndexRegistry;
import io.proxyfleet.blocklist.BlocklistReconciler;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloudprofile.CloudProfileReconciler;
import io.proxyfleet.events.EventRecorder;
import io.proxyfleet.fleet.BlocklistSubscriptions;
import io.proxyfleet.fleet.FleetReconciler;
import io.proxyfleet.gc.GarbageCollector;
import io.proxyfleet.policy.BlockedFractions;
import io.proxyfleet.proxy.ProxyReconciler;
import io.proxyfleet.secrets.SecretsByName;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The operator: three controllers sharing a block index registry and the cloud providers.
 *
 * <p>Server-side apply is off for primary resources and dependents in every mode: the embedded API
 * of local mode (and the mock server in tests) cannot do it, and the code path we test must be the
 * one we ship.
 */
public final class ProxyFleetOperator implements AutoCloseable {

  private final Operator operator;
  private final BlockIndexRegistry registry = new BlockIndexRegistry();

  /** How often the garbage collector lists the clouds. */
  static final Duration GC_INTERVAL = Duration.ofMinutes(2);

  /**
   * Orphans younger than this are left alone: a launch may be between its cloud call and its status
   * write.
   */
  static final Duration GC_MIN_AGE = Duration.ofMinutes(5);

  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(ProxyFleetOperator.class);

  /**
   * Failed reconciles retry forever with backoff capped at a minute: a fleet whose cause is fixed
   * outside its spec (RBAC granted, quota raised) must converge without anyone touching it.
   */
  static final long RETRY_MAX_INTERVAL_MILLIS = Duration.ofMinutes(1).toMillis();

  private final KubernetesClient client;
  private final EventRecorder proxyEvents;
  private final Optional<LeaderElectionSettings> leaderElection;
  private final Runnable onLostLease;

  /** True while this process holds the Lease (always true without leader election). */
  private final AtomicBoolean leading;

  /**
   * Set before stopping, so losing the Lease because we let it go is not mistaken for losing it.
   */
  private final AtomicBoolean closing = new AtomicBoolean();

  private final GarbageCollector collector;
  private final io.proxyfleet.fleet.FleetReconciler fleetReconciler;
  private volatile java.util.function.Consumer<GarbageCollector.Report> collected = report -> {};
  private final BlockedFractions fractions;
  private final java.util.concurrent.atomic.AtomicReference<io.proxyfleet.ranges.CloudRangeCatalog>
      catalog = new java.util.concurrent.atomic.AtomicReference<>();
  private final java.util.concurrent.atomic.AtomicReference<
          io.proxyfleet.vantage.ReachabilityController>
      reachability = new java.util.concurrent.atomic.AtomicReference<>();
  private final java.util.concurrent.ScheduledExecutorService healthTimer =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "proxyfleet-reachability");
            t.setDaemon(true);
            return t;
          });
  private final java.util.concurrent.ScheduledExecutorService gcTimer =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "proxyfleet-gc");
            t.setDaemon(true);
            return t;
          });

  public ProxyFleetOperator(
      KubernetesClient client,
      CloudProviders providers,
      OperatorSettings settings,
      Optional<LeaderElectionSettings> leaderElection) {
    this(client, providers, settings, leaderElection, ProxyFleetOperator::exitOnLostLease);
  }

  /**
   * @param onLostLease called (on the leader-election thread) when this process loses the Lease
   *     while running; it must make this instance stop reconciling at once, for example by closing
   *     it
   */
  public ProxyFleetOperator(
      KubernetesClient client,
      CloudProviders providers,
      OperatorSettings settings,
      Optional<LeaderElectionSettings> leaderElection,
      Runnable onLostLease) {
    this(client, providers, settings, leaderElection, onLostLease, Metrics.NOOP);
  }

  /**
   * @param metrics where JOSDK records reconciles (the operator command passes its Micrometer
   *     registry); {@link Metrics#NOOP} records nothing
   */
  public ProxyFleetOperator(
      KubernetesClient client,
      CloudProviders providers,
      OperatorSettings settings,
      Optional<LeaderElectionSettings> leaderElection,
      Runnable onLostLease,
      Metrics metrics) {
    this.client = client;
    this.onLostLease = onLostLease;
    this.leaderElection = leaderElection;
    this.leading = new AtomicBoolean(leaderElection.isEmpty());
    operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withUseSSAToPatchPrimaryResource(false)
                  .withSSABasedCreateUpdateMatchForDependentResources(false)
                  .withConcurrentReconciliationThreads(settings.reconcileThreads())
                  .withCloseClientOnStop(false)
                  .withReconciliationTerminationTimeout(Duration.ofSeconds(5))
                  .withStopOnInformerErrorDuringStartup(true)
                  .withCacheSyncTimeout(Duration.ofSeconds(60))
                  .withMetrics(metrics);
              leaderElection.ifPresent(
                  le ->
                      o.withLeaderElectionConfiguration(
                          LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(
                                  LeaderElectionSettings.LEASE_NAME)
                              .withLeaseNamespace(le.namespace())
                              .withIdentity(le.identity())
                              .withLeaseDuration(le.leaseDuration())
                              .withRenewDeadline(le.renewDeadline())
                              .withRetryPeriod(le.retryPeriod())
                              // JOSDK's own exit calls System.exit inside our shutdown hook, which
                              // hangs the JVM.
                              .withExitOnStopLeading(false)
                              .withLeaderCallbacks(
                                  new LeaderCallbacks(
                                      this::startedLeading,
                                      this::stoppedLeading,
                                      leader -> log.info("Leader is now {}", leader)))
                              .build()));
            });
    // Fleets aggregate theirs (one event per action), the others are rare: written in line.
    EventRecorder events = new EventRecorder(client, settings.clock(), "proxyfleet-operator");
    // Proxies write one per launch and one per rotation: in the background, so a proxy's pass never
    // waits for an event write, and folded per fleet in bursts (ten, then one with the count).
    proxyEvents = EventRecorder.async(client, settings.clock(), "proxyfleet-operator");
    fractions = new BlockedFractions(this::publishedRanges);
    operator.register(
        new BlocklistReconciler(registry, events, settings.clock(), settings.sourceAccess()),
        // Not generation-aware: the accept-update and refresh annotations do not bump generation.
        c ->
            c.withFinalizer(ApiGroup.FINALIZER)
                .withName("blocklist")
                .withGenerationAware(false)
                .withRetry(retry())
                .withReconciliationMaxInterval(settings.resync()));
    fleetReconciler =
        new FleetReconciler(
            providers,
            registry,
            new BlocklistSubscriptions(),
            events,
            settings.clock(),
            settings.names(),
            settings.secrets(),
            fractions);
    // The fleet writes its credentials through the cache the proxies launch from (set before
    // registering: JOSDK may prepare the event sources, where the cache is wired, right away).
    SecretsByName secrets = new SecretsByName(client, settings.clock());
    fleetReconciler.shareSecrets(secrets);
    operator.register(
        fleetReconciler,
        c ->
            namespaces(c, settings)
                .withFinalizer(ApiGroup.FINALIZER)
                .withName("proxyfleet")
                .withRetry(retry())
                .withReconciliationMaxInterval(settings.resync()));
    ProxyReconciler proxyReconciler =
        new ProxyReconciler(
            providers,
            registry,
            proxyEvents,
            settings.clock(),
            settings.cluster(),
            settings.maxAddressDraws());
    proxyReconciler.readCredentialsThrough(secrets);
    operator.register(
        proxyReconciler,
        // Not generation-aware: the rotate-ip annotation is a request that does not bump
        // generation.
        c ->
            namespaces(c, settings)
                .withFinalizer(ApiGroup.FINALIZER)
                .withName("proxy")
                .withGenerationAware(false)
                .withRetry(retry())
                .withReconciliationMaxInterval(settings.resync()));
    operator.register(
        new CloudProfileReconciler(providers, events, settings.clock()),
        c -> namespaces(c, settings).withName("cloudprofile").withRetry(retry()));
    collector =
        new GarbageCollector(
            client,
            providers,
            events,
            settings.clock(),
            settings.cluster(),
            GC_MIN_AGE,
            settings.watchNamespaces());
  }

  /**
   * Namespaced controllers (and the informers of their secondary resources, which follow them)
   * watch only the configured namespaces, so Roles there are enough; Blocklists are cluster-scoped.
   */
  private static <R extends io.fabric8.kubernetes.api.model.HasMetadata>
      io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider<R> namespaces(
          io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider<R> c,
          OperatorSettings settings) {
    return settings.watchNamespaces().isEmpty()
        ? c
        : c.settingNamespaces(settings.watchNamespaces());
  }

  public void start() {
    operator.start();
    gcTimer.scheduleWithFixedDelay(
        this::collectGarbage,
        GC_INTERVAL.toSeconds(),
        GC_INTERVAL.toSeconds(),
        java.util.concurrent.TimeUnit.SECONDS);
  }

  /** Called with the report of every timed garbage-collection pass (metrics). */
  public void onGarbageCollected(java.util.function.Consumer<GarbageCollector.Report> listener) {
    this.collected = listener;
  }

  /**
   * Starts checking proxies from this process and acting on the fleets' Vantages (leader only): a
   * pass every {@code tick}; each fleet's {@code spec.health.interval} decides what is due.
   */
  public void startReachability(
      io.proxyfleet.vantage.ReachabilityController controller, java.time.Duration tick) {
    if (!reachability.compareAndSet(null, controller)) {
      throw new IllegalStateException("reachability checks already started");
    }
    fleetReconciler.requireReachability();
    fleetReconciler
        .cachedReads()
        .ifPresentOrElse(
            cached -> controller.readFrom(cached),
            () ->
                log.warn(
                    "Reachability checks read the API server on every pass: the fleet controller's caches are not there"));
    healthTimer.scheduleWithFixedDelay(
        () -> {
          if (!leading.get()) {
            return;
          }
          try {
            io.proxyfleet.vantage.ReachabilityController.Pass pass = controller.pass();
            if (pass.replaced() > 0 || !pass.learned().isEmpty()) {
              log.info(
                  "Reachability: checked {}, blocked {}, unhealthy {}, replaced {}, learned ranges {}",
                  pass.checked(),
                  pass.blocked(),
                  pass.unhealthy(),
                  pass.replaced(),
                  pass.learned());
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } catch (RuntimeException e) {
            // The timer must survive an API hiccup; the next pass tries again.
            log.warn("Reachability pass failed: {}", e.toString());
          }
        },
        tick.toMillis(),
        tick.toMillis(),
        java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** The collector, for tests and tools that want a pass now instead of on the timer. */
  public GarbageCollector garbageCollector() {
    return collector;
  }

  private static GenericRetry retry() {
    return new GenericRetry()
        .setInitialInterval(1000)
        .setIntervalMultiplier(2)
        .setMaxInterval(RETRY_MAX_INTERVAL_MILLIS)
        .withoutMaxAttempts();
  }

  private void startedLeading() {
    leading.set(true);
    log.info(
        "Started leading as {}", leaderElection.map(LeaderElectionSettings::identity).orElse("?"));
  }

  /**
   * Losing the Lease while running means another replica may lead now: this instance must stop
   * reconciling at once so two leaders never act together. Losing it because we are shutting down
   * is expected.
   */
  private void stoppedLeading() {
    leading.set(false);
    if (closing.get()) {
      return;
    }
    log.error("Lost the leader Lease; this instance stops reconciling");
    onLostLease.run();
  }

  /**
   * The default reaction to a lost Lease, as client-go's controllers do: exit, and let the pod
   * restart as a standby. It runs on a thread of its own because System.exit inside a shutdown hook
   * (where JOSDK may call us) blocks forever.
   */
  static void exitOnLostLease() {
    Thread exit = new Thread(() -> System.exit(1), "proxyfleet-lost-lease");
    exit.setDaemon(false);
    exit.start();
  }

  /**
   * Started with every informer synced and still watching. A standby is ready too: its caches are
   * warm and it takes over within a retry period, so it counts as available capacity.
   */
  public boolean isReady() {
    if (closing.get()) {
      return false;
    }
    io.javaoperatorsdk.operator.RuntimeInfo info = operator.getRuntimeInfo();
    return info.isStarted() && info.allEventSourcesAreHealthy();
  }

  /**
   * Whether this process reconciles now (the leader, or the only process without leader election).
   */
  public boolean isLeader() {
    return leading.get();
  }

  private void collectGarbage() {
    if (!leading.get()) {
      // Standbys watch but never act on the cloud: two collectors could race a launching leader.
      return;
    }
    try {
      GarbageCollector.Report report = collector.collect();
      collected.accept(report);
      java.util.Optional.ofNullable(reachability.get())
          .ifPresent(
              r -> {
                int removed = r.sweepLearnedLists();
                if (removed > 0) {
                  log.info(
                      "Garbage collection: removed {} learned blocklists of deleted fleets",
                      removed);
                }
              });
      if (report.removedAnything() || !report.errors().isEmpty()) {
        log.info(
            "Garbage collection: terminated {}, released {}, errors {}",
            report.terminatedInstances(),
            report.releasedAddresses(),
            report.errors());
      }
    } catch (RuntimeException e) {
      // The timer must survive an API hiccup; the next pass tries again.
      log.warn("Garbage collection pass failed: {}", e.toString());
    }
  }

  public BlockIndexRegistry registry() {
    return registry;
  }

  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      return;
    }
    gcTimer.shutdownNow();
    healthTimer.shutdownNow();
    java.util.Optional.ofNullable(reachability.get())
        .ifPresent(io.proxyfleet.vantage.ReachabilityController::close);
    boolean wasLeading = leading.get();
    operator.stop();
    proxyEvents.close();
    if (wasLeading) {
      leaderElection.ifPresent(this::releaseLease);
    }
  }

  /**
   * Gives the Lease up on a clean stop, as client-go's ReleaseOnCancel does (holder cleared, a
   * one-second duration), so a standby takes over within its retry period instead of waiting for
   * the lease to expire. JOSDK does not release it.
   */
  private void releaseLease(LeaderElectionSettings le) {
    try {
      Lease lease =
          client
              .leases()
              .inNamespace(le.namespace())
              .withName(LeaderElectionSettings.LEASE_NAME)
              .get();
      if (lease == null
          || lease.getSpec() == null
          || !le.identity().equals(lease.getSpec().getHolderIdentity())) {
        return;
      }
      lease.getSpec().setHolderIdentity(null);
      lease.getSpec().setLeaseDurationSeconds(1);
      lease.getSpec().setRenewTime(ZonedDateTime.now(java.time.ZoneOffset.UTC));
      client.resource(lease).lockResourceVersion(lease.getMetadata().getResourceVersion()).update();
      log.info(
          "Released the leader Lease {}/{}", le.namespace(), LeaderElectionSettings.LEASE_NAME);
    } catch (KubernetesClientException e) {
      // The standby then takes over when the lease expires instead; nothing else is lost.
      log.warn("Could not release the leader Lease: {}", e.getMessage());
    }
  }

  /**
   * AWS and Google publish which prefixes belong to which region; the snapshot shipped in the jar
   * is loaded on first use (a few MB of JSON), and only for the providers that publish.
   */
  private List<io.proxyfleet.block.IpRange> publishedRanges(String provider, String region) {
    if (io.proxyfleet.ranges.RangePublisher.fromWireName(provider).isEmpty()) {
      return List.of();
    }
    return catalog()
        .ranges(provider)
        .region(region)
        .map(io.proxyfleet.ranges.RegionRanges::ranges)
        .orElse(List.of());
  }

  private io.proxyfleet.ranges.CloudRangeCatalog catalog() {
    return catalog.updateAndGet(
        c -> c != null ? c : io.proxyfleet.ranges.CloudRangeCatalog.official());
  }

  /**
   * Refreshes the published ranges from the official URLs every {@code period} (conditional GET; a
   * failed fetch keeps the last good version, starting with the shipped snapshot). Off in local
   * mode and tests: the snapshot is what they measure against.
   */
  public void refreshCloudRangesEvery(Duration period) {
    gcTimer.scheduleWithFixedDelay(
        () -> {
          boolean changed = false;
          for (io.proxyfleet.ranges.RangePublisher publisher :
              io.proxyfleet.ranges.RangePublisher.values()) {
            try {
              io.proxyfleet.ranges.CloudRangeCatalog.RefreshResult result =
                  catalog().refresh(publisher);
              log.info("Cloud ranges {}: {} ({})", publisher, result.outcome(), result.message());
              changed |= result.outcome() == io.proxyfleet.ranges.CloudRangeCatalog.Outcome.UPDATED;
            } catch (RuntimeException e) {
              log.warn(
                  "Cloud ranges {}: refresh failed, keeping the current version: {}",
                  publisher,
                  e.toString());
            }
          }
          if (changed) {
            fractions.forget();
          }
        },
        0,
        period.toSeconds(),
        java.util.concurrent.TimeUnit.SECONDS);
  }
}
