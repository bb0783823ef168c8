package io.proxyfleet.cloud.capacity;

import static org.assertj.core.api.Assertions.assertThat;

import io.proxyfleet.cloud.Subnet;
import io.proxyfleet.replay.SimulatedClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ZoneCapacityTest {

  final SimulatedClock clock = new SimulatedClock(Instant.parse("2026-01-01T00:00:00Z"));
  final ZoneCapacity capacity = new ZoneCapacity(clock, Duration.ofMinutes(10));

  @Test
  void aZoneIsHeldPerMachineTypeUntilTheHoldExpires() {
    capacity.markUnavailable("r", "r-a", "e2-micro");
    assertThat(capacity.unavailableZones("r", "e2-micro")).containsExactly("r-a");
    assertThat(capacity.unavailableZones("r", "e2-small"))
        .as("another machine type is not held")
        .isEmpty();
    assertThat(capacity.unavailableZones("q", "e2-micro")).isEmpty();
    clock.advance(Duration.ofMinutes(9));
    assertThat(capacity.unavailableUntil("r", "r-a", "e2-micro"))
        .contains(Instant.parse("2026-01-01T00:10:00Z"));
    clock.advance(Duration.ofMinutes(1));
    assertThat(capacity.unavailableZones("r", "e2-micro")).isEmpty();
  }

  @Test
  void fallbackTriesTheRequestedPlaceFirstThenOtherZonesSkippingHeldOnes() {
    List<String> zones = List.of("r-a", "r-b", "r-c");
    assertThat(capacity.fallbackOrder("r", "t", "r-b", zones, z -> z))
        .containsExactly("r-b", "r-a", "r-c");
    capacity.markUnavailable("r", "r-a", "t");
    assertThat(capacity.fallbackOrder("r", "t", "r-b", zones, z -> z))
        .containsExactly("r-b", "r-c");
    capacity.markUnavailable("r", "r-b", "t");
    assertThat(capacity.fallbackOrder("r", "t", "r-b", zones, z -> z)).containsExactly("r-c");
  }

  @Test
  void thePlannerSpreadsOnlyOverZonesWithCapacityUnlessNoneHasAny() {
    List<Subnet> subnets =
        List.of(
            new Subnet("s1", "r", "r-a", null),
            new Subnet("s2", "r", "r-b", null),
            new Subnet("s3", "r", "r-b", null));
    assertThat(ZoneCapacity.usable(subnets, Set.of())).isEqualTo(subnets);
    assertThat(ZoneCapacity.usable(subnets, Set.of("r-b")))
        .extracting(Subnet::id)
        .containsExactly("s1");
    assertThat(ZoneCapacity.usable(subnets, Set.of("r-a", "r-b")))
        .as("all held: the plain spread, the launch reports why")
        .isEqualTo(subnets);
  }
}
