package io.proxyfleet.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.api.ProxyStatus;
import io.proxyfleet.api.RotationRequest;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class BlockRecoveryTest {

  static Proxy proxy(
      String ip, String blockedBy, String blockedSince, String ipAssignedAt, ProxyPhase phase) {
    Proxy p = new Proxy();
    ProxyStatus s = new ProxyStatus();
    s.setPublicIp(ip);
    s.setBlockedBy(blockedBy);
    s.setIpAssignedAt(ipAssignedAt);
    s.setPhase(phase);
    if (blockedSince != null) {
      s.getConditions()
          .add(
              new ConditionBuilder()
                  .withType("Blocked")
                  .withStatus("True")
                  .withLastTransitionTime(blockedSince)
                  .build());
    } else {
      s.getConditions()
          .add(
              new ConditionBuilder()
                  .withType("Blocked")
                  .withStatus("False")
                  .withLastTransitionTime(ipAssignedAt)
                  .build());
    }
    p.setStatus(s);
    return p;
  }

  final Proxy blocked =
      proxy(
          "52.58.1.1",
          "rkn (52.58.0.0/15)",
          "2026-11-27T10:00:00Z",
          "2026-11-27T09:00:00Z",
          ProxyPhase.Running);

  @Test
  void fromBlockedToServingOnANewAddress() {
    Proxy clean = proxy("3.120.9.9", null, null, "2026-11-27T10:00:42.500Z", ProxyPhase.Running);
    assertThat(BlockRecovery.of(blocked, clean)).contains(Duration.ofMillis(42_500));
  }

  @Test
  void anythingElseIsNoRecovery() {
    assertThat(BlockRecovery.of(blocked, blocked)).as("still blocked").isEmpty();
    assertThat(
            BlockRecovery.of(
                blocked,
                proxy("52.58.1.1", null, null, "2026-11-27T10:00:05Z", ProxyPhase.Running)))
        .as("unblocked by a list change, same address: nothing was rotated")
        .isEmpty();
    assertThat(
            BlockRecovery.of(
                blocked,
                proxy("3.120.9.9", null, null, "2026-11-27T10:00:05Z", ProxyPhase.Launching)))
        .as("not serving yet")
        .isEmpty();
    Proxy clean = proxy("3.120.9.9", null, null, "2026-11-27T10:00:05Z", ProxyPhase.Running);
    assertThat(BlockRecovery.of(clean, clean)).as("was never blocked").isEmpty();
    assertThat(BlockRecovery.of(null, clean)).isEmpty();
  }

  @Test
  void fromTheFleetsBlockedRequestWhenTheProxyNeverRecordedTheBlock() {
    // The fleet saw the blocklist change first and asked for a new IP; the Proxy swapped before its
    // own pass could mark the old address blocked.
    Proxy serving = proxy("52.58.1.1", null, null, "2026-11-27T09:00:00Z", ProxyPhase.Running);
    Proxy rotated = proxy("3.120.9.9", null, null, "2026-11-27T10:00:03.250Z", ProxyPhase.Running);
    rotated
        .getStatus()
        .setIpRotationHandled(
            new RotationRequest("Blocked", Instant.parse("2026-11-27T10:00:01Z")).value());
    assertThat(BlockRecovery.of(serving, rotated)).contains(Duration.ofMillis(2_250));
  }

  @Test
  void aSwapInTheSameSecondAsTheRequestIsARecoveryOfUnderASecond() {
    // ipAssignedAt is written in whole seconds; the request carries milliseconds.
    Proxy serving = proxy("52.58.1.1", null, null, "2026-11-27T09:00:00Z", ProxyPhase.Running);
    Proxy rotated = proxy("3.120.9.9", null, null, "2026-11-27T10:00:05Z", ProxyPhase.Running);
    rotated
        .getStatus()
        .setIpRotationHandled(
            new RotationRequest("Blocked", Instant.parse("2026-11-27T10:00:05.300Z")).value());
    assertThat(BlockRecovery.of(serving, rotated)).contains(Duration.ZERO);
  }

  @Test
  void theEarlierOfTheRecordedBlockAndTheRequestStartsTheClock() {
    Proxy rotated = proxy("3.120.9.9", null, null, "2026-11-27T10:00:42.500Z", ProxyPhase.Running);
    rotated
        .getStatus()
        .setIpRotationHandled(
            new RotationRequest("Blocked", Instant.parse("2026-11-27T10:00:02Z")).value());
    assertThat(BlockRecovery.of(blocked, rotated)).contains(Duration.ofMillis(42_500));
  }

  @Test
  void rotationsForOtherReasonsOrByHandAreNoBlockRecovery() {
    Proxy serving = proxy("52.58.1.1", null, null, "2026-11-27T09:00:00Z", ProxyPhase.Running);
    Proxy aged = proxy("3.120.9.9", null, null, "2026-11-27T10:00:03Z", ProxyPhase.Running);
    aged.getStatus()
        .setIpRotationHandled(
            new RotationRequest("MaxAge", Instant.parse("2026-11-27T10:00:01Z")).value());
    assertThat(BlockRecovery.of(serving, aged)).isEmpty();
    Proxy byHand = proxy("3.120.9.9", null, null, "2026-11-27T10:00:03Z", ProxyPhase.Running);
    byHand.getStatus().setIpRotationHandled("now");
    assertThat(BlockRecovery.of(serving, byHand)).isEmpty();
    // The same handled request seen again (a resync) is not a second recovery.
    Proxy again = proxy("3.120.9.9", null, null, "2026-11-27T10:00:03Z", ProxyPhase.Running);
    again.getStatus().setIpRotationHandled(aged.getStatus().getIpRotationHandled());
    assertThat(BlockRecovery.of(aged, again)).isEmpty();
  }

  @Test
  void rotationRequestValuesRoundTripAndHandWrittenOnesCarryNothing() {
    RotationRequest r = new RotationRequest("Blocked", Instant.ofEpochMilli(1_764_237_600_123L));
    assertThat(r.value()).isEqualTo("Blocked-1764237600123");
    assertThat(RotationRequest.parse(r.value())).contains(r);
    assertThat(RotationRequest.parse("now")).isEmpty();
    assertThat(RotationRequest.parse("Blocked-")).isEmpty();
    assertThat(RotationRequest.parse("Blocked-99999999999999999999")).isEmpty();
    assertThat(RotationRequest.parse(null)).isEmpty();
  }
}
