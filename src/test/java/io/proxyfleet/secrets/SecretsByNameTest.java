package io.proxyfleet.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.proxyfleet.embedded.EmbeddedKubernetes;
import io.proxyfleet.replay.SimulatedClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The fleets' Secrets by name: trusted for a while, then asked for again, never listed. */
class SecretsByNameTest {

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
    SecretsByName cache = new SecretsByName(client, clock);
    assertThat(cache.get("default", "cache-a")).isEmpty();
    client.resource(secret("cache-a", "one")).create();
    // Absence is never trusted: the Secret is found as soon as it exists.
    assertThat(cache.get("default", "cache-a")).isPresent();

    client.secrets().inNamespace("default").withName("cache-a").delete();
    clock.advance(SecretsByName.TRUSTED_FOR.minusSeconds(1));
    assertThat(cache.get("default", "cache-a")).as("still trusted").isPresent();
    clock.advance(Duration.ofSeconds(2));
    assertThat(cache.get("default", "cache-a")).as("asked the server again").isEmpty();
  }

  @Test
  void whatTheOperatorWroteIsUsedAndForgettingAsksTheServer() {
    SimulatedClock clock = new SimulatedClock(Instant.parse("2026-01-01T00:00:00Z"));
    SecretsByName cache = new SecretsByName(client, clock);
    Secret written = client.resource(secret("cache-b", "two")).create();
    cache.remember(written);
    client.secrets().inNamespace("default").withName("cache-b").delete();
    assertThat(cache.get("default", "cache-b")).contains(written);
    cache.forget("default", "cache-b");
    assertThat(cache.get("default", "cache-b")).isEmpty();
  }
}
