package io.proxyfleet.operator;

import static io.proxyfleet.operator.Fixtures.apply;
import static io.proxyfleet.operator.Fixtures.blocklist;
import static io.proxyfleet.operator.Fixtures.fleetReady;
import static io.proxyfleet.operator.Fixtures.profile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.local.LocalEnvironment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hundreds of generated malformed objects of every kind, each a valid object with one value (at any
 * depth) replaced by a value of the wrong type or range, applied to the embedded API (which stores
 * them unvalidated) while a healthy fleet must keep reconciling. Seeded: a failure replays exactly.
 */
public class MalformedObjectsFuzzTest {

  public static final long SEED = 20261127L;
  static final int OBJECTS_PER_KIND = 80;
  static final int BATCH = 40;
  static final Duration TIMEOUT = Duration.ofSeconds(30);
  static final ObjectMapper JSON = new ObjectMapper();

  static LocalEnvironment env;
  static KubernetesClient client;

  public record Kind(ResourceDefinitionContext context, String validJson) {}

  static ResourceDefinitionContext context(String kind, String plural, boolean namespaced) {
    return new ResourceDefinitionContext.Builder()
        .withGroup("proxyfleet.io")
        .withVersion("v1alpha1")
        .withKind(kind)
        .withPlural(plural)
        .withNamespaced(namespaced)
        .build();
  }

  public static final List<Kind> KINDS =
      List.of(
          new Kind(
              context("ProxyFleet", "proxyfleets", true),
              """
          {"apiVersion":"proxyfleet.io/v1alpha1","kind":"ProxyFleet","metadata":{"namespace":"default"},
           "spec":{"replicas":0,"protocol":"socks5","port":1080,"placement":[{"cloudProfile":"local","regions":["local-31"],"weight":2}],
                   "rotation":{"maxAge":"1h","onBlocked":"Replace","maxSurge":"25%","maxUnavailable":0,"maxRotationsPerHour":10,
                               "maxAddressDraws":3,"burnedRegionCooldown":"5m"},
                   "blocklists":["ok-list"],"maxRegionBlockedPercent":80,"launchTimeout":"2m"}}"""),
          new Kind(
              context("Blocklist", "blocklists", false),
              """
          {"apiVersion":"proxyfleet.io/v1alpha1","kind":"Blocklist","metadata":{},
           "spec":{"cidrs":["203.0.113.0/24"],"sources":[{"name":"cm","configMap":{"namespace":"default","name":"none","key":"k"},"format":"ip-list"}],
                   "guard":{"minIpv4Prefix":8,"maxNewIpv4Addresses":1000,"maxGrowthFactor":10,"growthFloor":100}}}"""),
          new Kind(
              context("CloudProfile", "cloudprofiles", true),
              """
          {"apiVersion":"proxyfleet.io/v1alpha1","kind":"CloudProfile","metadata":{"namespace":"default"},
           "spec":{"provider":"local","local":{"subnetsPerRegion":2,"bootDelay":"0s"}}}"""),
          new Kind(
              context("Proxy", "proxies", true),
              """
          {"apiVersion":"proxyfleet.io/v1alpha1","kind":"Proxy","metadata":{"namespace":"default"},
           "spec":{"fleet":"no-such-fleet","cloudProfile":"no-such-profile","provider":"local","region":"local-32","zone":"local-32a",
                   "subnet":"local-32-s0","protocol":"socks5","port":1080}}"""));

  /** Values of the wrong type or out of every range a field has. */
  static JsonNode badValue(SplittableRandom random) {
    return switch (random.nextInt(9)) {
      case 0 -> JSON.getNodeFactory().textNode("abc");
      case 1 -> JSON.getNodeFactory().numberNode(99999999999L);
      case 2 -> JSON.getNodeFactory().numberNode(-1);
      case 3 -> JSON.getNodeFactory().arrayNode().add(1).add("x");
      case 4 -> JSON.getNodeFactory().objectNode().put("a", 1);
      case 5 -> JSON.getNodeFactory().booleanNode(true);
      case 6 -> JSON.getNodeFactory().numberNode(1.5);
      case 7 -> JSON.getNodeFactory().textNode("99999999999");
      default ->
          JSON.getNodeFactory()
              .numberNode(new java.math.BigInteger("123456789012345678901234567890"));
    };
  }

  /**
   * Every container node of the spec (objects and arrays) with its keys, to pick a place to break.
   */
  static void containers(JsonNode node, List<JsonNode> out) {
    if (node.isContainerNode()) {
      out.add(node);
      node.forEach(child -> containers(child, out));
    }
  }

  public static ObjectNode malformed(Kind kind, String name, SplittableRandom random)
      throws Exception {
    ObjectNode object = (ObjectNode) JSON.readTree(kind.validJson());
    ((ObjectNode) object.get("metadata")).put("name", name);
    int breaks = 1 + random.nextInt(2);
    for (int b = 0; b < breaks; b++) {
      List<JsonNode> places = new ArrayList<>();
      containers(object.get("spec"), places);
      JsonNode place = places.get(random.nextInt(places.size()));
      if (place instanceof ObjectNode o && o.size() > 0) {
        List<String> keys = new ArrayList<>();
        o.fieldNames().forEachRemaining(keys::add);
        o.set(keys.get(random.nextInt(keys.size())), badValue(random));
      } else if (place instanceof ArrayNode a && a.size() > 0) {
        a.set(random.nextInt(a.size()), badValue(random));
      }
    }
    if (random.nextInt(20) == 0) {
      object.set("spec", badValue(random));
    }
    return object;
  }

  @BeforeAll
  static void start() {
    env = Fixtures.start();
    client = env.client();
    apply(env, profile("local", 2, "0s"));
    apply(env, blocklist("ok-list", List.of()));
    apply(
        env,
        Fixtures.fleet(
            "steady", 1, "socks5", 1080, "local", List.of("local-33"), List.of("ok-list"), ""));
    await().atMost(TIMEOUT).until(() -> fleetReady(client, "steady", 1));
  }

  @AfterAll
  static void stop() {
    env.close();
  }

  @Test
  void hundredsOfMalformedObjectsNeverStopTheOperator() throws Exception {
    SplittableRandom random = new SplittableRandom(SEED);
    int stored = 0;
    int replicas = 1;
    for (int i = 0; i < OBJECTS_PER_KIND * KINDS.size(); i++) {
      Kind kind = KINDS.get(i % KINDS.size());
      ObjectNode object = malformed(kind, "fuzz-" + i, random);
      GenericKubernetesResource raw =
          client.getKubernetesSerialization().convertValue(object, GenericKubernetesResource.class);
      var resources = client.genericKubernetesResources(kind.context());
      try {
        (kind.context().isNamespaceScoped() ? resources.inNamespace("default") : resources)
            .resource(raw)
            .create();
        stored++;
      } catch (KubernetesClientException rejected) {
        // The API refused it: nothing reaches the operator, which is fine.
      }
      if ((i + 1) % BATCH == 0) {
        int want = replicas = replicas == 1 ? 2 : 1;
        client
            .resources(ProxyFleet.class)
            .inNamespace("default")
            .withName("steady")
            .edit(
                f -> {
                  f.getSpec().setReplicas(want);
                  return f;
                });
        await("healthy fleet converges after " + (i + 1) + " malformed objects")
            .atMost(TIMEOUT)
            .until(() -> fleetReady(client, "steady", want));
      }
    }
    assertThat(stored)
        .as("the embedded API stores what it is sent")
        .isGreaterThan(OBJECTS_PER_KIND * KINDS.size() / 2);

    // Every informer still runs: a new object of each kind the operator reports on is reconciled.
    apply(env, blocklist("after-fuzz", List.of("198.51.100.0/24")));
    apply(env, profile("after-fuzz", 1, "0s"));
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              Blocklist b = client.resources(Blocklist.class).withName("after-fuzz").get();
              assertThat(b.getStatus()).isNotNull();
              assertThat(b.getStatus().getIpv4Addresses()).isEqualTo(256);
              CloudProfile p =
                  client
                      .resources(CloudProfile.class)
                      .inNamespace("default")
                      .withName("after-fuzz")
                      .get();
              assertThat(p.getStatus()).isNotNull();
              assertThat(p.getStatus().getConditions())
                  .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
            });
  }
}
