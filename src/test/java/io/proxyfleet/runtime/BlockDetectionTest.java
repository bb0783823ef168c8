package io.proxyfleet.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.api.ProxySpec;
import io.proxyfleet.api.ProxyStatus;
import io.proxyfleet.api.RotationRequest;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class BlockDetectionTest {

  static final Function<Proxy, Optional<String>> NO_LIST = p -> Optional.empty();

  static Proxy proxy(String ip, String blockedBy, String reachableReason) {
    Proxy p = new Proxy();
    p.getMetadata().setNamespace("team");
    ProxySpec spec = new ProxySpec();
    spec.setFleet("tg");
    p.setSpec(spec);
    ProxyStatus s = new ProxyStatus();
    s.setPublicIp(ip);
    s.setBlockedBy(blockedBy);
    s.setPhase(ProxyPhase.Running);
    if (reachableReason != null) {
      s.getConditions()
          .add(
              new ConditionBuilder()
                  .withType("Reachable")
                  .withStatus("Reachable".equals(reachableReason) ? "True" : "False")
                  .withReason(reachableReason)
                  .build());
    }
    p.setStatus(s);
    return p;
  }

  final Proxy serving = proxy("52.58.1.1", null, "Reachable");

  @Test
  void aPublishedListIsAListDetection() {
    assertThat(
            BlockDetection.of(
                serving, proxy("52.58.1.1", "rkn (52.58.0.0/15)", "Reachable"), NO_LIST))
        .contains(BlockDetection.Kind.list);
  }

  @Test
  void theFleetsLearnedListIsAProbeDetection() {
    assertThat(
            BlockDetection.of(
                serving,
                proxy("52.58.1.1", "learned-team-tg (52.58.1.1/32)", "UnreachableFromVantage"),
                NO_LIST))
        .contains(BlockDetection.Kind.probe);
    assertThat(
            BlockDetection.of(
                serving,
                proxy("52.58.1.1", "learned-team-other (52.58.1.1/32)", "Reachable"),
                NO_LIST))
        .as("another fleet's learned list is, for this fleet, a list like any other")
        .contains(BlockDetection.Kind.list);
  }

  @Test
  void aDeadDaemonIsAHealthDetection() {
    assertThat(
            BlockDetection.of(
                proxy("52.58.1.1", null, "Failing"),
                proxy("52.58.1.1", null, "Unhealthy"),
                NO_LIST))
        .contains(BlockDetection.Kind.health);
  }

  @Test
  void eachDetectionIsCountedOnce() {
    Proxy blocked = proxy("52.58.1.1", "rkn (52.58.0.0/15)", "Reachable");
    assertThat(BlockDetection.of(blocked, blocked, NO_LIST))
        .as("still blocked: already counted")
        .isEmpty();
    Proxy unhealthy = proxy("52.58.1.1", null, "Unhealthy");
    assertThat(BlockDetection.of(unhealthy, unhealthy, NO_LIST)).isEmpty();
    assertThat(BlockDetection.of(serving, serving, NO_LIST)).isEmpty();
    assertThat(BlockDetection.of(null, blocked, NO_LIST)).isEmpty();
    // The swap after a recorded block is the same detection, not a second one.
    Proxy rotated = proxy("3.120.9.9", null, "Reachable");
    rotated
        .getStatus()
        .setIpRotationHandled(
            new RotationRequest("Blocked", Instant.parse("2026-11-27T10:00:01Z")).value());
    assertThat(BlockDetection.of(blocked, rotated, NO_LIST)).isEmpty();
    // A new address blocked again is a new detection.
    assertThat(
            BlockDetection.of(
                blocked, proxy("3.120.9.9", "rkn (3.120.0.0/14)", "Reachable"), NO_LIST))
        .contains(BlockDetection.Kind.list);
  }

  @Test
  void whenTheFleetsRequestWinsTheListHoldingTheOldAddressSaysWhichKind() {
    Proxy rotated = proxy("3.120.9.9", null, "Reachable");
    rotated
        .getStatus()
        .setIpRotationHandled(
            new RotationRequest("Blocked", Instant.parse("2026-11-27T10:00:01Z")).value());
    assertThat(BlockDetection.of(serving, rotated, p -> Optional.of("learned-team-tg")))
        .contains(BlockDetection.Kind.probe);
    assertThat(BlockDetection.of(serving, rotated, p -> Optional.of("rkn")))
        .contains(BlockDetection.Kind.list);
    assertThat(BlockDetection.of(serving, rotated, NO_LIST))
        .as("withdrawn meanwhile: a list did it")
        .contains(BlockDetection.Kind.list);
    Proxy aged = proxy("3.120.9.9", null, "Reachable");
    aged.getStatus()
        .setIpRotationHandled(
            new RotationRequest("MaxAge", Instant.parse("2026-11-27T10:00:01Z")).value());
    assertThat(BlockDetection.of(serving, aged, p -> Optional.of("rkn")))
        .as("rotated for age: no detection")
        .isEmpty();
  }
}
