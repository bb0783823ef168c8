package io.proxyfleet.operator;

import static io.proxyfleet.operator.Fixtures.apply;
import static io.proxyfleet.operator.Fixtures.blocklist;
import static io.proxyfleet.operator.Fixtures.condition;
import static io.proxyfleet.operator.Fixtures.fleetReady;
import static io.proxyfleet.operator.Fixtures.profile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.local.LocalEnvironment;
import io.proxyfleet.testing.OriginServer;
import io.proxyfleet.testing.ProxyClients;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Faults of issue 9 that lost or misled: each reproduced against the real operator on the embedded
 * API.
 */
class FleetFaultsTest {

  static LocalEnvironment env;
  static KubernetesClient client;
  static final Duration TIMEOUT = Duration.ofSeconds(30);
  static final int CHURN_ROUNDS = 12;

  @BeforeAll
  static void start() {
    env = Fixtures.start();
    client = env.client();
    apply(env, profile("local", 2, "0s"));
    apply(env, blocklist("faults-list", List.of()));
  }

  @AfterAll
  static void stop() {
    env.close();
  }

  static int endpoints(String fleet) throws Exception {
    String json = Fixtures.endpointsJson(client, fleet);
    return json == null ? -1 : new ObjectMapper().readTree(json).size();
  }

  @Test
  void aMissingCloudProfileLeavesRunningProxiesPublishedAndSaysSo() throws Exception {
    apply(env, profile("vanishing", 1, "0s"));
    apply(
        env,
        Fixtures.fleet(
            "orphaned",
            2,
            "socks5",
            1080,
            "vanishing",
            List.of("local-41"),
            List.of("faults-list"),
            ""));
    await()
        .atMost(TIMEOUT)
        .until(() -> fleetReady(client, "orphaned", 2) && endpoints("orphaned") == 2);

    client.resources(CloudProfile.class).inNamespace("default").withName("vanishing").delete();

    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                Fixtures.proxies(client, "orphaned").stream()
                    .allMatch(
                        p ->
                            p.getStatus().getConditions().stream()
                                .anyMatch(
                                    c ->
                                        c.getType().equals("Ready")
                                            && "CloudProfileNotFound".equals(c.getReason()))));
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                "True"
                    .equals(
                        condition(
                            Fixtures.fleet(client, "orphaned"), "Degraded", Condition::getStatus)));
    assertThat(condition(Fixtures.fleet(client, "orphaned"), "Degraded", Condition::getMessage))
        .contains("CloudProfile 'vanishing' not found");
    assertThat(Fixtures.proxies(client, "orphaned"))
        .allSatisfy(
            p ->
                assertThat(p.getStatus().getConditions())
                    .anyMatch(
                        c ->
                            c.getType().equals("Ready")
                                && c.getMessage().contains("keeps serving")));
    // Endpoints say what is reachable: the proxies still pass traffic, so they stay published.
    assertThat(endpoints("orphaned")).isEqualTo(2);
    try (OriginServer origin = OriginServer.onLoopback()) {
      for (var e : new ObjectMapper().readTree(Fixtures.endpointsJson(client, "orphaned"))) {
        assertThat(ProxyClients.get(URI.create(e.get("uri").asText()), origin.url()))
            .isEqualTo(OriginServer.BODY);
      }
    }
    apply(env, profile("vanishing", 1, "0s"));
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                "False"
                    .equals(
                        condition(
                            Fixtures.fleet(client, "orphaned"), "Degraded", Condition::getStatus)));
  }

  @Test
  void aFleetDeletedAndRecreatedUnderTheSameNameComesUpEveryTime() {
    for (int round = 1; round <= CHURN_ROUNDS; round++) {
      apply(
          env,
          Fixtures.fleet(
              "churn",
              2,
              "socks5",
              1080,
              "local",
              List.of("local-42"),
              List.of("faults-list"),
              ""));
      int r = round;
      await("round " + r + ": fleet ready with its endpoints")
          .atMost(TIMEOUT)
          .until(() -> fleetReady(client, "churn", 2) && endpoints("churn") == 2);
      client.resources(ProxyFleet.class).inNamespace("default").withName("churn").delete();
      // Recreated the moment the name is free, as a GitOps tool or a script would.
      await("round " + r + ": fleet gone")
          .atMost(TIMEOUT)
          .until(() -> Fixtures.fleet(client, "churn") == null);
    }
    assertThat(Fixtures.proxies(client, "churn")).isEmpty();
  }

  @Test
  void aFleetChurnedBeforeItSettlesComesUpAfterwards() {
    // Deleted as soon as its first reconcile created the Secrets, recreated as soon as it is gone:
    // the Secret informer lags behind both.
    for (int round = 1; round <= CHURN_ROUNDS * 2; round++) {
      apply(
          env,
          Fixtures.fleet(
              "rush", 2, "socks5", 1080, "local", List.of("local-43"), List.of("faults-list"), ""));
      int r = round;
      await("round " + r + ": credentials generated")
          .atMost(TIMEOUT)
          .until(
              () ->
                  client.secrets().inNamespace("default").withName("rush-credentials").get()
                      != null);
      client.resources(ProxyFleet.class).inNamespace("default").withName("rush").delete();
      await("round " + r + ": fleet gone")
          .atMost(TIMEOUT)
          .until(() -> Fixtures.fleet(client, "rush") == null);
    }
    apply(
        env,
        Fixtures.fleet(
            "rush", 2, "socks5", 1080, "local", List.of("local-43"), List.of("faults-list"), ""));
    await().atMost(TIMEOUT).until(() -> fleetReady(client, "rush", 2) && endpoints("rush") == 2);
  }

  /**
   * The cause of the delete-and-recreate wedge: the new fleet adopted the Secrets of its deleted
   * namesake (from a lagging cache, or still on the server because the garbage collector had not
   * run yet); they were then deleted under it (cleanup, or the collector: their owner UID is gone),
   * leaving proxies without credentials and the endpoints PATCH answering 404.
   */
  @Test
  void secretsLeftByADeletedNamesakeAreReplacedNotAdopted() throws Exception {
    for (String suffix : List.of("-credentials", "-endpoints")) {
      client
          .secrets()
          .inNamespace("default")
          .resource(
              new io.fabric8.kubernetes.api.model.SecretBuilder()
                  .withNewMetadata()
                  .withName("reborn" + suffix)
                  .withNamespace("default")
                  .addToLabels("proxyfleet.io/fleet", "reborn")
                  .addNewOwnerReference()
                  .withApiVersion("proxyfleet.io/v1alpha1")
                  .withKind("ProxyFleet")
                  .withName("reborn")
                  .withUid("uid-of-the-deleted-fleet")
                  .withController(true)
                  .endOwnerReference()
                  .endMetadata()
                  .addToStringData("username", "old-user")
                  .addToStringData("password", "old-password-123")
                  .addToStringData("endpoints.json", "[]")
                  .build())
          .create();
    }
    apply(
        env,
        Fixtures.fleet(
            "reborn", 2, "socks5", 1080, "local", List.of("local-44"), List.of("faults-list"), ""));
    await()
        .atMost(TIMEOUT)
        .until(() -> fleetReady(client, "reborn", 2) && endpoints("reborn") == 2);
    String uid = Fixtures.fleet(client, "reborn").getMetadata().getUid();
    for (String suffix : List.of("-credentials", "-endpoints")) {
      assertThat(
              client
                  .secrets()
                  .inNamespace("default")
                  .withName("reborn" + suffix)
                  .get()
                  .getMetadata()
                  .getOwnerReferences())
          .as(suffix + " owned by the fleet that exists")
          .singleElement()
          .satisfies(o -> assertThat(o.getUid()).isEqualTo(uid));
    }
    assertThat(Fixtures.endpointsJson(client, "reborn")).doesNotContain("old-password-123");
    // What the garbage collector does on a real cluster: the dead owner's dependents go. Nothing of
    // the fleet's may go with them.
    client
        .secrets()
        .inNamespace("default")
        .withLabel("proxyfleet.io/fleet", "reborn")
        .list()
        .getItems()
        .stream()
        .filter(
            sec ->
                sec.getMetadata().getOwnerReferences().stream()
                    .anyMatch(o -> o.getUid().equals("uid-of-the-deleted-fleet")))
        .forEach(sec -> client.resource(sec).delete());
    client
        .resources(ProxyFleet.class)
        .inNamespace("default")
        .withName("reborn")
        .edit(
            f -> {
              f.getSpec().setReplicas(3);
              return f;
            });
    await()
        .atMost(TIMEOUT)
        .until(() -> fleetReady(client, "reborn", 3) && endpoints("reborn") == 3);
  }
}
