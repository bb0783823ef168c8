package io.proxyfleet.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.proxyfleet.embedded.EmbeddedKubernetes;
import io.proxyfleet.testing.cloud.SettableClock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Burst folding: a thousand proxies of one fleet rotating at once are ten events on proxies and one
 * on the fleet with the rest's count; objects without a controlling owner never fold.
 */
class EventRecorderTest {

  static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");

  EmbeddedKubernetes api;
  KubernetesClient client;
  SettableClock clock;

  @BeforeEach
  void start() {
    api = EmbeddedKubernetes.start("127.0.0.1", 0);
    client = api.client();
    clock = new SettableClock(NOW);
  }

  @AfterEach
  void stop() {
    api.close();
  }

  @Test
  void aBurstOfOneOwnersObjectsIsTenEventsAndOneWithTheRestsCountOnTheOwner() {
    EventRecorder recorder = EventRecorder.foldingInLine(client, clock, "test");
    ConfigMap fleet = owner("fleet-a", "uid-fleet-a");
    for (int i = 0; i < 25; i++) {
      recorder.normal(ownedBy(fleet, "p" + i), "IPRotated", "Moved from 10.0.0." + i);
    }
    assertThat(eventsOn("fleet-a")).as("the window is still open").isEmpty();
    assertThat(eventsWith("IPRotated")).hasSize(10);
    assertThat(eventsWith("IPRotated"))
        .extracting(e -> e.getInvolvedObject().getName())
        .containsExactlyInAnyOrder("p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9");

    recorder.endBursts();

    List<Event> folded = eventsOn("fleet-a");
    assertThat(folded).hasSize(1);
    Event summary = folded.get(0);
    assertThat(summary.getReason()).isEqualTo("IPRotated");
    assertThat(summary.getType()).isEqualTo(EventRecorder.NORMAL);
    assertThat(summary.getCount()).isEqualTo(15);
    assertThat(summary.getInvolvedObject().getUid()).isEqualTo("uid-fleet-a");
    assertThat(summary.getInvolvedObject().getKind()).isEqualTo("ConfigMap");
    assertThat(summary.getMessage())
        .startsWith("Folded 15 more IPRotated events of this ConfigMap's ConfigMap objects")
        .endsWith("the last, on p24: Moved from 10.0.0.24");
    assertThat(eventsWith("IPRotated")).hasSize(11);
  }

  @Test
  void theNextWindowWritesItsFirstTenAgainAndEndsThePreviousBurst() {
    EventRecorder recorder = EventRecorder.foldingInLine(client, clock, "test");
    ConfigMap fleet = owner("fleet-b", "uid-fleet-b");
    for (int i = 0; i < 12; i++) {
      recorder.normal(ownedBy(fleet, "p" + i), "Launched", "launched " + i);
    }
    clock.advance(EventRecorder.BURST_WINDOW);
    recorder.normal(ownedBy(fleet, "p12"), "Launched", "launched 12");

    assertThat(eventsOn("fleet-b"))
        .as("the later event ended the first window")
        .singleElement()
        .satisfies(e -> assertThat(e.getCount()).isEqualTo(2));
    assertThat(eventsOn("p12")).as("a new window writes its first ten").hasSize(1);
    recorder.endBursts();
    assertThat(eventsOn("fleet-b")).as("nothing folded in the second window").hasSize(1);
  }

  @Test
  void reasonsTypesAndOwnersFoldApartAndUnownedObjectsNeverFold() {
    EventRecorder recorder = EventRecorder.foldingInLine(client, clock, "test");
    ConfigMap a = owner("fleet-c", "uid-fleet-c");
    ConfigMap b = owner("fleet-d", "uid-fleet-d");
    for (int i = 0; i < 10; i++) {
      recorder.normal(ownedBy(a, "a" + i), "IPRotated", "rotated");
      recorder.warning(ownedBy(a, "w" + i), "IPRotated", "rotated");
      recorder.normal(ownedBy(a, "l" + i), "Launched", "launched");
      recorder.normal(ownedBy(b, "b" + i), "IPRotated", "rotated");
      recorder.normal(owner("lone" + i, "uid-lone-" + i), "IPRotated", "rotated");
    }
    for (int i = 0; i < 20; i++) {
      recorder.normal(a, "RotatingIP", "fleet event " + i);
    }
    recorder.endBursts();

    assertThat(eventsWith("IPRotated")).as("ten of each owner and type, ten unowned").hasSize(40);
    assertThat(eventsWith("Launched")).hasSize(10);
    assertThat(eventsWith("RotatingIP")).as("the owner's own events are not folded").hasSize(20);
    assertThat(client.v1().events().inNamespace("default").list().getItems())
        .noneMatch(e -> e.getMessage().startsWith("Folded"));
  }

  @Test
  void aRecorderThatDoesNotFoldWritesEveryEvent() {
    EventRecorder recorder = new EventRecorder(client, clock, "test");
    ConfigMap fleet = owner("fleet-e", "uid-fleet-e");
    for (int i = 0; i < 15; i++) {
      recorder.normal(ownedBy(fleet, "p" + i), "IPRotated", "Moved");
    }
    recorder.close();
    assertThat(eventsWith("IPRotated")).hasSize(15);
  }

  @Test
  void closingAnAsyncRecorderWritesWhatItFolded() {
    EventRecorder recorder = EventRecorder.async(client, clock, "test");
    ConfigMap fleet = owner("fleet-f", "uid-fleet-f");
    for (int i = 0; i < 13; i++) {
      recorder.normal(ownedBy(fleet, "p" + i), "IPRotated", "Moved " + i);
    }
    recorder.close();
    assertThat(eventsWith("IPRotated")).hasSize(11);
    assertThat(eventsOn("fleet-f"))
        .singleElement()
        .satisfies(e -> assertThat(e.getCount()).isEqualTo(3));
  }

  private List<Event> eventsOn(String name) {
    return client.v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .toList();
  }

  private List<Event> eventsWith(String reason) {
    return client.v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> reason.equals(e.getReason()))
        .toList();
  }

  private static ConfigMap owner(String name, String uid) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("default")
        .withUid(uid)
        .endMetadata()
        .build();
  }

  private static HasMetadata ownedBy(ConfigMap owner, String name) {
    ConfigMap owned = owner(name, "uid-" + name);
    owned
        .getMetadata()
        .setOwnerReferences(
            List.of(
                new OwnerReferenceBuilder()
                    .withApiVersion("v1")
                    .withKind("ConfigMap")
                    .withName(owner.getMetadata().getName())
                    .withUid(owner.getMetadata().getUid())
                    .withController(true)
                    .build()));
    return owned;
  }
}
