package io.proxyfleet.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chart, rendered by Helm's own code: lint, typed objects, least-privilege RBAC shared with
 * {@code operator/rbac.yaml}, restricted Pod Security, and a schema that rejects bad values.
 */
class ChartTest {

  @TempDir Path work;

  static Stream<Arguments> goodValues() {
    return ChartValues.GOOD.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("goodValues")
  void lintsStrictAndRendersOnlyTypedObjects(String name, String values) {
    // helm-java's lint takes no values file: lint a copy of the chart whose values.yaml is the
    // defaults with this set merged in, which is what `helm lint --strict -f set.yaml` checks.
    LintResult result = new Helm(RenderedChart.withValues(values, work)).lint().strict().call();
    assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
    assertThat(result.getMessages())
        .as("lint messages")
        .noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));

    RenderedChart chart = RenderedChart.render(values, work);
    assertThat(chart.docs()).isNotEmpty();
    for (RenderedChart.Doc doc : chart.docs()) {
      HasMetadata object = doc.object();
      // Every kind the chart renders without monitoring CRDs has a Fabric8 model class.
      assertThat(object).as(doc.source()).isNotInstanceOf(GenericKubernetesResource.class);
      if (!(object instanceof CustomResourceDefinition)
          && !(object instanceof ClusterRole)
          && !(object instanceof ClusterRoleBinding)
          && !(object instanceof Role)
          && !(object instanceof RoleBinding)) {
        assertThat(object.getMetadata().getNamespace())
            .as(doc.source())
            .isEqualTo(RenderedChart.NAMESPACE);
      }
      assertThat(object.getMetadata().getLabels())
          .as(doc.source())
          .containsEntry("app.kubernetes.io/name", "proxyfleet");
    }
  }

  @Test
  void appVersionIsTheProjectVersion() throws IOException {
    String pom = Files.readString(Path.of("pom.xml"));
    Matcher m =
        Pattern.compile("<artifactId>proxyfleet</artifactId>\\s*<version>([^<]+)</version>")
            .matcher(pom);
    assertThat(m.find()).isTrue();
    Map<String, Object> chart =
        RenderedChart.yamlMap(Files.readString(RenderedChart.CHART.resolve("Chart.yaml")));
    assertThat(chart).containsEntry("appVersion", m.group(1));
    Deployment deployment = RenderedChart.render(ChartValues.DEFAULTS, work).one(Deployment.class);
    assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
        .isEqualTo("proxyfleet-operator:" + m.group(1));
  }

  @Test
  void chartCrdsAreTheGeneratedCrds() throws IOException {
    Map<String, String> generated = files(Path.of("crds"));
    Map<String, String> inChart = files(RenderedChart.CHART.resolve("crds"));
    assertThat(inChart)
        .as("helm/proxyfleet/crds must equal crds/: cp crds/*.yml helm/proxyfleet/crds/")
        .isEqualTo(generated);
    assertThat(inChart)
        .containsOnlyKeys(
            "blocklists.proxyfleet.io-v1.yml",
            "cloudprofiles.proxyfleet.io-v1.yml",
            "proxies.proxyfleet.io-v1.yml",
            "proxyfleets.proxyfleet.io-v1.yml",
            "vantages.proxyfleet.io-v1.yml");
  }

  @Test
  void operatorRbacYamlIsTheChartsRbacWithDefaults() throws IOException {
    String rendered = ShippedManifests.rbac(RenderedChart.render(ChartValues.DEFAULTS, work));
    ShippedManifests.regenerateIfAsked(ShippedManifests.RBAC, rendered);
    assertThat(Files.readString(ShippedManifests.RBAC))
        .as("operator/rbac.yaml drifted from the chart; regenerate: " + ShippedManifests.REGENERATE)
        .isEqualTo(rendered);
    // The binding gives the chart's ServiceAccount the chart's ClusterRole, nothing else.
    RenderedChart chart = RenderedChart.render(ChartValues.DEFAULTS, work);
    ClusterRoleBinding binding = chart.one(ClusterRoleBinding.class);
    assertThat(binding.getRoleRef().getName())
        .isEqualTo(chart.one(ClusterRole.class).getMetadata().getName());
    assertThat(binding.getSubjects())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getName())
                  .isEqualTo(chart.one(ServiceAccount.class).getMetadata().getName())
                  .isEqualTo("proxyfleet-operator");
              assertThat(s.getNamespace()).isEqualTo(RenderedChart.NAMESPACE);
            });
    assertThat(chart.one(ClusterRole.class).getRules())
        .allSatisfy(
            rule -> {
              assertThat(rule.getVerbs()).doesNotContain("*");
              assertThat(rule.getResources()).doesNotContain("*");
              assertThat(rule.getApiGroups()).doesNotContain("*");
            });
  }

  @Test
  void watchNamespacesGrantsTheSameRulesSplitIntoRolesThere() {
    RenderedChart all = RenderedChart.render(ChartValues.DEFAULTS, work);
    RenderedChart namespaced = RenderedChart.render(ChartValues.NAMESPACED, work);
    List<Role> roles = namespaced.all(Role.class);
    assertThat(roles)
        .extracting(r -> r.getMetadata().getNamespace() + "/" + r.getMetadata().getName())
        .containsExactlyInAnyOrder(
            "team-a/proxyfleet-operator",
            "team-b/proxyfleet-operator",
            "default/proxyfleet-operator-events",
            RenderedChart.NAMESPACE + "/proxyfleet-operator-operator-namespace");
    assertThat(namespaced.all(RoleBinding.class))
        .hasSize(roles.size())
        .allSatisfy(
            b -> {
              assertThat(roles)
                  .anySatisfy(
                      r -> {
                        assertThat(r.getMetadata().getName()).isEqualTo(b.getRoleRef().getName());
                        assertThat(r.getMetadata().getNamespace())
                            .isEqualTo(b.getMetadata().getNamespace());
                      });
              assertThat(b.getSubjects())
                  .singleElement()
                  .satisfies(s -> assertThat(s.getName()).isEqualTo("proxyfleet-operator"));
            });
    // Nothing namespaced is granted cluster-wide any more...
    Set<String> clusterWide = triples(namespaced.one(ClusterRole.class).getRules());
    assertThat(clusterWide)
        .noneMatch(
            t ->
                t.contains("proxyfleets")
                    || t.contains("proxies")
                    || t.contains("secrets")
                    || t.contains("leases"));
    // ... and together the Roles and the ClusterRole grant exactly what the all-namespaces
    // ClusterRole does.
    Set<String> union = new TreeSet<>(clusterWide);
    roles.forEach(r -> union.addAll(triples(r.getRules())));
    assertThat(union).isEqualTo(triples(all.one(ClusterRole.class).getRules()));
    assertThat(
            namespaced
                .one(Deployment.class)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getArgs())
        .contains("--watch-namespaces=team-a,team-b", "--cluster-name=team-ab");
  }

  /** (group, resource, verb) triples of some rules. */
  static Set<String> triples(List<PolicyRule> rules) {
    Set<String> out = new TreeSet<>();
    for (PolicyRule rule : rules) {
      for (String group : rule.getApiGroups())
        for (String resource : rule.getResources())
          for (String verb : rule.getVerbs()) {
            out.add(group + " " + resource + " " + verb);
          }
    }
    return out;
  }

  @Test
  void serviceAccountCarriesCloudIdentityAnnotations() {
    ServiceAccount eks =
        RenderedChart.render(ChartValues.TWO_REPLICAS_SPREAD, work).one(ServiceAccount.class);
    assertThat(eks.getMetadata().getAnnotations())
        .containsEntry("eks.amazonaws.com/role-arn", "arn:aws:iam::123456789012:role/proxyfleet");
    ServiceAccount gke =
        RenderedChart.render(ChartValues.SINGLE_REPLICA, work).one(ServiceAccount.class);
    assertThat(gke.getMetadata().getAnnotations())
        .containsEntry(
            "iam.gke.io/gcp-service-account", "proxyfleet@my-project.iam.gserviceaccount.com");
  }

  @Test
  void deploymentRunsRestrictedWithLeaderElectionProbesAndSpread() {
    RenderedChart chart = RenderedChart.render(ChartValues.DEFAULTS, work);
    Deployment deployment = chart.one(Deployment.class);
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    assertThat(pod.getServiceAccountName()).isEqualTo("proxyfleet-operator");
    assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(30L);
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(pod.getTopologySpreadConstraints())
        .extracting(t -> t.getTopologyKey())
        .containsExactly("topology.kubernetes.io/zone", "kubernetes.io/hostname");
    Container c = pod.getContainers().get(0);
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getSecurityContext().getCapabilities().getAdd()).isNullOrEmpty();
    assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(c.getResources().getLimits()).containsKey("memory");
    assertThat(c.getStartupProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(c.getPorts())
        .singleElement()
        .satisfies(p -> assertThat(p.getContainerPort()).isEqualTo(8080));
    assertThat(c.getArgs()).contains("--http-port=8080", "--cluster-name=default");
    Map<String, String> fieldRefs = new TreeMap<>();
    for (EnvVar env : c.getEnv()) {
      if (env.getValueFrom() != null && env.getValueFrom().getFieldRef() != null)
        fieldRefs.put(env.getName(), env.getValueFrom().getFieldRef().getFieldPath());
    }
    assertThat(fieldRefs)
        .containsExactlyEntriesOf(
            new TreeMap<>(
                Map.of("POD_NAME", "metadata.name", "POD_NAMESPACE", "metadata.namespace")));
    // The read-only root needs a writable /tmp for the JVM.
    assertThat(c.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));

    Service service = chart.one(Service.class);
    assertThat(service.getSpec().getSelector())
        .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
    assertThat(service.getSpec().getPorts())
        .singleElement()
        .satisfies(p -> assertThat(p.getTargetPort().getStrVal()).isEqualTo("http"));
  }

  @Test
  void customValuesReachThePod() {
    PodSpec pod =
        RenderedChart.render(ChartValues.TWO_REPLICAS_SPREAD, work)
            .one(Deployment.class)
            .getSpec()
            .getTemplate()
            .getSpec();
    Container c = pod.getContainers().get(0);
    assertThat(c.getImage()).isEqualTo("registry.example.com/proxyfleet/operator:0.1.0");
    assertThat(c.getImagePullPolicy()).isEqualTo("Always");
    assertThat(pod.getImagePullSecrets())
        .extracting(r -> r.getName())
        .containsExactly("registry-creds");
    assertThat(pod.getNodeSelector()).containsEntry("kubernetes.io/os", "linux");
    assertThat(pod.getTolerations())
        .singleElement()
        .satisfies(t -> assertThat(t.getKey()).isEqualTo("dedicated"));
    assertThat(pod.getAffinity().getNodeAffinity()).isNotNull();
    assertThat(c.getEnv()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("AWS_REGION"));
    assertThat(c.getArgs()).contains("--cluster-name=eks-prod", "--reconcile-threads=8");
  }

  @Test
  void disruptionBudgetOnlyWithMoreThanOneReplica() {
    PodDisruptionBudget pdb =
        RenderedChart.render(ChartValues.DEFAULTS, work).one(PodDisruptionBudget.class);
    assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
    assertThat(
            RenderedChart.render(ChartValues.SINGLE_REPLICA, work).maybe(PodDisruptionBudget.class))
        .isEmpty();
  }

  @Test
  void networkPolicyOpensOnlyTheMetricsPort() {
    assertThat(RenderedChart.render(ChartValues.DEFAULTS, work).maybe(NetworkPolicy.class))
        .isEmpty();
    NetworkPolicy policy =
        RenderedChart.render(ChartValues.NETWORK_POLICY, work).one(NetworkPolicy.class);
    assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress");
    assertThat(policy.getSpec().getIngress())
        .singleElement()
        .satisfies(
            rule -> {
              assertThat(rule.getPorts())
                  .singleElement()
                  .satisfies(p -> assertThat(p.getPort().getStrVal()).isEqualTo("http"));
              assertThat(rule.getFrom())
                  .singleElement()
                  .satisfies(
                      f ->
                          assertThat(f.getNamespaceSelector().getMatchLabels())
                              .containsEntry("kubernetes.io/metadata.name", "monitoring"));
            });
  }

  @Test
  void monitoringObjectsNeedTheirApiInTheCluster() {
    // helm template knows only the built-in APIs: enabled or not, no ServiceMonitor or
    // PrometheusRule
    // is rendered for a cluster without the Prometheus operator (ChartRealServerTest renders them
    // against a server that has the API).
    RenderedChart chart = RenderedChart.render(ChartValues.MONITORING, work);
    assertThat(chart.docs())
        .extracting(RenderedChart.Doc::source)
        .doesNotContain("templates/servicemonitor.yaml", "templates/prometheusrule.yaml");
  }

  @Test
  void grafanaDashboardConfigMapHoldsTheDashboardFile() throws IOException {
    assertThat(
            RenderedChart.render(ChartValues.DEFAULTS, work)
                .maybe(io.fabric8.kubernetes.api.model.ConfigMap.class))
        .isEmpty();
    io.fabric8.kubernetes.api.model.ConfigMap map =
        RenderedChart.render(ChartValues.MONITORING, work)
            .one(io.fabric8.kubernetes.api.model.ConfigMap.class);
    assertThat(map.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    assertThat(json.readTree(map.getData().get("proxyfleet.json")))
        .isEqualTo(
            json.readTree(Files.readString(RenderedChart.CHART.resolve("files/dashboard.json"))));
  }

  static Stream<Arguments> badValues() {
    return Stream.of(
        Arguments.of("unknown top-level key", "replicas: 3\n", "replicas"),
        Arguments.of("replicaCount zero", "replicaCount: 0\n", "replicaCount"),
        Arguments.of("replicaCount as a string", "replicaCount: \"two\"\n", "replicaCount"),
        Arguments.of(
            "bad pull policy", "image: {repository: x, pullPolicy: Sometimes}\n", "pullPolicy"),
        Arguments.of(
            "empty image repository",
            "image: {repository: \"\", pullPolicy: Always}\n",
            "repository"),
        Arguments.of("privileged port", "httpPort: 80\n", "httpPort"),
        Arguments.of("cluster name with a space", "clusterName: my cluster\n", "clusterName"),
        Arguments.of(
            "bad refresh duration",
            "operator: {cloudRangesRefresh: daily}\n",
            "cloudRangesRefresh"),
        Arguments.of("bad log level", "operator: {logLevel: loud}\n", "logLevel"),
        Arguments.of("bad log format", "operator: {logFormat: xml}\n", "logFormat"),
        Arguments.of("bad resync period", "operator: {resyncPeriod: often}\n", "resyncPeriod"),
        Arguments.of(
            "annotation that is not a string",
            "serviceAccount: {annotations: {eks.amazonaws.com/role-arn: 12}}\n",
            "annotations"),
        Arguments.of("bad memory quantity", "resources: {limits: {memory: lots}}\n", "memory"),
        Arguments.of("extra arg without dashes", "extraArgs: [verbose]\n", "extraArgs"),
        Arguments.of(
            "watched namespace that is not a name",
            "watchNamespaces: [Team_A]\n",
            "watchNamespaces"),
        Arguments.of("watched namespace twice", "watchNamespaces: [a, a]\n", "watchNamespaces"),
        Arguments.of(
            "typo in a nested key", "metrics: {serviceMonitor: {enable: true}}\n", "enable"),
        Arguments.of("bad service type", "service: {type: Ingress}\n", "type"),
        Arguments.of(
            "two replicas without leader election",
            "leaderElection: {enabled: false}\n",
            "leaderElection.enabled"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badValues")
  void badValuesAreRejected(String name, String values, String mentioned) {
    assertThatThrownBy(() -> RenderedChart.render(values, work)).hasMessageContaining(mentioned);
  }

  private static Map<String, String> files(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) out.put(p.getFileName().toString(), Files.readString(p));
    }
    return out;
  }
}
