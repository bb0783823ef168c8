package io.proxyfleet.local;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyFleetStatus;
import java.io.PrintStream;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** Prints a compact table of fleets and proxies whenever they change (at most twice a second). */
public final class FleetTable implements AutoCloseable {

  private final SharedIndexInformer<ProxyFleet> fleets;
  private final SharedIndexInformer<Proxy> proxies;
  private final ScheduledExecutorService printer;
  private final AtomicBoolean dirty = new AtomicBoolean();
  private final PrintStream out;
  private String last = "";

  private FleetTable(KubernetesClient client, PrintStream out) {
    this.out = out;
    ResourceEventHandler<Object> mark =
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Object o) {
            dirty.set(true);
          }

          @Override
          public void onUpdate(Object a, Object b) {
            dirty.set(true);
          }

          @Override
          public void onDelete(Object o, boolean unknown) {
            dirty.set(true);
          }
        };
    fleets = client.resources(ProxyFleet.class).inAnyNamespace().inform(castHandler(mark));
    proxies = client.resources(Proxy.class).inAnyNamespace().inform(castHandler(mark));
    printer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "fleet-table");
              t.setDaemon(true);
              return t;
            });
    printer.scheduleWithFixedDelay(this::printIfChanged, 500, 500, TimeUnit.MILLISECONDS);
  }

  @SuppressWarnings("unchecked")
  private static <T> ResourceEventHandler<T> castHandler(ResourceEventHandler<Object> h) {
    return (ResourceEventHandler<T>) (ResourceEventHandler<?>) h;
  }

  public static FleetTable start(KubernetesClient client, PrintStream out) {
    return new FleetTable(client, out);
  }

  /** Renders the table from the informers' caches. */
  public String render() {
    StringBuilder sb = new StringBuilder();
    for (ProxyFleet f :
        fleets.getStore().list().stream()
            .sorted(Comparator.comparing(x -> x.getMetadata().getName()))
            .toList()) {
      ProxyFleetStatus s = f.getStatus() == null ? new ProxyFleetStatus() : f.getStatus();
      sb.append(
          String.format(
              "fleet %s/%s  desired %s  ready %d  blocked %d  rotations %d%n",
              f.getMetadata().getNamespace(),
              f.getMetadata().getName(),
              f.getSpec() == null ? "?" : f.getSpec().getReplicas(),
              s.getReadyReplicas(),
              s.getBlockedReplicas(),
              s.getRotations()));
      List<Proxy> members =
          proxies.getStore().list().stream()
              .filter(
                  p ->
                      p.getSpec() != null
                          && Objects.equals(p.getSpec().getFleet(), f.getMetadata().getName()))
              .sorted(
                  Comparator.comparing((Proxy p) -> p.getSpec().getRegion())
                      .thenComparing(p -> p.getMetadata().getName()))
              .toList();
      for (Proxy p : members) {
        var ps = p.getStatus();
        sb.append(
            String.format(
                "  %-22s %-9s %-16s %-11s %s%n",
                p.getMetadata().getName(),
                p.getSpec().getRegion(),
                ps == null || ps.getPublicIp() == null
                    ? "-"
                    : ps.getPublicIp() + ":" + p.getSpec().getPort(),
                ps == null ? "Pending" : ps.getPhase(),
                ps != null && ps.getBlockedBy() != null
                    ? "BLOCKED by " + ps.getBlockedBy()
                    : (p.getMetadata().getDeletionTimestamp() != null ? "deleting" : "")));
      }
    }
    return sb.toString();
  }

  private void printIfChanged() {
    if (!dirty.getAndSet(false)) return;
    String now = render();
    if (!now.equals(last)) {
      last = now;
      out.println("--- " + LocalTime.now().truncatedTo(ChronoUnit.SECONDS));
      out.print(now);
      out.flush();
    }
  }

  @Override
  public void close() {
    printer.shutdownNow();
    fleets.close();
    proxies.close();
  }
}
