package io.proxyfleet.cloud.aws;

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
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DomainType;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.HttpTokensState;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataEndpointState;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.IpRange;
import software.amazon.awssdk.services.ec2.model.Ipv6Range;
import software.amazon.awssdk.services.ec2.model.Reservation;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.RunInstancesResponse;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.ShutdownBehavior;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

/**
 * One aws CloudProfile: EC2 instances and Elastic IPs in the profile's regions.
 *
 * <p>Reads are served from per-region snapshots (one paginated DescribeInstances filtered by this
 * operator's cluster tag, one DescribeAddresses), reused for {@link Ec2Settings#snapshotTtl()} and
 * dropped after this provider's own mutations in the region; concurrent readers share one fetch.
 * Launches look the proxy up with a fresh, targeted DescribeInstances first and send a ClientToken
 * derived from the Proxy UID, so neither a stale snapshot nor a crash can launch a second VM.
 */
public final class Ec2CloudProvider implements CloudProvider {

  /** The provider type as written in {@code CloudProfile.spec.provider}. */
  public static final String TYPE = "aws";

  /** Tag on managed security groups: the port they open. */
  public static final String PORT_TAG = "proxyfleet.io/port";

  /** Tag on Elastic IPs: when they were allocated (EC2 does not record it). */
  public static final String CREATED_TAG = "proxyfleet.io/created-at";

  /** User agent suffix of every call, so EC2 logs and CloudTrail show the operator. */
  public static final String USER_AGENT = "proxyfleet/0.1.0";

  /** Every EC2 operation this adapter calls; operator/aws-iam-policy.json must allow each. */
  public static final Set<String> OPERATIONS =
      Set.of(
          "DescribeInstances",
          "RunInstances",
          "TerminateInstances",
          "DescribeSubnets",
          "DescribeImages",
          "DescribeSecurityGroups",
          "CreateSecurityGroup",
          "AuthorizeSecurityGroupIngress",
          "AllocateAddress",
          "AssociateAddress",
          "ReleaseAddress",
          "DescribeAddresses",
          "DescribeAvailabilityZones");

  private static final Logger log = LoggerFactory.getLogger(Ec2CloudProvider.class);
  private static final List<String> LIVE_STATES =
      List.of("pending", "running", "shutting-down", "stopping", "stopped");

  /**
   * Builds the SDK client of a region around the adapter's interceptor (counting and rate limits).
   */
  @FunctionalInterface
  public interface ClientFactory {
    Ec2Client create(String region, ExecutionInterceptor interceptor);
  }

  private record Launched(Instance instance, Instant at) {}

  private record ResolvedSubnets(List<Subnet> subnets, Map<String, String> vpcBySubnet) {}

  private final AwsProfile profile;
  private final String cluster;
  private final Ec2Settings settings;
  private final Clock clock;
  private final ClientFactory clients;
  private final List<AutoCloseable> resources;
  private final Supplier<Collection<String>> secrets;
  private final CallCounter counter = new CallCounter();
  private final Map<String, RegionApi> regions = new ConcurrentHashMap<>();
  private final ZoneCapacity capacity;
  private final Map<String, Launched> launched = new ConcurrentHashMap<>();

  Ec2CloudProvider(
      AwsProfile profile,
      String cluster,
      Ec2Settings settings,
      Clock clock,
      ClientFactory clients,
      List<AutoCloseable> resources,
      Supplier<Collection<String>> secrets) {
    this.profile = Objects.requireNonNull(profile, "profile");
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.clients = Objects.requireNonNull(clients, "clients");
    this.resources = List.copyOf(resources);
    this.secrets = secrets;
    this.capacity = new ZoneCapacity(clock, settings.capacityHold());
  }

  @Override
  public String type() {
    return TYPE;
  }

  /** EC2 calls made so far per "region Operation" (retries not included). */
  public Map<String, Long> callCounts() {
    return counter.calls();
  }

  /** The counter itself: attempts, totals, reset. */
  public CallCounter calls() {
    return counter;
  }

  /** The regions of the profile. */
  public List<String> regions() {
    return profile.regions();
  }

  @Override
  public void verifyAccess() {
    for (String region : profile.regions()) {
      RegionApi r = region(region);
      call(
          r,
          "DescribeAvailabilityZones",
          () -> r.ec2.describeAvailabilityZones(b -> b.allAvailabilityZones(false)));
    }
  }

  @Override
  public Set<String> unavailableZones(String region) {
    return capacity.unavailableZones(region, profile.instanceType());
  }

  /** Until when a zone is skipped for the profile's instance type, if it is. */
  public Optional<Instant> unavailableUntil(String region, String zone) {
    return capacity.unavailableUntil(region, zone, profile.instanceType());
  }

  /** The shared capacity cache of this provider. */
  public ZoneCapacity capacity() {
    return capacity;
  }

  @Override
  public List<Subnet> subnets(String region) {
    return region(region).subnets.get().subnets();
  }

  @Override
  public Optional<Instance> findInstance(String region, String ownerUid) {
    RegionApi r = region(region);
    Optional<software.amazon.awssdk.services.ec2.model.Instance> seen =
        pick(
            r.instances.get().stream()
                .filter(i -> ownerUid.equals(tag(i.tags(), OwnerTags.PROXY)))
                .toList());
    if (seen.isPresent()) {
      return Optional.of(toInstance(r, seen.get()));
    }
    return recentlyLaunched(region, ownerUid);
  }

  @Override
  public Instance launch(LaunchSpec spec) {
    Objects.requireNonNull(spec, "spec");
    if (spec.owner() == null) {
      throw new CloudException(
          Reason.INVALID, "owner must be set: every instance carries owner tags");
    }
    profile.checkRegion(spec.region());
    BootScript.validate(spec.protocol(), spec.port(), spec.credentials());
    RegionApi r = region(spec.region());
    String uid = spec.owner().proxyUid();

    Optional<Instance> known = recentlyLaunched(spec.region(), uid);
    if (known.isPresent()) {
      return known.get();
    }
    // A fresh, targeted lookup: the snapshot may predate a launch made by a previous operator
    // process.
    List<software.amazon.awssdk.services.ec2.model.Instance> owned =
        call(
            r,
            "DescribeInstances",
            () ->
                r
                    .ec2
                    .describeInstancesPaginator(
                        b ->
                            b.filters(
                                filter("tag:" + OwnerTags.PROXY, uid),
                                filter("tag:" + OwnerTags.CLUSTER, spec.owner().cluster()),
                                filter("instance-state-name", LIVE_STATES)))
                    .reservations()
                    .stream()
                    .flatMap(res -> res.instances().stream())
                    .toList());
    Optional<software.amazon.awssdk.services.ec2.model.Instance> existing = pick(owned);
    if (existing.isPresent()) {
      // The region's listing may predate it (a RunInstances whose answer was lost): forget it.
      r.instances.invalidate();
      return toInstance(r, existing.get());
    }

    ResolvedSubnets resolved = r.subnets.get();
    Subnet requested =
        resolved.subnets().stream()
            .filter(s -> s.id().equals(spec.subnetId()))
            .findFirst()
            .orElseThrow(
                () ->
                    new CloudException(
                        Reason.INVALID,
                        "CloudProfile "
                            + profile.key()
                            + ": subnet '"
                            + spec.subnetId()
                            + "' is not one of the subnets spec.aws.subnets selects in "
                            + spec.region()
                            + " ("
                            + resolved.subnets().stream()
                                .map(Subnet::id)
                                .collect(Collectors.joining(", "))
                            + ")"));
    List<Subnet> order =
        capacity.fallbackOrder(
            spec.region(), profile.instanceType(), requested, resolved.subnets(), Subnet::zone);

    String image = image(r);
    String userData =
        BootScript.base64(spec.protocol(), spec.port(), spec.credentials(), CloudDns.AWS);
    Map<String, String> tags = tags(spec.owner().asTags());
    CloudException capacity = null;
    List<String> tried = new ArrayList<>();
    for (Subnet subnet : order) {
      List<String> groups =
          securityGroups(
              r, resolved.vpcBySubnet().get(subnet.id()), spec.port(), spec.owner().cluster());
      tried.add(subnet.zone());
      try {
        RunInstancesResponse response =
            call(
                r,
                "RunInstances",
                () ->
                    r.ec2.runInstances(
                        b ->
                            b.imageId(image)
                                .instanceType(profile.instanceType())
                                .minCount(1)
                                .maxCount(1)
                                .subnetId(subnet.id())
                                .securityGroupIds(groups)
                                .clientToken(clientToken(uid, subnet.id()))
                                .userData(userData)
                                .instanceInitiatedShutdownBehavior(ShutdownBehavior.TERMINATE)
                                .metadataOptions(
                                    m ->
                                        m.httpTokens(HttpTokensState.REQUIRED)
                                            .httpEndpoint(InstanceMetadataEndpointState.ENABLED)
                                            .httpPutResponseHopLimit(1))
                                .tagSpecifications(
                                    tagSpec(ResourceType.INSTANCE, tags),
                                    tagSpec(ResourceType.VOLUME, tags),
                                    tagSpec(ResourceType.NETWORK_INTERFACE, tags))));
        Instance instance = toInstance(r, response.instances().get(0), null);
        launched.put(uid, new Launched(instance, clock.instant()));
        r.instances.invalidate();
        if (!subnet.id().equals(spec.subnetId())) {
          log.info(
              "Launched {} for {} in {} ({}) instead of {}: no capacity in {}",
              instance.id(),
              spec.owner().proxyName(),
              subnet.id(),
              subnet.zone(),
              spec.subnetId(),
              requested.zone());
        }
        return instance;
      } catch (CloudException e) {
        // EC2 may have carried the request out (a lost answer): no listing from before it is kept.
        r.instances.invalidate();
        String code = Ec2Errors.code(e);
        if (e.reason() == Reason.CAPACITY_UNAVAILABLE) {
          Instant until =
              this.capacity.markUnavailable(spec.region(), subnet.zone(), profile.instanceType());
          log.warn(
              "No capacity for {} in {} ({}); skipping the zone until {}",
              profile.instanceType(),
              subnet.zone(),
              code,
              until);
          capacity = e;
          continue;
        }
        if (code != null
            && code.startsWith("InvalidGroup")
            && profile.securityGroupIds().isEmpty()) {
          // Someone deleted the managed group: forget it so the next attempt creates it again.
          r.groups.clear();
          throw new CloudException(
              Reason.TRANSIENT,
              e.getMessage() + "; the managed security group is recreated on the next attempt",
              e);
        }
        throw e;
      }
    }
    Set<String> zones = unavailableZones(spec.region());
    throw new CloudException(
        Reason.CAPACITY_UNAVAILABLE,
        "CloudProfile "
            + profile.key()
            + ": no capacity for "
            + profile.instanceType()
            + " in "
            + spec.region()
            + " (tried zones "
            + tried
            + "; unavailable: "
            + zones
            + "); zones are tried again after "
            + settings.capacityHold().toMinutes()
            + " min",
        capacity);
  }

  @Override
  public void terminate(String region, String instanceId) {
    RegionApi r = anyRegion(region);
    try {
      call(r, "TerminateInstances", () -> r.ec2.terminateInstances(b -> b.instanceIds(instanceId)));
    } catch (CloudException e) {
      if (e.reason() != Reason.NOT_FOUND) {
        throw e;
      }
    } finally {
      launched.values().removeIf(l -> l.instance().id().equals(instanceId));
      r.instances.invalidate();
    }
  }

  @Override
  public List<Instance> listManagedInstances(String region, String cluster) {
    RegionApi r = anyRegion(region);
    List<software.amazon.awssdk.services.ec2.model.Instance> all =
        this.cluster.equals(cluster) ? r.instances.get() : describeInstances(r, cluster);
    return all.stream()
        .filter(i -> cluster.equals(tag(i.tags(), OwnerTags.CLUSTER)))
        .map(i -> toInstance(r, i))
        .toList();
  }

  @Override
  public Address allocateAddress(String region, OwnerTags owner, Optional<String> subnetHint) {
    if (owner == null) {
      throw new CloudException(
          Reason.INVALID, "owner must be set: every address carries owner tags");
    }
    profile.checkRegion(region);
    RegionApi r = region(region);
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Map<String, String> tags = tags(owner.asTags());
    tags.put(CREATED_TAG, now.toString());
    try {
      var response =
          call(
              r,
              "AllocateAddress",
              () ->
                  r.ec2.allocateAddress(
                      b ->
                          b.domain(DomainType.VPC)
                              .tagSpecifications(tagSpec(ResourceType.ELASTIC_IP, tags))));
      return new Address(
          response.allocationId(), region, response.publicIp(), null, Map.copyOf(tags), now);
    } finally {
      r.addresses.invalidate();
    }
  }

  @Override
  public List<Address> listManagedAddresses(String region, String cluster) {
    RegionApi r = anyRegion(region);
    List<software.amazon.awssdk.services.ec2.model.Address> all =
        this.cluster.equals(cluster) ? r.addresses.get() : describeAddresses(r, cluster);
    return all.stream()
        .filter(a -> a.allocationId() != null && cluster.equals(tag(a.tags(), OwnerTags.CLUSTER)))
        .map(a -> toAddress(region, a))
        .toList();
  }

  @Override
  public void associateAddress(String region, String instanceId, Address address) {
    Objects.requireNonNull(address, "address");
    RegionApi r = region(region);
    // The reconciler associates only RUNNING instances; say so cleanly instead of asking EC2.
    Optional<software.amazon.awssdk.services.ec2.model.Instance> seen =
        r.instances.get().stream().filter(i -> i.instanceId().equals(instanceId)).findFirst();
    if (seen.isEmpty()) {
      boolean pending =
          launched.values().stream().anyMatch(l -> l.instance().id().equals(instanceId));
      throw pending
          ? new CloudException(
              Reason.TRANSIENT,
              "instance "
                  + instanceId
                  + " in "
                  + region
                  + " is still pending; addresses are associated once it runs")
          : new CloudException(
              Reason.NOT_FOUND, "instance " + instanceId + " not found in " + region);
    }
    if (seen.get().state().name() != InstanceStateName.RUNNING) {
      throw new CloudException(
          Reason.TRANSIENT,
          "instance "
              + instanceId
              + " in "
              + region
              + " is "
              + seen.get().state().nameAsString()
              + "; addresses are associated once it runs");
    }
    try {
      call(
          r,
          "AssociateAddress",
          () ->
              r.ec2.associateAddress(
                  b ->
                      b.allocationId(address.id())
                          .instanceId(instanceId)
                          .allowReassociation(true)));
    } finally {
      r.addresses.invalidate();
      r.instances.invalidate();
    }
  }

  @Override
  public void releaseAddress(String region, Address address) {
    Objects.requireNonNull(address, "address");
    RegionApi r = anyRegion(region);
    try {
      call(r, "ReleaseAddress", () -> r.ec2.releaseAddress(b -> b.allocationId(address.id())));
    } catch (CloudException e) {
      if (e.reason() != Reason.NOT_FOUND) {
        throw e;
      }
    } finally {
      r.addresses.invalidate();
    }
  }

  @Override
  public void close() {
    regions.values().forEach(r -> r.ec2.close());
    regions.clear();
    for (AutoCloseable c : resources) {
      try {
        c.close();
      } catch (Exception e) {
        log.debug("Closing {} failed", c, e);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------

  private RegionApi region(String region) {
    profile.checkRegion(region);
    return regions.computeIfAbsent(region, RegionApi::new);
  }

  /** Any region, also one dropped from the profile: listing and cleaning up must still reach it. */
  private RegionApi anyRegion(String region) {
    if (region == null || !region.matches(io.proxyfleet.api.AwsProviderSpec.REGION_PATTERN)) {
      throw new CloudException(
          Reason.INVALID, "'" + region + "' is not an AWS region name such as eu-central-1");
    }
    return regions.computeIfAbsent(region, RegionApi::new);
  }

  /** The SDK client, caches and rate limits of one region. */
  private final class RegionApi {
    final String name;
    final Ec2Client ec2;
    final Snapshot<List<software.amazon.awssdk.services.ec2.model.Instance>> instances;
    final Snapshot<List<software.amazon.awssdk.services.ec2.model.Address>> addresses;
    final Snapshot<ResolvedSubnets> subnets;
    final Snapshot<String> image;
    final Map<String, List<String>> groups = new ConcurrentHashMap<>();
    final Map<String, Instant> groupsAt = new ConcurrentHashMap<>();

    RegionApi(String name) {
      this.name = name;
      TokenBucket describe =
          TokenBucket.system(name + " describe", settings.describeRate(), settings.describeBurst());
      TokenBucket mutate =
          TokenBucket.system(name + " mutating", settings.mutateRate(), settings.mutateBurst());
      this.ec2 = clients.create(name, new RegionInterceptor(name, describe, mutate));
      this.instances =
          new Snapshot<>(() -> describeInstances(this, cluster), clock, settings.snapshotTtl());
      this.addresses =
          new Snapshot<>(() -> describeAddresses(this, cluster), clock, settings.snapshotTtl());
      this.subnets = new Snapshot<>(() -> resolveSubnets(this), clock, settings.subnetTtl());
      this.image = new Snapshot<>(() -> resolveImage(this), clock, settings.subnetTtl());
    }
  }

  /** Counts every call and attempt, and takes a token per call from the region's buckets. */
  private final class RegionInterceptor implements ExecutionInterceptor {
    private final String region;
    private final TokenBucket describe;
    private final TokenBucket mutate;

    RegionInterceptor(String region, TokenBucket describe, TokenBucket mutate) {
      this.region = region;
      this.describe = describe;
      this.mutate = mutate;
    }

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
      String op = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
      counter.call(region, op);
      (op.startsWith("Describe") ? describe : mutate).acquire(settings.maxRateWait());
    }

    @Override
    public void beforeTransmission(
        Context.BeforeTransmission context, ExecutionAttributes attributes) {
      counter.attempt(region, attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME));
    }
  }

  private <T> T call(RegionApi r, String operation, Supplier<T> body) {
    try {
      return body.get();
    } catch (RuntimeException e) {
      throw Ec2Errors.map(
          e,
          new Ec2Errors.Context(
              profile.key(),
              r.name,
              operation,
              profile.imageField(r.name),
              profile.securityGroupField()),
          secrets.get());
    }
  }

  private List<software.amazon.awssdk.services.ec2.model.Instance> describeInstances(
      RegionApi r, String cluster) {
    return call(
        r,
        "DescribeInstances",
        () ->
            r
                .ec2
                .describeInstancesPaginator(
                    b ->
                        b.maxResults(500)
                            .filters(
                                filter("tag:" + OwnerTags.CLUSTER, cluster),
                                filter("instance-state-name", LIVE_STATES)))
                .reservations()
                .stream()
                .map(Reservation::instances)
                .flatMap(List::stream)
                .toList());
  }

  private List<software.amazon.awssdk.services.ec2.model.Address> describeAddresses(
      RegionApi r, String cluster) {
    return call(
        r,
        "DescribeAddresses",
        () ->
            r.ec2
                .describeAddresses(
                    b ->
                        b.filters(
                            filter("tag:" + OwnerTags.CLUSTER, cluster), filter("domain", "vpc")))
                .addresses());
  }

  private ResolvedSubnets resolveSubnets(RegionApi r) {
    Map<String, software.amazon.awssdk.services.ec2.model.Subnet> found = new TreeMap<>();
    if (!profile.subnetIds().isEmpty()) {
      call(
              r,
              "DescribeSubnets",
              () -> r.ec2.describeSubnets(b -> b.filters(filter("subnet-id", profile.subnetIds()))))
          .subnets()
          .forEach(s -> found.put(s.subnetId(), s));
    }
    if (!profile.subnetTags().isEmpty()) {
      List<Filter> filters =
          profile.subnetTags().entrySet().stream()
              .map(e -> filter("tag:" + e.getKey(), e.getValue()))
              .toList();
      call(r, "DescribeSubnets", () -> r.ec2.describeSubnets(b -> b.filters(filters)))
          .subnets()
          .forEach(s -> found.put(s.subnetId(), s));
    }
    if (found.isEmpty()) {
      throw AwsProfile.invalid(
          profile.key(),
          "spec.aws.subnets",
          "selects no subnet in "
              + r.name
              + " (looked for "
              + String.join(", ", profile.allSubnetSelectors())
              + "); add a subnet id of "
              + r.name
              + " or tag its subnets");
    }
    List<Subnet> subnets =
        found.values().stream()
            .map(s -> new Subnet(s.subnetId(), r.name, s.availabilityZone(), s.cidrBlock()))
            .sorted(Comparator.comparing(Subnet::zone).thenComparing(Subnet::id))
            .toList();
    Map<String, String> vpcs = new LinkedHashMap<>();
    found.values().forEach(s -> vpcs.put(s.subnetId(), s.vpcId()));
    return new ResolvedSubnets(subnets, Map.copyOf(vpcs));
  }

  private String image(RegionApi r) {
    String id = profile.imageIds().get(r.name);
    if (id != null) {
      return id;
    }
    if (profile.imageOwner() == null) {
      throw AwsProfile.invalid(
          profile.key(),
          "spec.aws.image.ids",
          "has no AMI for region " + r.name + "; add one or set image.owner and image.name");
    }
    return r.image.get();
  }

  private String resolveImage(RegionApi r) {
    List<Image> images =
        call(
                r,
                "DescribeImages",
                () ->
                    r.ec2.describeImages(
                        b ->
                            b.owners(profile.imageOwner())
                                .filters(
                                    filter("name", profile.imageName()),
                                    filter("state", "available"))))
            .images();
    return newest(images)
        .map(Image::imageId)
        .orElseThrow(
            () ->
                AwsProfile.invalid(
                    profile.key(),
                    "spec.aws.image.name",
                    "matches no available image named '"
                        + profile.imageName()
                        + "' owned by "
                        + profile.imageOwner()
                        + " in "
                        + r.name));
  }

  /** The image with the latest CreationDate (ISO 8601, so text order is time order); ties by id. */
  static Optional<Image> newest(List<Image> images) {
    return images.stream()
        .max(
            Comparator.comparing((Image i) -> Optional.ofNullable(i.creationDate()).orElse(""))
                .thenComparing(Image::imageId));
  }

  private List<String> securityGroups(RegionApi r, String vpc, int port, String cluster) {
    String key = profile.securityGroupIds().isEmpty() ? vpc + ":" + port : vpc;
    Instant at = r.groupsAt.get(key);
    List<String> cached = r.groups.get(key);
    if (cached != null && at != null && clock.instant().isBefore(at.plus(settings.subnetTtl()))) {
      return cached;
    }
    synchronized (r.groups) {
      List<String> groups =
          profile.securityGroupIds().isEmpty()
              ? List.of(managedGroup(r, vpc, port, cluster))
              : ownGroups(r, vpc);
      r.groups.put(key, groups);
      r.groupsAt.put(key, clock.instant());
      return groups;
    }
  }

  private List<String> ownGroups(RegionApi r, String vpc) {
    List<String> ids =
        call(
                r,
                "DescribeSecurityGroups",
                () ->
                    r.ec2.describeSecurityGroups(
                        b ->
                            b.filters(
                                filter("group-id", profile.securityGroupIds()),
                                filter("vpc-id", vpc))))
            .securityGroups()
            .stream()
            .map(SecurityGroup::groupId)
            .sorted()
            .toList();
    if (ids.isEmpty()) {
      throw AwsProfile.invalid(
          profile.key(),
          "spec.aws.securityGroups.ids",
          "has no group in VPC "
              + vpc
              + " of region "
              + r.name
              + " (listed: "
              + String.join(", ", profile.securityGroupIds())
              + "); add one of that VPC");
    }
    return ids;
  }

  /** The operator's group for (VPC, port): found by tags, created and opened when missing. */
  private String managedGroup(RegionApi r, String vpc, int port, String cluster) {
    List<SecurityGroup> found =
        call(
                r,
                "DescribeSecurityGroups",
                () ->
                    r.ec2.describeSecurityGroups(
                        b ->
                            b.filters(
                                filter("vpc-id", vpc),
                                filter("tag:" + OwnerTags.CLUSTER, cluster),
                                filter("tag:" + PORT_TAG, String.valueOf(port)))))
            .securityGroups();
    Optional<SecurityGroup> group =
        found.stream().min(Comparator.comparing(SecurityGroup::groupId));
    String id;
    if (group.isPresent()) {
      id = group.get().groupId();
      if (opens(group.get(), port)) {
        return id;
      }
    } else {
      String name = managedGroupName(cluster, port);
      Map<String, String> tags = new LinkedHashMap<>(profile.extraTags());
      tags.put(OwnerTags.CLUSTER, cluster);
      tags.put(PORT_TAG, String.valueOf(port));
      tags.put(OwnerTags.NAME, name);
      try {
        id =
            call(
                    r,
                    "CreateSecurityGroup",
                    () ->
                        r.ec2.createSecurityGroup(
                            b ->
                                b.groupName(name)
                                    .vpcId(vpc)
                                    .description(
                                        "ProxyFleet proxies of cluster "
                                            + sanitize(cluster)
                                            + ": TCP "
                                            + port
                                            + " from anywhere")
                                    .tagSpecifications(tagSpec(ResourceType.SECURITY_GROUP, tags))))
                .groupId();
      } catch (CloudException e) {
        if (!"InvalidGroup.Duplicate".equals(Ec2Errors.code(e))) {
          throw e;
        }
        throw AwsProfile.invalid(
            profile.key(),
            "spec.aws.securityGroups",
            "cannot be managed: VPC "
                + vpc
                + " in "
                + r.name
                + " already has a group named "
                + name
                + " without this cluster's tags; delete it or list groups in spec.aws.securityGroups.ids");
      }
      log.info("Created security group {} ({}) in {} {} for TCP {}", id, name, r.name, vpc, port);
    }
    String groupId = id;
    try {
      call(
          r,
          "AuthorizeSecurityGroupIngress",
          () ->
              r.ec2.authorizeSecurityGroupIngress(
                  b ->
                      b.groupId(groupId)
                          .ipPermissions(
                              IpPermission.builder()
                                  .ipProtocol("tcp")
                                  .fromPort(port)
                                  .toPort(port)
                                  .ipRanges(
                                      IpRange.builder()
                                          .cidrIp("0.0.0.0/0")
                                          .description("proxy clients")
                                          .build())
                                  .ipv6Ranges(
                                      Ipv6Range.builder()
                                          .cidrIpv6("::/0")
                                          .description("proxy clients")
                                          .build())
                                  .build())));
    } catch (CloudException e) {
      if (!"InvalidPermission.Duplicate".equals(Ec2Errors.code(e))) {
        throw e;
      }
    }
    return groupId;
  }

  static String managedGroupName(String cluster, int port) {
    return "proxyfleet-" + sanitize(cluster) + "-tcp-" + port;
  }

  private static boolean opens(SecurityGroup group, int port) {
    return group.ipPermissions().stream()
        .anyMatch(
            p ->
                "tcp".equals(p.ipProtocol())
                    && p.fromPort() != null
                    && p.toPort() != null
                    && p.fromPort() <= port
                    && port <= p.toPort()
                    && p.ipRanges().stream().anyMatch(r -> "0.0.0.0/0".equals(r.cidrIp())));
  }

  private static String sanitize(String s) {
    String clean = s.replaceAll("[^A-Za-z0-9._-]", "-");
    return clean.length() > 200 ? clean.substring(0, 200) : clean;
  }

  /**
   * ClientToken: the Proxy UID plus the subnet, so a capacity retry in another zone is a new
   * request.
   */
  static String clientToken(String uid, String subnetId) {
    String suffix =
        subnetId.startsWith("subnet-") ? subnetId.substring("subnet-".length()) : subnetId;
    String token = uid + "-" + suffix;
    return token.length() <= 64 ? token : token.substring(0, 64);
  }

  private Optional<Instance> recentlyLaunched(String region, String uid) {
    Launched l = launched.get(uid);
    if (l == null || !l.instance().region().equals(region)) {
      return Optional.empty();
    }
    if (!clock.instant().isBefore(l.at().plus(settings.launchGrace()))) {
      launched.remove(uid, l);
      return Optional.empty();
    }
    RegionApi r = region(region);
    Instant listed = r.instances.fetchedAt();
    List<software.amazon.awssdk.services.ec2.model.Instance> kept = r.instances.peek();
    if (listed != null
        && kept != null
        && !listed.isBefore(l.at())
        && kept.stream().anyMatch(i -> i.instanceId().equals(l.instance().id()))) {
      launched.remove(uid, l);
    }
    return Optional.of(l.instance());
  }

  /** Of several live instances of one proxy (should not happen), the running one launched first. */
  private static Optional<software.amazon.awssdk.services.ec2.model.Instance> pick(
      List<software.amazon.awssdk.services.ec2.model.Instance> candidates) {
    return candidates.stream()
        .min(
            Comparator.comparing(
                    (software.amazon.awssdk.services.ec2.model.Instance i) ->
                        rank(i.state().name()))
                .thenComparing(i -> Optional.ofNullable(i.launchTime()).orElse(Instant.MAX))
                .thenComparing(software.amazon.awssdk.services.ec2.model.Instance::instanceId));
  }

  private static int rank(InstanceStateName state) {
    return switch (state) {
      case RUNNING -> 0;
      case PENDING -> 1;
      default -> 2;
    };
  }

  private Instance toInstance(RegionApi r, software.amazon.awssdk.services.ec2.model.Instance i) {
    // Only RUNNING instances can hold an address the reconcilers care about; others need no
    // listing.
    software.amazon.awssdk.services.ec2.model.Address eip =
        i.state() == null || i.state().name() != InstanceStateName.RUNNING
            ? null
            : r.addresses.get().stream()
                .filter(a -> i.instanceId().equals(a.instanceId()))
                .findFirst()
                .orElse(null);
    return toInstance(r, i, eip);
  }

  /**
   * The instance as reconcilers see it: its public IP only when it is one of this operator's
   * Elastic IPs.
   */
  private static Instance toInstance(
      RegionApi r,
      software.amazon.awssdk.services.ec2.model.Instance i,
      software.amazon.awssdk.services.ec2.model.Address eip) {
    return new Instance(
        i.instanceId(),
        r.name,
        i.placement() == null ? null : i.placement().availabilityZone(),
        i.subnetId(),
        state(i.state() == null ? null : i.state().name()),
        eip == null ? null : eip.publicIp(),
        eip == null ? null : eip.allocationId(),
        tagMap(i.tags()),
        i.launchTime());
  }

  private static Address toAddress(
      String region, software.amazon.awssdk.services.ec2.model.Address a) {
    Map<String, String> tags = tagMap(a.tags());
    Instant created = null;
    if (tags.get(CREATED_TAG) != null) {
      try {
        created = Instant.parse(tags.get(CREATED_TAG));
      } catch (DateTimeParseException e) {
        created = null;
      }
    }
    String instance = a.instanceId() == null || a.instanceId().isEmpty() ? null : a.instanceId();
    return new Address(a.allocationId(), region, a.publicIp(), instance, tags, created);
  }

  static Instance.State state(InstanceStateName name) {
    if (name == null) {
      return Instance.State.PENDING;
    }
    return switch (name) {
      case PENDING -> Instance.State.PENDING;
      case RUNNING -> Instance.State.RUNNING;
      case SHUTTING_DOWN, STOPPING, STOPPED -> Instance.State.STOPPING;
      case TERMINATED -> Instance.State.TERMINATED;
      default -> Instance.State.PENDING;
    };
  }

  /** Owner tags over the profile's extra tags: the extra tags can never replace an owner tag. */
  private Map<String, String> tags(Map<String, String> owner) {
    Map<String, String> tags = new LinkedHashMap<>(profile.extraTags());
    tags.putAll(owner);
    return tags;
  }

  private static TagSpecification tagSpec(ResourceType type, Map<String, String> tags) {
    return TagSpecification.builder()
        .resourceType(type)
        .tags(
            tags.entrySet().stream()
                .map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build())
                .toList())
        .build();
  }

  private static Filter filter(String name, String value) {
    return Filter.builder().name(name).values(value).build();
  }

  private static Filter filter(String name, Collection<String> values) {
    return Filter.builder().name(name).values(values).build();
  }

  private static String tag(List<Tag> tags, String key) {
    if (tags == null) {
      return null;
    }
    for (Tag t : tags) {
      if (key.equals(t.key())) {
        return t.value();
      }
    }
    return null;
  }

  private static Map<String, String> tagMap(List<Tag> tags) {
    Map<String, String> m = new LinkedHashMap<>();
    if (tags != null) {
      tags.forEach(t -> m.put(t.key(), t.value()));
    }
    return m;
  }
}
