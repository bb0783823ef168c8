package io.proxyfleet.realserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.marcnuri.helm.DryRun;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.Release;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.proxyfleet.chart.ChartValues;
import io.proxyfleet.chart.RenderedChart;
import io.proxyfleet.testing.kube.KubeApiServer;
import io.proxyfleet.testing.kube.RealKube;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Everything the chart renders is accepted by a real API server (server-side dry run: schemas,
 * defaults, admission), with every value set the chart is tested with; the operator's pod meets Pod
 * Security "restricted"; the ServiceMonitor follows the API the server serves.
 */
@ExtendWith(RealKube.class)
class ChartRealServerTest {

  @Test
  void everyRenderedObjectPassesServerSideDryRun(KubeApiServer server, @TempDir Path work)
      throws Exception {
    KubernetesClient admin = server.admin();
    for (Map.Entry<String, String> set : ChartValues.GOOD.entrySet()) {
      // A release and namespace per value set: cluster-scoped names never collide with the
      // ClusterRole other tests installed from operator/rbac.yaml.
      String release = "pf-" + set.getKey();
      String namespace = "chart-" + set.getKey();
      RealServerFixtures.namespace(admin, namespace);
      List<HasMetadata> objects =
          RenderedChart.render(release, namespace, set.getValue(), work).objects();
      assertThat(objects).as(set.getKey()).isNotEmpty();
      // Roles of watchNamespaces live in those namespaces, which the user creates.
      objects.stream()
          .map(o -> o.getMetadata().getNamespace())
          .filter(java.util.Objects::nonNull)
          .distinct()
          .forEach(ns -> RealServerFixtures.namespace(admin, ns));
      for (HasMetadata object : objects) {
        HasMetadata accepted = admin.resource(object).dryRun().create();
        assertThat(accepted.getMetadata().getUid())
            .as(set.getKey() + ": " + object.getKind() + " " + object.getMetadata().getName())
            .isNotBlank();
      }
    }
    // The chart's CRDs are the installed ones; replacing them must be accepted too (an upgrade by
    // hand).
    try (Stream<Path> crds = Files.list(RenderedChart.CHART.resolve("crds"))) {
      for (Path file : crds.sorted().toList()) {
        try (InputStream in = Files.newInputStream(file)) {
          CustomResourceDefinition crd =
              admin.apiextensions().v1().customResourceDefinitions().load(in).item();
          assertThat(
                  admin
                      .resource(crd)
                      .dryRun()
                      .createOr(NonDeletingOperation::update)
                      .getMetadata()
                      .getName())
              .isEqualTo(crd.getMetadata().getName());
        }
      }
    }
  }

  /**
   * The Pod Security admission of a real API server enforces "restricted" on pods (not on
   * Deployments): a pod made from the chart's template must be admitted in a namespace that
   * enforces it, as operator/install.yaml's namespace does.
   */
  @Test
  void operatorPodMeetsPodSecurityRestricted(KubeApiServer server, @TempDir Path work) {
    KubernetesClient admin = server.admin();
    String namespace = "chart-restricted";
    admin
        .namespaces()
        .resource(
            new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata()
                .withName(namespace)
                .addToLabels("pod-security.kubernetes.io/enforce", "restricted")
                .endMetadata()
                .build())
        .createOr(NonDeletingOperation::update);
    io.fabric8.kubernetes.api.model.apps.Deployment deployment =
        RenderedChart.render("pf-restricted", namespace, ChartValues.DEFAULTS, work)
            .one(io.fabric8.kubernetes.api.model.apps.Deployment.class);
    admin
        .resource(
            RenderedChart.render("pf-restricted", namespace, ChartValues.DEFAULTS, work)
                .one(io.fabric8.kubernetes.api.model.ServiceAccount.class))
        .createOr(NonDeletingOperation::update);
    io.fabric8.kubernetes.api.model.Pod pod =
        new io.fabric8.kubernetes.api.model.PodBuilder()
            .withMetadata(
                new io.fabric8.kubernetes.api.model.ObjectMetaBuilder(
                        deployment.getSpec().getTemplate().getMetadata())
                    .withName("pf-restricted-probe")
                    .withNamespace(namespace)
                    .build())
            .withSpec(deployment.getSpec().getTemplate().getSpec())
            .build();
    assertThat(admin.resource(pod).dryRun().create().getMetadata().getUid()).isNotBlank();

    // The check has teeth: the same pod with root allowed is refused.
    pod.getSpec().getContainers().get(0).getSecurityContext().setRunAsNonRoot(false);
    pod.getSpec().getSecurityContext().setRunAsNonRoot(false);
    assertThatThrownBy(() -> admin.resource(pod).dryRun().create())
        .hasMessageContaining("restricted");
  }

  /**
   * Helm asks the server which APIs exist: the ServiceMonitor is rendered only once the Prometheus
   * operator's API is served. helm-java returns no manifest from an install, so the release notes,
   * which say what was rendered, are the witness.
   */
  @Test
  void serviceMonitorOnlyWhenTheClusterServesItsApi(KubeApiServer server, @TempDir Path work)
      throws Exception {
    KubernetesClient admin = server.admin();
    String namespace = "chart-monitoring-api";
    RealServerFixtures.namespace(admin, namespace);
    Path kubeconfig = server.writeKubeconfig(work.resolve("admin.kubeconfig"), null, namespace);
    Path values = Files.writeString(work.resolve("monitoring.yaml"), ChartValues.MONITORING);

    String without = installDryRun("pf-mon-a", namespace, kubeconfig, values);
    assertThat(without)
        .contains(
            "WARNING: metrics.serviceMonitor.enabled is set but this cluster has no monitoring.coreos.com/v1 ServiceMonitor")
        .contains(
            "WARNING: metrics.prometheusRule.enabled is set but this cluster has no monitoring.coreos.com/v1 PrometheusRule")
        .doesNotContain("Prometheus: ServiceMonitor")
        .doesNotContain("Alerts: PrometheusRule");

    // Stand-ins for the Prometheus Operator's CRDs: only their presence matters to the chart.
    RealServerFixtures.apply(admin, monitoringCrd("ServiceMonitor", "servicemonitors"));
    RealServerFixtures.apply(admin, monitoringCrd("PrometheusRule", "prometheusrules"));
    await()
        .atMost(RealKube.TIMEOUT)
        .ignoreExceptions()
        .until(
            () ->
                admin
                            .genericKubernetesResources(
                                "monitoring.coreos.com/v1", "ServiceMonitor")
                            .inNamespace(namespace)
                            .list()
                        != null
                    && admin
                            .genericKubernetesResources(
                                "monitoring.coreos.com/v1", "PrometheusRule")
                            .inNamespace(namespace)
                            .list()
                        != null);

    String with = installDryRun("pf-mon-b", namespace, kubeconfig, values);
    assertThat(with)
        .contains("Prometheus: ServiceMonitor pf-mon-b-operator scrapes every replica every 15s.")
        .contains("Alerts: PrometheusRule pf-mon-b-operator holds the ProxyFleet alerts.")
        .doesNotContain("WARNING");
  }

  private static String installDryRun(
      String release, String namespace, Path kubeconfig, Path values) {
    Release result =
        new Helm(RenderedChart.CHART)
            .install()
            .withName(release)
            .withNamespace(namespace)
            .withKubeConfig(kubeconfig)
            .withValuesFile(values)
            .skipCrds()
            .withDryRunOption(DryRun.SERVER)
            .call();
    return result.getOutput();
  }

  private static String monitoringCrd(String kind, String plural) {
    return """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: %2$s.monitoring.coreos.com}
        spec:
          group: monitoring.coreos.com
          scope: Namespaced
          names: {kind: %1$s, plural: %2$s, singular: %3$s, listKind: %1$sList}
          versions:
            - name: v1
              served: true
              storage: true
              schema:
                openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
        """
        .formatted(kind, plural, kind.toLowerCase(java.util.Locale.ROOT));
  }
}
