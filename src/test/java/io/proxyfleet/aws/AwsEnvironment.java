package io.proxyfleet.aws;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.cloud.CloudProviders;
import io.proxyfleet.cloud.aws.Ec2CloudProviderFactory;
import io.proxyfleet.cloud.aws.Ec2Settings;
import io.proxyfleet.embedded.EmbeddedKubernetes;
import io.proxyfleet.local.CustomResourceDefinitions;
import io.proxyfleet.operator.KubernetesSecretReader;
import io.proxyfleet.operator.OperatorSettings;
import io.proxyfleet.operator.ProxyFleetOperator;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * The real operator on the embedded API with only the aws provider, pointed at moto (through a
 * fault proxy).
 */
final class AwsEnvironment implements AutoCloseable {

  static final String CLUSTER = "moto-test";

  final EmbeddedKubernetes api;
  final KubernetesClient client;
  final CloudProviders providers;
  final ProxyFleetOperator operator;

  AwsEnvironment(Ec2Settings settings) {
    api = EmbeddedKubernetes.start("127.0.0.1", 0);
    try {
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
                  .withName("aws-keys")
                  .withNamespace("default")
                  .endMetadata()
                  .addToStringData("accessKeyId", "AKIAMOTOTEST")
                  .addToStringData("secretAccessKey", "motoSecretKey")
                  .build())
          .createOr(NonDeletingOperation::update);
      providers =
          new CloudProviders(
              List.of(
                  new Ec2CloudProviderFactory(
                      CLUSTER, new KubernetesSecretReader(client), settings, Clock.systemUTC())));
      operator =
          new ProxyFleetOperator(
              client,
              providers,
              new OperatorSettings(
                  CLUSTER,
                  10,
                  8,
                  Clock.systemUTC(),
                  new SplittableRandom(7),
                  new SecureRandom(),
                  new io.proxyfleet.blocklist.SourceAccess("default", OperatorSettings.LOOPBACK)),
              Optional.empty());
      operator.start();
    } catch (RuntimeException e) {
      api.close();
      throw e;
    }
  }

  void apply(String yaml) {
    client
        .load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))
        .items()
        .forEach(item -> client.resource(item).createOr(NonDeletingOperation::update));
  }

  static String profile(String name, URI endpoint, List<String> regions) {
    return """
        apiVersion: proxyfleet.io/v1alpha1
        kind: CloudProfile
        metadata: {name: %s, namespace: default}
        spec:
          provider: aws
          aws:
            regions: [%s]
            endpoint: %s
            credentialsSecret: {name: aws-keys}
            image: {owner: amazon, name: "amzn2-ami-hvm-*-x86_64-gp2"}
            subnets: {tags: {proxyfleet.io/use: proxies}}
          tags: {team: tests}
        """
        .formatted(name, String.join(", ", regions), endpoint);
  }

  static String blocklist(String name, List<String> cidrs) {
    return "apiVersion: proxyfleet.io/v1alpha1\nkind: Blocklist\nmetadata: {name: "
        + name
        + "}\nspec:\n  cidrs: ["
        + String.join(", ", cidrs.stream().map(c -> "\"" + c + "\"").toList())
        + "]\n";
  }

  static String fleet(
      String name, int replicas, String profile, List<String> regions, String list) {
    return """
        apiVersion: proxyfleet.io/v1alpha1
        kind: ProxyFleet
        metadata: {name: %s, namespace: default}
        spec:
          replicas: %d
          protocol: socks5
          port: 1080
          placement: [{cloudProfile: %s, regions: [%s]}]
          blocklists: [%s]
        """
        .formatted(name, replicas, profile, String.join(", ", regions), list);
  }

  List<Proxy> proxies(String fleet) {
    return client
        .resources(Proxy.class)
        .inNamespace("default")
        .withLabel("proxyfleet.io/fleet", fleet)
        .list()
        .getItems();
  }

  List<Proxy> running(String fleet) {
    return proxies(fleet).stream()
        .filter(
            p ->
                p.getMetadata().getDeletionTimestamp() == null
                    && p.getStatus() != null
                    && p.getStatus().getPhase() == ProxyPhase.Running
                    && p.getStatus().getBlockedBy() == null)
        .toList();
  }

  ProxyFleet fleet(String name) {
    return client.resources(ProxyFleet.class).inNamespace("default").withName(name).get();
  }

  boolean fleetReady(String name, int replicas) {
    ProxyFleet f = fleet(name);
    return f != null
        && f.getStatus() != null
        && f.getStatus().getReadyReplicas() != null
        && f.getStatus().getReadyReplicas() == replicas
        && f.getStatus().getReplicas() != null
        && f.getStatus().getReplicas() == replicas
        && running(name).size() == replicas;
  }

  @Override
  public void close() {
    try {
      operator.close();
    } finally {
      try {
        providers.close();
      } finally {
        client.close();
        api.close();
      }
    }
  }
}
