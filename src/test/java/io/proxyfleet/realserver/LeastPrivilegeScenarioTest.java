package io.proxyfleet.realserver;

import static io.proxyfleet.realserver.RealServerFixtures.apply;
import static io.proxyfleet.realserver.RealServerFixtures.blocklist;
import static io.proxyfleet.realserver.RealServerFixtures.endpoints;
import static io.proxyfleet.realserver.RealServerFixtures.fleet;
import static io.proxyfleet.realserver.RealServerFixtures.profile;
import static io.proxyfleet.realserver.RealServerFixtures.proxies;
import static io.proxyfleet.realserver.RealServerFixtures.serving;
import static io.proxyfleet.realserver.RealServerFixtures.settled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.blocklist.BlocklistReconciler;
import io.proxyfleet.testing.FeedServer;
import io.proxyfleet.testing.OriginServer;
import io.proxyfleet.testing.ProxyClients;
import io.proxyfleet.testing.kube.KubeApiServer;
import io.proxyfleet.testing.kube.OperatorProcess;
import io.proxyfleet.testing.kube.RealKube;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Least privilege, proven: the operator runs as the shipped ServiceAccount with exactly the shipped
 * RBAC, leader election on and the local provider, through a whole fleet's life, and never once
 * hears {@code forbidden}.
 */
@ExtendWith(RealKube.class)
class LeastPrivilegeScenarioTest {

  static final String NS = "least-privilege";
  static final Duration TIMEOUT = RealKube.TIMEOUT;

  @Test
  void aWholeScenarioAsTheShippedServiceAccountHearsNoForbidden(
      KubeApiServer server, @TempDir Path work) throws Exception {
    KubernetesClient admin = server.admin();
    List<HasMetadata> rbac = ShippedOperator.installRbac(admin);
    RealServerFixtures.namespace(admin, NS);
    String token = ShippedOperator.token(server);
    try (FeedServer feeds = new FeedServer();
        OriginServer origin = OriginServer.onLoopback();
        OperatorProcess operator =
            ShippedOperator.start(
                ShippedOperator.kubeconfig(server, work, token),
                RealKube.logFile("LeastPrivilegeScenarioTest", "operator"),
                "lp-operator",
                NS)) {
      // A URL source with an Authorization header from a Secret in the operator's namespace.
      String feedToken = "Bearer lp-feed-token";
      feeds.content(
          "/lp.lst",
          "203.0.113.0/24\n".getBytes(StandardCharsets.US_ASCII),
          "\"v1\"",
          null,
          null,
          feedToken);
      admin
          .secrets()
          .inNamespace(ShippedOperator.NAMESPACE)
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName("lp-feed-auth")
                  .addToLabels("proxyfleet.io/blocklist-auth", "true")
                  .endMetadata()
                  .addToData(
                      "authorization",
                      Base64.getEncoder()
                          .encodeToString(feedToken.getBytes(StandardCharsets.UTF_8)))
                  .build())
          .createOr(NonDeletingOperation::update);
      apply(
          admin,
          """
          apiVersion: proxyfleet.io/v1alpha1
          kind: Blocklist
          metadata: {name: lp-feed}
          spec:
            sources:
              - url: %s
                format: ip-list
                authSecret: {namespace: %s, name: lp-feed-auth, key: authorization}
          """
              .formatted(feeds.url("/lp.lst"), ShippedOperator.NAMESPACE));
      apply(admin, blocklist("lp-manual"));
      apply(admin, profile(NS, "local"));
      apply(
          admin,
          fleet(
              NS,
              "lp",
              4,
              "local",
              List.of("local-61", "local-62"),
              List.of("lp-manual", "lp-feed")));

      await().atMost(TIMEOUT).until(() -> settled(admin, NS, "lp", 4));
      assertThat(feeds.seen("/lp.lst"))
          .isNotEmpty()
          .allSatisfy(s -> assertThat(s.authorization()).isEqualTo(feedToken));
      Blocklist feed = admin.resources(Blocklist.class).withName("lp-feed").get();
      assertThat(feed.getStatus().getEntries()).isEqualTo(1);

      // The feed fails, recovers and fails the same way again: the second warning is the first
      // Event
      // counted again (a patch), as kubectl describe shows repeats.
      for (int round = 1; round <= 4; round++) {
        boolean failing = round % 2 == 1;
        if (failing) {
          feeds.status("/lp.lst", 503, "down".getBytes(StandardCharsets.US_ASCII));
        } else {
          feeds.content(
              "/lp.lst",
              "203.0.113.0/24\n".getBytes(StandardCharsets.US_ASCII),
              "\"v1\"",
              null,
              null,
              feedToken);
        }
        admin
            .resources(Blocklist.class)
            .withName("lp-feed")
            .edit(
                b -> {
                  b.getMetadata()
                      .getAnnotations()
                      .put(BlocklistReconciler.REFRESH_ANNOTATION, "r" + System.nanoTime());
                  return b;
                });
        await().atMost(TIMEOUT).until(() -> stale(admin, "lp-feed") == failing);
      }
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  admin.v1().events().inNamespace("default").list().getItems().stream()
                      .anyMatch(
                          e ->
                              "lp-feed".equals(e.getInvolvedObject().getName())
                                  && e.getCount() != null
                                  && e.getCount() == 2));

      // Traffic through a published proxy, with the fleet's credentials.
      JsonNode published = endpoints(admin, NS, "lp");
      assertThat(published).hasSize(4);
      URI first = URI.create(published.get(0).get("uri").asText());
      assertThat(ProxyClients.get(first, origin.url())).isEqualTo(OriginServer.BODY);

      // A /32 block moves exactly that proxy.
      Map<String, String> before = ips(proxies(admin, NS, "lp"));
      String victim = before.keySet().iterator().next();
      String blockedIp = before.get(victim);
      apply(admin, blocklist("lp-manual", blockedIp + "/32"));
      await()
          .atMost(TIMEOUT)
          .until(
              () -> {
                Map<String, String> now = ips(serving(admin, NS, "lp"));
                return now.size() == 4
                    && now.containsKey(victim)
                    && !now.get(victim).equals(blockedIp);
              });
      Map<String, String> after = ips(proxies(admin, NS, "lp"));
      before.forEach(
          (name, ip) -> {
            if (!name.equals(victim)) assertThat(after).containsEntry(name, ip);
          });

      // Scale 4 -> 12 -> 2.
      scale(admin, 12);
      await().atMost(TIMEOUT).until(() -> settled(admin, NS, "lp", 12));
      scale(admin, 2);
      await().atMost(TIMEOUT).until(() -> settled(admin, NS, "lp", 2));

      // Delete: every Proxy, both Secrets and the fleet itself go away.
      admin.resources(ProxyFleet.class).inNamespace(NS).withName("lp").delete();
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  RealServerFixtures.fleet(admin, NS, "lp") == null
                      && proxies(admin, NS, "lp").isEmpty()
                      && admin.secrets().inNamespace(NS).withName("lp-endpoints").get() == null
                      && admin.secrets().inNamespace(NS).withName("lp-credentials").get() == null);
      admin.resources(Blocklist.class).withName("lp-feed").delete();
      admin.resources(Blocklist.class).withName("lp-manual").delete();
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  admin.resources(Blocklist.class).withName("lp-feed").get() == null
                      && admin.resources(Blocklist.class).withName("lp-manual").get() == null);

      // It did all that without the power to enumerate Secrets: get by name only, nowhere list or
      // watch.
      for (String verb : List.of("list", "watch")) {
        for (String ns : List.of("", NS, ShippedOperator.NAMESPACE)) {
          assertThat(
                  RealServerFixtures.serviceAccountMay(
                      admin,
                      ShippedOperator.NAMESPACE,
                      ShippedOperator.SERVICE_ACCOUNT,
                      verb,
                      "secrets",
                      ns))
              .as("%s secrets in '%s'", verb, ns)
              .isFalse();
        }
      }
      assertThat(
              RealServerFixtures.serviceAccountMay(
                  admin,
                  ShippedOperator.NAMESPACE,
                  ShippedOperator.SERVICE_ACCOUNT,
                  "get",
                  "secrets",
                  NS))
          .isTrue();
      assertThat(operator.isAlive()).as(operator.log()).isTrue();
      // A clean stop, as on SIGTERM from the kubelet: the Lease is handed back.
      operator.terminate(Duration.ofSeconds(20));
      assertThat(operator.forbiddenLines()).as("forbidden in the operator's log").isEmpty();
      assertThat(operator.log()).contains("Started leading").contains("Released the leader Lease");
    }
    // The process has exited (its Lease released): every request it made is in the audit log.
    List<JsonNode> requests =
        RbacAudit.requests(server.auditEvents(), RbacAudit.credentialId(token));
    assertThat(requests).as("audit events of the operator's token").isNotEmpty();
    assertThat(RbacAudit.forbidden(requests)).as("requests refused").isEmpty();
    Set<RbacAudit.Permission> used = RbacAudit.used(requests);
    Set<RbacAudit.Permission> granted = RbacAudit.granted(rbac);
    Set<RbacAudit.Permission> unused = new TreeSet<>(granted);
    unused.removeAll(used);
    Set<RbacAudit.Permission> ungranted = new TreeSet<>(used);
    ungranted.removeAll(granted);
    assertThat(ungranted).as("used but not granted:" + RbacAudit.describe(ungranted)).isEmpty();
    assertThat(unused)
        .as(
            "granted but never used:"
                + RbacAudit.describe(unused)
                + "used:"
                + RbacAudit.describe(used))
        .isEqualTo(ALLOWANCE);
  }

  /**
   * Granted though no request of the scenario uses it, each for a reason the scenario cannot show:
   *
   * <ul>
   *   <li>update on proxyfleets/finalizers is checked by the OwnerReferencesPermissionEnforcement
   *       admission plugin when a Proxy or Secret is created with a blockOwnerDeletion
   *       ownerReference to its fleet; it is never a request of its own;
   *   <li>get on proxyfleets and blocklists: JOSDK re-reads the object when removing its finalizer
   *       hits a 409 conflict (ReconciliationDispatcher), which depends on timing;
   *   <li>get on cloudprofiles: a Proxy being deleted reads its CloudProfile by name when the
   *       informer has not seen it (ProxyReconciler#cleanup);
   *   <li>create and delete on blocklists, and get besides the re-read above: a fleet's learned
   *       Blocklist, written only when a Vantage inside finds an address blocked, and deleted with
   *       its fleet (VantageAgentRealServerTest and ReachabilityTest show those paths; this
   *       scenario has no vantage);
   *   <li>patch on vantages/status: the Accepted condition, written only on a Vantage of a fleet;
   *   <li>get on vantages: the client reads the Vantage by name before that status patch (a run in
   *       which another test's Vantage was left behind showed it refused).
   * </ul>
   */
  static final Set<RbacAudit.Permission> ALLOWANCE =
      Set.of(
          new RbacAudit.Permission("proxyfleet.io", "proxyfleets", "finalizers", "update"),
          new RbacAudit.Permission("proxyfleet.io", "proxyfleets", "", "get"),
          new RbacAudit.Permission("proxyfleet.io", "blocklists", "", "get"),
          new RbacAudit.Permission("proxyfleet.io", "cloudprofiles", "", "get"),
          new RbacAudit.Permission("proxyfleet.io", "blocklists", "", "create"),
          new RbacAudit.Permission("proxyfleet.io", "blocklists", "", "delete"),
          new RbacAudit.Permission("proxyfleet.io", "vantages", "status", "patch"),
          new RbacAudit.Permission("proxyfleet.io", "vantages", "", "get"));

  private static boolean stale(KubernetesClient admin, String name) {
    Blocklist list = admin.resources(Blocklist.class).withName(name).get();
    return list.getStatus() != null
        && list.getStatus().getConditions() != null
        && list.getStatus().getConditions().stream()
            .anyMatch(c -> "Stale".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static void scale(KubernetesClient admin, int replicas) {
    admin.resources(ProxyFleet.class).inNamespace(NS).withName("lp").scale(replicas);
  }

  private static Map<String, String> ips(List<Proxy> proxies) {
    return proxies.stream()
        .filter(p -> p.getStatus() != null && p.getStatus().getPublicIp() != null)
        .collect(
            Collectors.toMap(p -> p.getMetadata().getName(), p -> p.getStatus().getPublicIp()));
  }
}
