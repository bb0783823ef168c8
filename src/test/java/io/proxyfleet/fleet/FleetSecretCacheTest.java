package io.proxyfleet.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.proxyfleet.embedded.EmbeddedKubernetes;
import io.proxyfleet.replay.SimulatedClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The fleets' Secrets by name: trusted for a while, then asked for again, never listed. */
class FleetSecretCacheTest {

  static EmbeddedKubernetes api;
  static KubernetesClient client;

  @BeforeAll
  static void start() {
    api = EmbeddedKubernetes.start("127.0.0.1", 0);
    client = api.client();
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  private static Secret secret(String name, String value) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("default")
        .endMetadata()
        .addToStringData("k", value)
        .build();
  }

  @Test
  void aSecretSeenIsTrustedUntilItsTimeIsUpThenAskedForAgain() {
    SimulatedClock clock = new SimulatedClock(Instant.parse("2026-01-01T00:00:00Z"));
    FleetSecretCache cache = new FleetSecretCache(client, clock);
    ResourceID id = new ResourceID("cache-a", "default");
    assertThat(cache.get(id)).isEmpty();
    client.resource(secret("cache-a", "one")).create();
    // Absence is never trusted: the Secret is found as soon as it exists.
    assertThat(cache.get(id)).isPresent();

    client.secrets().inNamespace("default").withName("cache-a").delete();
    clock.advance(FleetSecretCache.TRUSTED_FOR.minusSeconds(1));
    assertThat(cache.get(id)).as("still trusted").isPresent();
    clock.advance(Duration.ofSeconds(2));
    assertThat(cache.get(id)).as("asked the server again").isEmpty();
  }

  @Test
  void whatTheFleetWroteIsUsedAndForgettingAsksTheServer() {
    SimulatedClock clock = new SimulatedClock(Instant.parse("2026-01-01T00:00:00Z"));
    FleetSecretCache cache = new FleetSecretCache(client, clock);
    Secret written = client.resource(secret("cache-b", "two")).create();
    cache.remember(written);
    client.secrets().inNamespace("default").withName("cache-b").delete();
    ResourceID id = ResourceID.fromResource(written);
    assertThat(cache.get(id)).contains(written);
    cache.forget(id);
    assertThat(cache.get(id)).isEmpty();
  }
}
