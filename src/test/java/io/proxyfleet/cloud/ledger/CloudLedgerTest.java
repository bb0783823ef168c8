package io.proxyfleet.cloud.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.proxyfleet.block.IpAddresses;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.Subnet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The Elastic-IP rules every in-memory cloud shares, on a clock the test moves. */
class CloudLedgerTest {

  static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
  static final Subnet A = new Subnet("subnet-a", "r1", "r1a", "10.0.0.0/24");
  static final Subnet B = new Subnet("subnet-b", "r1", "r1b", "10.0.1.0/24");
  static final Subnet OTHER_REGION = new Subnet("subnet-x", "r2", "r2a", "10.1.0.0/24");

  final AtomicReference<Instant> now = new AtomicReference<>(T0);
  final Clock clock =
      new Clock() {
        @Override
        public ZoneOffset getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now.get();
        }
      };
  final CloudLedger ledger =
      new CloudLedger(clock, new SplittableRandom(7), LedgerIds.sequential());

  static OwnerTags owner(String uid) {
    return new OwnerTags("c1", "ns", "f", "f-" + uid, uid);
  }

  static OwnerTags otherCluster(String uid) {
    return new OwnerTags("c2", "ns", "f", "f-" + uid, uid);
  }

  /** 203.0.113.0/29 in order: the first free address, so a test knows which one it gets. */
  static final AddressPool FIRST_FREE =
      (random, allocated) -> {
        long base = IpAddresses.parseIpv4("203.0.113.0");
        for (long ip = base; ip < base + 8; ip++) {
          if (!allocated.test(ip)) return ip;
        }
        throw new CloudException(Reason.QUOTA_EXCEEDED, "r1: all 8 addresses allocated");
      };

  @Test
  void aLaunchIsIdempotentPerOwnerAndRegionAndBootsOnTheClock() {
    Instance first = ledger.launch(owner("u1"), A, Duration.ofSeconds(30));
    assertThat(first.state()).isEqualTo(Instance.State.PENDING);
    assertThat(first.zone()).isEqualTo("r1a");
    assertThat(first.subnetId()).isEqualTo("subnet-a");
    assertThat(first.ownerUid()).isEqualTo("u1");
    assertThat(first.launchedAt()).isEqualTo(T0);
    assertThat(ledger.launch(owner("u1"), B, Duration.ZERO).id())
        .as("same owner, same region: the same VM")
        .isEqualTo(first.id());
    assertThat(ledger.launches()).isEqualTo(1);
    assertThat(ledger.nextBootAfter(T0)).contains(T0.plusSeconds(30));

    now.set(T0.plusSeconds(30));
    assertThat(ledger.findInstance("r1", "u1").orElseThrow().state())
        .isEqualTo(Instance.State.RUNNING);
    assertThat(ledger.nextBootAfter(now.get())).isEmpty();
    assertThat(ledger.findInstance("r2", "u1")).as("regions are separate").isEmpty();
  }

  @Test
  void aTerminatedInstanceIsGoneAndItsIdNeverComesBack() {
    Instance first = ledger.launch(owner("u1"), A, Duration.ZERO);
    assertThat(ledger.terminate("r2", first.id()))
        .as("another region's terminate does nothing")
        .isFalse();
    assertThat(ledger.terminate("r1", first.id())).isTrue();
    assertThat(ledger.terminate("r1", first.id()))
        .as("terminating twice is not an error")
        .isFalse();
    assertThat(ledger.findInstance("r1", "u1")).isEmpty();
    assertThat(ledger.instance(first.id())).isEmpty();
    assertThat(ledger.listInstances("r1", "c1")).isEmpty();

    Instance again = ledger.launch(owner("u1"), A, Duration.ZERO);
    assertThat(again.id()).isNotEqualTo(first.id());
    assertThat(ledger.terminate("r1", first.id()))
        .as("a late terminate of the old id spares the new VM")
        .isFalse();
    assertThat(ledger.findInstance("r1", "u1")).isPresent();
  }

  @Test
  void derivedIdsArePredictableFromTheOwnerAndNeverReused() {
    CloudLedger derived = new CloudLedger(clock, new SplittableRandom(1), LedgerIds.derived());
    Instance first = derived.launch(owner("u1"), A, Duration.ZERO);
    CloudLedger twin = new CloudLedger(clock, new SplittableRandom(99), LedgerIds.derived());
    assertThat(twin.launch(owner("u1"), A, Duration.ZERO).id())
        .isEqualTo(first.id())
        .matches("i-[0-9a-f]{17}");
    derived.terminate("r1", first.id());
    assertThat(derived.launch(owner("u1"), A, Duration.ZERO).id())
        .isNotEqualTo(first.id())
        .matches("i-[0-9a-f]{17}");
    assertThat(derived.allocate("r1", owner("u1"), FIRST_FREE).id())
        .matches("eipalloc-[0-9a-f]{17}");
  }

  @Test
  void listingsFindOnlyThisClustersResourcesInTheRegion() {
    Instance mine = ledger.launch(owner("u1"), A, Duration.ZERO);
    ledger.launch(otherCluster("u2"), A, Duration.ZERO);
    ledger.launch(owner("u3"), OTHER_REGION, Duration.ZERO);
    Address myAddress = ledger.allocate("r1", owner("u1"), FIRST_FREE);
    ledger.allocate("r1", otherCluster("u2"), FIRST_FREE);
    ledger.allocate("r2", owner("u3"), FIRST_FREE);

    assertThat(ledger.listInstances("r1", "c1"))
        .extracting(Instance::id)
        .containsExactly(mine.id());
    assertThat(ledger.listAddresses("r1", "c1"))
        .extracting(Address::id)
        .containsExactly(myAddress.id());
    assertThat(myAddress.tags())
        .containsEntry(OwnerTags.CLUSTER, "c1")
        .containsEntry(OwnerTags.PROXY, "u1");
    assertThat(myAddress.allocatedAt()).isEqualTo(T0);
  }

  @Test
  void anAddressIsNeverHandedOutTwiceUntilReleased() {
    Set<String> ips = new HashSet<>();
    List<Address> all = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Address a = ledger.allocate("r1", owner("u" + i), FIRST_FREE);
      assertThat(ips.add(a.ip())).as("fresh address %s", a.ip()).isTrue();
      all.add(a);
    }
    assertThatThrownBy(() -> ledger.allocate("r1", owner("u9"), FIRST_FREE))
        .isInstanceOfSatisfying(
            CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.QUOTA_EXCEEDED));
    assertThat(ledger.allocations()).isEqualTo(8);

    assertThat(ledger.release("r1", all.get(3).id())).isTrue();
    assertThat(ledger.allocate("r1", owner("u9"), FIRST_FREE).ip())
        .as("a released address can be drawn again")
        .isEqualTo(all.get(3).ip());
    assertThat(ledger.release("r1", all.get(3).id()))
        .as("releasing twice is not an error")
        .isFalse();
  }

  @Test
  void aPoolThatReturnsATakenAddressIsABugNotASecondAllocation() {
    Address a = ledger.allocate("r1", owner("u1"), FIRST_FREE);
    long taken = IpAddresses.parseIpv4(a.ip());
    assertThatThrownBy(() -> ledger.allocate("r1", owner("u2"), (random, allocated) -> taken))
        .isInstanceOf(IllegalStateException.class);
    assertThat(ledger.listAddresses("r1", "c1")).hasSize(1);
  }

  @Test
  void anInstanceHoldsOneAddressAndAssociatingReplacesIt() {
    Instance vm = ledger.launch(owner("u1"), A, Duration.ZERO);
    Address first = ledger.allocate("r1", owner("u1"), FIRST_FREE);
    Address second = ledger.allocate("r1", owner("u1"), FIRST_FREE);

    CloudLedger.Association attach = ledger.associate("r1", vm.id(), first.id()).orElseThrow();
    assertThat(attach.previousHolderId()).isNull();
    assertThat(attach.replacedAddressId()).isNull();
    assertThat(ledger.findInstance("r1", "u1").orElseThrow().publicIp()).isEqualTo(first.ip());
    assertThat(ledger.associate("r1", vm.id(), first.id()))
        .as("associating again changes nothing")
        .isEmpty();

    CloudLedger.Association swap = ledger.associate("r1", vm.id(), second.id()).orElseThrow();
    assertThat(swap.replacedAddressId()).isEqualTo(first.id());
    Instance after = ledger.findInstance("r1", "u1").orElseThrow();
    assertThat(after.publicIp()).isEqualTo(second.ip());
    assertThat(after.addressId()).isEqualTo(second.id());
    assertThat(ledger.address(first.id()).orElseThrow().instanceId())
        .as("the old address stays allocated, unassociated")
        .isNull();
    assertThat(ledger.address(second.id()).orElseThrow().instanceId()).isEqualTo(vm.id());
  }

  @Test
  void associatingAnAddressHeldByAnotherInstanceMovesIt() {
    Instance one = ledger.launch(owner("u1"), A, Duration.ZERO);
    Instance two = ledger.launch(owner("u2"), B, Duration.ZERO);
    Address a = ledger.allocate("r1", owner("u1"), FIRST_FREE);
    ledger.associate("r1", one.id(), a.id());

    assertThat(ledger.planAssociation("r1", two.id(), a.id()).orElseThrow().previousHolderId())
        .isEqualTo(one.id());
    assertThat(ledger.address(a.id()).orElseThrow().instanceId())
        .as("planning changes nothing")
        .isEqualTo(one.id());

    ledger.associate("r1", two.id(), a.id());
    assertThat(ledger.instance(one.id()).orElseThrow().publicIp()).isNull();
    assertThat(ledger.instance(two.id()).orElseThrow().publicIp()).isEqualTo(a.ip());
  }

  @Test
  void anAssociatedAddressCannotBeReleasedButOutlivesItsInstance() {
    Instance vm = ledger.launch(owner("u1"), A, Duration.ZERO);
    Address a = ledger.allocate("r1", owner("u1"), FIRST_FREE);
    ledger.associate("r1", vm.id(), a.id());

    assertThatThrownBy(() -> ledger.release("r1", a.id()))
        .isInstanceOfSatisfying(
            CloudException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.INVALID);
              assertThat(e.getMessage()).contains(a.id(), a.ip(), vm.id(), "terminate first");
            });
    assertThat(ledger.release("r2", a.id())).as("another region's release does nothing").isFalse();

    ledger.terminate("r1", vm.id());
    Address orphan = ledger.address(a.id()).orElseThrow();
    assertThat(orphan.instanceId()).isNull();
    assertThat(ledger.release("r1", a.id())).isTrue();
    assertThat(ledger.listAddresses("r1", "c1")).isEmpty();
  }

  @Test
  void associationNamesWhatIsMissing() {
    Instance vm = ledger.launch(owner("u1"), A, Duration.ZERO);
    Address a = ledger.allocate("r1", owner("u1"), FIRST_FREE);
    Address elsewhere = ledger.allocate("r2", owner("u1"), FIRST_FREE);

    assertThatThrownBy(() -> ledger.associate("r1", "i-missing", a.id()))
        .isInstanceOfSatisfying(
            CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND))
        .hasMessageContaining("instance i-missing");
    assertThatThrownBy(() -> ledger.associate("r1", vm.id(), elsewhere.id()))
        .isInstanceOfSatisfying(
            CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND))
        .hasMessageContaining("address " + elsewhere.id());
    ledger.terminate("r1", vm.id());
    assertThatThrownBy(() -> ledger.associate("r1", vm.id(), a.id()))
        .as("a terminated instance takes no address")
        .isInstanceOfSatisfying(
            CloudException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND));
  }

  @Test
  void aSeededLedgerDrawsTheSameAddressesEveryTime() {
    AddressPool uniform =
        (random, allocated) -> {
          long base = IpAddresses.parseIpv4("198.51.100.0");
          long ip;
          do {
            ip = base + random.nextInt(256);
          } while (allocated.test(ip));
          return ip;
        };
    List<String> run1 = new ArrayList<>();
    List<String> run2 = new ArrayList<>();
    CloudLedger l1 = new CloudLedger(clock, new SplittableRandom(5), LedgerIds.sequential());
    CloudLedger l2 = new CloudLedger(clock, new SplittableRandom(5), LedgerIds.sequential());
    for (int i = 0; i < 20; i++) {
      run1.add(l1.allocate("r1", owner("u" + i), uniform).ip());
      run2.add(l2.allocate("r1", owner("u" + i), uniform).ip());
    }
    assertThat(run1).isEqualTo(run2).doesNotHaveDuplicates();
  }
}
