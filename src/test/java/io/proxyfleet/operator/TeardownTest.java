package io.proxyfleet.operator;

import static io.proxyfleet.operator.Fixtures.apply;
import static io.proxyfleet.operator.Fixtures.blocklist;
import static io.proxyfleet.operator.Fixtures.fleet;
import static io.proxyfleet.operator.Fixtures.fleetReady;
import static io.proxyfleet.operator.Fixtures.profile;
import static io.proxyfleet.operator.Fixtures.proxies;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.local.LocalEnvironment;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Deleting a fleet leaves no listener, instance, address or Secret behind: each test has its own
 * world.
 */
class TeardownTest {

  LocalEnvironment env;
  KubernetesClient client;
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  @BeforeEach
  void start() {
    env = Fixtures.start();
    client = env.client();
    apply(env, blocklist("none", List.of()));
  }

  @AfterEach
  void stop() {
    env.close();
  }

  boolean nothingLeft(String fleet) {
    return proxies(client, fleet).isEmpty()
        && Fixtures.fleet(client, fleet) == null
        && env.network().openListeners() == 0
        && env.network().openConnections() == 0
        && new io.proxyfleet.cloud.local.LocalCloudProvider(env.network(), 4, Duration.ZERO)
            .listManagedInstances("local-61", "test")
            .isEmpty()
        && new io.proxyfleet.cloud.local.LocalCloudProvider(env.network(), 4, Duration.ZERO)
            .listManagedAddresses("local-61", "test")
            .isEmpty();
  }

  @Test
  void deletingARunningFleetClosesEveryListenerAndReleasesEveryAddress() {
    apply(env, profile("local", 4, "0s"));
    apply(
        env, fleet("doomed", 5, "socks5", 1080, "local", List.of("local-61"), List.of("none"), ""));
    await().atMost(TIMEOUT).until(() -> fleetReady(client, "doomed", 5));
    assertThat(env.network().openListeners()).isEqualTo(5);

    client.resources(ProxyFleet.class).inNamespace("default").withName("doomed").delete();

    await().atMost(TIMEOUT).until(() -> nothingLeft("doomed"));
    assertThat(client.secrets().inNamespace("default").list().getItems())
        .as("generated Secrets go with the fleet")
        .isEmpty();
  }

  @Test
  void deletingAFleetWhileProxiesAreStillLaunchingLeaksNothing() {
    apply(env, profile("local", 4, "1h"));
    apply(
        env, fleet("early", 4, "socks5", 1080, "local", List.of("local-61"), List.of("none"), ""));
    await()
        .atMost(TIMEOUT)
        .until(
            () -> {
              List<Proxy> ps = proxies(client, "early");
              return ps.size() == 4
                  && ps.stream()
                      .allMatch(
                          p ->
                              p.getStatus() != null
                                  && p.getStatus().getPhase() == ProxyPhase.Launching);
            });
    client.resources(ProxyFleet.class).inNamespace("default").withName("early").delete();
    await().atMost(TIMEOUT).until(() -> nothingLeft("early"));
  }

  @Test
  void deletingOneProxyTearsDownItsVmAndTheFleetReplacesIt() {
    apply(env, profile("local", 4, "0s"));
    apply(env, fleet("heal", 2, "socks5", 1080, "local", List.of("local-61"), List.of("none"), ""));
    await().atMost(TIMEOUT).until(() -> fleetReady(client, "heal", 2));
    Proxy victim = proxies(client, "heal").get(0);
    client.resource(victim).delete();
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                fleetReady(client, "heal", 2)
                    && proxies(client, "heal").stream()
                        .noneMatch(
                            p -> p.getMetadata().getName().equals(victim.getMetadata().getName())));
    assertThat(env.network().openListeners()).isEqualTo(2);
  }
}
