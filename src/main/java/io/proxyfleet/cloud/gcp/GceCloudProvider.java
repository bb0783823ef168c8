package io.proxyfleet.cloud.gcp;

import com.google.cloud.compute.v1.AccessConfig;
import com.google.cloud.compute.v1.AddressesClient;
import com.google.cloud.compute.v1.AttachedDisk;
import com.google.cloud.compute.v1.AttachedDiskInitializeParams;
import com.google.cloud.compute.v1.FirewallsClient;
import com.google.cloud.compute.v1.GlobalOperationsClient;
import com.google.cloud.compute.v1.InstancesClient;
import com.google.cloud.compute.v1.Items;
import com.google.cloud.compute.v1.Metadata;
import com.google.cloud.compute.v1.NetworkInterface;
import com.google.cloud.compute.v1.Operation;
import com.google.cloud.compute.v1.RegionOperationsClient;
import com.google.cloud.compute.v1.RegionsClient;
import com.google.cloud.compute.v1.Tags;
import com.google.cloud.compute.v1.ZoneOperationsClient;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.CloudProvider;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.Snapshot;
import io.proxyfleet.cloud.Subnet;
import io.proxyfleet.cloud.boot.BootScript;
import io.proxyfleet.cloud.boot.CloudDns;
import io.proxyfleet.cloud.capacity.ZoneCapacity;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gcp CloudProfile: Compute Engine instances, regional static addresses (or ephemeral access
 * configs) and one firewall rule per (network, port) in the profile's project.
 *
 * <p>Instance names are {@code pf-<proxy uid>}, and an insert carries a {@code requestId} derived
 * from the Proxy UID and the zone, so a retried or repeated launch in a zone is the same request to
 * GCE and a 409 on the name means the proxy's instance exists: it is adopted. Every mutation
 * returns an operation that is waited for (operations.wait, bounded by {@link
 * GcpSettings#operationTimeout()}); an operation that ends with an error is mapped like an HTTP
 * error.
 *
 * <p>Rotation: GCE has no atomic address swap. Static mode deletes the instance's access config and
 * adds one with the new static address; Ephemeral mode deletes it and adds one without an address,
 * so GCE assigns a new ephemeral IP, which is then checked against the blocklists. Between the two
 * operations the instance has no external address ({@link #lastSwapGap()}).
 */
public final class GceCloudProvider implements CloudProvider {

  /** The provider type as written in {@code CloudProfile.spec.provider}. */
  public static final String TYPE = "gcp";

  /** The access config every proxy instance has (GCE's default name). */
  static final String ACCESS_CONFIG = "External NAT";

  /** Prefix of address ids in Ephemeral mode: nothing is reserved, the id names the instance. */
  static final String EPHEMERAL = "ephemeral:";

  /**
   * Every Compute Engine API method this adapter calls, with the IAM permission each needs;
   * operator/gcp-iam-role.yaml must grant exactly these permissions.
   */
  public static final Map<String, String> PERMISSIONS =
      Map.ofEntries(
          Map.entry("compute.regions.get", "compute.regions.get"),
          Map.entry("compute.instances.insert", "compute.instances.create"),
          Map.entry("compute.instances.get", "compute.instances.get"),
          Map.entry("compute.instances.list", "compute.instances.list"),
          Map.entry("compute.instances.aggregatedList", "compute.instances.list"),
          Map.entry("compute.addresses.aggregatedList", "compute.addresses.list"),
          Map.entry("compute.instances.delete", "compute.instances.delete"),
          Map.entry("compute.instances.addAccessConfig", "compute.instances.addAccessConfig"),
          Map.entry("compute.instances.deleteAccessConfig", "compute.instances.deleteAccessConfig"),
          Map.entry("compute.addresses.insert", "compute.addresses.create"),
          Map.entry("compute.addresses.get", "compute.addresses.get"),
          Map.entry("compute.addresses.list", "compute.addresses.list"),
          Map.entry("compute.addresses.delete", "compute.addresses.delete"),
          Map.entry("compute.firewalls.insert", "compute.firewalls.create"),
          Map.entry("compute.firewalls.get", "compute.firewalls.get"),
          Map.entry("compute.firewalls.list", "compute.firewalls.list"),
          Map.entry("compute.firewalls.delete", "compute.firewalls.delete"),
          Map.entry("compute.zoneOperations.wait", "compute.zoneOperations.get"),
          Map.entry("compute.regionOperations.wait", "compute.regionOperations.get"),
          Map.entry("compute.globalOperations.wait", "compute.globalOperations.get"));

  /**
   * Permissions the calls above need beyond their own: inserting an instance uses the image, the
   * network and subnetwork, sets labels, metadata and tags; attaching a static address uses it.
   */
  public static final Set<String> IMPLIED_PERMISSIONS =
      Set.of(
          "compute.images.useReadOnly",
          "compute.networks.use",
          "compute.subnetworks.use",
          "compute.subnetworks.useExternalIp",
          "compute.networks.useExternalIp",
          "compute.instances.setLabels",
          "compute.instances.setMetadata",
          "compute.instances.setTags",
          "compute.disks.create",
          "compute.addresses.use",
          "compute.addresses.setLabels",
          "compute.networks.updatePolicy");

  private static final Logger log = LoggerFactory.getLogger(GceCloudProvider.class);

  /** The generated clients of one profile (one HTTP transport, one credential). */
  record Clients(
      InstancesClient instances,
      AddressesClient addresses,
      FirewallsClient firewalls,
      RegionsClient regions,
      ZoneOperationsClient zoneOperations,
      RegionOperationsClient regionOperations,
      GlobalOperationsClient globalOperations)
      implements AutoCloseable {
    @Override
    public void close() {
      instances.close();
      addresses.close();
      firewalls.close();
      regions.close();
      zoneOperations.close();
      regionOperations.close();
      globalOperations.close();
    }
  }

  private record Cached<T>(T value, Instant at) {}

  private final GcpProfile profile;
  private final String cluster;
  private final GcpSettings settings;
  private final Clock clock;
  private final RandomGenerator random;
  private final Clients api;
  private final ZoneCapacity capacity;
  private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
  private final Map<String, Cached<List<String>>> zones = new ConcurrentHashMap<>();

  /**
   * Per-region listings of this cluster's instances and addresses. A listing that started before a
   * write (another proxy attaching an address while this one lists) is not kept after that write's
   * invalidation, or a later pass would read an instance without the IP it just got and draw a
   * second address ({@link Snapshot}).
   */
  private final Map<String, Snapshot<List<com.google.cloud.compute.v1.Instance>>>
      instanceSnapshots = new ConcurrentHashMap<>();

  private final Map<String, Snapshot<List<com.google.cloud.compute.v1.Address>>> addressSnapshots =
      new ConcurrentHashMap<>();
  private final Set<String> firewallsKnown = ConcurrentHashMap.newKeySet();
  private volatile Duration lastSwapGap;

  GceCloudProvider(
      GcpProfile profile,
      String cluster,
      GcpSettings settings,
      Clock clock,
      RandomGenerator random,
      Clients api) {
    this.profile = Objects.requireNonNull(profile, "profile");
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
    this.api = Objects.requireNonNull(api, "api");
    this.capacity = new ZoneCapacity(clock, settings.capacityHold());
  }

  @Override
  public String type() {
    return TYPE;
  }

  /**
   * Compute Engine calls made so far per API method (operation waits included; client retries not).
   */
  public Map<String, Long> callCounts() {
    Map<String, Long> out = new java.util.TreeMap<>();
    calls.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  public long totalCalls() {
    return calls.values().stream().mapToLong(AtomicLong::get).sum();
  }

  public void resetCalls() {
    calls.clear();
  }

  /** How long the instance had no external address during the last address swap, or null. */
  public Duration lastSwapGap() {
    return lastSwapGap;
  }

  /** The shared capacity cache of this provider. */
  public ZoneCapacity capacity() {
    return capacity;
  }

  @Override
  public void verifyAccess() {
    for (String region : profile.regions()) {
      zones(region);
    }
  }

  @Override
  public Set<String> unavailableZones(String region) {
    return capacity.unavailableZones(region, profile.machineType());
  }

  /**
   * One "subnet" per zone: GCE subnetworks are regional, so the zone is what the planner spreads
   * over.
   */
  @Override
  public List<Subnet> subnets(String region) {
    profile.checkRegion(region);
    String subnetwork = profile.subnetworks().getOrDefault(region, profile.network());
    return zones(region).stream().map(z -> new Subnet(z, region, z, subnetwork)).toList();
  }

  @Override
  public Optional<Instance> findInstance(String region, String ownerUid) {
    return pick(instances(region).stream()
            .filter(i -> ownerUid.equals(i.getLabelsMap().get(GceLabels.PROXY)))
            .toList())
        .map(i -> toInstance(region, i));
  }

  @Override
  public Instance launch(LaunchSpec spec) {
    Objects.requireNonNull(spec, "spec");
    if (spec.owner() == null) {
      throw new CloudException(
          Reason.INVALID, "owner must be set: every instance carries owner labels");
    }
    profile.checkRegion(spec.region());
    BootScript.validate(spec.protocol(), spec.port(), spec.credentials());
    String region = spec.region();
    String uid = spec.owner().proxyUid();
    List<String> regionZones = zones(region);
    if (!regionZones.contains(spec.subnetId())) {
      throw GcpProfile.invalid(
          profile.key(),
          profile.regionField(region) + ".zones",
          "has no zone '" + spec.subnetId() + "' (zones: " + String.join(", ", regionZones) + ")");
    }
    // A fresh, targeted lookup: the snapshot may predate a launch made by a previous operator
    // process.
    String filter =
        "labels."
            + GceLabels.PROXY
            + " = \""
            + GceLabels.value(uid)
            + "\" AND labels."
            + GceLabels.CLUSTER
            + " = \""
            + GceLabels.value(spec.owner().cluster())
            + "\"";
    List<com.google.cloud.compute.v1.Instance> owned = new ArrayList<>();
    for (String zone : regionZones) {
      owned.addAll(listInstances(zone, filter));
    }
    Optional<com.google.cloud.compute.v1.Instance> existing = pick(owned);
    if (existing.isPresent()) {
      // The region's listing may predate it (an insert whose answer was lost): forget the listing,
      // or the next lookup through it reports this instance gone.
      invalidateInstances(region);
      return toInstance(region, existing.get());
    }
    String tag = firewall(spec.port());
    String name = instanceName(uid);
    Map<String, String> labels = labels(spec.owner());
    String script =
        BootScript.render(spec.protocol(), spec.port(), spec.credentials(), CloudDns.GCP);
    List<String> order =
        capacity.fallbackOrder(region, profile.machineType(), spec.subnetId(), regionZones, z -> z);
    List<String> tried = new ArrayList<>();
    CloudException stockout = null;
    for (String zone : order) {
      tried.add(zone);
      NetworkInterface.Builder nic =
          NetworkInterface.newBuilder().setNetwork("global/networks/" + profile.network());
      if (profile.subnetworks().containsKey(region)) {
        nic.setSubnetwork(
            "regions/" + region + "/subnetworks/" + profile.subnetworks().get(region));
      }
      if (!profile.staticAddresses()) {
        nic.addAccessConfigs(
            AccessConfig.newBuilder()
                .setName(ACCESS_CONFIG)
                .setType("ONE_TO_ONE_NAT")
                .setNetworkTier(profile.networkTier()));
      }
      com.google.cloud.compute.v1.Instance resource =
          com.google.cloud.compute.v1.Instance.newBuilder()
              .setName(name)
              .setMachineType("zones/" + zone + "/machineTypes/" + profile.machineType())
              .putAllLabels(labels)
              .setTags(Tags.newBuilder().addItems(tag))
              .setMetadata(
                  Metadata.newBuilder()
                      .addItems(Items.newBuilder().setKey("startup-script").setValue(script)))
              .addDisks(
                  AttachedDisk.newBuilder()
                      .setBoot(true)
                      .setAutoDelete(true)
                      .setInitializeParams(
                          AttachedDiskInitializeParams.newBuilder()
                              .setSourceImage(profile.sourceImage())))
              .addNetworkInterfaces(nic)
              .build();
      String requestId = requestId("instances.insert", uid, zone);
      try {
        Operation op;
        try {
          op =
              call(
                  zone,
                  "compute.instances.insert",
                  () ->
                      api.instances()
                          .insertCallable()
                          .call(
                              com.google.cloud.compute.v1.InsertInstanceRequest.newBuilder()
                                  .setProject(profile.project())
                                  .setZone(zone)
                                  .setRequestId(requestId)
                                  .setInstanceResource(resource)
                                  .build()));
        } catch (CloudException e) {
          // Whatever the error, GCE may have carried the insert out (a lost answer): a listing
          // started before it must not be kept.
          invalidateInstances(region);
          if (!(e.getCause() instanceof RuntimeException re && GcpErrors.alreadyExists(re))) {
            throw e;
          }
          // pf-<uid> exists in this zone: it is this proxy's instance (created by a crashed pass).
          invalidateInstances(region);
          ensureFirewall(profile.network(), spec.port(), true);
          return toInstance(region, getInstance(zone, name));
        }
        waitZone(zone, "compute.instances.insert", op);
        invalidateInstances(region);
        // The collector may have deleted the rule between the check above and this insert (it saw
        // no instance with the tag yet); now that the instance exists, the rule must too.
        ensureFirewall(profile.network(), spec.port(), true);
        com.google.cloud.compute.v1.Instance created = getInstance(zone, name);
        if (!zone.equals(spec.subnetId())) {
          log.info(
              "Launched {} for {} in {} instead of {}: no capacity there",
              name,
              spec.owner().proxyName(),
              zone,
              spec.subnetId());
        }
        return toInstance(region, created);
      } catch (CloudException e) {
        if (e.reason() == Reason.CAPACITY_UNAVAILABLE) {
          Instant until = capacity.markUnavailable(region, zone, profile.machineType());
          log.warn(
              "No capacity for {} in {}; skipping the zone until {}",
              profile.machineType(),
              zone,
              until);
          stockout = e;
          continue;
        }
        throw e;
      }
    }
    throw new CloudException(
        Reason.CAPACITY_UNAVAILABLE,
        "CloudProfile "
            + profile.key()
            + ": no capacity for "
            + profile.machineType()
            + " in "
            + region
            + " (tried zones "
            + tried
            + "; unavailable: "
            + unavailableZones(region)
            + "); zones are tried again after "
            + settings.capacityHold().toMinutes()
            + " min",
        stockout);
  }

  @Override
  public void terminate(String region, String instanceId) {
    String zone = zoneOf(instanceId);
    String name = nameOf(instanceId);
    try {
      Operation op =
          call(
              zone,
              "compute.instances.delete",
              () ->
                  api.instances()
                      .deleteCallable()
                      .call(
                          com.google.cloud.compute.v1.DeleteInstanceRequest.newBuilder()
                              .setProject(profile.project())
                              .setZone(zone)
                              .setInstance(name)
                              .setRequestId(requestId("instances.delete", instanceId, ""))
                              .build()));
      waitZone(zone, "compute.instances.delete", op);
    } catch (CloudException e) {
      if (e.reason() != Reason.NOT_FOUND) {
        throw e;
      }
    } finally {
      invalidateInstances(region);
      invalidateAddresses(region);
    }
  }

  @Override
  public List<Instance> listManagedInstances(String region, String cluster) {
    List<com.google.cloud.compute.v1.Instance> all;
    if (this.cluster.equals(cluster)) {
      all = instances(region);
    } else {
      all = new ArrayList<>();
      for (String zone : zones(region)) {
        all.addAll(listInstances(zone, clusterFilter(cluster)));
      }
    }
    String label = GceLabels.value(cluster);
    return all.stream()
        .filter(i -> label.equals(i.getLabelsMap().get(GceLabels.CLUSTER)))
        .map(i -> toInstance(region, i, cluster))
        .toList();
  }

  @Override
  public Address allocateAddress(String region, OwnerTags owner, Optional<String> subnetHint) {
    if (owner == null) {
      throw new CloudException(
          Reason.INVALID, "owner must be set: every address carries owner labels");
    }
    profile.checkRegion(region);
    if (!profile.staticAddresses()) {
      return redrawEphemeral(region, owner);
    }
    String name =
        "pf-" + owner.proxyUid() + "-" + HexFormat.of().toHexDigits(random.nextInt()).substring(2);
    com.google.cloud.compute.v1.Address resource =
        com.google.cloud.compute.v1.Address.newBuilder()
            .setName(name)
            .setAddressType("EXTERNAL")
            .setNetworkTier(profile.networkTier())
            .setDescription(
                "ProxyFleet address of proxy " + owner.fleetNamespace() + "/" + owner.proxyName())
            .putAllLabels(labels(owner))
            .build();
    try {
      Operation op =
          call(
              region,
              "compute.addresses.insert",
              () ->
                  api.addresses()
                      .insertCallable()
                      .call(
                          com.google.cloud.compute.v1.InsertAddressRequest.newBuilder()
                              .setProject(profile.project())
                              .setRegion(region)
                              .setRequestId(
                                  UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8))
                                      .toString())
                              .setAddressResource(resource)
                              .build()));
      waitRegion(region, "compute.addresses.insert", op);
      com.google.cloud.compute.v1.Address created =
          call(
              region,
              "compute.addresses.get",
              () -> api.addresses().get(profile.project(), region, name));
      return toAddress(region, created, cluster);
    } finally {
      invalidateAddresses(region);
    }
  }

  /**
   * Regions holding this cluster's instances or addresses, from two project-wide aggregated lists.
   */
  @Override
  public Set<String> managedRegions(String cluster, Set<String> known) {
    Set<String> found = new java.util.TreeSet<>();
    String filter = clusterFilter(cluster);
    String token = "";
    do {
      String page = token;
      com.google.cloud.compute.v1.InstanceAggregatedList list =
          call(
              "all zones",
              "compute.instances.aggregatedList",
              () ->
                  api.instances()
                      .aggregatedListCallable()
                      .call(
                          com.google.cloud.compute.v1.AggregatedListInstancesRequest.newBuilder()
                              .setProject(profile.project())
                              .setFilter(filter)
                              .setMaxResults(500)
                              .setPageToken(page)
                              .build()));
      list.getItemsMap()
          .forEach(
              (scope, items) -> {
                if (items.getInstancesCount() > 0 && scope.startsWith("zones/")) {
                  String zone = scope.substring("zones/".length());
                  found.add(zone.substring(0, zone.lastIndexOf('-')));
                }
              });
      token = list.getNextPageToken();
    } while (!token.isEmpty());
    token = "";
    do {
      String page = token;
      com.google.cloud.compute.v1.AddressAggregatedList list =
          call(
              "all regions",
              "compute.addresses.aggregatedList",
              () ->
                  api.addresses()
                      .aggregatedListCallable()
                      .call(
                          com.google.cloud.compute.v1.AggregatedListAddressesRequest.newBuilder()
                              .setProject(profile.project())
                              .setFilter(filter)
                              .setMaxResults(500)
                              .setPageToken(page)
                              .build()));
      list.getItemsMap()
          .forEach(
              (scope, items) -> {
                if (items.getAddressesCount() > 0 && scope.startsWith("regions/")) {
                  found.add(scope.substring("regions/".length()));
                }
              });
      token = list.getNextPageToken();
    } while (!token.isEmpty());
    found.removeAll(known);
    return found;
  }

  @Override
  public List<Address> listManagedAddresses(String region, String cluster) {
    List<com.google.cloud.compute.v1.Address> all =
        this.cluster.equals(cluster) ? addresses(region) : listAddresses(region, cluster);
    String label = GceLabels.value(cluster);
    return all.stream()
        .filter(a -> label.equals(a.getLabelsMap().get(GceLabels.CLUSTER)))
        .map(a -> toAddress(region, a, cluster))
        .toList();
  }

  @Override
  public void associateAddress(String region, String instanceId, Address address) {
    Objects.requireNonNull(address, "address");
    if (address.id().startsWith(EPHEMERAL)) {
      // The ephemeral address was assigned when it was drawn; nothing is left to attach.
      return;
    }
    String zone = zoneOf(instanceId);
    String name = nameOf(instanceId);
    com.google.cloud.compute.v1.Instance instance = getInstance(zone, name);
    if (!"RUNNING".equals(instance.getStatus())) {
      throw new CloudException(
          Reason.TRANSIENT,
          "instance "
              + instanceId
              + " in "
              + region
              + " is "
              + instance.getStatus()
              + "; addresses are attached once it runs");
    }
    try {
      swap(zone, name, instance, address.ip());
    } finally {
      invalidateInstances(region);
      invalidateAddresses(region);
    }
  }

  @Override
  public void releaseAddress(String region, Address address) {
    Objects.requireNonNull(address, "address");
    if (address.id().startsWith(EPHEMERAL)) {
      // Nothing reserved: a blocked ephemeral IP is replaced by the next draw on the same access
      // config.
      return;
    }
    try {
      Operation op =
          call(
              region,
              "compute.addresses.delete",
              () ->
                  api.addresses()
                      .deleteCallable()
                      .call(
                          com.google.cloud.compute.v1.DeleteAddressRequest.newBuilder()
                              .setProject(profile.project())
                              .setRegion(region)
                              .setAddress(address.id())
                              .build()));
      waitRegion(region, "compute.addresses.delete", op);
    } catch (CloudException e) {
      if (e.reason() != Reason.NOT_FOUND) {
        throw e;
      }
    } finally {
      invalidateAddresses(region);
    }
  }

  @Override
  public void close() {
    api.close();
  }

  // ---------------------------------------------------------------------------------------------

  /** deleteAccessConfig, then addAccessConfig with natIP (null: a new ephemeral IP). */
  private void swap(
      String zone, String name, com.google.cloud.compute.v1.Instance instance, String natIp) {
    Optional<AccessConfig> current = accessConfig(instance);
    if (current.isPresent() && natIp != null && natIp.equals(current.get().getNatIP())) {
      return;
    }
    Instant detached = null;
    if (current.isPresent()) {
      Operation del =
          call(
              zone,
              "compute.instances.deleteAccessConfig",
              () ->
                  api.instances()
                      .deleteAccessConfigCallable()
                      .call(
                          com.google.cloud.compute.v1.DeleteAccessConfigInstanceRequest.newBuilder()
                              .setProject(profile.project())
                              .setZone(zone)
                              .setInstance(name)
                              .setNetworkInterface("nic0")
                              .setAccessConfig(current.get().getName())
                              .build()));
      waitZone(zone, "compute.instances.deleteAccessConfig", del);
      detached = clock.instant();
    }
    AccessConfig.Builder config =
        AccessConfig.newBuilder()
            .setName(ACCESS_CONFIG)
            .setType("ONE_TO_ONE_NAT")
            .setNetworkTier(profile.networkTier());
    if (natIp != null) {
      config.setNatIP(natIp);
    }
    Operation add =
        call(
            zone,
            "compute.instances.addAccessConfig",
            () ->
                api.instances()
                    .addAccessConfigCallable()
                    .call(
                        com.google.cloud.compute.v1.AddAccessConfigInstanceRequest.newBuilder()
                            .setProject(profile.project())
                            .setZone(zone)
                            .setInstance(name)
                            .setNetworkInterface("nic0")
                            .setAccessConfigResource(config)
                            .build()));
    waitZone(zone, "compute.instances.addAccessConfig", add);
    if (detached != null) {
      lastSwapGap = Duration.between(detached, clock.instant());
      log.debug(
          "Instance {} had no external address for {} ms during the swap",
          name,
          lastSwapGap.toMillis());
    }
  }

  private Address redrawEphemeral(String region, OwnerTags owner) {
    Optional<Instance> found = findInstanceFresh(region, owner.proxyUid());
    if (found.isEmpty()) {
      throw new CloudException(
          Reason.NOT_FOUND,
          "CloudProfile "
              + profile.key()
              + ": proxy "
              + owner.proxyName()
              + " has no instance in "
              + region
              + " to draw an ephemeral address for");
    }
    String zone = zoneOf(found.get().id());
    String name = nameOf(found.get().id());
    try {
      com.google.cloud.compute.v1.Instance instance = getInstance(zone, name);
      swap(zone, name, instance, null);
      com.google.cloud.compute.v1.Instance after = getInstance(zone, name);
      String ip =
          accessConfig(after)
              .map(AccessConfig::getNatIP)
              .filter(s -> !s.isEmpty())
              .orElseThrow(
                  () ->
                      new CloudException(
                          Reason.TRANSIENT,
                          "instance " + found.get().id() + " got no ephemeral address yet"));
      return new Address(
          EPHEMERAL + found.get().id(),
          region,
          ip,
          null,
          GceLabels.tags(after.getLabelsMap(), cluster),
          clock.instant());
    } finally {
      invalidateInstances(region);
    }
  }

  private Optional<Instance> findInstanceFresh(String region, String uid) {
    invalidateInstances(region);
    return findInstance(region, uid);
  }

  /**
   * The firewall rule opening the port to the proxies' network tag in the profile's network;
   * returns the tag.
   */
  private String firewall(int port) {
    return ensureFirewall(profile.network(), port, false);
  }

  /**
   * Creates the managed rule of (network, port) unless it exists. {@code fresh} asks GCE even when
   * this process has seen the rule: the collector may have deleted it since (it does so only when
   * no instance carries the tag, so a launch checks again after its insert).
   */
  private String ensureFirewall(String network, int port, boolean fresh) {
    String tag = firewallTag(cluster, port);
    String name = firewallName(cluster, network, port);
    if (!fresh && firewallsKnown.contains(name)) {
      return tag;
    }
    try {
      call("global", "compute.firewalls.get", () -> api.firewalls().get(profile.project(), name));
    } catch (CloudException e) {
      if (e.reason() != Reason.NOT_FOUND) {
        throw e;
      }
      firewallsKnown.remove(name);
      com.google.cloud.compute.v1.Firewall rule =
          com.google.cloud.compute.v1.Firewall.newBuilder()
              .setName(name)
              .setNetwork("global/networks/" + network)
              .setDirection("INGRESS")
              .setDescription(firewallDescription(cluster, port))
              .addSourceRanges("0.0.0.0/0")
              .addTargetTags(tag)
              .addAllowed(
                  com.google.cloud.compute.v1.Allowed.newBuilder()
                      .setIPProtocol("tcp")
                      .addPorts(String.valueOf(port)))
              .build();
      // Not derived from the name alone: GCE ignores a requestId it has seen within the last hour,
      // so re-creating a rule the collector deleted would silently do nothing. A retry inside
      // call()
      // reuses this id, and a second creation of the same name is a 409, taken as success.
      String requestId = requestId("firewalls.insert", name, clock.instant().toString());
      try {
        Operation op =
            call(
                "global",
                "compute.firewalls.insert",
                () ->
                    api.firewalls()
                        .insertCallable()
                        .call(
                            com.google.cloud.compute.v1.InsertFirewallRequest.newBuilder()
                                .setProject(profile.project())
                                .setRequestId(requestId)
                                .setFirewallResource(rule)
                                .build()));
        waitGlobal("compute.firewalls.insert", op);
        log.info("Created firewall rule {} in {} for TCP {}", name, network, port);
      } catch (CloudException inserted) {
        if (!(inserted.getCause() instanceof RuntimeException re && GcpErrors.alreadyExists(re))) {
          throw inserted;
        }
      }
    }
    firewallsKnown.add(name);
    return tag;
  }

  /**
   * Deletes this cluster's firewall rules that no instance of the cluster uses any more. A rule is
   * this cluster's only when its name, description, target tag and port all say so (GCE firewall
   * rules carry no labels); it is unused when no instance labelled with the cluster carries its
   * target tag in its network. Safe against a launch in flight from both sides: the launch checks
   * the rule after inserting its instance, and this method lists the instances again after the
   * delete and puts the rule back if one appeared; whichever runs second sees the other's write.
   */
  @Override
  public List<String> removeUnusedShared(String cluster, Duration minAge) {
    if (!this.cluster.equals(cluster)) {
      return List.of(); // rule names derive from the cluster this provider was made for
    }
    List<com.google.cloud.compute.v1.Firewall> ours = managedFirewalls();
    if (ours.isEmpty()) {
      return List.of();
    }
    Instant cutoff = clock.instant().minus(minAge);
    Set<String> inUse = firewallUses();
    List<String> removed = new ArrayList<>();
    for (com.google.cloud.compute.v1.Firewall rule : ours) {
      String network = last(rule.getNetwork());
      String use = network + " " + rule.getTargetTags(0);
      Instant created = parse(rule.getCreationTimestamp());
      if (inUse.contains(use) || created == null || created.isAfter(cutoff)) {
        continue;
      }
      try {
        Operation op =
            call(
                "global",
                "compute.firewalls.delete",
                () ->
                    api.firewalls()
                        .deleteCallable()
                        .call(
                            com.google.cloud.compute.v1.DeleteFirewallRequest.newBuilder()
                                .setProject(profile.project())
                                .setFirewall(rule.getName())
                                .setRequestId(
                                    requestId(
                                        "firewalls.delete",
                                        rule.getName(),
                                        rule.getCreationTimestamp()))
                                .build()));
        waitGlobal("compute.firewalls.delete", op);
      } catch (CloudException e) {
        if (e.reason() != Reason.NOT_FOUND) {
          throw e;
        }
      } finally {
        firewallsKnown.remove(rule.getName());
      }
      if (firewallUses().contains(use)) {
        log.info(
            "Firewall rule {} is in use again (a launch in flight); creating it again",
            rule.getName());
        ensureFirewall(network, firewallPort(rule), true);
        continue;
      }
      log.info(
          "Deleted firewall rule {} in {}: no instance of cluster {} uses it",
          rule.getName(),
          network,
          cluster);
      removed.add("firewall rule " + rule.getName());
    }
    return removed;
  }

  /**
   * The project's firewall rules that are this cluster's managed rules, by every mark they carry.
   */
  private List<com.google.cloud.compute.v1.Firewall> managedFirewalls() {
    List<com.google.cloud.compute.v1.Firewall> out = new ArrayList<>();
    String prefix = "pf-" + GceLabels.hash(cluster) + "-";
    String token = "";
    do {
      String page = token;
      com.google.cloud.compute.v1.FirewallList list =
          call(
              "global",
              "compute.firewalls.list",
              () ->
                  api.firewalls()
                      .listCallable()
                      .call(
                          com.google.cloud.compute.v1.ListFirewallsRequest.newBuilder()
                              .setProject(profile.project())
                              .setMaxResults(500)
                              .setPageToken(page)
                              .build()));
      for (com.google.cloud.compute.v1.Firewall rule : list.getItemsList()) {
        int port = rule.getName().startsWith(prefix) ? firewallPort(rule) : -1;
        if (port > 0
            && rule.getName().equals(firewallName(cluster, last(rule.getNetwork()), port))
            && rule.getDescription().equals(firewallDescription(cluster, port))
            && rule.getTargetTagsList().equals(List.of(firewallTag(cluster, port)))) {
          out.add(rule);
        }
      }
      token = list.getNextPageToken();
    } while (!token.isEmpty());
    return out;
  }

  /** "network tag" for every network tag that an instance of this cluster carries, project-wide. */
  private Set<String> firewallUses() {
    Set<String> uses = new java.util.HashSet<>();
    String token = "";
    do {
      String page = token;
      com.google.cloud.compute.v1.InstanceAggregatedList list =
          call(
              "all zones",
              "compute.instances.aggregatedList",
              () ->
                  api.instances()
                      .aggregatedListCallable()
                      .call(
                          com.google.cloud.compute.v1.AggregatedListInstancesRequest.newBuilder()
                              .setProject(profile.project())
                              .setFilter(clusterFilter(cluster))
                              .setMaxResults(500)
                              .setPageToken(page)
                              .build()));
      list.getItemsMap()
          .values()
          .forEach(
              scoped ->
                  scoped
                      .getInstancesList()
                      .forEach(
                          i ->
                              i.getNetworkInterfacesList()
                                  .forEach(
                                      nic ->
                                          i.getTags()
                                              .getItemsList()
                                              .forEach(
                                                  tag ->
                                                      uses.add(
                                                          last(nic.getNetwork()) + " " + tag)))));
      token = list.getNextPageToken();
    } while (!token.isEmpty());
    return uses;
  }

  /** The port in a managed rule's allowed list, or -1. */
  private static int firewallPort(com.google.cloud.compute.v1.Firewall rule) {
    if (rule.getAllowedCount() != 1 || rule.getAllowed(0).getPortsCount() != 1) {
      return -1;
    }
    try {
      return Integer.parseInt(rule.getAllowed(0).getPorts(0));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  static String firewallTag(String cluster, int port) {
    return "pf-" + GceLabels.hash(cluster) + "-tcp-" + port;
  }

  static String firewallDescription(String cluster, int port) {
    return "ProxyFleet proxies of cluster "
        + GceLabels.value(cluster)
        + ": TCP "
        + port
        + " from anywhere ("
        + GceLabels.CLUSTER
        + "="
        + GceLabels.value(cluster)
        + " "
        + GceLabels.PORT
        + "="
        + port
        + ")";
  }

  /**
   * The managed rule of (cluster, network, port). GCE firewall rules carry no labels, so the rule
   * is found again by this deterministic name (and says whose it is in its description).
   */
  static String firewallName(String cluster, String network, int port) {
    String name = "pf-" + GceLabels.hash(cluster) + "-" + network + "-tcp-" + port;
    return name.length() <= 63
        ? name
        : "pf-" + GceLabels.hash(cluster) + "-" + GceLabels.hash(network) + "-tcp-" + port;
  }

  static String instanceName(String uid) {
    return "pf-" + GceLabels.value(uid);
  }

  /**
   * requestId: a UUID derived from what the request does, so a repeat is the same request to GCE.
   */
  static String requestId(String what, String key, String where) {
    return UUID.nameUUIDFromBytes((what + ":" + key + ":" + where).getBytes(StandardCharsets.UTF_8))
        .toString();
  }

  private Map<String, String> labels(OwnerTags owner) {
    Map<String, String> labels = new LinkedHashMap<>(profile.extraLabels());
    labels.putAll(GceLabels.owner(owner));
    return labels;
  }

  private static String clusterFilter(String cluster) {
    return "labels." + GceLabels.CLUSTER + " = \"" + GceLabels.value(cluster) + "\"";
  }

  /**
   * Zones of a region: the profile's, else GCE's. Any region works here (listing a dropped one).
   */
  private List<String> zones(String region) {
    if (region == null || !region.matches(io.proxyfleet.api.GcpProviderSpec.REGION_PATTERN)) {
      throw new CloudException(
          Reason.INVALID, "'" + region + "' is not a GCE region name such as europe-west3");
    }
    List<String> configured = profile.zones().getOrDefault(region, List.of());
    if (!configured.isEmpty()) {
      return configured;
    }
    Cached<List<String>> c = zones.get(region);
    if (c != null && clock.instant().isBefore(c.at().plus(Duration.ofHours(1)))) {
      return c.value();
    }
    com.google.cloud.compute.v1.Region r;
    try {
      r = call(region, "compute.regions.get", () -> api.regions().get(profile.project(), region));
    } catch (CloudException e) {
      if (e.reason() == Reason.NOT_FOUND && profile.regions().contains(region)) {
        throw GcpProfile.invalid(
            profile.key(),
            profile.regionField(region) + ".name",
            "'"
                + region
                + "' is not a region of project "
                + profile.project()
                + " ("
                + e.getMessage()
                + ")");
      }
      throw e;
    }
    List<String> z = r.getZonesList().stream().map(GceCloudProvider::last).sorted().toList();
    zones.put(region, new Cached<>(z, clock.instant()));
    return z;
  }

  private List<com.google.cloud.compute.v1.Instance> instances(String region) {
    return instanceSnapshots
        .computeIfAbsent(
            region,
            r ->
                new Snapshot<>(
                    () -> {
                      List<com.google.cloud.compute.v1.Instance> all = new ArrayList<>();
                      for (String zone : zones(r)) {
                        all.addAll(listInstances(zone, clusterFilter(cluster)));
                      }
                      return List.copyOf(all);
                    },
                    clock,
                    settings.snapshotTtl()))
        .get();
  }

  private List<com.google.cloud.compute.v1.Address> addresses(String region) {
    return addressSnapshots
        .computeIfAbsent(
            region,
            r -> new Snapshot<>(() -> listAddresses(r, cluster), clock, settings.snapshotTtl()))
        .get();
  }

  private void invalidateInstances(String region) {
    Snapshot<?> s = instanceSnapshots.get(region);
    if (s != null) {
      s.invalidate();
    }
  }

  private void invalidateAddresses(String region) {
    Snapshot<?> s = addressSnapshots.get(region);
    if (s != null) {
      s.invalidate();
    }
  }

  private List<com.google.cloud.compute.v1.Instance> listInstances(String zone, String filter) {
    List<com.google.cloud.compute.v1.Instance> out = new ArrayList<>();
    String token = "";
    do {
      String page = token;
      com.google.cloud.compute.v1.InstanceList list =
          call(
              zone,
              "compute.instances.list",
              () ->
                  api.instances()
                      .listCallable()
                      .call(
                          com.google.cloud.compute.v1.ListInstancesRequest.newBuilder()
                              .setProject(profile.project())
                              .setZone(zone)
                              .setFilter(filter)
                              .setMaxResults(500)
                              .setPageToken(page)
                              .build()));
      out.addAll(list.getItemsList());
      token = list.getNextPageToken();
    } while (!token.isEmpty());
    return out;
  }

  private List<com.google.cloud.compute.v1.Address> listAddresses(String region, String cluster) {
    List<com.google.cloud.compute.v1.Address> out = new ArrayList<>();
    String token = "";
    do {
      String page = token;
      com.google.cloud.compute.v1.AddressList list =
          call(
              region,
              "compute.addresses.list",
              () ->
                  api.addresses()
                      .listCallable()
                      .call(
                          com.google.cloud.compute.v1.ListAddressesRequest.newBuilder()
                              .setProject(profile.project())
                              .setRegion(region)
                              .setFilter(clusterFilter(cluster))
                              .setMaxResults(500)
                              .setPageToken(page)
                              .build()));
      out.addAll(list.getItemsList());
      token = list.getNextPageToken();
    } while (!token.isEmpty());
    return out;
  }

  private com.google.cloud.compute.v1.Instance getInstance(String zone, String name) {
    return call(
        zone, "compute.instances.get", () -> api.instances().get(profile.project(), zone, name));
  }

  private void waitZone(String zone, String method, Operation op) {
    waitDone(
        zone,
        method,
        op,
        o ->
            call(
                zone,
                "compute.zoneOperations.wait",
                () -> api.zoneOperations().wait(profile.project(), zone, o)));
  }

  private void waitRegion(String region, String method, Operation op) {
    waitDone(
        region,
        method,
        op,
        o ->
            call(
                region,
                "compute.regionOperations.wait",
                () -> api.regionOperations().wait(profile.project(), region, o)));
  }

  private void waitGlobal(String method, Operation op) {
    waitDone(
        "global",
        method,
        op,
        o ->
            call(
                "global",
                "compute.globalOperations.wait",
                () -> api.globalOperations().wait(profile.project(), o)));
  }

  /**
   * Waits for an operation to be DONE within {@link GcpSettings#operationTimeout()} (each wait call
   * returns after at most about two minutes on GCE, or sooner when DONE), then fails with its
   * error.
   */
  private void waitDone(
      String where,
      String method,
      Operation op,
      java.util.function.Function<String, Operation> waitCall) {
    Instant deadline = clock.instant().plus(settings.operationTimeout());
    Operation current = op;
    while (current.getStatus() != Operation.Status.DONE) {
      if (!clock.instant().isBefore(deadline)) {
        throw new CloudException(
            Reason.TRANSIENT,
            "CloudProfile "
                + profile.key()
                + ": "
                + method
                + " in "
                + where
                + " is still "
                + current.getStatus()
                + " after "
                + settings.operationTimeout().toSeconds()
                + " s (operation "
                + current.getName()
                + "); it is looked for again on the next pass");
      }
      current = waitCall.apply(current.getName());
    }
    if (current.hasError() && current.getError().getErrorsCount() > 0) {
      throw GcpErrors.fromOperation(new GcpErrors.Context(profile, where, method), current);
    }
  }

  /**
   * One API call, counted and mapped. Throttling (GCE answers 403 rateLimitExceeded, which the
   * generated client does not retry) is retried here a bounded number of times with exponential
   * back-off: the throttled request was not carried out, and mutations carry requestIds anyway.
   */
  private <T> T call(String where, String method, Supplier<T> body) {
    Instant deadline = clock.instant().plus(settings.callTimeout());
    long backoff = 200;
    for (int attempt = 1; ; attempt++) {
      calls.computeIfAbsent(method, k -> new AtomicLong()).incrementAndGet();
      try {
        return body.get();
      } catch (RuntimeException e) {
        CloudException mapped = GcpErrors.map(new GcpErrors.Context(profile, where, method), e);
        if (mapped.reason() != Reason.THROTTLED
            || attempt >= settings.maxAttempts()
            || clock.instant().plusMillis(backoff).isAfter(deadline)) {
          throw mapped;
        }
        try {
          Thread.sleep(backoff + random.nextLong(backoff / 2 + 1));
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw mapped;
        }
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
  }

  /** Of several live instances of one proxy (should not happen), the running one created first. */
  private static Optional<com.google.cloud.compute.v1.Instance> pick(
      List<com.google.cloud.compute.v1.Instance> candidates) {
    return candidates.stream()
        .filter(i -> !"TERMINATED".equals(i.getStatus()) && !"STOPPING".equals(i.getStatus()))
        .min(
            Comparator.comparing(
                    (com.google.cloud.compute.v1.Instance i) ->
                        "RUNNING".equals(i.getStatus()) ? 0 : 1)
                .thenComparing(com.google.cloud.compute.v1.Instance::getCreationTimestamp)
                .thenComparing(com.google.cloud.compute.v1.Instance::getName));
  }

  private Instance toInstance(String region, com.google.cloud.compute.v1.Instance i) {
    return toInstance(region, i, cluster);
  }

  /**
   * The instance as reconcilers see it. Static mode: its public IP only when it is one of this
   * operator's static addresses (so an instance never keeps an address nobody can rotate);
   * Ephemeral mode: its ephemeral IP.
   */
  private Instance toInstance(
      String region, com.google.cloud.compute.v1.Instance i, String cluster) {
    String zone = last(i.getZone());
    String id = zone + "/" + i.getName();
    String ip = accessConfig(i).map(AccessConfig::getNatIP).filter(s -> !s.isEmpty()).orElse(null);
    String addressId = null;
    if (ip != null && "RUNNING".equals(i.getStatus())) {
      if (profile.staticAddresses()) {
        String natIp = ip;
        addressId =
            addresses(region).stream()
                .filter(a -> natIp.equals(a.getAddress()))
                .map(com.google.cloud.compute.v1.Address::getName)
                .findFirst()
                .orElse(null);
        if (addressId == null) {
          ip = null;
        }
      } else {
        addressId = EPHEMERAL + id;
      }
    } else {
      ip = null;
    }
    return new Instance(
        id,
        region,
        zone,
        zone,
        state(i.getStatus()),
        ip,
        addressId,
        GceLabels.tags(i.getLabelsMap(), cluster),
        parse(i.getCreationTimestamp()));
  }

  private Address toAddress(String region, com.google.cloud.compute.v1.Address a, String cluster) {
    String user = a.getUsersCount() == 0 ? null : a.getUsers(0);
    String instanceId = null;
    if (user != null && user.contains("/zones/") && user.contains("/instances/")) {
      String zone = user.substring(user.indexOf("/zones/") + 7, user.indexOf("/instances/"));
      instanceId = zone + "/" + last(user);
    }
    return new Address(
        a.getName(),
        region,
        a.getAddress(),
        instanceId,
        GceLabels.tags(a.getLabelsMap(), cluster),
        parse(a.getCreationTimestamp()));
  }

  private static Optional<AccessConfig> accessConfig(com.google.cloud.compute.v1.Instance i) {
    return i.getNetworkInterfacesCount() == 0
        ? Optional.empty()
        : i.getNetworkInterfaces(0).getAccessConfigsList().stream().findFirst();
  }

  static Instance.State state(String status) {
    if (status == null) {
      return Instance.State.PENDING;
    }
    return switch (status) {
      case "RUNNING" -> Instance.State.RUNNING;
      case "STOPPING", "SUSPENDING", "SUSPENDED", "REPAIRING" -> Instance.State.STOPPING;
      case "TERMINATED", "STOPPED" -> Instance.State.TERMINATED;
      default -> Instance.State.PENDING;
    };
  }

  private static Instant parse(String timestamp) {
    if (timestamp == null || timestamp.isEmpty()) {
      return null;
    }
    try {
      return java.time.OffsetDateTime.parse(timestamp).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static String zoneOf(String instanceId) {
    int slash = instanceId.indexOf('/');
    if (slash < 0) {
      throw new CloudException(
          Reason.INVALID, "'" + instanceId + "' is not a GCE instance id (zone/name)");
    }
    return instanceId.substring(0, slash);
  }

  private static String nameOf(String instanceId) {
    return instanceId.substring(instanceId.indexOf('/') + 1);
  }

  private static String last(String url) {
    return url == null ? null : url.substring(url.lastIndexOf('/') + 1);
  }

  @Override
  public String toString() {
    return "GceCloudProvider["
        + profile.key()
        + ", project "
        + profile.project()
        + ", regions "
        + profile.regions().stream().collect(Collectors.joining(","))
        + "]";
  }
}
