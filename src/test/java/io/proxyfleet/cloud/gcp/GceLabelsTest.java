package io.proxyfleet.cloud.gcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.proxyfleet.cloud.OwnerTags;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GceLabelsTest {

  static final String VALUE = "[a-z0-9_-]{0,63}";

  @Test
  void ownerTagsBecomeLabelsUnderGceRules() {
    Map<String, String> labels =
        GceLabels.owner(
            new OwnerTags(
                "Prod.EU/1",
                "team-a",
                "telegram.ru",
                "telegram-ru-x7k2p",
                "3f2c1a9e-7b7d-4c1e-9a55-0d6c2f1b8e11"));
    assertThat(labels)
        .containsEntry("proxyfleet-cluster", "prod_eu_1")
        .containsEntry("proxyfleet-fleet", "team-a_telegram_ru")
        .containsEntry("proxyfleet-proxy", "3f2c1a9e-7b7d-4c1e-9a55-0d6c2f1b8e11")
        .containsEntry("proxyfleet-name", "telegram-ru-x7k2p");
    assertThat(labels.values()).allMatch(v -> v.matches(VALUE));
  }

  @Test
  void longValuesKeepAPrefixAndAHashSoTheyNeverCollide() {
    String a = "n".repeat(60) + "-fleet-one";
    String b = "n".repeat(60) + "-fleet-two";
    assertThat(GceLabels.value(a)).matches(VALUE).hasSize(63).isNotEqualTo(GceLabels.value(b));
  }

  @Test
  void extraTagsNeverShadowOwnerLabels() {
    Map<String, String> extra =
        GceLabels.extra(
            Map.of(
                "Team",
                "Net Ops",
                "proxyfleet.io/proxy",
                "x",
                "proxyfleet-proxy",
                "y",
                "Name",
                "z",
                "1st",
                "v"));
    assertThat(extra)
        .containsEntry("team", "net_ops")
        .containsEntry("x1st", "v")
        .doesNotContainKeys("proxyfleet-proxy", "name");
  }
}
