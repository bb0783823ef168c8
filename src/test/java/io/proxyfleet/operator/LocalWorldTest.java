package io.proxyfleet.operator;

import static io.proxyfleet.operator.Fixtures.apply;
import static io.proxyfleet.operator.Fixtures.blocklist;
import static io.proxyfleet.operator.Fixtures.fleet;
import static io.proxyfleet.operator.Fixtures.fleetReady;
import static io.proxyfleet.operator.Fixtures.profile;
import static io.proxyfleet.operator.Fixtures.proxies;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.local.LocalEnvironment;
import io.proxyfleet.local.LocalWorld;
import io.proxyfleet.vantage.ReachabilityController;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The README's walk-through, with only what a user has: kubectl-style writes of the {@code
 * local-censor} ConfigMap and the {@code local-fault} annotation, and the operator, the inside
 * vantage and the censor running as local mode runs them, on the real clock.
 */
class LocalWorldTest {

  static final Duration TIMEOUT = Duration.ofSeconds(90);
  LocalEnvironment env;
  KubernetesClient client;
  LocalWorld world;

  @BeforeEach
  void start() {
    env = Fixtures.start();
    client = env.client();
    apply(env, profile("local", 4, "0s"));
    apply(env, blocklist("none", List.of()));
    world = LocalWorld.start(env, Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    world.close();
    env.close();
  }

  private Set<String> published(String fleet) throws Exception {
    Set<String> ips = new java.util.HashSet<>();
    for (var e : new ObjectMapper().readTree(Fixtures.endpointsJson(client, fleet))) {
      ips.add(e.get("ip").asText());
    }
    return ips;
  }

  private boolean allReachable(String fleet) {
    return proxies(client, fleet).stream()
        .allMatch(
            p ->
                p.getStatus() != null
                    && p.getStatus().getConditions().stream()
                        .anyMatch(
                            c ->
                                ReachabilityController.REACHABLE.equals(c.getType())
                                    && "True".equals(c.getStatus())
                                    && "Reachable".equals(c.getReason())));
  }

  @Test
  void censoringAnAddressWithKubectlGetsItDetectedAndMovedAndADeadDaemonReplaced()
      throws Exception {
    apply(
        env,
        fleet(
            "world",
            3,
            "socks5",
            1080,
            "local",
            List.of("local-51"),
            List.of("none"),
            "  health: {interval: 5s, grace: 10s, timeout: 2s}\n"));
    apply(
        env,
        """
        apiVersion: proxyfleet.io/v1alpha1
        kind: Vantage
        metadata: {name: inside, namespace: default}
        spec:
          network: {country: RU, asn: 12389}
          fleets: [world]
          reportInterval: 10s
          probeTimeout: 2s
        """);
    await().atMost(TIMEOUT).until(() -> fleetReady(client, "world", 3) && allReachable("world"));
    // Published only once checked: every address in the endpoints passed a check on that address.
    assertThat(published("world"))
        .containsExactlyInAnyOrderElementsOf(
            proxies(client, "world").stream().map(p -> p.getStatus().getReachableIp()).toList());

    Proxy victim = proxies(client, "world").get(0);
    String censored = victim.getStatus().getPublicIp();
    long censoredAt = System.nanoTime();
    client
        .configMaps()
        .inNamespace("default")
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName(LocalWorld.CENSOR_CONFIGMAP)
                .endMetadata()
                .addToData(LocalWorld.CENSOR_KEY, censored + "\n")
                .build())
        .createOr(NonDeletingOperation::update);
    await()
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                client
                        .resources(Proxy.class)
                        .inNamespace("default")
                        .withName(victim.getMetadata().getName())
                        .get()
                        .getStatus()
                        .getConditions()
                        .stream()
                        .anyMatch(
                            c -> "Blocked".equals(c.getType()) && "True".equals(c.getStatus()))
                    || !published("world").contains(censored));
    long detected = System.nanoTime();
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                fleetReady(client, "world", 3)
                    && !published("world").contains(censored)
                    && published("world").size() == 3);
    long recovered = System.nanoTime();
    String fresh =
        client
            .resources(Proxy.class)
            .inNamespace("default")
            .withName(victim.getMetadata().getName())
            .get()
            .getStatus()
            .getPublicIp();
    assertThat(
            client
                .resources(Proxy.class)
                .inNamespace("default")
                .withName(victim.getMetadata().getName())
                .get()
                .getStatus()
                .getReachableIp())
        .as("the fresh address was checked before it was published")
        .isEqualTo(fresh);
    System.out.printf(
        "local censor: detected in %d ms, serving on clean addresses in %d ms%n",
        Duration.ofNanos(detected - censoredAt).toMillis(),
        Duration.ofNanos(recovered - censoredAt).toMillis());
    assertThat(
            client
                .resources(Proxy.class)
                .inNamespace("default")
                .withName(victim.getMetadata().getName())
                .get()
                .getMetadata()
                .getUid())
        .as("same VM, new address")
        .isEqualTo(victim.getMetadata().getUid());

    Proxy dead =
        proxies(client, "world").stream()
            .filter(p -> !p.getMetadata().getName().equals(victim.getMetadata().getName()))
            .findFirst()
            .orElseThrow();
    client
        .resources(Proxy.class)
        .inNamespace("default")
        .withName(dead.getMetadata().getName())
        .edit(
            p -> {
              p.getMetadata()
                  .getAnnotations()
                  .put(LocalWorld.FAULT_ANNOTATION, LocalWorld.DAEMON_DOWN);
              return p;
            });
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                fleetReady(client, "world", 3)
                    && proxies(client, "world").stream()
                        .noneMatch(
                            p -> p.getMetadata().getUid().equals(dead.getMetadata().getUid())));
    assertThat(
            Fixtures.events(client, dead.getMetadata().getName()).stream()
                .map(e -> e.getReason())
                .collect(Collectors.toSet()))
        .contains("Unhealthy");
  }
}
