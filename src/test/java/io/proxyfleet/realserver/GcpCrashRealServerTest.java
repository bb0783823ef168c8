package io.proxyfleet.realserver;

import static io.proxyfleet.realserver.RealServerFixtures.apply;
import static io.proxyfleet.realserver.RealServerFixtures.blocklist;
import static io.proxyfleet.realserver.RealServerFixtures.proxies;
import static io.proxyfleet.realserver.RealServerFixtures.settled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.testing.gce.FakeCompute;
import io.proxyfleet.testing.gce.FakeCompute.Fault;
import io.proxyfleet.testing.gce.GcpTestCloud;
import io.proxyfleet.testing.kube.KubeApiServer;
import io.proxyfleet.testing.kube.OperatorProcess;
import io.proxyfleet.testing.kube.RealKube;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped operator process on provider gcp, pointed at a {@link FakeCompute} in this JVM
 * through the CloudProfile's endpoint override and a service-account key whose token_uri is the
 * fake's, is killed with SIGKILL the moment its {@code instances.insert} reaches the fake during a
 * scale-up, and the next process the moment its {@code addresses.insert} does. GCE carries out both
 * requests (the fake performs them after the kill and answers no one). The third process must end
 * with exactly one instance and one address per proxy, and deleting the fleet must leave nothing.
 */
@ExtendWith(RealKube.class)
class GcpCrashRealServerTest {

  static final String NS = "gcpcrash";
  static final String PROJECT = "crash-project-1";

  /**
   * The cluster name ShippedOperator gives every process: the value of the proxyfleet-cluster
   * label.
   */
  static final String CLUSTER = "realserver";

  @Test
  void killedRightAfterEachInsertTheNextProcessEndsWithOneInstanceAndOneAddressPerProxy(
      KubeApiServer server, @TempDir Path work) {
    KubernetesClient admin = server.admin();
    ShippedOperator.installRbac(admin);
    RealServerFixtures.namespace(admin, NS);
    Path kubeconfig = ShippedOperator.kubeconfig(server, work);
    try (FakeCompute fake = new FakeCompute(PROJECT)) {
      String key =
          GcpTestCloud.serviceAccountKey(
              fake, "proxyfleet@" + PROJECT + ".iam.gserviceaccount.com", true);
      admin
          .secrets()
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName(GcpTestCloud.SECRET)
                  .withNamespace(NS)
                  .endMetadata()
                  .addToStringData("key.json", key)
                  .build())
          .createOr(NonDeletingOperation::update);
      AtomicReference<OperatorProcess> running = new AtomicReference<>();
      AtomicBoolean killOnInstanceInsert = new AtomicBoolean();
      AtomicBoolean killOnAddressInsert = new AtomicBoolean();
      // Evaluated as the request arrives, before the fake carries it out: the process dies with its
      // insert sent, and the insert then happens with nobody to hear the answer.
      fake.inject(
          c ->
              c.method().equals("compute.instances.insert")
                  && killOnInstanceInsert.compareAndSet(true, false)
                  && kill(running.get()),
          Fault.lostResponse(),
          1);
      fake.inject(
          c ->
              c.method().equals("compute.addresses.insert")
                  && killOnAddressInsert.compareAndSet(true, false)
                  && kill(running.get()),
          Fault.lostResponse(),
          1);

      running.set(
          ShippedOperator.start(
              kubeconfig, RealKube.logFile("GcpCrashRealServerTest", "first"), "gcpcrash", NS));
      try {
        apply(admin, blocklist("gcpcrash-list"));
        apply(
            admin,
            """
            apiVersion: proxyfleet.io/v1alpha1
            kind: CloudProfile
            metadata: {name: gcp, namespace: %s}
            spec:
              provider: gcp
              gcp:
                project: %s
                endpoint: %s
                credentialsSecret: {name: %s}
                regions: [{name: europe-west3}]
            """
                .formatted(NS, PROJECT, fake.endpoint(), GcpTestCloud.SECRET));
        // The fake's addresses are published Google ranges, not reachable from here: the fleet opts
        // out of the operator's own reachability checks, which would otherwise never pass.
        apply(
            admin,
            """
            apiVersion: proxyfleet.io/v1alpha1
            kind: ProxyFleet
            metadata: {name: crash, namespace: %s}
            spec:
              replicas: 1
              protocol: socks5
              port: 1080
              placement: [{cloudProfile: gcp, regions: [europe-west3]}]
              blocklists: [gcpcrash-list]
              health: {enabled: false}
            """
                .formatted(NS));
        await().atMost(RealKube.TIMEOUT).until(() -> settled(admin, NS, "crash", 1));

        killOnInstanceInsert.set(true);
        admin.resources(ProxyFleet.class).inNamespace(NS).withName("crash").scale(3);
        await("first process killed on instances.insert")
            .atMost(RealKube.TIMEOUT)
            .until(() -> !running.get().isAlive());
        assertThat(killOnInstanceInsert).isFalse();
        // GCE carried out the insert the dead process sent: a second instance exists.
        await().atMost(RealKube.TIMEOUT).until(() -> owned(fake.instances()).size() >= 2);
      } finally {
        running.get().kill();
      }

      killOnAddressInsert.set(true);
      running.set(
          ShippedOperator.start(
              kubeconfig, RealKube.logFile("GcpCrashRealServerTest", "second"), "gcpcrash", NS));
      try {
        // The new process waits for the dead one's Lease to expire, then carries on the scale-up.
        await("second process killed on addresses.insert")
            .atMost(RealKube.TIMEOUT.plus(Duration.ofSeconds(30)))
            .until(() -> !running.get().isAlive());
        assertThat(killOnAddressInsert).isFalse();
        // ... and the address insert: an address beyond the first proxy's exists, attached to no
        // one.
        await()
            .atMost(RealKube.TIMEOUT)
            .until(
                () ->
                    owned(fake.addresses()).values().stream()
                        .anyMatch(a -> !a.path("status").asText().equals("IN_USE")));
      } finally {
        running.get().kill();
      }

      try (OperatorProcess third =
          ShippedOperator.start(
              kubeconfig, RealKube.logFile("GcpCrashRealServerTest", "third"), "gcpcrash", NS)) {
        running.set(third);
        await()
            .atMost(RealKube.TIMEOUT.plus(Duration.ofSeconds(30)))
            .until(() -> settled(admin, NS, "crash", 3));
        List<Proxy> all = proxies(admin, NS, "crash");
        Set<String> uids =
            all.stream().map(p -> p.getMetadata().getUid()).collect(Collectors.toSet());
        await()
            .atMost(RealKube.TIMEOUT)
            .untilAsserted(
                () -> {
                  assertThat(perProxy(fake.instances()))
                      .as("one instance per proxy")
                      .isEqualTo(Map.of(uids, 1L));
                  assertThat(perProxy(fake.addresses()))
                      .as("one address per proxy")
                      .isEqualTo(Map.of(uids, 1L));
                });
        for (Proxy p : all) {
          JsonNode instance = fake.instances().get(p.getStatus().getInstanceId());
          assertThat(instance).as(p.getStatus().getInstanceId()).isNotNull();
          assertThat(
                  instance
                      .path("networkInterfaces")
                      .path(0)
                      .path("accessConfigs")
                      .path(0)
                      .path("natIP")
                      .asText())
              .isEqualTo(p.getStatus().getPublicIp());
        }
        assertThat(third.forbiddenLines()).isEmpty();

        admin.resources(ProxyFleet.class).inNamespace(NS).withName("crash").delete();
        await()
            .atMost(RealKube.TIMEOUT)
            .until(
                () ->
                    RealServerFixtures.fleet(admin, NS, "crash") == null
                        && proxies(admin, NS, "crash").isEmpty());
        assertThat(owned(fake.instances()))
            .as("no instance left with the cluster's label")
            .isEmpty();
        assertThat(owned(fake.addresses()))
            .as("no address left with the cluster's label")
            .isEmpty();
      }
    }
  }

  static boolean kill(OperatorProcess process) {
    process.kill();
    return true;
  }

  static Map<String, JsonNode> owned(Map<String, JsonNode> resources) {
    return resources.entrySet().stream()
        .filter(
            e -> CLUSTER.equals(e.getValue().path("labels").path("proxyfleet-cluster").asText()))
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
  }

  /** The set of owning proxies, mapped to how many resources the proxy that has the most owns. */
  static Map<Set<String>, Long> perProxy(Map<String, JsonNode> resources) {
    Map<String, Long> counts =
        owned(resources).values().stream()
            .collect(
                Collectors.groupingBy(
                    r -> r.path("labels").path("proxyfleet-proxy").asText(),
                    Collectors.counting()));
    return Map.of(
        counts.keySet(), counts.values().stream().mapToLong(Long::longValue).max().orElse(0));
  }
}
