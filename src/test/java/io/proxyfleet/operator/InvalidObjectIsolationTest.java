package io.proxyfleet.operator;

import static io.proxyfleet.operator.Fixtures.apply;
import static io.proxyfleet.operator.Fixtures.blocklist;
import static io.proxyfleet.operator.Fixtures.fleetReady;
import static io.proxyfleet.operator.Fixtures.profile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.local.LocalEnvironment;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One object that does not fit the Java classes must never stop the operator: the embedded API
 * stores whatever it is sent (no schema), the informer reads it, and before the tolerant spec
 * reader the informer failed and JOSDK stopped every controller. Each bad object must end marked on
 * itself (Degraded/InvalidSpec and a warning event naming the field) while a healthy fleet keeps
 * converging.
 */
class InvalidObjectIsolationTest {

  static LocalEnvironment env;
  static KubernetesClient client;
  static final Duration TIMEOUT = Duration.ofSeconds(30);
  static final String HEALTHY = "healthy";
  static final AtomicInteger healthyReplicas = new AtomicInteger(1);

  static final ResourceDefinitionContext FLEETS =
      new ResourceDefinitionContext.Builder()
          .withGroup("proxyfleet.io")
          .withVersion("v1alpha1")
          .withKind("ProxyFleet")
          .withPlural("proxyfleets")
          .withNamespaced(true)
          .build();
  static final ResourceDefinitionContext BLOCKLISTS =
      new ResourceDefinitionContext.Builder()
          .withGroup("proxyfleet.io")
          .withVersion("v1alpha1")
          .withKind("Blocklist")
          .withPlural("blocklists")
          .withNamespaced(false)
          .build();

  @BeforeAll
  static void start() {
    env = Fixtures.start();
    client = env.client();
    apply(env, profile("local", 2, "0s"));
    apply(env, blocklist("ok-list", List.of()));
    apply(
        env,
        Fixtures.fleet(
            HEALTHY, 1, "socks5", 1080, "local", List.of("local-21"), List.of("ok-list"), ""));
    await().atMost(TIMEOUT).until(() -> fleetReady(client, HEALTHY, 1));
  }

  @AfterAll
  static void stop() {
    env.close();
  }

  /** Sends raw JSON, as kubectl would to an API server that does not validate. */
  static void createRaw(ResourceDefinitionContext kind, String json) {
    GenericKubernetesResource raw =
        client.getKubernetesSerialization().unmarshal(json, GenericKubernetesResource.class);
    var resources = client.genericKubernetesResources(kind);
    (kind.isNamespaceScoped() ? resources.inNamespace("default") : resources)
        .resource(raw)
        .create();
  }

  static String conditionOf(
      List<Condition> conditions,
      String type,
      java.util.function.Function<Condition, String> field) {
    return conditions == null
        ? null
        : conditions.stream()
            .filter(c -> type.equals(c.getType()))
            .findFirst()
            .map(field)
            .orElse(null);
  }

  /**
   * Scales the healthy fleet by one and waits until it converges: the operator is still working.
   */
  static void healthyFleetStillConverges() {
    int replicas = healthyReplicas.incrementAndGet();
    client
        .resources(ProxyFleet.class)
        .inNamespace("default")
        .withName(HEALTHY)
        .edit(
            f -> {
              f.getSpec().setReplicas(replicas);
              return f;
            });
    await().atMost(TIMEOUT).until(() -> fleetReady(client, HEALTHY, replicas));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "bad-surge-number | spec.rotation.maxSurge | \"replicas\": 1, \"rotation\": {\"maxAge\": \"1h\", \"maxSurge\": 99999999999}",
        "bad-surge-string | spec.rotation.maxSurge | \"replicas\": 1, \"rotation\": {\"maxAge\": \"1h\", \"maxSurge\": \"99999999999\"}",
        "bad-replicas     | spec.replicas          | \"replicas\": \"abc\"",
        "bad-port         | spec.port              | \"replicas\": 1, \"port\": \"abc\"",
        "bad-weight       | spec.placement[0].weight | \"replicas\": 1, \"placement\": [{\"cloudProfile\": \"local\", \"regions\": [\"local-22\"], \"weight\": 99999999999}]",
      })
  void aFleetThatDoesNotFitIsMarkedAndTheOperatorKeepsWorking(
      String name, String field, String specBody) {
    String spec =
        specBody.contains("placement")
            ? specBody
            : specBody
                + ", \"placement\": [{\"cloudProfile\": \"local\", \"regions\": [\"local-22\"]}]";
    createRaw(
        FLEETS,
        """
        {"apiVersion": "proxyfleet.io/v1alpha1", "kind": "ProxyFleet", "metadata": {"name": "%s", "namespace": "default"},
         "spec": {%s, "blocklists": ["ok-list"]}}"""
            .formatted(name, spec));

    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              ProxyFleet f = Fixtures.fleet(client, name);
              assertThat(f.getStatus()).isNotNull();
              assertThat(
                      conditionOf(f.getStatus().getConditions(), "Degraded", Condition::getReason))
                  .isEqualTo("InvalidSpec");
              assertThat(
                      conditionOf(f.getStatus().getConditions(), "Degraded", Condition::getMessage))
                  .contains(field);
            });
    assertThat(Fixtures.events(client, name))
        .anyMatch(e -> "Warning".equals(e.getType()) && e.getMessage().contains(field));
    assertThat(Fixtures.proxies(client, name))
        .as("nothing launched for a spec that cannot be read")
        .isEmpty();
    healthyFleetStillConverges();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "bad-growth | spec.guard.maxGrowthFactor | \"guard\": {\"maxGrowthFactor\": 99999999999}",
        "bad-cidrs  | spec.cidrs                 | \"cidrs\": \"x\"",
        "bad-prefix | spec.guard.minIpv4Prefix   | \"guard\": {\"minIpv4Prefix\": \"abc\"}",
      })
  void aBlocklistThatDoesNotFitIsMarkedAndTheOperatorKeepsWorking(
      String name, String field, String specBody) {
    createRaw(
        BLOCKLISTS,
        """
        {"apiVersion": "proxyfleet.io/v1alpha1", "kind": "Blocklist", "metadata": {"name": "%s"}, "spec": {%s}}"""
            .formatted(name, specBody));

    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              Blocklist b = client.resources(Blocklist.class).withName(name).get();
              assertThat(b.getStatus()).isNotNull();
              assertThat(
                      conditionOf(b.getStatus().getConditions(), "Degraded", Condition::getReason))
                  .isEqualTo("InvalidSpec");
              assertThat(
                      conditionOf(b.getStatus().getConditions(), "Degraded", Condition::getMessage))
                  .contains(field);
            });
    assertThat(Fixtures.events(client, name))
        .anyMatch(e -> "Warning".equals(e.getType()) && e.getMessage().contains(field));
    healthyFleetStillConverges();
  }
}
