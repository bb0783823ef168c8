package io.proxyfleet.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Events older than the TTL leave the embedded API, as they leave a real one. */
class EventExpiryTest {

  static EmbeddedKubernetes api;
  static KubernetesClient client;

  /**
   * Two hours ahead: the store stamps creationTimestamp with the real time, which counts as a write
   * too.
   */
  static final Instant NOW = Instant.now().plus(Duration.ofHours(2));

  @BeforeAll
  static void start() {
    api = EmbeddedKubernetes.start("127.0.0.1", 0);
    client = api.client();
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  static Event event(String name, Instant first, Instant last) {
    return new EventBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("default")
        .endMetadata()
        .withNewInvolvedObject()
        .withKind("ProxyFleet")
        .withName("demo")
        .withNamespace("default")
        .endInvolvedObject()
        .withReason("Test")
        .withMessage("m")
        .withType("Normal")
        .withFirstTimestamp(first.toString())
        .withLastTimestamp(last.toString())
        .build();
  }

  @Test
  void eventsLastWrittenOverAnHourAgoAreDeletedAndTheRestStay() {
    client
        .v1()
        .events()
        .inNamespace("default")
        .resource(event("old", NOW.minusSeconds(7200), NOW.minusSeconds(3700)))
        .create();
    // First seen long ago but counted again recently: a real server keeps it (its TTL restarts at
    // each write).
    client
        .v1()
        .events()
        .inNamespace("default")
        .resource(event("repeated", NOW.minusSeconds(7200), NOW.minusSeconds(60)))
        .create();
    client
        .v1()
        .events()
        .inNamespace("default")
        .resource(event("fresh", NOW.minusSeconds(10), NOW.minusSeconds(10)))
        .create();

    int deleted =
        new EventExpiry(client, Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofHours(1)).expire();

    assertThat(deleted).isEqualTo(1);
    assertThat(client.v1().events().inNamespace("default").list().getItems())
        .extracting(e -> e.getMetadata().getName())
        .containsExactlyInAnyOrder("repeated", "fresh");
  }
}
