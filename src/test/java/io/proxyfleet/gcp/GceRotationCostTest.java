package io.proxyfleet.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.gcp.GceCloudProviderFactory;
import io.proxyfleet.cloud.gcp.GcpSettings;
import io.proxyfleet.embedded.EmbeddedKubernetes;
import io.proxyfleet.local.CustomResourceDefinitions;
import io.proxyfleet.operator.KubernetesSecretReader;
import io.proxyfleet.operator.OperatorSettings;
import io.proxyfleet.operator.ProxyFleetOperator;
import io.proxyfleet.testing.gce.FakeCompute;
import io.proxyfleet.testing.gce.GcpTestCloud;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What rotating one blocked IP costs on Compute Engine, at 10 and at 100 proxies, in both address
 * modes: the real operator on the embedded API, the gcp provider with production settings, {@link
 * FakeCompute} counting calls. Prints the figures (time is machine-dependent and only printed);
 * asserts that the writes a rotation makes do not grow with the fleet.
 *
 * <p>Run: {@code ./mvnw -q -o test -Dtest=GceRotationCostTest} and read the lines starting {@code
 * GCE rotation}.
 */
class GceRotationCostTest {

  static final String CLUSTER = "gce-rotation-cost";
  static final String REGION = "europe-west3";
  static final Duration TIMEOUT = Duration.ofMinutes(4);

  /** The calls that change something: what one rotation must do, whatever the fleet's size. */
  static final List<String> WRITES =
      List.of(
          "compute.addresses.insert",
          "compute.addresses.delete",
          "compute.instances.deleteAccessConfig",
          "compute.instances.addAccessConfig",
          "compute.instances.insert",
          "compute.instances.delete");

  static FakeCompute fake;
  static EmbeddedKubernetes api;
  static KubernetesClient client;
  static CloudProviders providers;
  static ProxyFleetOperator operator;

  @BeforeAll
  static void start() {
    fake = new FakeCompute("rotation-project-1");
    String key =
        GcpTestCloud.serviceAccountKey(
            fake, "proxyfleet@rotation-project-1.iam.gserviceaccount.com", true);
    api = EmbeddedKubernetes.start("127.0.0.1", 0);
    api.installCrds(CustomResourceDefinitions.all());
    client = api.client();
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName("default").endMetadata().build())
        .createOr(NonDeletingOperation::update);
    client
        .secrets()
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(GcpTestCloud.SECRET)
                .withNamespace("default")
                .endMetadata()
                .addToStringData("key.json", key)
                .build())
        .createOr(NonDeletingOperation::update);
    // Production settings: the snapshot TTL as shipped, so the read counts are what a cluster sees.
    providers =
        new CloudProviders(
            List.of(
                new GceCloudProviderFactory(
                    CLUSTER,
                    new KubernetesSecretReader(client),
                    GcpSettings.defaults(),
                    Clock.systemUTC(),
                    new Random(5))));
    operator =
        new ProxyFleetOperator(
            client,
            providers,
            new OperatorSettings(
                CLUSTER,
                10,
                8,
                Clock.systemUTC(),
                new SplittableRandom(5),
                new SecureRandom(),
                new io.proxyfleet.blocklist.SourceAccess("default", OperatorSettings.LOOPBACK)),
            Optional.empty());
    operator.start();
    for (String mode : List.of("Static", "Ephemeral")) {
      apply(
          """
          apiVersion: proxyfleet.io/v1alpha1
          kind: CloudProfile
          metadata: {name: gcp-%s, namespace: default}
          spec:
            provider: gcp
            gcp:
              project: rotation-project-1
              endpoint: %s
              credentialsSecret: {name: %s}
              addressMode: %s
              regions: [{name: %s}]
          """
              .formatted(mode.toLowerCase(), fake.endpoint(), GcpTestCloud.SECRET, mode, REGION));
    }
  }

  @AfterAll
  static void stop() {
    try {
      if (operator != null) {
        operator.close();
      }
    } finally {
      if (providers != null) {
        providers.close();
      }
      if (client != null) {
        client.close();
      }
      if (api != null) {
        api.close();
      }
      fake.close();
    }
  }

  static void apply(String yaml) {
    client
        .load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))
        .items()
        .forEach(item -> client.resource(item).createOr(NonDeletingOperation::update));
  }

  static List<Proxy> running(String fleet) {
    return client
        .resources(Proxy.class)
        .inNamespace("default")
        .withLabel("proxyfleet.io/fleet", fleet)
        .list()
        .getItems()
        .stream()
        .filter(
            p ->
                p.getMetadata().getDeletionTimestamp() == null
                    && p.getStatus() != null
                    && p.getStatus().getPhase() == ProxyPhase.Running
                    && p.getStatus().getBlockedBy() == null
                    && p.getStatus().getPublicIp() != null)
        .toList();
  }

  static boolean ready(String fleet, int replicas) {
    ProxyFleet f = client.resources(ProxyFleet.class).inNamespace("default").withName(fleet).get();
    return f != null
        && f.getStatus() != null
        && f.getStatus().getReadyReplicas() != null
        && f.getStatus().getReadyReplicas() == replicas
        && running(fleet).size() == replicas;
  }

  record Cost(long millis, Map<String, Long> calls) {
    long total() {
      return calls.values().stream().mapToLong(Long::longValue).sum();
    }

    Map<String, Long> writes() {
      Map<String, Long> out = new TreeMap<>();
      calls.forEach(
          (m, n) -> {
            if (WRITES.contains(m)) {
              out.put(m, n);
            }
          });
      return out;
    }
  }

  /**
   * Blocks the IP of one proxy of a fleet at its size and waits until that proxy serves on another.
   */
  static Cost rotateOne(String mode, String fleet, String list) {
    Map<String, String> before =
        running(fleet).stream()
            .collect(
                Collectors.toMap(p -> p.getMetadata().getName(), p -> p.getStatus().getPublicIp()));
    String victim = before.keySet().stream().sorted().findFirst().orElseThrow();
    String oldIp = before.get(victim);
    fake.resetCalls();
    long t0 = System.nanoTime();
    client
        .resources(Blocklist.class)
        .withName(list)
        .edit(
            b -> {
              b.getSpec().setCidrs(List.of(oldIp + "/32"));
              return b;
            });
    await()
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(20))
        .until(
            () ->
                running(fleet).stream()
                    .anyMatch(
                        p ->
                            p.getMetadata().getName().equals(victim)
                                && !oldIp.equals(p.getStatus().getPublicIp())));
    long millis = (System.nanoTime() - t0) / 1_000_000;
    // Static mode releases the blocked address right after the swap, within the same pass; wait for
    // it so the count holds the whole rotation.
    if (mode.equals("Static")) {
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  fake.addresses().values().stream()
                      .noneMatch(a -> a.path("address").asText().equals(oldIp)));
    }
    Map<String, Long> calls =
        fake.calls().stream()
            .filter(c -> c.permission() != null)
            .collect(
                Collectors.groupingBy(
                    FakeCompute.Call::method, TreeMap::new, Collectors.counting()));
    Map<String, String> after =
        running(fleet).stream()
            .collect(
                Collectors.toMap(p -> p.getMetadata().getName(), p -> p.getStatus().getPublicIp()));
    before.forEach(
        (name, ip) -> {
          if (!name.equals(victim)) {
            assertThat(after.get(name)).as(name + " keeps its IP").isEqualTo(ip);
          }
        });
    return new Cost(millis, calls);
  }

  @Test
  void rotatingOneBlockedIpCostsTheSameWritesAt10And100ProxiesInBothAddressModes() {
    Map<String, Map<Integer, Cost>> costs = new LinkedHashMap<>();
    for (String mode : List.of("Static", "Ephemeral")) {
      String fleet = "cost-" + mode.toLowerCase();
      String list = fleet + "-list";
      apply(
          "apiVersion: proxyfleet.io/v1alpha1\nkind: Blocklist\nmetadata: {name: "
              + list
              + "}\nspec:\n  cidrs: []\n");
      for (int replicas : List.of(10, 100)) {
        apply(
            """
            apiVersion: proxyfleet.io/v1alpha1
            kind: ProxyFleet
            metadata: {name: %s, namespace: default}
            spec:
              replicas: %d
              protocol: socks5
              port: 1080
              placement: [{cloudProfile: gcp-%s, regions: [%s]}]
              blocklists: [%s]
            """
                .formatted(fleet, replicas, mode.toLowerCase(), REGION, list));
        await().atMost(TIMEOUT).until(() -> ready(fleet, replicas));
        Cost cost = rotateOne(mode, fleet, list);
        costs.computeIfAbsent(mode, m -> new LinkedHashMap<>()).put(replicas, cost);
        System.out.printf(
            "GCE rotation, %s mode, %d proxies: one blocked IP rotated in %d ms, %d Compute calls %s%n",
            mode, replicas, cost.millis(), cost.total(), cost.calls());
        // The next size starts from a clean list: the blocked address is gone, the proxy kept its
        // VM.
        client
            .resources(Blocklist.class)
            .withName(list)
            .edit(
                b -> {
                  b.getSpec().setCidrs(List.of());
                  return b;
                });
      }
      client.resources(ProxyFleet.class).inNamespace("default").withName(fleet).delete();
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  client
                      .resources(Proxy.class)
                      .inNamespace("default")
                      .withLabel("proxyfleet.io/fleet", fleet)
                      .list()
                      .getItems()
                      .isEmpty());
    }
    Map<String, Long> staticWrites =
        Map.of(
            "compute.addresses.insert",
            1L,
            "compute.addresses.delete",
            1L,
            "compute.instances.deleteAccessConfig",
            1L,
            "compute.instances.addAccessConfig",
            1L);
    Map<String, Long> ephemeralWrites =
        Map.of("compute.instances.deleteAccessConfig", 1L, "compute.instances.addAccessConfig", 1L);
    for (int replicas : List.of(10, 100)) {
      assertThat(costs.get("Static").get(replicas).writes())
          .as("Static, " + replicas + " proxies: reserve, swap, release")
          .isEqualTo(staticWrites);
      assertThat(costs.get("Ephemeral").get(replicas).writes())
          .as("Ephemeral, " + replicas + " proxies: swap only")
          .isEqualTo(ephemeralWrites);
    }
  }
}
