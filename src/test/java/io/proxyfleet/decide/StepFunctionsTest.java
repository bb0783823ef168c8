package io.proxyfleet.decide;

import static org.assertj.core.api.Assertions.assertThat;

import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyFleetSpec;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.block.BlockMatch;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.Subnet;
import io.proxyfleet.planner.ProxyView;
import io.proxyfleet.planner.SlotKey;
import io.proxyfleet.status.Reason;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The step functions on hand-made observations: no API, no cloud, a fixed instant. */
class StepFunctionsTest {

  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  static final Duration TIMEOUT = Duration.ofMinutes(2);

  static Instance vm(Instance.State state, String ip) {
    return new Instance(
        "i-1",
        "r1",
        "r1-a",
        "s-a",
        state,
        ip,
        ip == null ? null : "eip-" + ip,
        Map.of(),
        NOW.minusSeconds(30));
  }

  static ProxyStep.Observation proxy(
      ProxyPhase phase,
      String recordedInstance,
      String recordedIp,
      Duration age,
      Instance vm,
      boolean vmIpBlocked,
      boolean rotation) {
    return new ProxyStep.Observation(
        phase,
        recordedInstance,
        recordedIp,
        NOW.minus(age),
        TIMEOUT,
        Optional.ofNullable(vm),
        vmIpBlocked,
        rotation,
        NOW);
  }

  @Test
  void theProxyStepDecidesFromWhatItObserves() {
    Duration young = Duration.ofSeconds(30);
    Duration old = Duration.ofMinutes(3);
    assertThat(ProxyStep.decide(proxy(null, null, null, young, null, false, false)))
        .isEqualTo(new ProxyStep.Launch());
    assertThat(ProxyStep.decide(proxy(ProxyPhase.Pending, null, null, old, null, false, false)))
        .isEqualTo(new ProxyStep.Fail(Reason.LaunchTimeout));
    assertThat(
            ProxyStep.decide(proxy(ProxyPhase.Launching, "i-1", null, young, null, false, false)))
        .isEqualTo(new ProxyStep.Fail(Reason.InstanceLost));
    assertThat(
            ProxyStep.decide(
                proxy(
                    ProxyPhase.Launching,
                    "i-1",
                    null,
                    young,
                    vm(Instance.State.PENDING, null),
                    false,
                    false)))
        .isEqualTo(new ProxyStep.Boot());
    assertThat(
            ProxyStep.decide(
                proxy(
                    ProxyPhase.Launching,
                    "i-1",
                    null,
                    old,
                    vm(Instance.State.PENDING, null),
                    false,
                    false)))
        .isEqualTo(new ProxyStep.Fail(Reason.LaunchTimeout));
    assertThat(
            ProxyStep.decide(
                proxy(
                    ProxyPhase.Running,
                    "i-1",
                    "1.1.1.1",
                    young,
                    vm(Instance.State.STOPPING, "1.1.1.1"),
                    false,
                    false)))
        .isEqualTo(new ProxyStep.Fail(Reason.InstanceStopped));
    assertThat(
            ProxyStep.decide(
                proxy(
                    ProxyPhase.Launching,
                    "i-1",
                    null,
                    old,
                    vm(Instance.State.RUNNING, null),
                    false,
                    false)))
        .as("a running VM is served even past the launch timeout")
        .isEqualTo(new ProxyStep.AssignAddress(false, true, false));
    assertThat(
            ProxyStep.decide(
                proxy(
                    ProxyPhase.Running,
                    "i-1",
                    "1.1.1.1",
                    old,
                    vm(Instance.State.RUNNING, "1.1.1.1"),
                    false,
                    false)))
        .isEqualTo(new ProxyStep.Serve());
    assertThat(
            ProxyStep.decide(
                proxy(
                    ProxyPhase.Running,
                    "i-1",
                    "1.1.1.1",
                    old,
                    vm(Instance.State.RUNNING, "1.1.1.1"),
                    true,
                    true)))
        .isEqualTo(new ProxyStep.AssignAddress(true, false, false));
    assertThat(
            ProxyStep.decide(
                proxy(
                    ProxyPhase.Running,
                    "i-1",
                    "1.1.1.1",
                    old,
                    vm(Instance.State.RUNNING, "2.2.2.2"),
                    false,
                    true)))
        .as("a clean newer IP than the recorded one: a crashed pass rotated already")
        .isEqualTo(new ProxyStep.AssignAddress(true, false, true));
    assertThat(
            ProxyStep.decide(
                proxy(
                    ProxyPhase.Running,
                    "i-1",
                    "1.1.1.1",
                    old,
                    vm(Instance.State.RUNNING, "2.2.2.2"),
                    true,
                    true)))
        .as("unless that IP is blocked too")
        .isEqualTo(new ProxyStep.AssignAddress(true, false, false));
    assertThat(
            ProxyStep.decide(
                proxy(
                    ProxyPhase.Failed,
                    "i-1",
                    null,
                    old,
                    vm(Instance.State.RUNNING, null),
                    false,
                    false)))
        .as("failure is final: the fleet replaces the proxy")
        .isEqualTo(new ProxyStep.StayFailed());

    assertThat(ProxyStep.afterAssignment(true)).isEqualTo(new ProxyStep.Serve());
    assertThat(ProxyStep.afterAssignment(false))
        .isEqualTo(new ProxyStep.Fail(Reason.NoCleanAddress));
    assertThat(ProxyStep.onCloudError(CloudException.Reason.INVALID, ProxyPhase.Launching))
        .isEqualTo(new ProxyStep.Fail(Reason.InvalidRequest));
    assertThat(ProxyStep.onCloudError(CloudException.Reason.THROTTLED, ProxyPhase.Rotating))
        .isEqualTo(
            new ProxyStep.Retry(Reason.Throttled, ProxyPhase.Rotating, Duration.ofSeconds(10)));
    assertThat(ProxyStep.onCloudError(CloudException.Reason.QUOTA_EXCEEDED, null, true))
        .as("a VM exists: Launching, not Pending")
        .isEqualTo(
            new ProxyStep.Retry(Reason.QuotaExceeded, ProxyPhase.Launching, Duration.ofMinutes(1)));
    assertThat(ProxyStep.onCloudError(CloudException.Reason.QUOTA_EXCEEDED, null, false))
        .isEqualTo(
            new ProxyStep.Retry(Reason.QuotaExceeded, ProxyPhase.Pending, Duration.ofMinutes(1)));
    assertThat(ProxyStep.onCloudError(CloudException.Reason.THROTTLED, ProxyPhase.Rotating, true))
        .as("only Pending moves")
        .isEqualTo(
            new ProxyStep.Retry(Reason.Throttled, ProxyPhase.Rotating, Duration.ofSeconds(10)));
    assertThat(ProxyStep.onCloudError(CloudException.Reason.UNAUTHORIZED, null))
        .isEqualTo(new ProxyStep.Retry(Reason.Unauthorized, ProxyPhase.Pending, null));
    assertThat(ProxyStep.cleanup(Optional.of(vm(Instance.State.RUNNING, null))))
        .isEqualTo(new ProxyStep.Terminate());
    assertThat(ProxyStep.cleanup(Optional.empty())).isEqualTo(new ProxyStep.ReleaseAndFinish());
  }

  static ProxyFleetSpec spec(String extra) {
    String yaml =
        """
        apiVersion: proxyfleet.io/v1alpha1
        kind: ProxyFleet
        metadata: {name: unit, namespace: default}
        spec:
          replicas: 4
          placement: [{cloudProfile: aws, regions: [r1, r2]}]
        %s"""
            .formatted(extra);
    return io.fabric8.kubernetes.client.utils.Serialization.unmarshal(yaml, ProxyFleet.class)
        .getSpec();
  }

  static final SlotKey R1 = new SlotKey("aws", "r1");
  static final SlotKey R2 = new SlotKey("aws", "r2");

  static ProxyView view(
      String name, SlotKey slot, ProxyPhase phase, String ip, boolean blocked, Instant created) {
    return new ProxyView(
        name,
        name + "-uid",
        slot,
        slot.region() + "-a",
        phase,
        ip,
        blocked ? new BlockMatch("list", ip + "/32") : null,
        false,
        false,
        created);
  }

  static Map<SlotKey, FleetStep.SlotObservation> slots(Double r1Blocked, Double r2Blocked) {
    Map<SlotKey, FleetStep.SlotObservation> slots = new LinkedHashMap<>();
    slots.put(
        R1,
        new FleetStep.SlotObservation(
            r1Blocked, List.of(new Subnet("r1-a", "r1", "r1-a", "10.1.0.0/24"))));
    slots.put(
        R2,
        new FleetStep.SlotObservation(
            r2Blocked, List.of(new Subnet("r2-a", "r2", "r2-a", "10.2.0.0/24"))));
    return slots;
  }

  @Test
  void aProxyWithNoCleanAddressBurnsItsRegionOnceUntilTheCooldownEnds() {
    ProxyFleetSpec spec = spec("  rotation: {burnedRegionCooldown: 10m}\n");
    ProxyView failed = view("a", R1, ProxyPhase.Failed, null, false, NOW.minusSeconds(60));
    List<FleetStep.Member> members =
        List.of(
            new FleetStep.Member(
                failed, Reason.NoCleanAddress, "2 addresses drawn were all blocked"),
            new FleetStep.Member(
                view("b", R2, ProxyPhase.Failed, null, false, NOW), Reason.LaunchTimeout, null));

    FleetStep.Holds first = FleetStep.holds(spec, List.of(), members, NOW.plusMillis(300));
    assertThat(first.added())
        .singleElement()
        .satisfies(
            h -> {
              assertThat(h.slot()).isEqualTo(R1);
              assertThat(h.until())
                  .as("whole seconds, as status holds it")
                  .isEqualTo(NOW.plus(Duration.ofMinutes(10)));
              assertThat(h.why()).isEqualTo("proxy a: 2 addresses drawn were all blocked");
            });
    FleetStep.Holds again =
        FleetStep.holds(spec, List.copyOf(first.inForce().values()), members, NOW.plusSeconds(5));
    assertThat(again.added()).as("one hold per region").isEmpty();
    assertThat(again.inForce()).containsOnlyKeys(R1);
    assertThat(
            FleetStep.holds(
                    spec,
                    List.copyOf(first.inForce().values()),
                    List.of(),
                    NOW.plus(Duration.ofMinutes(10)))
                .inForce())
        .as("expired at its end")
        .isEmpty();

    FleetStep.Decision d =
        FleetStep.decide(
            new FleetStep.Observation(
                spec, List.of(), first.inForce(), slots(null, null), null, NOW));
    assertThat(d.held()).containsOnlyKeys(R1);
    assertThat(d.subnets()).containsOnlyKeys(R2);
    assertThat(d.plan().creates()).hasSize(4).allMatch(c -> c.slot().equals(R2));
    assertThat(d.requeue())
        .as("woken when the hold ends")
        .isEqualTo(Duration.ofMinutes(10).plusMillis(100));
  }

  @Test
  void aRegionBlockedAboveTheThresholdIsAvoidedAndBlockedProxiesAreRotatedWithinTheBudget() {
    ProxyFleetSpec spec =
        spec(
            "  maxRegionBlockedPercent: 50\n  rotation: {onBlocked: ReassignIP, maxRotationsPerHour: 2}\n");
    List<ProxyView> members =
        List.of(
            view("a", R2, ProxyPhase.Running, "2.0.0.1", true, NOW.minusSeconds(30)),
            view("b", R2, ProxyPhase.Running, "2.0.0.2", true, NOW.minusSeconds(20)),
            view("c", R2, ProxyPhase.Running, "2.0.0.3", true, NOW.minusSeconds(10)),
            view("d", R2, ProxyPhase.Running, "2.0.0.4", false, NOW.minusSeconds(40)));

    FleetStep.Decision d =
        FleetStep.decide(
            new FleetStep.Observation(spec, members, Map.of(), slots(0.6, 0.1), null, NOW));
    assertThat(d.avoided()).containsOnlyKeys(R1);
    assertThat(d.avoided().get(R1)).contains("60.00%").contains("maxRegionBlockedPercent 50");
    assertThat(d.plan().ipRotations())
        .extracting(r -> r.name())
        .as("two tokens, oldest first")
        .containsExactly("a", "b");
    assertThat(d.plan().rotationsHeldTotal()).isEqualTo(1);
    assertThat(d.budgetAvailable()).isEqualTo(2.0);
    assertThat(d.budgetAfter().getAvailable()).isZero();
    assertThat(d.budgetAfter().getUpdatedAt()).isEqualTo(NOW.toString());
    assertThat(d.requeue())
        .as("woken when a token is back: half an hour at 2 per hour")
        .isEqualTo(Duration.ofMinutes(30).plusMillis(50));

    // The same proxies listed in another order: the same plan.
    FleetStep.Decision shuffled =
        FleetStep.decide(
            new FleetStep.Observation(
                spec,
                List.of(members.get(2), members.get(3), members.get(0), members.get(1)),
                Map.of(),
                slots(0.6, 0.1),
                null,
                NOW));
    assertThat(shuffled.plan()).isEqualTo(d.plan());
  }
}
