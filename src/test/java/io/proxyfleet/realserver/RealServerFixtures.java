package io.proxyfleet.realserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyPhase;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/** Objects and reads shared by the real-server tests; every test keeps to its own namespace. */
final class RealServerFixtures {

  private RealServerFixtures() {}

  static void namespace(KubernetesClient admin, String name) {
    admin
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .createOr(NonDeletingOperation::update);
  }

  /**
   * Whether the API server's authorizer lets ServiceAccount {@code namespace/name} do {@code verb}
   * on core {@code resource} in {@code inNamespace} (empty: across all namespaces), asked as the
   * authorizer itself answers {@code kubectl auth can-i --as}.
   */
  static boolean serviceAccountMay(
      KubernetesClient admin,
      String namespace,
      String name,
      String verb,
      String resource,
      String inNamespace) {
    io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview review =
        new io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder()
            .withNewSpec()
            .withUser("system:serviceaccount:" + namespace + ":" + name)
            .withGroups(
                "system:serviceaccounts",
                "system:serviceaccounts:" + namespace,
                "system:authenticated")
            .withNewResourceAttributes()
            .withGroup("")
            .withVersion("v1")
            .withResource(resource)
            .withVerb(verb)
            .withNamespace(inNamespace)
            .endResourceAttributes()
            .endSpec()
            .build();
    return admin.authorization().v1().subjectAccessReview().create(review).getStatus().getAllowed();
  }

  static List<HasMetadata> apply(KubernetesClient client, String yaml) {
    List<HasMetadata> applied = new ArrayList<>();
    for (HasMetadata item :
        client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
      applied.add(client.resource(item).createOr(NonDeletingOperation::update));
    }
    return applied;
  }

  static String profile(String namespace, String name) {
    return """
        apiVersion: proxyfleet.io/v1alpha1
        kind: CloudProfile
        metadata: {name: %s, namespace: %s}
        spec: {provider: local, local: {subnetsPerRegion: 4}}
        """
        .formatted(name, namespace);
  }

  static String blocklist(String name, String... cidrs) {
    return "apiVersion: proxyfleet.io/v1alpha1\nkind: Blocklist\nmetadata: {name: "
        + name
        + "}\nspec:\n  cidrs: ["
        + String.join(", ", java.util.Arrays.stream(cidrs).map(c -> "\"" + c + "\"").toList())
        + "]\n";
  }

  static String fleet(
      String namespace,
      String name,
      int replicas,
      String profile,
      List<String> regions,
      List<String> lists) {
    return """
        apiVersion: proxyfleet.io/v1alpha1
        kind: ProxyFleet
        metadata: {name: %s, namespace: %s}
        spec:
          replicas: %d
          protocol: socks5
          port: 1080
          placement: [{cloudProfile: %s, regions: [%s]}]
          blocklists: [%s]
          rotation: {onBlocked: ReassignIP, maxSurge: 25%%, maxUnavailable: 0}
        """
        .formatted(
            name,
            namespace,
            replicas,
            profile,
            String.join(", ", regions),
            String.join(", ", lists));
  }

  static ProxyFleet fleet(KubernetesClient client, String namespace, String name) {
    return client.resources(ProxyFleet.class).inNamespace(namespace).withName(name).get();
  }

  static List<Proxy> proxies(KubernetesClient client, String namespace, String fleet) {
    return client
        .resources(Proxy.class)
        .inNamespace(namespace)
        .withLabel("proxyfleet.io/fleet", fleet)
        .list()
        .getItems();
  }

  /** Running, unblocked, not being deleted: what the endpoints Secret publishes. */
  static List<Proxy> serving(KubernetesClient client, String namespace, String fleet) {
    return proxies(client, namespace, fleet).stream()
        .filter(
            p ->
                p.getMetadata().getDeletionTimestamp() == null
                    && p.getStatus() != null
                    && p.getStatus().getPhase() == ProxyPhase.Running
                    && p.getStatus().getBlockedBy() == null)
        .toList();
  }

  /** The fleet reports {@code replicas} ready, and exactly that many Proxies exist and serve. */
  static boolean settled(KubernetesClient client, String namespace, String name, int replicas) {
    ProxyFleet f = fleet(client, namespace, name);
    return f != null
        && f.getStatus() != null
        && f.getStatus().getReadyReplicas() == replicas
        && f.getStatus().getReplicas() == replicas
        && proxies(client, namespace, name).size() == replicas
        && serving(client, namespace, name).size() == replicas;
  }

  static Optional<Condition> condition(ProxyFleet fleet, String type) {
    if (fleet == null || fleet.getStatus() == null) return Optional.empty();
    return fleet.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst();
  }

  static JsonNode endpoints(KubernetesClient client, String namespace, String fleet) {
    Secret s = client.secrets().inNamespace(namespace).withName(fleet + "-endpoints").get();
    if (s == null) return null;
    try {
      return new ObjectMapper()
          .readTree(Base64.getDecoder().decode(s.getData().get("endpoints.json")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
