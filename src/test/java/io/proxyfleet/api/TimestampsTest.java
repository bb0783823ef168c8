package io.proxyfleet.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class TimestampsTest {

  @Test
  void readsKubernetesTimestampsAndOffsetsAndNothingElse() {
    assertThat(Timestamps.parse("2026-11-27T10:00:00Z"))
        .contains(Instant.parse("2026-11-27T10:00:00Z"));
    assertThat(Timestamps.parse("2026-11-27T10:00:42.500Z"))
        .contains(Instant.parse("2026-11-27T10:00:42.500Z"));
    assertThat(Timestamps.parse("2026-11-27T13:00:00+03:00"))
        .contains(Instant.parse("2026-11-27T10:00:00Z"));
    assertThat(Timestamps.parse(null)).isEmpty();
    assertThat(Timestamps.parse(" ")).isEmpty();
    assertThat(Timestamps.parse("yesterday")).isEmpty();
  }
}
