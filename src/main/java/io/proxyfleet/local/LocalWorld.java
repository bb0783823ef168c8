package io.proxyfleet.local;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.cloud.local.LocalCensor;
import io.proxyfleet.probe.ProxyProbe;
import io.proxyfleet.vantage.ProbeAgent;
import io.proxyfleet.vantage.ReachabilityController;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The world around local mode's operator, so a newcomer can watch detection happen: a censor that
 * drops what the ConfigMap {@code default/local-censor} (key {@code cidrs}) lists for connections
 * from the censored network, daemons that die when a Proxy is annotated {@code
 * proxyfleet.io/local-fault: daemon-down}, and the built-in vantage {@code inside} whose agent
 * probes from that network. The operator reads none of this: it learns by probing.
 */
public final class LocalWorld implements AutoCloseable {

  public static final String CENSOR_CONFIGMAP = "local-censor";
  public static final String CENSOR_KEY = "cidrs";
  public static final String FAULT_ANNOTATION = "proxyfleet.io/local-fault";
  public static final String DAEMON_DOWN = "daemon-down";
  public static final String VANTAGE = "inside";

  /** How often the operator looks for due checks in local mode. */
  static final Duration REACHABILITY_TICK = Duration.ofSeconds(2);

  private static final Logger LOG = LoggerFactory.getLogger(LocalWorld.class);

  private final SharedIndexInformer<ConfigMap> censorInformer;
  private final SharedIndexInformer<Proxy> faults;
  private final ProbeAgent agent;
  private final Thread agentThread;
  private final Set<String> stopped = ConcurrentHashMap.newKeySet();

  private LocalWorld(
      LocalEnvironment env,
      java.time.Clock clock,
      io.proxyfleet.vantage.ReachabilityObserver observer) {
    var client = env.client();
    var censor = env.network().censor();
    censorInformer =
        client
            .configMaps()
            .inNamespace("default")
            .withName(CENSOR_CONFIGMAP)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(ConfigMap cm) {
                    apply(cm);
                  }

                  @Override
                  public void onUpdate(ConfigMap before, ConfigMap after) {
                    apply(after);
                  }

                  @Override
                  public void onDelete(ConfigMap cm, boolean unknown) {
                    censor.censor("");
                    LOG.info("local censor: nothing censored");
                  }

                  private void apply(ConfigMap cm) {
                    String cidrs =
                        Optional.ofNullable(cm.getData()).map(d -> d.get(CENSOR_KEY)).orElse("");
                    LocalCensor.Update update = censor.censor(cidrs);
                    LOG.info(
                        "local censor: {} addresses or ranges dropped from {}{}",
                        update.censored(),
                        LocalCensor.CENSORED_NETWORK,
                        update.skipped().isEmpty()
                            ? ""
                            : "; skipped lines that do not parse: " + update.skipped());
                  }
                });
    faults =
        client
            .resources(Proxy.class)
            .inAnyNamespace()
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Proxy p) {
                    apply(p);
                  }

                  @Override
                  public void onUpdate(Proxy before, Proxy after) {
                    apply(after);
                  }

                  @Override
                  public void onDelete(Proxy p, boolean unknown) {
                    Optional.ofNullable(p.getStatus())
                        .map(s -> s.getInstanceId())
                        .ifPresent(stopped::remove);
                  }

                  private void apply(Proxy p) {
                    String instance = p.getStatus() == null ? null : p.getStatus().getInstanceId();
                    if (instance == null) {
                      return;
                    }
                    boolean down =
                        DAEMON_DOWN.equals(
                            Optional.ofNullable(p.getMetadata().getAnnotations())
                                .map(a -> a.get(FAULT_ANNOTATION))
                                .orElse(null));
                    if (down && stopped.add(instance)) {
                      env.network().setDaemonRunning(instance, false);
                    } else if (!down && stopped.remove(instance)) {
                      env.network().setDaemonRunning(instance, true);
                    }
                  }
                });
    ProxyProbe.Target target = new ProxyProbe.Target("127.0.0.1", 9);
    agent =
        new ProbeAgent(client, "default", VANTAGE, LocalCensor.insideAddress(1), target, 8, clock);
    agentThread = new Thread(agent::run, "local-vantage-inside");
    agentThread.setDaemon(true);
    agentThread.start();
    ReachabilityController checks =
        new ReachabilityController(
            client,
            new io.proxyfleet.events.EventRecorder(client, clock, "proxyfleet-operator"),
            clock,
            null,
            target,
            8,
            Set.of());
    checks.observe(observer);
    env.operator().startReachability(checks, REACHABILITY_TICK);
  }

  /** Starts the censor, the fault switch, the inside vantage's agent and the operator's checks. */
  public static LocalWorld start(LocalEnvironment env, java.time.Clock clock) {
    return new LocalWorld(env, clock, io.proxyfleet.vantage.ReachabilityObserver.NONE);
  }

  /**
   * As {@link #start(LocalEnvironment, java.time.Clock)}, telling {@code observer} what the checks
   * see (metrics).
   */
  public static LocalWorld start(
      LocalEnvironment env,
      java.time.Clock clock,
      io.proxyfleet.vantage.ReachabilityObserver observer) {
    return new LocalWorld(env, clock, observer);
  }

  @Override
  public void close() {
    agentThread.interrupt();
    agent.close();
    censorInformer.close();
    faults.close();
  }
}
