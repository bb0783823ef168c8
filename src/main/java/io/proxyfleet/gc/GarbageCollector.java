package io.proxyfleet.gc;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudProvider;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.events.EventRecorder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes cloud resources this operator created but no Proxy owns.
 *
 * <p>Order matters (as in Karpenter's collector): the cloud is listed first, the Proxies second. A
 * Proxy object always exists before its instance or address is created, so anything seen in the
 * cloud listing whose owner is missing from the later Proxy listing is truly orphaned, not merely
 * too new to be seen. The minimum age is a second guard against clock skew and informer lag.
 *
 * <p>Only resources carrying this operator's cluster tag are ever listed, so untagged resources and
 * other clusters' resources are never touched. Addresses still associated with an orphaned instance
 * are released on a later pass, once the instance is gone (EC2 refuses earlier).
 */
public final class GarbageCollector {

  private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);

  /** What one pass removed, and what it could not reach. */
  public record Report(
      List<String> terminatedInstances,
      List<String> releasedAddresses,
      List<String> removedShared,
      List<String> errors) {
    public Report(
        List<String> terminatedInstances, List<String> releasedAddresses, List<String> errors) {
      this(terminatedInstances, releasedAddresses, List.of(), errors);
    }

    public boolean removedAnything() {
      return !terminatedInstances.isEmpty()
          || !releasedAddresses.isEmpty()
          || !removedShared.isEmpty();
    }
  }

  private final KubernetesClient client;
  private final CloudProviders providers;
  private final EventRecorder events;
  private final Clock clock;
  private final String cluster;
  private final Duration minAge;

  /** Empty: every namespace. */
  private final Set<String> namespaces;

  public GarbageCollector(
      KubernetesClient client,
      CloudProviders providers,
      EventRecorder events,
      Clock clock,
      String cluster,
      Duration minAge) {
    this(client, providers, events, clock, cluster, minAge, Set.of());
  }

  /**
   * @param namespaces where the operator watches (empty: all). Profiles, fleets and owners are read
   *     there only, so an operator limited to some namespaces needs a cluster name of its own: any
   *     resource with its tag whose Proxy it cannot see is an orphan to it.
   */
  public GarbageCollector(
      KubernetesClient client,
      CloudProviders providers,
      EventRecorder events,
      Clock clock,
      String cluster,
      Duration minAge,
      Set<String> namespaces) {
    this.namespaces = Set.copyOf(namespaces);
    this.client = client;
    this.providers = providers;
    this.events = events;
    this.clock = clock;
    this.cluster = cluster;
    this.minAge = minAge;
  }

  private <T extends io.fabric8.kubernetes.api.model.HasMetadata> List<T> list(Class<T> type) {
    if (namespaces.isEmpty()) {
      return client.resources(type).inAnyNamespace().list().getItems();
    }
    List<T> items = new ArrayList<>();
    for (String namespace : namespaces) {
      items.addAll(client.resources(type).inNamespace(namespace).list().getItems());
    }
    return items;
  }

  /** What one profile holds in one region, as listed before the owners were read. */
  private record Listing(
      CloudProfile profile,
      CloudProvider provider,
      String region,
      List<Instance> instances,
      List<Address> addresses) {
    String key() {
      return GarbageCollector.key(profile);
    }
  }

  /**
   * One pass over every CloudProfile in the cluster. Never throws for a cloud error; it reports it.
   */
  public Report collect() {
    List<String> terminated = new ArrayList<>();
    List<String> released = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    List<CloudProfile> profiles = list(CloudProfile.class);
    List<ProxyFleet> fleets = list(ProxyFleet.class);

    // 1. The cloud first ...
    List<Listing> listings = new ArrayList<>();
    Map<CloudProvider, CloudProfile> usable = new java.util.LinkedHashMap<>();
    for (CloudProfile profile : profiles) {
      CloudProvider provider;
      try {
        provider = providers.forProfile(profile);
      } catch (CloudException e) {
        continue; // an unusable profile is reported by its own reconciler
      }
      usable.putIfAbsent(provider, profile);
      Set<String> regions = regions(profile, fleets, knownProxies(profile));
      try {
        regions.addAll(provider.managedRegions(cluster, Set.copyOf(regions)));
      } catch (CloudException e) {
        errors.add(failure(profile, "all regions", e));
      }
      for (String region : regions) {
        try {
          Listing listing =
              new Listing(
                  profile,
                  provider,
                  region,
                  provider.listManagedInstances(region, cluster),
                  provider.listManagedAddresses(region, cluster));
          if (!listing.instances().isEmpty() || !listing.addresses().isEmpty()) {
            listings.add(listing);
          }
        } catch (CloudException e) {
          errors.add(failure(profile, region, e));
        }
      }
    }
    if (listings.isEmpty()) {
      // Nothing of this cluster is left: exactly when shared resources (firewall rules) fall free.
      List<String> removed = removeUnusedShared(usable, errors);
      return new Report(List.of(), List.of(), removed, List.copyOf(errors));
    }

    // 2. ... then the owners, once for the whole pass.
    List<Proxy> proxies = list(Proxy.class);
    Set<String> owners =
        proxies.stream().map(p -> p.getMetadata().getUid()).collect(Collectors.toSet());
    Map<String, String> recorded = new HashMap<>();
    proxies.stream()
        .filter(p -> p.getStatus() != null && p.getStatus().getInstanceId() != null)
        .forEach(p -> recorded.put(p.getMetadata().getUid(), p.getStatus().getInstanceId()));
    // The address each serving proxy records: any other unattached address it owns is extra (an
    // allocation whose answer was lost, say) and is billed for nothing.
    Map<String, String> recordedAddress = new HashMap<>();
    proxies.stream()
        .filter(
            p ->
                p.getStatus() != null
                    && p.getStatus().getPhase() == io.proxyfleet.api.ProxyPhase.Running
                    && p.getStatus().getAddressId() != null)
        .forEach(p -> recordedAddress.put(p.getMetadata().getUid(), p.getStatus().getAddressId()));
    Instant cutoff = Instant.now(clock).minus(minAge);
    // Two profiles may reach the same account (other credentials, other namespace): one pass acts
    // on each resource once.
    Set<String> handled = new HashSet<>();
    for (Listing l : listings) {
      String region = l.region();
      try {
        for (Instance i : l.instances()) {
          if (orphaned(i.ownerUid(), owners)
              && old(i.launchedAt(), cutoff)
              && handled.add(region + "/" + i.id())) {
            l.provider().terminate(region, i.id());
            terminated.add(region + "/" + i.id());
            log.info(
                "Terminated orphaned instance {} in {} ({}): no Proxy with UID {}",
                i.id(),
                region,
                l.key(),
                i.ownerUid());
            events.warning(
                l.profile(),
                "OrphanTerminated",
                "Terminated instance "
                    + i.id()
                    + " in "
                    + region
                    + ": it carries this operator's tags but no Proxy owns it (owner UID "
                    + i.ownerUid()
                    + ")");
          }
        }
        for (Instance i : extras(l.instances(), owners, recorded)) {
          if (old(i.launchedAt(), cutoff) && handled.add(region + "/" + i.id())) {
            l.provider().terminate(region, i.id());
            terminated.add(region + "/" + i.id());
            log.info(
                "Terminated extra instance {} in {} ({}): Proxy {} owns {}",
                i.id(),
                region,
                l.key(),
                i.ownerUid(),
                recorded.get(i.ownerUid()));
            events.warning(
                l.profile(),
                "ExtraInstanceTerminated",
                "Terminated instance "
                    + i.id()
                    + " in "
                    + region
                    + ": its Proxy (UID "
                    + i.ownerUid()
                    + ") already runs on another instance; a Proxy owns at most one");
          }
        }
        // EC2 refuses to release an address still attached to a live instance: those wait for the
        // next pass, after the orphan instance is gone.
        Set<String> liveInstances =
            l.instances().stream().map(Instance::id).collect(Collectors.toSet());
        for (Address a : l.addresses()) {
          boolean attached = a.instanceId() != null && liveInstances.contains(a.instanceId());
          String keeps = recordedAddress.get(a.ownerUid());
          if (keeps != null
              && !keeps.equals(a.id())
              && a.instanceId() == null
              && old(a.allocatedAt(), cutoff)
              && handled.add(region + "/" + a.id())) {
            l.provider().releaseAddress(region, a);
            released.add(region + "/" + a.ip());
            log.info(
                "Released extra address {} in {} ({}): Proxy {} serves on {}",
                a.ip(),
                region,
                l.key(),
                a.ownerUid(),
                keeps);
            events.warning(
                l.profile(),
                "ExtraAddressReleased",
                "Released address "
                    + a.ip()
                    + " in "
                    + region
                    + ": its Proxy (UID "
                    + a.ownerUid()
                    + ") serves on another address and this one was attached to nothing");
            continue;
          }
          if (orphaned(a.ownerUid(), owners)
              && old(a.allocatedAt(), cutoff)
              && !attached
              && handled.add(region + "/" + a.id())) {
            l.provider().releaseAddress(region, a);
            released.add(region + "/" + a.ip());
            log.info(
                "Released orphaned address {} in {} ({}): no Proxy with UID {}",
                a.ip(),
                region,
                l.key(),
                a.ownerUid());
            events.warning(
                l.profile(),
                "OrphanReleased",
                "Released address "
                    + a.ip()
                    + " in "
                    + region
                    + ": it carries this operator's tags but no Proxy owns it (owner UID "
                    + a.ownerUid()
                    + ")");
          }
        }
      } catch (CloudException e) {
        errors.add(failure(l.profile(), region, e));
      }
    }
    List<String> removed = removeUnusedShared(usable, errors);
    return new Report(List.copyOf(terminated), List.copyOf(released), removed, List.copyOf(errors));
  }

  /**
   * 3. What proxies share per project (GCE firewall rules) once no instance of this cluster uses
   * it, after the minimum age. The provider decides "unused" from its own fresh listing, so an
   * instance terminated above frees its rule on this pass or the next.
   */
  private List<String> removeUnusedShared(
      Map<CloudProvider, CloudProfile> usable, List<String> errors) {
    List<String> removed = new ArrayList<>();
    usable.forEach(
        (provider, profile) -> {
          try {
            for (String what : provider.removeUnusedShared(cluster, minAge)) {
              removed.add(what);
              log.info(
                  "Removed {} ({}): no instance of cluster {} uses it",
                  what,
                  key(profile),
                  cluster);
              events.normal(
                  profile,
                  "SharedResourceRemoved",
                  "Removed " + what + ": no proxy of this operator uses it any more");
            }
          } catch (CloudException e) {
            errors.add(failure(profile, "shared resources", e));
          }
        });
    return List.copyOf(removed);
  }

  /**
   * Instances beyond the first of a living Proxy. A crash between a launch and its status write,
   * with a lagging DescribeInstances and a zone fallback (each zone has its own client token), can
   * start a second VM for one Proxy; its owner is alive, so the orphan rule never removes it. The
   * one to keep is the instance the Proxy recorded, else the one the provider would pick (running
   * first, then the earliest launched).
   */
  static List<Instance> extras(
      List<Instance> instances, Set<String> owners, Map<String, String> recorded) {
    Map<String, List<Instance>> byOwner =
        instances.stream()
            .filter(
                i ->
                    i.ownerUid() != null
                        && owners.contains(i.ownerUid())
                        && i.state() != Instance.State.TERMINATED)
            .collect(Collectors.groupingBy(Instance::ownerUid));
    List<Instance> extras = new ArrayList<>();
    byOwner.forEach(
        (uid, live) -> {
          if (live.size() < 2) {
            return;
          }
          Instance keep =
              live.stream()
                  .filter(i -> i.id().equals(recorded.get(uid)))
                  .findFirst()
                  .orElseGet(
                      () ->
                          live.stream()
                              .min(
                                  Comparator.comparing(
                                          (Instance i) ->
                                              i.state() == Instance.State.RUNNING ? 0 : 1)
                                      .thenComparing(
                                          i ->
                                              Optional.ofNullable(i.launchedAt())
                                                  .orElse(Instant.MAX))
                                      .thenComparing(Instance::id))
                              .orElseThrow());
          live.stream().filter(i -> i != keep).forEach(extras::add);
        });
    return extras;
  }

  private static String key(CloudProfile profile) {
    return profile.getMetadata().getNamespace() + "/" + profile.getMetadata().getName();
  }

  private static String failure(CloudProfile profile, String region, CloudException e) {
    String key = key(profile);
    log.warn(
        "Garbage collection of {} in {} failed ({}): {}", key, region, e.reason(), e.getMessage());
    return key + " " + region + ": " + e.reason() + ": " + e.getMessage();
  }

  private List<Proxy> knownProxies(CloudProfile profile) {
    return list(Proxy.class).stream()
        .filter(
            p ->
                Objects.equals(p.getMetadata().getNamespace(), profile.getMetadata().getNamespace())
                    && p.getSpec() != null
                    && profile.getMetadata().getName().equals(p.getSpec().getCloudProfile()))
        .toList();
  }

  /**
   * Regions the profile may hold resources in: its own list (aws or gcp), every fleet region that
   * names it, and the region of every Proxy on it (a region dropped from the profile and the fleet
   * still holds that Proxy's resources). Providers add regions they find by listing the account.
   */
  static Set<String> regions(CloudProfile profile, List<ProxyFleet> fleets, List<Proxy> proxies) {
    Set<String> regions = new TreeSet<>();
    if (profile.getSpec() != null) {
      regions.addAll(profile.getSpec().providerRegions());
    }
    proxies.stream()
        .map(p -> p.getSpec().getRegion())
        .filter(Objects::nonNull)
        .forEach(regions::add);
    for (ProxyFleet f : fleets) {
      if (!Objects.equals(f.getMetadata().getNamespace(), profile.getMetadata().getNamespace())
          || f.getSpec() == null
          || f.getSpec().getPlacement() == null) {
        continue;
      }
      f.getSpec().getPlacement().stream()
          .filter(
              p ->
                  profile.getMetadata().getName().equals(p.getCloudProfile())
                      && p.getRegions() != null)
          .forEach(p -> regions.addAll(p.getRegions()));
    }
    return regions;
  }

  private static boolean orphaned(String ownerUid, Set<String> owners) {
    return ownerUid != null && !owners.contains(ownerUid);
  }

  private static boolean old(Instant created, Instant cutoff) {
    return created == null || !created.isAfter(cutoff);
  }
}
