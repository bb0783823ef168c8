package io.proxyfleet.cloud.local;

import static io.proxyfleet.cloud.local.TestSupport.CLUSTER;
import static io.proxyfleet.cloud.local.TestSupport.CREDENTIALS;
import static io.proxyfleet.cloud.local.TestSupport.T0;
import static io.proxyfleet.cloud.local.TestSupport.accepts;
import static io.proxyfleet.cloud.local.TestSupport.freePort;
import static io.proxyfleet.cloud.local.TestSupport.owner;
import static io.proxyfleet.cloud.local.TestSupport.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.cloud.Subnet;
import io.proxyfleet.replay.SimulatedClock;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LocalCloudProviderTest {

  private SimulatedClock clock;
  private LoopbackNetwork network;
  private LocalCloudProvider cloud;
  private int port;

  @BeforeEach
  void setUp() {
    clock = new SimulatedClock(T0);
    network = new LoopbackNetwork(clock, new SplittableRandom(42));
    cloud = new LocalCloudProvider(network, 3, Duration.ofSeconds(30));
    port = freePort();
  }

  @AfterEach
  void tearDown() {
    network.close();
  }

  @Test
  void typeIsLocal() {
    assertThat(cloud.type()).isEqualTo("local");
  }

  @Test
  void subnetsAreSlash24sOfTheRegionWithZonesByLetter() {
    assertThat(cloud.subnets("local-201"))
        .containsExactly(
            new Subnet("local-201-s0", "local-201", "local-201a", "127.201.0.0/24"),
            new Subnet("local-201-s1", "local-201", "local-201b", "127.201.1.0/24"),
            new Subnet("local-201-s2", "local-201", "local-201c", "127.201.2.0/24"));
    LocalCloudProvider wide = new LocalCloudProvider(network, 28, Duration.ZERO);
    assertThat(wide.subnets("local-1").get(26).zone()).isEqualTo("local-1a");
    assertThat(wide.subnets("local-254")).hasSize(28);
  }

  @Test
  void unknownRegionsAreInvalidAndNamed() {
    for (String region : List.of("local-0", "local-255", "local-07", "us-east-1", "local-")) {
      assertThatThrownBy(() -> cloud.subnets(region))
          .isInstanceOfSatisfying(
              CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID))
          .hasMessageContaining(region)
          .hasMessageContaining("local-1")
          .hasMessageContaining("local-254");
    }
    assertThatThrownBy(() -> cloud.launch(spec("u1", "eu-west-3", Protocol.SOCKS5, port)))
        .isInstanceOfSatisfying(
            CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID))
        .hasMessageContaining("eu-west-3");
  }

  @Test
  void unknownSubnetIsInvalidAndNamed() {
    for (String subnet : List.of("local-201-s3", "local-202-s0", "subnet-123")) {
      LaunchSpec spec =
          new LaunchSpec(owner("u1"), "local-201", subnet, Protocol.SOCKS5, port, CREDENTIALS);
      assertThatThrownBy(() -> cloud.launch(spec))
          .isInstanceOfSatisfying(
              CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID))
          .hasMessageContaining(subnet);
    }
  }

  @Test
  void unsupportedProtocolsAreInvalidAndNamed() {
    assertThatThrownBy(() -> cloud.launch(spec("u1", "local-201", Protocol.MTPROTO, port)))
        .isInstanceOfSatisfying(
            CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID))
        .hasMessage("protocol mtproto is not supported by the local provider; use socks5 or http");
    assertThatThrownBy(() -> cloud.launch(spec("u1", "local-201", Protocol.SHADOWSOCKS, port)))
        .isInstanceOfSatisfying(
            CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID))
        .hasMessageContaining("shadowsocks");
  }

  @Test
  void badPortAndCredentialsAreInvalidAndNamed() {
    assertThatThrownBy(() -> cloud.launch(spec("u1", "local-201", Protocol.HTTP, 70_000)))
        .isInstanceOfSatisfying(
            CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID))
        .hasMessageContaining("port");
    LaunchSpec noPassword =
        new LaunchSpec(
            owner("u1"),
            "local-201",
            "local-201-s0",
            Protocol.HTTP,
            port,
            new ProxyCredentials("alice", ""));
    assertThatThrownBy(() -> cloud.launch(noPassword))
        .isInstanceOfSatisfying(
            CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID))
        .hasMessageContaining("credentials.password");
  }

  @Test
  void launchIsIdempotentPerOwnerAndDeterministic() {
    Instance first = cloud.launch(spec("uid-1", "local-201", Protocol.SOCKS5, port));
    Instance again = cloud.launch(spec("uid-1", "local-201", Protocol.SOCKS5, port));
    Instance other = cloud.launch(spec("uid-2", "local-201", Protocol.SOCKS5, port));

    assertThat(again.id()).isEqualTo(first.id());
    assertThat(other.id()).isNotEqualTo(first.id());
    assertThat(first.id()).matches("i-[0-9a-f]{17}");
    assertThat(first.tags()).isEqualTo(owner("uid-1").asTags());
    assertThat(first.ownerUid()).isEqualTo("uid-1");
    assertThat(first.zone()).isEqualTo("local-201a");
    assertThat(first.subnetId()).isEqualTo("local-201-s0");
    assertThat(first.launchedAt()).isEqualTo(T0);
    assertThat(first.publicIp()).isNull();
    assertThat(first.addressId()).isNull();
    assertThat(cloud.listManagedInstances("local-201", CLUSTER)).hasSize(2);

    try (LoopbackNetwork elsewhere = new LoopbackNetwork(clock, new SplittableRandom(1))) {
      LocalCloudProvider twin = new LocalCloudProvider(elsewhere, 1, Duration.ZERO);
      assertThat(twin.launch(spec("uid-1", "local-201", Protocol.SOCKS5, port)).id())
          .isEqualTo(first.id());
    }
  }

  @Test
  void relaunchAfterTerminateGetsAFreshIdAndLateTerminateOfTheOldIdIsHarmless() {
    Instance first = cloud.launch(spec("uid-1", "local-201", Protocol.SOCKS5, port));
    cloud.terminate("local-201", first.id());
    Instance second = cloud.launch(spec("uid-1", "local-201", Protocol.SOCKS5, port));

    assertThat(second.id()).isNotEqualTo(first.id());
    cloud.terminate("local-201", first.id());
    assertThat(cloud.findInstance("local-201", "uid-1")).map(Instance::id).contains(second.id());
  }

  @Test
  void instanceIsPendingUntilBootDelayHasPassed() {
    Instance launched = cloud.launch(spec("uid-1", "local-201", Protocol.HTTP, port));
    assertThat(launched.state()).isEqualTo(Instance.State.PENDING);

    clock.advance(Duration.ofSeconds(29));
    assertThat(cloud.findInstance("local-201", "uid-1").orElseThrow().state())
        .isEqualTo(Instance.State.PENDING);

    clock.advance(Duration.ofSeconds(1));
    assertThat(cloud.findInstance("local-201", "uid-1").orElseThrow().state())
        .isEqualTo(Instance.State.RUNNING);
    assertThat(cloud.listManagedInstances("local-201", CLUSTER))
        .extracting(Instance::state)
        .containsExactly(Instance.State.RUNNING);
  }

  @Test
  void findAndListAreScopedByRegionAndCluster() {
    cloud.launch(spec("uid-1", "local-201", Protocol.HTTP, port));
    cloud.launch(spec("uid-2", "local-202", Protocol.HTTP, port));
    OwnerTags foreign = new OwnerTags("other-cluster", "ns", "f", "p", "uid-3");
    cloud.launch(
        new LaunchSpec(foreign, "local-201", "local-201-s1", Protocol.HTTP, port, CREDENTIALS));
    cloud.allocateAddress("local-201", owner("uid-1"), Optional.empty());
    cloud.allocateAddress("local-201", foreign, Optional.empty());

    assertThat(cloud.findInstance("local-202", "uid-1")).isEmpty();
    assertThat(cloud.findInstance("local-201", "uid-1")).isPresent();
    assertThat(cloud.listManagedInstances("local-201", CLUSTER))
        .extracting(Instance::ownerUid)
        .containsExactly("uid-1");
    assertThat(cloud.listManagedInstances("local-201", "other-cluster"))
        .extracting(Instance::ownerUid)
        .containsExactly("uid-3");
    assertThat(cloud.listManagedAddresses("local-201", CLUSTER))
        .extracting(Address::ownerUid)
        .containsExactly("uid-1");
    assertThat(cloud.listManagedAddresses("local-202", CLUSTER)).isEmpty();
  }

  @Test
  void allocationIsDeterministicForASeed() {
    List<String> first = allocateIps(new SplittableRandom(7), 5);
    List<String> second = allocateIps(new SplittableRandom(7), 5);
    List<String> other = allocateIps(new SplittableRandom(8), 5);

    assertThat(first).isEqualTo(second).isNotEqualTo(other).doesNotHaveDuplicates();
    assertThat(first)
        .allMatch(
            ip ->
                ip.matches(
                    "127\\.203\\.[0-2]\\.([1-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-4])"));
  }

  private List<String> allocateIps(SplittableRandom random, int count) {
    try (LoopbackNetwork net = new LoopbackNetwork(clock, random)) {
      LocalCloudProvider provider = new LocalCloudProvider(net, 3, Duration.ZERO);
      List<String> ips = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        ips.add(provider.allocateAddress("local-203", owner("u" + i), Optional.empty()).ip());
      }
      return ips;
    }
  }

  @Test
  void allocatedAddressCarriesOwnerAndIsUnassociated() {
    Address address = cloud.allocateAddress("local-201", owner("uid-1"), Optional.empty());

    assertThat(address.id()).matches("eipalloc-[0-9a-f]{17}");
    assertThat(address.region()).isEqualTo("local-201");
    assertThat(address.instanceId()).isNull();
    assertThat(address.ownerUid()).isEqualTo("uid-1");
    assertThat(address.tags()).isEqualTo(owner("uid-1").asTags());
    assertThat(address.allocatedAt()).isEqualTo(T0);
    assertThat(cloud.listManagedAddresses("local-201", CLUSTER)).containsExactly(address);
  }

  @Test
  void subnetHintIsRespectedWhileItHasRoom() {
    LocalCloudProvider provider = new LocalCloudProvider(network, 4, Duration.ZERO);
    for (int i = 0; i < 254; i++) {
      assertThat(
              provider
                  .allocateAddress("local-204", owner("u" + i), Optional.of("local-204-s2"))
                  .ip())
          .startsWith("127.204.2.");
    }
    // The hinted subnet is full now: the allocation falls back to the rest of the region.
    assertThat(provider.allocateAddress("local-204", owner("x"), Optional.of("local-204-s2")).ip())
        .matches("127\\.204\\.[013]\\.\\d+");
    assertThatThrownBy(
            () -> provider.allocateAddress("local-204", owner("y"), Optional.of("local-205-s0")))
        .isInstanceOfSatisfying(
            CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID))
        .hasMessageContaining("local-205-s0");
  }

  @Test
  void exhaustedRegionIsQuotaExceededAndReleaseFreesRoom() {
    LocalCloudProvider small = new LocalCloudProvider(network, 1, Duration.ZERO);
    Set<String> ips = new HashSet<>();
    Address last = null;
    for (int i = 0; i < 254; i++) {
      last = small.allocateAddress("local-205", owner("u" + i), Optional.empty());
      ips.add(last.ip());
    }
    assertThat(ips).hasSize(254);

    assertThatThrownBy(
            () -> small.allocateAddress("local-205", owner("one-more"), Optional.empty()))
        .isInstanceOfSatisfying(
            CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.QUOTA_EXCEEDED))
        .hasMessageContaining("local-205");

    small.releaseAddress("local-205", last);
    assertThat(small.allocateAddress("local-205", owner("one-more"), Optional.empty()).ip())
        .isEqualTo(last.ip());
  }

  @Test
  void concurrentAllocationsNeverShareAnAddress() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Callable<String>> tasks = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        String uid = "u" + i;
        tasks.add(() -> cloud.allocateAddress("local-206", owner(uid), Optional.empty()).ip());
      }
      Set<String> ips = new HashSet<>();
      for (Future<String> f : pool.invokeAll(tasks)) {
        ips.add(f.get());
      }
      assertThat(ips).hasSize(200);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void associateBindsTheListenerAndReportsTheAddress() {
    Instance instance = cloud.launch(spec("uid-1", "local-201", Protocol.SOCKS5, port));
    Address address =
        cloud.allocateAddress("local-201", owner("uid-1"), Optional.of("local-201-s0"));
    assertThat(accepts(address.ip(), port)).isFalse();

    cloud.associateAddress("local-201", instance.id(), address);

    assertThat(accepts(address.ip(), port)).isTrue();
    assertThat(network.openListeners()).isEqualTo(1);
    Instance found = cloud.findInstance("local-201", "uid-1").orElseThrow();
    assertThat(found.publicIp()).isEqualTo(address.ip());
    assertThat(found.addressId()).isEqualTo(address.id());
    assertThat(cloud.listManagedAddresses("local-201", CLUSTER))
        .singleElement()
        .extracting(Address::instanceId)
        .isEqualTo(instance.id());
  }

  @Test
  void reassociationBurnsTheOldAddressButKeepsItAllocated() throws Exception {
    Instance instance = cloud.launch(spec("uid-1", "local-201", Protocol.SOCKS5, port));
    Address first = cloud.allocateAddress("local-201", owner("uid-1"), Optional.empty());
    Address second = cloud.allocateAddress("local-201", owner("uid-1"), Optional.empty());
    cloud.associateAddress("local-201", instance.id(), first);

    try (Socks5TestClient client = new Socks5TestClient(first.ip(), port)) {
      assertThat(client.greet(Socks5TestClient.PASSWORD)).isEqualTo(Socks5TestClient.PASSWORD);
      assertThat(network.openConnections()).isEqualTo(1);

      cloud.associateAddress("local-201", instance.id(), second);

      assertThat(client.readOrEof()).isEqualTo(-1);
    }
    assertThat(accepts(first.ip(), port)).isFalse();
    assertThat(accepts(second.ip(), port)).isTrue();
    assertThat(network.openListeners()).isEqualTo(1);
    assertThat(cloud.findInstance("local-201", "uid-1").orElseThrow().publicIp())
        .isEqualTo(second.ip());
    assertThat(cloud.listManagedAddresses("local-201", CLUSTER))
        .extracting(Address::ip, Address::instanceId)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(first.ip(), null),
            org.assertj.core.groups.Tuple.tuple(second.ip(), instance.id()));
  }

  @Test
  void associatingAnotherInstancesAddressMovesIt() {
    Instance a = cloud.launch(spec("uid-a", "local-201", Protocol.HTTP, port));
    Instance b = cloud.launch(spec("uid-b", "local-201", Protocol.HTTP, port));
    Address address = cloud.allocateAddress("local-201", owner("uid-a"), Optional.empty());
    cloud.associateAddress("local-201", a.id(), address);

    cloud.associateAddress("local-201", b.id(), address);

    assertThat(cloud.findInstance("local-201", "uid-a").orElseThrow().publicIp()).isNull();
    assertThat(cloud.findInstance("local-201", "uid-b").orElseThrow().publicIp())
        .isEqualTo(address.ip());
    assertThat(accepts(address.ip(), port)).isTrue();
    assertThat(network.openListeners()).isEqualTo(1);
  }

  @Test
  void associatingTheSameAddressTwiceIsANoOp() {
    Instance instance = cloud.launch(spec("uid-1", "local-201", Protocol.HTTP, port));
    Address address = cloud.allocateAddress("local-201", owner("uid-1"), Optional.empty());
    cloud.associateAddress("local-201", instance.id(), address);
    cloud.associateAddress("local-201", instance.id(), address);

    assertThat(accepts(address.ip(), port)).isTrue();
    assertThat(network.openListeners()).isEqualTo(1);
  }

  @Test
  void associatingUnknownThingsIsNotFound() {
    Instance instance = cloud.launch(spec("uid-1", "local-201", Protocol.HTTP, port));
    Address address = cloud.allocateAddress("local-201", owner("uid-1"), Optional.empty());
    Address ghost = new Address("eipalloc-0000", "local-201", "127.201.0.9", null, null, T0);

    assertThatThrownBy(() -> cloud.associateAddress("local-201", "i-nope", address))
        .isInstanceOfSatisfying(
            CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND))
        .hasMessageContaining("i-nope");
    assertThatThrownBy(() -> cloud.associateAddress("local-201", instance.id(), ghost))
        .isInstanceOfSatisfying(
            CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND))
        .hasMessageContaining("eipalloc-0000");
    assertThatThrownBy(() -> cloud.associateAddress("local-202", instance.id(), address))
        .isInstanceOfSatisfying(
            CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND));
  }

  @Test
  void bindFailureLeavesTheOldListenerServing() throws Exception {
    Instance instance = cloud.launch(spec("uid-1", "local-201", Protocol.SOCKS5, port));
    Address first = cloud.allocateAddress("local-201", owner("uid-1"), Optional.empty());
    Address second = cloud.allocateAddress("local-201", owner("uid-1"), Optional.empty());
    cloud.associateAddress("local-201", instance.id(), first);

    try (ServerSocket squatter = new ServerSocket(port, 0, InetAddress.getByName(second.ip()))) {
      assertThat(squatter.isBound()).isTrue();
      assertThatThrownBy(() -> cloud.associateAddress("local-201", instance.id(), second))
          .isInstanceOfSatisfying(
              CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TRANSIENT))
          .hasMessageContaining(second.ip() + ":" + port)
          .hasMessageContaining("in use");
    }
    assertThat(accepts(first.ip(), port)).isTrue();
    assertThat(cloud.findInstance("local-201", "uid-1").orElseThrow().publicIp())
        .isEqualTo(first.ip());
    assertThat(cloud.listManagedAddresses("local-201", CLUSTER))
        .filteredOn(a -> a.id().equals(second.id()))
        .singleElement()
        .extracting(Address::instanceId)
        .isNull();
  }

  @Test
  void releasingAnAssociatedAddressIsRefused() {
    Instance instance = cloud.launch(spec("uid-1", "local-201", Protocol.HTTP, port));
    Address address = cloud.allocateAddress("local-201", owner("uid-1"), Optional.empty());
    cloud.associateAddress("local-201", instance.id(), address);

    assertThatThrownBy(() -> cloud.releaseAddress("local-201", address))
        .isInstanceOfSatisfying(
            CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID))
        .hasMessageContaining(address.id())
        .hasMessageContaining(instance.id())
        .hasMessageContaining("associate another address or terminate first");
    assertThat(accepts(address.ip(), port)).isTrue();
  }

  @Test
  void releasingIsIdempotent() {
    Address address = cloud.allocateAddress("local-201", owner("uid-1"), Optional.empty());
    cloud.releaseAddress("local-201", address);
    assertThatCode(() -> cloud.releaseAddress("local-201", address)).doesNotThrowAnyException();
    assertThat(cloud.listManagedAddresses("local-201", CLUSTER)).isEmpty();
  }

  @Test
  void terminateClosesTheListenerAndKeepsTheAddressAllocated() throws Exception {
    Instance instance = cloud.launch(spec("uid-1", "local-201", Protocol.SOCKS5, port));
    Address address = cloud.allocateAddress("local-201", owner("uid-1"), Optional.empty());
    cloud.associateAddress("local-201", instance.id(), address);

    try (Socks5TestClient client = new Socks5TestClient(address.ip(), port)) {
      assertThat(client.greet(Socks5TestClient.PASSWORD)).isEqualTo(Socks5TestClient.PASSWORD);
      cloud.terminate("local-201", instance.id());
      assertThat(client.readOrEof()).isEqualTo(-1);
    }

    assertThat(accepts(address.ip(), port)).isFalse();
    assertThat(network.openListeners()).isZero();
    assertThat(network.openConnections()).isZero();
    assertThat(cloud.findInstance("local-201", "uid-1")).isEmpty();
    assertThat(cloud.listManagedInstances("local-201", CLUSTER)).isEmpty();
    assertThat(cloud.listManagedAddresses("local-201", CLUSTER))
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.id()).isEqualTo(address.id());
              assertThat(a.instanceId()).isNull();
            });
    // Unassociated now, so the caller can release it.
    cloud.releaseAddress("local-201", address);
    assertThat(cloud.listManagedAddresses("local-201", CLUSTER)).isEmpty();
  }

  @Test
  void terminatingUnknownOrTerminatedInstancesIsNotAnError() {
    Instance instance = cloud.launch(spec("uid-1", "local-201", Protocol.HTTP, port));
    cloud.terminate("local-201", instance.id());
    assertThatCode(() -> cloud.terminate("local-201", instance.id())).doesNotThrowAnyException();
    assertThatCode(() -> cloud.terminate("local-201", "i-0123456789abcdef0"))
        .doesNotThrowAnyException();
    assertThatThrownBy(
            () ->
                cloud.associateAddress(
                    "local-201",
                    instance.id(),
                    cloud.allocateAddress("local-201", owner("uid-1"), Optional.empty())))
        .isInstanceOfSatisfying(
            CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND));
  }

  @Test
  void snapshotsAreImmutable() {
    cloud.launch(spec("uid-1", "local-201", Protocol.HTTP, port));
    cloud.allocateAddress("local-201", owner("uid-1"), Optional.empty());
    List<Instance> instances = cloud.listManagedInstances("local-201", CLUSTER);
    List<Address> addresses = cloud.listManagedAddresses("local-201", CLUSTER);

    assertThatThrownBy(() -> instances.clear()).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> addresses.clear()).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> instances.get(0).tags().put("x", "y"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> cloud.subnets("local-201").clear())
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void callsAreCountedPerOperation() {
    Instance instance = cloud.launch(spec("uid-1", "local-201", Protocol.HTTP, port));
    cloud.launch(spec("uid-1", "local-201", Protocol.HTTP, port));
    cloud.findInstance("local-201", "uid-1");
    Address address = cloud.allocateAddress("local-201", owner("uid-1"), Optional.empty());
    cloud.associateAddress("local-201", instance.id(), address);
    assertThatThrownBy(() -> cloud.subnets("nowhere")).isInstanceOf(CloudException.class);

    assertThat(network.callCounts())
        .containsEntry("launch", 2L)
        .containsEntry("findInstance", 1L)
        .containsEntry("allocateAddress", 1L)
        .containsEntry("associateAddress", 1L)
        .containsEntry("subnets", 1L)
        .doesNotContainKey("terminate");
    assertThat(network.callCount("launch")).isEqualTo(2);

    network.resetCallCounts();
    cloud.listManagedInstances("local-201", CLUSTER);
    assertThat(network.callCounts())
        .containsExactlyEntriesOf(java.util.Map.of("listManagedInstances", 1L));
  }

  @Test
  void providersSharingANetworkShareItsAddressSpace() {
    LocalCloudProvider a = new LocalCloudProvider(network, 1, Duration.ZERO);
    LocalCloudProvider b = new LocalCloudProvider(network, 1, Duration.ZERO);
    Set<String> ips = new HashSet<>();
    for (int i = 0; i < 127; i++) {
      ips.add(a.allocateAddress("local-207", owner("a" + i), Optional.empty()).ip());
      ips.add(b.allocateAddress("local-207", owner("b" + i), Optional.empty()).ip());
    }
    assertThat(ips).hasSize(254);
    assertThatThrownBy(() -> a.allocateAddress("local-207", owner("z"), Optional.empty()))
        .isInstanceOfSatisfying(
            CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.QUOTA_EXCEEDED));
  }

  @Test
  void closeStopsEverythingAndLaterCallsAreTransient() throws Exception {
    Instance instance = cloud.launch(spec("uid-1", "local-201", Protocol.SOCKS5, port));
    Address address = cloud.allocateAddress("local-201", owner("uid-1"), Optional.empty());
    cloud.associateAddress("local-201", instance.id(), address);
    try (Socks5TestClient client = new Socks5TestClient(address.ip(), port)) {
      client.greet(Socks5TestClient.PASSWORD);
      assertThat(network.openConnections()).isEqualTo(1);

      network.close();

      assertThat(client.readOrEof()).isEqualTo(-1);
    }
    assertThat(network.isClosed()).isTrue();
    assertThat(network.openListeners()).isZero();
    assertThat(network.openConnections()).isZero();
    assertThat(accepts(address.ip(), port)).isFalse();
    assertThatThrownBy(() -> cloud.findInstance("local-201", "uid-1"))
        .isInstanceOfSatisfying(
            CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TRANSIENT));
    assertThatCode(network::close).doesNotThrowAnyException();
  }
}
