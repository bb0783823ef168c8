package io.proxyfleet.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.aws.Ec2CloudProviderFactory;
import io.proxyfleet.cloud.aws.Ec2Settings;
import io.proxyfleet.embedded.EmbeddedKubernetes;
import io.proxyfleet.gc.GarbageCollector;
import io.proxyfleet.local.CustomResourceDefinitions;
import io.proxyfleet.operator.KubernetesSecretReader;
import io.proxyfleet.operator.OperatorSettings;
import io.proxyfleet.operator.ProxyFleetOperator;
import io.proxyfleet.testing.AwsTestCloud;
import io.proxyfleet.testing.AwsTestCloud.Network;
import io.proxyfleet.testing.Ec2FaultProxy;
import io.proxyfleet.testing.MotoServer;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Address;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceType;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

/**
 * Crash safety, the garbage collector and bad credentials, with the real operator on moto. Each
 * crash test kills an operator at the worst moment (the cloud call succeeded, nothing was recorded)
 * and starts a new one, as a new process would be: new Kubernetes client, new provider objects.
 */
class AwsCrashAndCollectorTest {

  @RegisterExtension static final MotoServer MOTO = new MotoServer();

  static final String EU = "eu-central-1";
  static final String CLUSTER = AwsEnvironment.CLUSTER;
  static final Duration TIMEOUT = Duration.ofMinutes(2);

  static Ec2FaultProxy faults;
  static Ec2Client eu;
  static Network net;
  static EmbeddedKubernetes api;
  static KubernetesClient client;

  /** One operator "process": its own client and provider objects. */
  record Process(KubernetesClient client, CloudProviders providers, ProxyFleetOperator operator)
      implements AutoCloseable {
    static Process start() {
      KubernetesClient c = api.newClient();
      CloudProviders providers =
          new CloudProviders(
              List.of(
                  new Ec2CloudProviderFactory(
                      CLUSTER,
                      new KubernetesSecretReader(c),
                      Ec2Settings.defaults(),
                      Clock.systemUTC())));
      ProxyFleetOperator operator =
          new ProxyFleetOperator(
              c,
              providers,
              new OperatorSettings(
                  CLUSTER,
                  10,
                  8,
                  Clock.systemUTC(),
                  new SplittableRandom(),
                  new SecureRandom(),
                  new io.proxyfleet.blocklist.SourceAccess("default", OperatorSettings.LOOPBACK)),
              Optional.empty());
      operator.start();
      return new Process(c, providers, operator);
    }

    /** As abrupt as in-process gets: the API connection goes first, so nothing more is recorded. */
    void kill() {
      client.close();
      operator.close();
      providers.close();
    }

    @Override
    public void close() {
      operator.close();
      providers.close();
      client.close();
    }
  }

  @BeforeAll
  static void start() throws Exception {
    faults = Ec2FaultProxy.start(MOTO.endpoint());
    eu = AwsTestCloud.admin(MOTO.endpoint(), EU);
    net = AwsTestCloud.network(eu, EU, 2, "proxies");
    api = EmbeddedKubernetes.start("127.0.0.1", 0);
    api.installCrds(CustomResourceDefinitions.all());
    client = api.client();
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName("default").endMetadata().build())
        .createOr(NonDeletingOperation::update);
    client
        .secrets()
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("aws-keys")
                .withNamespace("default")
                .endMetadata()
                .addToStringData("accessKeyId", "AKIAMOTOTEST")
                .addToStringData("secretAccessKey", "motoSecretKey")
                .build())
        .createOr(NonDeletingOperation::update);
    apply(AwsEnvironment.profile("aws", faults.endpoint(), List.of(EU)));
    apply(AwsEnvironment.blocklist("none", List.of()));
  }

  @AfterAll
  static void stop() {
    client.close();
    api.close();
    faults.close();
    eu.close();
  }

  @AfterEach
  void clearFaults() {
    faults.clearFaults();
  }

  static void apply(String yaml) {
    client
        .load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))
        .items()
        .forEach(item -> client.resource(item).createOr(NonDeletingOperation::update));
  }

  static List<Instance> live(String fleet) {
    return eu
        .describeInstances(
            b ->
                b.filters(
                    Filter.builder()
                        .name("tag:" + OwnerTags.FLEET)
                        .values("default/" + fleet)
                        .build(),
                    Filter.builder()
                        .name("instance-state-name")
                        .values("pending", "running", "stopping", "stopped", "shutting-down")
                        .build()))
        .reservations()
        .stream()
        .flatMap(r -> r.instances().stream())
        .toList();
  }

  static List<Address> addresses(String fleet) {
    return eu.describeAddresses(
            b ->
                b.filters(
                    Filter.builder()
                        .name("tag:" + OwnerTags.FLEET)
                        .values("default/" + fleet)
                        .build()))
        .addresses();
  }

  static List<Proxy> proxies(String fleet) {
    return client
        .resources(Proxy.class)
        .inNamespace("default")
        .withLabel("proxyfleet.io/fleet", fleet)
        .list()
        .getItems();
  }

  static boolean ready(String fleet, int replicas) {
    ProxyFleet f = client.resources(ProxyFleet.class).inNamespace("default").withName(fleet).get();
    return f != null
        && f.getStatus() != null
        && f.getStatus().getReadyReplicas() == replicas
        && f.getStatus().getReplicas() == replicas;
  }

  /**
   * Exactly one live instance per proxy, and every address owned by a live proxy and associated.
   */
  static void assertNothingDuplicatedOrLeaked(String fleet, int replicas) {
    Set<String> uids =
        proxies(fleet).stream().map(p -> p.getMetadata().getUid()).collect(Collectors.toSet());
    List<Instance> instances = live(fleet);
    assertThat(instances).hasSize(replicas);
    assertThat(
            instances.stream().map(i -> tag(i.tags(), OwnerTags.PROXY)).collect(Collectors.toSet()))
        .isEqualTo(uids);
    assertThat(addresses(fleet))
        .hasSize(replicas)
        .allSatisfy(
            a -> {
              assertThat(uids).contains(tag(a.tags(), OwnerTags.PROXY));
              assertThat(a.instanceId()).isNotBlank();
            });
  }

  static String tag(List<Tag> tags, String key) {
    return tags.stream().filter(t -> t.key().equals(key)).map(Tag::value).findFirst().orElse(null);
  }

  void crashRightAfter(String action, String fleet) {
    AtomicBoolean armed = new AtomicBoolean(true);
    Process first = Process.start();
    faults.afterSuccess(
        action,
        call -> {
          if (armed.compareAndSet(true, false)) {
            first
                .client()
                .close(); // the cloud call went through; its result will never be recorded
          }
        });
    apply(AwsEnvironment.fleet(fleet, 2, "aws", List.of(EU), "none"));
    await().atMost(TIMEOUT).until(() -> !armed.get());
    first.kill();
    faults.clearFaults();

    try (Process second = Process.start()) {
      await().atMost(TIMEOUT).until(() -> ready(fleet, 2));
      assertNothingDuplicatedOrLeaked(fleet, 2);
      client.resources(ProxyFleet.class).inNamespace("default").withName(fleet).delete();
      await().atMost(TIMEOUT).until(() -> proxies(fleet).isEmpty());
      assertThat(live(fleet)).isEmpty();
      assertThat(addresses(fleet)).isEmpty();
    }
  }

  @Test
  void aCrashRightAfterRunInstancesNeitherDuplicatesNorLeaks() {
    crashRightAfter("RunInstances", "crash-run");
  }

  @Test
  void aCrashRightAfterAllocateAddressNeitherDuplicatesNorLeaks() {
    crashRightAfter("AllocateAddress", "crash-alloc");
  }

  @Test
  void theCollectorRemovesATaggedOrphanAndNeverTouchesAnUntaggedInstance() {
    String image = AwsTestCloud.amazonLinux(eu).imageId();
    String orphan =
        eu.runInstances(
                b ->
                    b.imageId(image)
                        .instanceType(InstanceType.T3_MICRO)
                        .minCount(1)
                        .maxCount(1)
                        .subnetId(net.subnetIds().get(0))
                        .tagSpecifications(
                            TagSpecification.builder()
                                .resourceType(ResourceType.INSTANCE)
                                .tags(
                                    Tag.builder().key(OwnerTags.CLUSTER).value(CLUSTER).build(),
                                    Tag.builder()
                                        .key(OwnerTags.FLEET)
                                        .value("default/gone-fleet")
                                        .build(),
                                    Tag.builder()
                                        .key(OwnerTags.PROXY)
                                        .value("no-such-proxy-uid")
                                        .build())
                                .build()))
            .instances()
            .get(0)
            .instanceId();
    String orphanAddress =
        eu.allocateAddress(
                b ->
                    b.domain("vpc")
                        .tagSpecifications(
                            TagSpecification.builder()
                                .resourceType(ResourceType.ELASTIC_IP)
                                .tags(
                                    Tag.builder().key(OwnerTags.CLUSTER).value(CLUSTER).build(),
                                    Tag.builder()
                                        .key(OwnerTags.PROXY)
                                        .value("no-such-proxy-uid")
                                        .build())
                                .build()))
            .publicIp();
    String untagged =
        eu.runInstances(
                b ->
                    b.imageId(image)
                        .instanceType(InstanceType.T3_MICRO)
                        .minCount(1)
                        .maxCount(1)
                        .subnetId(net.subnetIds().get(0)))
            .instances()
            .get(0)
            .instanceId();
    String otherCluster =
        eu.runInstances(
                b ->
                    b.imageId(image)
                        .instanceType(InstanceType.T3_MICRO)
                        .minCount(1)
                        .maxCount(1)
                        .subnetId(net.subnetIds().get(0))
                        .tagSpecifications(
                            TagSpecification.builder()
                                .resourceType(ResourceType.INSTANCE)
                                .tags(
                                    Tag.builder()
                                        .key(OwnerTags.CLUSTER)
                                        .value("someone-else")
                                        .build(),
                                    Tag.builder()
                                        .key(OwnerTags.PROXY)
                                        .value("no-such-proxy-uid")
                                        .build())
                                .build()))
            .instances()
            .get(0)
            .instanceId();

    try (Process process = Process.start()) {
      apply(AwsEnvironment.fleet("kept", 1, "aws", List.of(EU), "none"));
      await().atMost(TIMEOUT).until(() -> ready("kept", 1));
      // A collector whose minimum age has passed for everything (moto's launch times are "now").
      GarbageCollector collector =
          new GarbageCollector(
              process.client(),
              process.providers(),
              new io.proxyfleet.events.EventRecorder(process.client(), Clock.systemUTC(), "test"),
              Clock.offset(Clock.systemUTC(), Duration.ofHours(1)),
              CLUSTER,
              Duration.ofMinutes(5));
      GarbageCollector.Report report = collector.collect();
      assertThat(report.terminatedInstances()).containsExactly(EU + "/" + orphan);
      assertThat(report.releasedAddresses()).containsExactly(EU + "/" + orphanAddress);
      assertThat(report.errors()).isEmpty();

      assertThat(state(orphan)).isIn("shutting-down", "terminated");
      assertThat(state(untagged)).as("untagged: never touched").isIn("pending", "running");
      assertThat(state(otherCluster))
          .as("another cluster's: never touched")
          .isIn("pending", "running");
      assertNothingDuplicatedOrLeaked("kept", 1);
      // A young orphan (minimum age not reached) is left for a later pass.
      GarbageCollector strict =
          new GarbageCollector(
              process.client(),
              process.providers(),
              new io.proxyfleet.events.EventRecorder(process.client(), Clock.systemUTC(), "test"),
              Clock.systemUTC(),
              CLUSTER,
              Duration.ofMinutes(5));
      String young =
          eu.runInstances(
                  b ->
                      b.imageId(image)
                          .instanceType(InstanceType.T3_MICRO)
                          .minCount(1)
                          .maxCount(1)
                          .subnetId(net.subnetIds().get(0))
                          .tagSpecifications(
                              TagSpecification.builder()
                                  .resourceType(ResourceType.INSTANCE)
                                  .tags(
                                      Tag.builder().key(OwnerTags.CLUSTER).value(CLUSTER).build(),
                                      Tag.builder()
                                          .key(OwnerTags.PROXY)
                                          .value("another-missing-uid")
                                          .build())
                                  .build()))
              .instances()
              .get(0)
              .instanceId();
      assertThat(strict.collect().terminatedInstances()).isEmpty();
      assertThat(state(young)).isIn("pending", "running");
      client.resources(ProxyFleet.class).inNamespace("default").withName("kept").delete();
      await().atMost(TIMEOUT).until(() -> proxies("kept").isEmpty());
    }
  }

  @Test
  void badCredentialsGiveAConditionAndFewCalls() {
    client
        .secrets()
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("bad-keys")
                .withNamespace("default")
                .endMetadata()
                .addToStringData("accessKeyId", "AKIABADBADBAD")
                .addToStringData("secretAccessKey", "wrong")
                .build())
        .createOr(NonDeletingOperation::update);
    // moto accepts any key; the fault proxy answers as EC2 does for an unknown key, for this key
    // only.
    faults.fail("DescribeAvailabilityZones", params -> true, 401, "AuthFailure", Integer.MAX_VALUE);
    try (Process process = Process.start()) {
      faults.resetCounts();
      apply(
          AwsEnvironment.profile("bad", faults.endpoint(), List.of(EU))
              .replace("aws-keys", "bad-keys"));
      await()
          .atMost(TIMEOUT)
          .until(
              () -> {
                CloudProfile p =
                    client
                        .resources(CloudProfile.class)
                        .inNamespace("default")
                        .withName("bad")
                        .get();
                return p.getStatus() != null && "Invalid".equals(p.getStatus().getCredentials());
              });
      CloudProfile bad =
          client.resources(CloudProfile.class).inNamespace("default").withName("bad").get();
      assertThat(bad.getStatus().getConditions())
          .anyMatch(
              c ->
                  c.getType().equals("Ready")
                      && c.getStatus().equals("False")
                      && c.getReason().equals("Unauthorized"));
      assertThat(bad.getStatus().getConditions().toString()).doesNotContain("wrong");
      long before = faults.counts().values().stream().mapToLong(Long::longValue).sum();
      // A counted window, not a timing assertion: a retry loop would make hundreds of calls in it.
      await()
          .during(Duration.ofSeconds(20))
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  faults.counts().values().stream().mapToLong(Long::longValue).sum() - before < 4);
      long during = faults.counts().values().stream().mapToLong(Long::longValue).sum() - before;
      System.out.printf("EC2 calls in 20 s with rejected credentials: %d%n", during);
    }
  }

  @Test
  void throttlingOnEveryThirdCallStillConvergesWithNoLeakAndNoZoneMarkedUnavailable() {
    faults.throttleEvery(3);
    try (Process process = Process.start()) {
      apply(AwsEnvironment.fleet("throttled", 3, "aws", List.of(EU), "none"));
      await().atMost(TIMEOUT).until(() -> ready("throttled", 3));
      assertThat(faults.throttledCalls()).as("the fault proxy really throttled").isPositive();
      assertNothingDuplicatedOrLeaked("throttled", 3);
      CloudProfile profile =
          client.resources(CloudProfile.class).inNamespace("default").withName("aws").get();
      assertThat(profile.getStatus().getUnavailableZones())
          .as("throttling is never taken for missing capacity")
          .isEmpty();
      assertThat(
              client
                  .resources(Proxy.class)
                  .inNamespace("default")
                  .withLabel("proxyfleet.io/fleet", "throttled")
                  .list()
                  .getItems())
          .allSatisfy(
              p ->
                  assertThat(p.getStatus().getConditions().toString())
                      .doesNotContain("CapacityUnavailable"));
      faults.clearFaults();
      client.resources(ProxyFleet.class).inNamespace("default").withName("throttled").delete();
      await().atMost(TIMEOUT).until(() -> proxies("throttled").isEmpty());
      assertThat(live("throttled")).isEmpty();
      assertThat(addresses("throttled")).isEmpty();
    }
  }

  @Test
  void anAddressQuotaRaisesAConditionOnTheFleetAndLeaksNothing() {
    faults.fail("AllocateAddress", params -> true, 400, "AddressLimitExceeded", Integer.MAX_VALUE);
    try (Process process = Process.start()) {
      apply(AwsEnvironment.fleet("quota", 1, "aws", List.of(EU), "none"));
      await()
          .atMost(TIMEOUT)
          .until(
              () -> {
                ProxyFleet f =
                    client
                        .resources(ProxyFleet.class)
                        .inNamespace("default")
                        .withName("quota")
                        .get();
                return f != null
                    && f.getStatus() != null
                    && f.getStatus().getConditions().stream()
                        .anyMatch(
                            c ->
                                c.getType().equals("Degraded")
                                    && c.getStatus().equals("True")
                                    && c.getReason().equals("QuotaExceeded"));
              });
      ProxyFleet fleet =
          client.resources(ProxyFleet.class).inNamespace("default").withName("quota").get();
      assertThat(fleet.getStatus().getConditions())
          .filteredOn(c -> c.getType().equals("Degraded"))
          .singleElement()
          .satisfies(
              c ->
                  assertThat(c.getMessage())
                      .contains("cloud quota exceeded in " + EU)
                      .contains("raise the account quota"));
      assertThat(addresses("quota")).isEmpty();
      faults.clearFaults();
      client.resources(ProxyFleet.class).inNamespace("default").withName("quota").delete();
      await().atMost(TIMEOUT).until(() -> proxies("quota").isEmpty());
      assertThat(live("quota"))
          .as("the instance launched before the quota hit is gone too")
          .isEmpty();
      assertThat(addresses("quota")).isEmpty();
    }
  }

  @Test
  void noCapacityInTheFirstZoneLaunchesInAnotherAndTheProxySaysWhere() {
    String full = net.subnetIds().get(0);
    faults.fail(
        "RunInstances",
        params -> full.equals(params.get("SubnetId")),
        500,
        "InsufficientInstanceCapacity",
        Integer.MAX_VALUE);
    try (Process process = Process.start()) {
      apply(AwsEnvironment.fleet("capacity", 2, "aws", List.of(EU), "none"));
      await().atMost(TIMEOUT).until(() -> ready("capacity", 2));
      List<Proxy> proxies = proxies("capacity");
      assertThat(proxies).allSatisfy(p -> assertThat(p.getStatus().getSubnet()).isNotEqualTo(full));
      assertThat(proxies)
          .as("the planner put one in the full subnet; it runs elsewhere and says so")
          .anySatisfy(
              p -> {
                assertThat(p.getSpec().getSubnet()).isEqualTo(full);
                assertThat(p.getStatus().getZone()).isNotEqualTo(p.getSpec().getZone());
              });
      assertNothingDuplicatedOrLeaked("capacity", 2);
      faults.clearFaults();
      client.resources(ProxyFleet.class).inNamespace("default").withName("capacity").delete();
      await().atMost(TIMEOUT).until(() -> proxies("capacity").isEmpty());
      assertThat(live("capacity")).isEmpty();
    }
  }

  /** What EC2 answers while a just-launched instance is not visible yet (eventual consistency). */
  static final String EMPTY_DESCRIBE =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          + "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>lagging</requestId>"
          + "<reservationSet/></DescribeInstancesResponse>";

  /**
   * The capacity hold that moved a launch to another zone lived only in memory, and the client
   * token is per subnet: after a crash, with DescribeInstances lagging, the next process launched
   * again in the first zone, and the collector never removed the extra VM because its Proxy is
   * alive.
   */
  @Test
  void aCrashDuringZoneFallbackWithALaggingDescribeEndsWithOneInstance() {
    AtomicBoolean armed = new AtomicBoolean(true);
    AtomicBoolean lagging = new AtomicBoolean(false);
    java.util.concurrent.atomic.AtomicReference<String> firstSubnet =
        new java.util.concurrent.atomic.AtomicReference<>();
    Process first = Process.start();
    // The requested zone is full (for every SDK retry) until the launch has fallen back to the
    // other
    // zone; then the process dies.
    java.util.concurrent.atomic.AtomicReference<String> fullSubnet =
        new java.util.concurrent.atomic.AtomicReference<>();
    faults.fail(
        "RunInstances",
        params -> {
          fullSubnet.compareAndSet(null, params.get("SubnetId"));
          return armed.get() && fullSubnet.get().equals(params.get("SubnetId"));
        },
        500,
        "InsufficientInstanceCapacity",
        Integer.MAX_VALUE);
    faults.afterSuccess(
        "RunInstances",
        call -> {
          if (armed.compareAndSet(true, false)) {
            firstSubnet.set(call.param("SubnetId"));
            lagging.set(true);
            first.client().close();
          }
        });
    apply(AwsEnvironment.fleet("fallback", 1, "aws", List.of(EU), "none"));
    await().atMost(TIMEOUT).until(() -> !armed.get());
    first.kill();
    faults.clearFaults();
    faults.respond(
        "DescribeInstances",
        params ->
            lagging.get()
                ? Optional.of(new Ec2FaultProxy.Reply(200, EMPTY_DESCRIBE))
                : Optional.empty());
    faults.afterSuccess("RunInstances", call -> lagging.set(false));

    try (Process second = Process.start()) {
      await().atMost(TIMEOUT).until(() -> ready("fallback", 1) && !lagging.get());
      // Before the fix this stays at 2 forever: each instance's owner is alive.
      GarbageCollector collector =
          new GarbageCollector(
              second.client(),
              second.providers(),
              new io.proxyfleet.events.EventRecorder(second.client(), Clock.systemUTC(), "test"),
              Clock.offset(Clock.systemUTC(), Duration.ofHours(1)),
              CLUSTER,
              Duration.ofMinutes(5));
      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                collector.collect();
                assertThat(live("fallback")).hasSize(1);
              });
      await().atMost(TIMEOUT).until(() -> ready("fallback", 1));
      assertNothingDuplicatedOrLeaked("fallback", 1);
      Proxy proxy = proxies("fallback").get(0);
      assertThat(live("fallback").get(0).instanceId()).isEqualTo(proxy.getStatus().getInstanceId());
      assertThat(firstSubnet.get())
          .as("the crashed launch ran in the fallback zone")
          .isNotEqualTo(fullSubnet.get());
      faults.clearFaults();
      client.resources(ProxyFleet.class).inNamespace("default").withName("fallback").delete();
      await().atMost(TIMEOUT).until(() -> proxies("fallback").isEmpty());
      assertThat(live("fallback")).isEmpty();
      assertThat(addresses("fallback")).isEmpty();
    }
  }

  /**
   * A manual rotate-ip whose pass associated the new address and died before releasing the old one
   * and recording it: the next pass adopted the old address as a stray, put it back and released
   * the new one. The newer address must win.
   */
  @Test
  void aCrashBetweenAssociateAndReleaseOnAManualRotationKeepsTheNewAddress() {
    Process first = Process.start();
    apply(AwsEnvironment.fleet("rotated", 1, "aws", List.of(EU), "none"));
    await().atMost(TIMEOUT).until(() -> ready("rotated", 1));
    Proxy before = proxies("rotated").get(0);
    String oldIp = before.getStatus().getPublicIp();
    String oldAllocation = before.getStatus().getAddressId();

    AtomicBoolean armed = new AtomicBoolean(true);
    java.util.concurrent.atomic.AtomicReference<String> associated =
        new java.util.concurrent.atomic.AtomicReference<>();
    faults.afterSuccess(
        "AssociateAddress",
        call -> {
          if (armed.compareAndSet(true, false)) {
            associated.set(call.param("AllocationId"));
            first
                .client()
                .close(); // associated; the old address is neither released nor is anything
            // recorded
          }
        });
    client
        .resources(Proxy.class)
        .inNamespace("default")
        .withName(before.getMetadata().getName())
        .edit(
            p -> {
              p.getMetadata().getAnnotations().put("proxyfleet.io/rotate-ip", "by-hand-1");
              return p;
            });
    await().atMost(TIMEOUT).until(() -> !armed.get());
    first.kill();
    faults.clearFaults();
    assertThat(associated.get()).isNotEqualTo(oldAllocation);

    try (Process second = Process.start()) {
      await()
          .atMost(TIMEOUT)
          .until(
              () -> {
                Proxy p = proxies("rotated").get(0);
                return p.getStatus() != null
                    && "by-hand-1".equals(p.getStatus().getIpRotationHandled());
              });
      Proxy after = proxies("rotated").get(0);
      assertThat(after.getStatus().getAddressId())
          .as("the address associated before the crash")
          .isEqualTo(associated.get());
      assertThat(after.getStatus().getPublicIp()).isNotEqualTo(oldIp);
      await().atMost(TIMEOUT).until(() -> ready("rotated", 1));
      assertNothingDuplicatedOrLeaked("rotated", 1);
      assertThat(addresses("rotated"))
          .extracting(Address::allocationId)
          .containsExactly(associated.get());
      client.resources(ProxyFleet.class).inNamespace("default").withName("rotated").delete();
      await().atMost(TIMEOUT).until(() -> proxies("rotated").isEmpty());
      assertThat(addresses("rotated")).isEmpty();
    }
  }

  static String state(String instanceId) {
    return eu.describeInstances(b -> b.instanceIds(instanceId))
        .reservations()
        .get(0)
        .instances()
        .get(0)
        .state()
        .nameAsString();
  }
}
