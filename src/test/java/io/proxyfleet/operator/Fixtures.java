package io.proxyfleet.operator;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.local.LocalEnvironment;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Shared setup for tests that run the real operator against the embedded API and loopback proxies.
 */
final class Fixtures {

  private Fixtures() {}

  static LocalEnvironment start() {
    // Seeded randomness: names and addresses differ between proxies but runs are repeatable.
    return LocalEnvironment.start(
        "127.0.0.1",
        0,
        new OperatorSettings(
            "test",
            10,
            8,
            Clock.systemUTC(),
            new SplittableRandom(7),
            new SplittableRandom(11),
            new io.proxyfleet.blocklist.SourceAccess("default", OperatorSettings.LOOPBACK)));
  }

  static void apply(LocalEnvironment env, String yaml) {
    env.apply(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
  }

  static String profile(String name, int subnets, String bootDelay) {
    return """
        apiVersion: proxyfleet.io/v1alpha1
        kind: CloudProfile
        metadata: {name: %s, namespace: default}
        spec: {provider: local, local: {subnetsPerRegion: %d, bootDelay: "%s"}}
        """
        .formatted(name, subnets, bootDelay);
  }

  static String blocklist(String name, List<String> cidrs) {
    return "apiVersion: proxyfleet.io/v1alpha1\nkind: Blocklist\nmetadata: {name: "
        + name
        + "}\nspec:\n  cidrs: ["
        + cidrs.stream().map(c -> "\"" + c + "\"").collect(Collectors.joining(", "))
        + "]\n";
  }

  /** A fleet spec body; {@code extra} is appended under spec (indented two spaces). */
  static String fleet(
      String name,
      int replicas,
      String protocol,
      int port,
      String profile,
      List<String> regions,
      List<String> lists,
      String extra) {
    return """
        apiVersion: proxyfleet.io/v1alpha1
        kind: ProxyFleet
        metadata: {name: %s, namespace: default}
        spec:
          replicas: %d
          protocol: %s
          port: %d
          placement: [{cloudProfile: %s, regions: [%s]}]
          blocklists: [%s]
        %s"""
        .formatted(
            name,
            replicas,
            protocol,
            port,
            profile,
            String.join(", ", regions),
            String.join(", ", lists),
            extra);
  }

  static ProxyFleet fleet(KubernetesClient client, String name) {
    return client.resources(ProxyFleet.class).inNamespace("default").withName(name).get();
  }

  static List<Proxy> proxies(KubernetesClient client, String fleet) {
    return client
        .resources(Proxy.class)
        .inNamespace("default")
        .withLabel("proxyfleet.io/fleet", fleet)
        .list()
        .getItems();
  }

  static List<Proxy> running(KubernetesClient client, String fleet) {
    return proxies(client, fleet).stream()
        .filter(
            p ->
                p.getMetadata().getDeletionTimestamp() == null
                    && p.getStatus() != null
                    && p.getStatus().getPhase() == ProxyPhase.Running
                    && p.getStatus().getBlockedBy() == null)
        .toList();
  }

  static Map<String, String> ipsByName(List<Proxy> proxies) {
    return proxies.stream()
        .collect(
            Collectors.toMap(p -> p.getMetadata().getName(), p -> p.getStatus().getPublicIp()));
  }

  static boolean fleetReady(KubernetesClient client, String name, int replicas) {
    ProxyFleet f = fleet(client, name);
    return f != null
        && f.getStatus() != null
        && f.getStatus().getReadyReplicas() == replicas
        && f.getStatus().getReplicas() == replicas
        && running(client, name).size() == replicas;
  }

  static String condition(
      ProxyFleet fleet,
      String type,
      Function<io.fabric8.kubernetes.api.model.Condition, String> field) {
    if (fleet == null || fleet.getStatus() == null) return null;
    return fleet.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst()
        .map(field)
        .orElse(null);
  }

  static List<Event> events(KubernetesClient client, String involvedName) {
    return client.v1().events().inAnyNamespace().list().getItems().stream()
        .filter(e -> involvedName.equals(e.getInvolvedObject().getName()))
        .toList();
  }

  static String endpointsJson(KubernetesClient client, String fleet) {
    Secret s = client.secrets().inNamespace("default").withName(fleet + "-endpoints").get();
    return s == null
        ? null
        : new String(
            java.util.Base64.getDecoder().decode(s.getData().get("endpoints.json")),
            StandardCharsets.UTF_8);
  }
}
