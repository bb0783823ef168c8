package io.proxyfleet.realserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.proxyfleet.testing.Kubectl;
import io.proxyfleet.testing.kube.KubeApiServer;
import io.proxyfleet.testing.kube.RealKube;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The generated CRDs and every example, as a real API server sees them. */
@ExtendWith(RealKube.class)
class CrdSchemaRealServerTest {

  static KubeApiServer server;
  static KubernetesClient admin;

  @BeforeAll
  static void connect(KubeApiServer s) {
    server = s;
    admin = s.admin();
    // Examples assume the operator is installed (its namespace holds the ConfigMap of one of them).
    ShippedOperator.installRbac(admin);
    admin
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName("schema").endMetadata().build())
        .createOr(NonDeletingOperation::update);
  }

  @Test
  void everyCrdIsEstablishedAndStructural() {
    List<CustomResourceDefinition> crds =
        admin.apiextensions().v1().customResourceDefinitions().list().getItems().stream()
            .filter(c -> c.getSpec().getGroup().equals("proxyfleet.io"))
            .toList();
    assertThat(crds)
        .extracting(c -> c.getMetadata().getName())
        .containsExactlyInAnyOrder(
            "proxyfleets.proxyfleet.io",
            "proxies.proxyfleet.io",
            "cloudprofiles.proxyfleet.io",
            "blocklists.proxyfleet.io",
            "vantages.proxyfleet.io");
    for (CustomResourceDefinition crd : crds) {
      assertThat(crd.getStatus().getConditions())
          .as(crd.getMetadata().getName())
          .anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True"))
          .noneMatch(
              c -> c.getType().equals("NonStructuralSchema") && c.getStatus().equals("True"));
    }
  }

  @Test
  void everyExampleIsAcceptedByServerSideDryRun(@TempDir Path work) throws IOException {
    Kubectl kubectl =
        new Kubectl(
            Kubectl.locateOrSkip(),
            server.writeKubeconfig(work.resolve("kubeconfig"), null, "default"),
            work);
    List<Path> files;
    try (Stream<Path> s = Files.walk(Path.of("examples"))) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(9);
    for (Path file : files) {
      // A dry run creates nothing, so the namespaces an example defines must exist for its other
      // objects.
      for (HasMetadata item : admin.load(Files.newInputStream(file)).items()) {
        if (item.getKind().equals("Namespace")) {
          admin.resource(item).createOr(NonDeletingOperation::update);
        }
      }
      Kubectl.Result result =
          kubectl.run("apply", "--dry-run=server", "-f", file.toAbsolutePath().toString());
      assertThat(result.exitCode()).as(result.toString()).isZero();
      assertThat(result.stdout()).as(result.toString()).contains("(server dry run)");
    }
  }

  static Stream<Arguments> badObjects() {
    String fleet =
        """
        apiVersion: proxyfleet.io/v1alpha1
        kind: ProxyFleet
        metadata: {name: bad, namespace: schema}
        spec:
          replicas: %s
          protocol: %s
          port: %s
          placement: [%s]
        """;
    String placement = "{cloudProfile: local, regions: [local-1]}";
    String rotated = fleet.formatted("1", "socks5", "1080", placement) + "  rotation: %s\n";
    return Stream.of(
        Arguments.of(
            "replicas -1", fleet.formatted("-1", "socks5", "1080", placement), "spec.replicas"),
        Arguments.of(
            "replicas 100000",
            fleet.formatted("100000", "socks5", "1080", placement),
            "spec.replicas"),
        Arguments.of(
            "protocol ftp", fleet.formatted("1", "ftp", "1080", placement), "spec.protocol"),
        Arguments.of("port 0", fleet.formatted("1", "socks5", "0", placement), "spec.port"),
        Arguments.of("port 70000", fleet.formatted("1", "socks5", "70000", placement), "spec.port"),
        Arguments.of(
            "empty regions",
            fleet.formatted("1", "socks5", "1080", "{cloudProfile: local, regions: []}"),
            "spec.placement[0].regions"),
        Arguments.of(
            "placement without cloudProfile",
            fleet.formatted("1", "socks5", "1080", "{regions: [local-1]}"),
            "spec.placement[0].cloudProfile"),
        Arguments.of(
            "maxSurge string past int",
            rotated.formatted("{maxSurge: \"99999999999\"}"),
            "spec.rotation.maxSurge"),
        Arguments.of(
            "maxSurge number past int",
            rotated.formatted("{maxSurge: 99999999999}"),
            "spec.rotation.maxSurge"),
        Arguments.of(
            "maxSurge above a million percent",
            rotated.formatted("{maxSurge: \"1000001%\"}"),
            "spec.rotation.maxSurge"),
        Arguments.of(
            "maxSurge words",
            rotated.formatted("{maxSurge: \"a quarter\"}"),
            "spec.rotation.maxSurge"),
        Arguments.of(
            "maxUnavailable negative",
            rotated.formatted("{maxUnavailable: -1}"),
            "spec.rotation.maxUnavailable"),
        Arguments.of(
            "maxUnavailable negative percent",
            rotated.formatted("{maxUnavailable: \"-5%\"}"),
            "spec.rotation.maxUnavailable"),
        Arguments.of(
            "blocklist cidr nonsense",
            """
            apiVersion: proxyfleet.io/v1alpha1
            kind: Blocklist
            metadata: {name: schema-bad}
            spec: {cidrs: [nonsense]}
            """,
            "spec.cidrs[0]"),
        Arguments.of(
            "aws without spec.aws",
            """
            apiVersion: proxyfleet.io/v1alpha1
            kind: CloudProfile
            metadata: {name: bad, namespace: schema}
            spec: {provider: aws}
            """,
            "spec.aws is required when provider is aws"),
        Arguments.of(
            "gcp without spec.gcp",
            """
            apiVersion: proxyfleet.io/v1alpha1
            kind: CloudProfile
            metadata: {name: bad, namespace: schema}
            spec: {provider: gcp}
            """,
            "spec.gcp is required when provider is gcp"),
        Arguments.of(
            "gcp with an aws block",
            """
            apiVersion: proxyfleet.io/v1alpha1
            kind: CloudProfile
            metadata: {name: bad, namespace: schema}
            spec:
              provider: gcp
              gcp: {project: my-proxies-123, regions: [{name: europe-west3}]}
              aws: {regions: [eu-central-1], subnets: {ids: [subnet-0123456789abcdef0]}}
            """,
            "set only the settings of spec.provider"),
        Arguments.of(
            "gcp zone of another region",
            """
            apiVersion: proxyfleet.io/v1alpha1
            kind: CloudProfile
            metadata: {name: bad, namespace: schema}
            spec:
              provider: gcp
              gcp: {project: my-proxies-123, regions: [{name: europe-west3, zones: [europe-west1-b]}]}
            """,
            "every zone must belong to its region"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badObjects")
  void theSchemaRejectsWithAMessageNamingTheField(String name, String yaml, String field) {
    GenericKubernetesResource bad =
        admin.getKubernetesSerialization().unmarshal(yaml, GenericKubernetesResource.class);
    assertThatThrownBy(() -> admin.resource(bad).dryRun().create())
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(422);
              assertThat(e.getMessage()).contains(field);
            });
  }

  @Test
  void boundedMaxSurgeAndMaxUnavailableAreAccepted() {
    for (String rotation :
        List.of(
            "{maxSurge: 0, maxUnavailable: 1}",
            "{maxSurge: 1000000, maxUnavailable: \"100%\"}",
            "{maxSurge: \"25%\", maxUnavailable: \"3\"}",
            "{maxSurge: \"1000000%\"}")) {
      GenericKubernetesResource ok =
          admin
              .getKubernetesSerialization()
              .unmarshal(
                  """
          apiVersion: proxyfleet.io/v1alpha1
          kind: ProxyFleet
          metadata: {name: bounded, namespace: schema}
          spec:
            replicas: 1
            placement: [{cloudProfile: local, regions: [local-1]}]
            rotation: %s
          """
                      .formatted(rotation),
                  GenericKubernetesResource.class);
      assertThat(admin.resource(ok).dryRun().create()).as(rotation).isNotNull();
    }
  }

  @Test
  void aProxySpecCannotBeChanged() {
    GenericKubernetesResource proxy =
        admin
            .getKubernetesSerialization()
            .unmarshal(
                """
        apiVersion: proxyfleet.io/v1alpha1
        kind: Proxy
        metadata: {name: immutable, namespace: schema}
        spec: {fleet: f, cloudProfile: local, region: local-1, subnet: local-1-a, protocol: socks5, port: 1080, credentialsSecret: f-credentials}
        """,
                GenericKubernetesResource.class);
    admin.resource(proxy).createOr(NonDeletingOperation::update);
    assertThatThrownBy(
            () ->
                admin
                    .genericKubernetesResources("proxyfleet.io/v1alpha1", "Proxy")
                    .inNamespace("schema")
                    .withName("immutable")
                    .edit(
                        p -> {
                          ((java.util.Map<String, Object>) p.getAdditionalProperties().get("spec"))
                              .put("region", "local-2");
                          return p;
                        }))
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(422);
              assertThat(e.getMessage()).contains("Proxy spec is immutable");
            });
  }
}
