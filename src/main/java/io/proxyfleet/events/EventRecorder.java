package io.proxyfleet.events;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes core/v1 Events about our resources. A repeat of the same event on the same object within
 * ten minutes bumps the existing event's count instead of creating another, as kubelet's recorder
 * does, so a stuck fleet cannot flood etcd. Recording never fails a reconcile.
 *
 * <p>A recorder made by {@link #async} also folds bursts: when more than {@link #BURST} objects of
 * one owner (the proxies of one fleet) record the same type and reason within {@link
 * #BURST_WINDOW}, the rest of that window's events become one event on the owner with their count,
 * as Kubernetes' event correlator folds similar events. A block that rotates a thousand proxies
 * writes ten {@code IPRotated} events on proxies and one on the fleet, not a thousand; every event
 * still goes to the log.
 */
public final class EventRecorder implements AutoCloseable {

  public static final String NORMAL = "Normal";
  public static final String WARNING = "Warning";
  private static final Logger log = LoggerFactory.getLogger(EventRecorder.class);
  private static final Duration AGGREGATION_WINDOW = Duration.ofMinutes(10);
  private static final int REMEMBERED = 4096;

  /** Writer threads; events for one key always go to the same one. */
  private static final int LANES = 4;

  /**
   * Events waiting per lane before new ones are dropped (with a log line), as client-go's
   * broadcaster does.
   */
  private static final int QUEUED = 10_000;

  private final KubernetesClient client;
  private final Clock clock;
  private final String component;
  private final ExecutorService[] lanes;

  /** How long {@link #close()} waits for queued events. */
  static final Duration DRAIN = Duration.ofSeconds(5);

  /** Events of one owner's objects, of one type and reason, written one by one per window. */
  static final int BURST = 10;

  /** How long a burst window lasts; its folded events are written on the owner when it ends. */
  static final Duration BURST_WINDOW = Duration.ofSeconds(10);

  /** Bursts by owner UID, type and reason; null when this recorder does not fold. */
  private final Map<String, Burst> bursts;

  private final ScheduledExecutorService burstEnds;

  /** One owner's window: how many events it wrote, how many it folded, and the last one folded. */
  private static final class Burst {
    final String key;
    final ObjectReference owner;
    final String namespace;
    final String type;
    final String reason;
    final Instant start;
    int written;
    int folded;
    String lastName;
    String lastMessage;
    String objectKind;

    Burst(
        String key,
        ObjectReference owner,
        String namespace,
        String type,
        String reason,
        Instant start) {
      this.key = key;
      this.owner = owner;
      this.namespace = namespace;
      this.type = type;
      this.reason = reason;
      this.start = start;
    }
  }

  private final Map<String, Recent> recent =
      new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Recent> eldest) {
          return size() > REMEMBERED;
        }
      };

  private record Recent(String eventName, String namespace, int count, Instant last) {}

  /** Writes each event before returning: for tests that read events right after a call. */
  public EventRecorder(KubernetesClient client, Clock clock, String component) {
    this(client, clock, component, 0, false);
  }

  /** Folds bursts as {@link #async} does, writing before returning: for tests. */
  static EventRecorder foldingInLine(KubernetesClient client, Clock clock, String component) {
    return new EventRecorder(client, clock, component, 0, true);
  }

  private EventRecorder(
      KubernetesClient client, Clock clock, String component, int lanes, boolean foldBursts) {
    this.client = client;
    this.clock = clock;
    this.component = component;
    this.bursts = foldBursts ? new HashMap<>() : null;
    this.burstEnds =
        foldBursts && lanes > 0
            ? Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "event-bursts");
                  t.setDaemon(true);
                  return t;
                })
            : null;
    this.lanes = lanes == 0 ? null : new ExecutorService[lanes];
    for (int i = 0; i < lanes; i++) {
      int lane = i;
      ThreadPoolExecutor executor =
          new ThreadPoolExecutor(
              1,
              1,
              30,
              TimeUnit.SECONDS,
              new LinkedBlockingQueue<>(QUEUED),
              r -> {
                Thread t = new Thread(r, "event-writer-" + lane);
                t.setDaemon(true);
                return t;
              });
      executor.allowCoreThreadTimeOut(true);
      this.lanes[i] = executor;
    }
  }

  /**
   * Writes events in the background, so a reconcile never waits for one: a proxy's launch used to
   * wait for two event writes as long as for its own status. Events about one object with one
   * reason and message stay in order (one lane each), so repeats still bump one event's count.
   * Bursts are folded (see the class comment): written one by one, the events of a block of a
   * thousand proxies were a fifth of the API server's writes while the proxies waited for theirs.
   */
  public static EventRecorder async(KubernetesClient client, Clock clock, String component) {
    return new EventRecorder(client, clock, component, LANES, true);
  }

  public void normal(HasMetadata about, String reason, String message) {
    record(about, NORMAL, reason, message);
  }

  /**
   * One event standing for {@code count} occurrences, as Kubernetes' event correlator aggregates
   * similar events: a fleet action on a thousand proxies is one write, not a thousand.
   */
  public void normal(HasMetadata about, String reason, String message, int count) {
    record(about, NORMAL, reason, message, count);
  }

  public void warning(HasMetadata about, String reason, String message) {
    record(about, WARNING, reason, message);
  }

  private void record(HasMetadata about, String type, String reason, String message) {
    record(about, type, reason, message, 1);
  }

  private void record(
      HasMetadata about, String type, String reason, String message, int occurrences) {
    String namespace = Objects.requireNonNullElse(about.getMetadata().getNamespace(), "default");
    String key = about.getMetadata().getUid() + "|" + type + "|" + reason + "|" + message;
    Instant now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS);
    // The log is where an operator process's actions show when events are not at hand (kubectl
    // logs).
    log.info("{} {} on {} {}: {}", type, reason, about.getKind(), qualifiedName(about), message);
    // Captured now: the caller goes on changing its object while the write waits in its lane.
    ObjectReference involved =
        new ObjectReferenceBuilder()
            .withApiVersion(about.getApiVersion())
            .withKind(about.getKind())
            .withName(about.getMetadata().getName())
            .withNamespace(about.getMetadata().getNamespace())
            .withUid(about.getMetadata().getUid())
            .build();
    if (occurrences == 1 && folded(about, namespace, type, reason, message, now)) {
      return;
    }
    enqueue(
        key,
        involved,
        () -> write(involved, namespace, key, type, reason, message, occurrences, now));
  }

  private void enqueue(String key, ObjectReference involved, Runnable write) {
    if (lanes == null) {
      write.run();
      return;
    }
    try {
      lanes[Math.floorMod(key.hashCode(), lanes.length)].execute(write);
    } catch (RejectedExecutionException e) {
      log.warn(
          "Dropped event on {}/{}: {} events are waiting to be written",
          involved.getNamespace(),
          involved.getName(),
          QUEUED);
    }
  }

  /**
   * Whether this event is folded into its owner's burst instead of written. Only objects with a
   * controlling owner fold (a fleet's proxies); the fleet's own events never do.
   */
  private boolean folded(
      HasMetadata about,
      String namespace,
      String type,
      String reason,
      String message,
      Instant now) {
    if (bursts == null) {
      return false;
    }
    Optional<OwnerReference> owner =
        about.getMetadata().getOwnerReferences().stream()
            .filter(o -> Boolean.TRUE.equals(o.getController()))
            .findFirst();
    if (owner.isEmpty()) {
      return false;
    }
    String burstKey = owner.get().getUid() + "|" + type + "|" + reason;
    Burst ended = null;
    boolean fold;
    boolean first = false;
    synchronized (bursts) {
      Burst burst = bursts.get(burstKey);
      if (burst != null && !now.isBefore(burst.start.plus(BURST_WINDOW))) {
        bursts.remove(burstKey);
        ended = burst;
        burst = null;
      }
      if (burst == null) {
        burst =
            new Burst(
                burstKey,
                new ObjectReferenceBuilder()
                    .withApiVersion(owner.get().getApiVersion())
                    .withKind(owner.get().getKind())
                    .withName(owner.get().getName())
                    .withNamespace(about.getMetadata().getNamespace())
                    .withUid(owner.get().getUid())
                    .build(),
                namespace,
                type,
                reason,
                now);
        bursts.put(burstKey, burst);
      }
      fold = burst.written >= BURST;
      if (fold) {
        first = burst.folded == 0;
        burst.folded++;
        burst.lastName = about.getMetadata().getName();
        burst.lastMessage = message;
        burst.objectKind = about.getKind();
      } else {
        burst.written++;
      }
      if (first && burstEnds != null) {
        Burst scheduled = burst;
        // At the window's end, not a whole window after its first folded event.
        long left = Duration.between(now, burst.start.plus(BURST_WINDOW)).toMillis();
        burstEnds.schedule(() -> endBurst(scheduled), Math.max(0, left), TimeUnit.MILLISECONDS);
      }
    }
    if (ended != null) {
      writeFolded(ended);
    }
    return fold;
  }

  /** Ends a burst window on time even when no later event of its owner comes to end it. */
  private void endBurst(Burst burst) {
    synchronized (bursts) {
      if (bursts.get(burst.key) != burst) {
        return;
      }
      bursts.remove(burst.key);
    }
    writeFolded(burst);
  }

  /** Writes every burst's folded events now (the recorder closes, or a test looks). */
  void endBursts() {
    if (bursts == null) {
      return;
    }
    List<Burst> ending;
    synchronized (bursts) {
      ending = new ArrayList<>(bursts.values());
      bursts.clear();
    }
    ending.forEach(this::writeFolded);
  }

  private void writeFolded(Burst burst) {
    int folded;
    String lastName;
    String lastMessage;
    String kind;
    synchronized (bursts) {
      folded = burst.folded;
      lastName = burst.lastName;
      lastMessage = burst.lastMessage;
      kind = burst.objectKind;
    }
    if (folded == 0) {
      return;
    }
    String message =
        "Folded "
            + folded
            + " more "
            + burst.reason
            + " events of this "
            + burst.owner.getKind()
            + "'s "
            + kind
            + " objects within "
            + BURST_WINDOW.toSeconds()
            + "s of the first "
            + BURST
            + " (each is in the operator's log); the last, on "
            + lastName
            + ": "
            + lastMessage;
    String key = burst.owner.getUid() + "|" + burst.type + "|" + burst.reason + "|" + message;
    String text = message;
    Instant now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS);
    enqueue(
        key,
        burst.owner,
        () ->
            write(burst.owner, burst.namespace, key, burst.type, burst.reason, text, folded, now));
  }

  private void write(
      ObjectReference involved,
      String namespace,
      String key,
      String type,
      String reason,
      String message,
      int occurrences,
      Instant now) {
    try {
      Recent previous;
      synchronized (recent) {
        previous = recent.get(key);
      }
      if (previous != null && previous.last().plus(AGGREGATION_WINDOW).isAfter(now)) {
        int count = previous.count() + occurrences;
        // A merge patch of the two fields on a stub naming the Event: edit(), or patch() by name,
        // GETs the Event first, which would need one more verb in the operator's RBAC for nothing.
        Event stub =
            new EventBuilder()
                .withNewMetadata()
                .withName(previous.eventName())
                .withNamespace(previous.namespace())
                .endMetadata()
                .build();
        client
            .v1()
            .events()
            .inNamespace(previous.namespace())
            .resource(stub)
            .patch(
                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                    io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                "{\"count\":" + count + ",\"lastTimestamp\":\"" + now + "\"}");
        remember(key, new Recent(previous.eventName(), previous.namespace(), count, now));
        return;
      }
      String name = involved.getName() + "." + Long.toHexString(System.nanoTime());
      Event event =
          new EventBuilder()
              .withNewMetadata()
              .withName(name)
              .withNamespace(namespace)
              .endMetadata()
              .withInvolvedObject(involved)
              .withType(type)
              .withReason(reason)
              .withMessage(message)
              .withCount(occurrences)
              .withFirstTimestamp(now.toString())
              .withLastTimestamp(now.toString())
              .withNewSource()
              .withComponent(component)
              .endSource()
              .withReportingComponent(component)
              .build();
      client.v1().events().inNamespace(namespace).resource(event).create();
      remember(key, new Recent(name, namespace, occurrences, now));
    } catch (KubernetesClientException e) {
      log.warn(
          "Could not record event {} on {}/{}: {}",
          reason,
          namespace,
          involved.getName(),
          e.getMessage());
    } catch (RuntimeException e) {
      // An event is never worth a failed reconcile or a dead writer lane: a client closed while the
      // process stops, or anything else, drops this one event.
      log.warn(
          "Could not record event {} on {}/{}: {}",
          reason,
          namespace,
          involved.getName(),
          e.toString());
    }
  }

  /**
   * Stops the writer lanes. Events still queued are written for up to {@link #DRAIN} so they land
   * before the caller closes the client; what is left then is dropped and counted in one log line
   * (a thousand "client already closed" warnings said nothing more).
   */
  @Override
  public void close() {
    endBursts();
    if (burstEnds != null) {
      burstEnds.shutdownNow();
    }
    if (lanes == null) {
      return;
    }
    for (ExecutorService lane : lanes) {
      lane.shutdown();
    }
    long deadline = System.nanoTime() + DRAIN.toNanos();
    int dropped = 0;
    for (ExecutorService lane : lanes) {
      try {
        if (!lane.awaitTermination(
            Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          dropped += lane.shutdownNow().size();
        }
      } catch (InterruptedException e) {
        dropped += lane.shutdownNow().size();
        Thread.currentThread().interrupt();
      }
    }
    if (dropped > 0) {
      log.warn("Dropped {} events still waiting to be written when the operator stopped", dropped);
    }
  }

  private static String qualifiedName(HasMetadata about) {
    String ns = about.getMetadata().getNamespace();
    return ns == null ? about.getMetadata().getName() : ns + "/" + about.getMetadata().getName();
  }

  private void remember(String key, Recent value) {
    synchronized (recent) {
      recent.put(key, value);
    }
  }
}
