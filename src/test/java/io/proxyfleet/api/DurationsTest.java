package io.proxyfleet.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

  @Test
  void parsesGoStyleDurations() {
    assertThat(Durations.parse("90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(Durations.parse("72h")).isEqualTo(Duration.ofDays(3));
    assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
  }

  @Test
  void rejectsOtherFormsWithAHint() {
    for (String bad : new String[] {"3 days", "10", "PT10M", "", "1d", "-5s"}) {
      assertThatThrownBy(() -> Durations.parse(bad)).hasMessageContaining("90s, 10m, 72h");
    }
    assertThatThrownBy(() -> Durations.parse(null)).isInstanceOf(IllegalArgumentException.class);
  }
}
