package io.proxyfleet.chart;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * The plain manifests in {@code operator/}, which are the chart rendered with its defaults: one
 * source for RBAC and the Deployment, so Helm and {@code kubectl apply} users run the same thing.
 */
final class ShippedManifests {

  static final Path RBAC = Path.of("operator/rbac.yaml");
  static final Path INSTALL = Path.of("operator/install.yaml");
  static final String REGENERATE =
      "./mvnw -q test -Dtest=ChartTest,ShippedManifestsTest -Dproxyfleet.regenerate=true";

  private ShippedManifests() {}

  /** The ServiceAccount, ClusterRole and binding, as the real-server tests apply them. */
  static String rbac(RenderedChart chart) {
    return header("ServiceAccount and least-privilege RBAC of the proxyfleet operator")
        + join(chart, "templates/serviceaccount.yaml", "templates/rbac.yaml");
  }

  /**
   * Everything a cluster needs without Helm: the namespace (Pod Security "restricted" enforced,
   * which the operator's pod meets), the CRDs, and the chart's defaults.
   */
  static String install(RenderedChart chart) throws IOException {
    StringBuilder out =
        new StringBuilder(
            header(
                "The ProxyFleet operator for kubectl apply -f (namespace, CRDs, ServiceAccount, RBAC, Deployment, PodDisruptionBudget, Service)"));
    out.append(
        """
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: proxyfleet-system
          labels:
            pod-security.kubernetes.io/enforce: restricted
        """);
    try (java.util.stream.Stream<Path> crds = Files.list(RenderedChart.CHART.resolve("crds"))) {
      for (Path crd : crds.sorted().toList()) {
        out.append("---\n# Source: proxyfleet/crds/")
            .append(crd.getFileName())
            .append('\n')
            .append(Files.readString(crd).strip())
            .append('\n');
      }
    }
    out.append(
        join(
            chart,
            "templates/serviceaccount.yaml",
            "templates/rbac.yaml",
            "templates/deployment.yaml",
            "templates/poddisruptionbudget.yaml",
            "templates/service.yaml"));
    return out.toString();
  }

  private static String header(String what) {
    return "# "
        + what
        + ".\n"
        + "# Rendered from helm/proxyfleet with its default values (release proxyfleet, namespace proxyfleet-system).\n"
        + "# Do not edit: change the chart, then run "
        + REGENERATE
        + "\n";
  }

  static String join(RenderedChart chart, String... sources) {
    return chart.from(sources).stream()
        .map(RenderedChart.Doc::text)
        .collect(Collectors.joining("---\n", "---\n", ""));
  }

  /**
   * With {@code -Dproxyfleet.regenerate=true} the test writes the file instead of only comparing.
   */
  static void regenerateIfAsked(Path file, String content) {
    if (Boolean.getBoolean("proxyfleet.regenerate")) {
      try {
        Files.writeString(file, content);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
