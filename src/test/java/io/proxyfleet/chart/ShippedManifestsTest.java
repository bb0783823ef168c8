package io.proxyfleet.chart;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * operator/install.yaml is the chart's defaults, and operator/Dockerfile runs what the chart
 * expects.
 */
class ShippedManifestsTest {

  static final Path DOCKERFILE = Path.of("operator/Dockerfile");

  @TempDir Path work;

  @Test
  void installYamlIsTheChartWithDefaults() throws IOException {
    String rendered = ShippedManifests.install(RenderedChart.render(ChartValues.DEFAULTS, work));
    ShippedManifests.regenerateIfAsked(ShippedManifests.INSTALL, rendered);
    assertThat(Files.readString(ShippedManifests.INSTALL))
        .as(
            "operator/install.yaml drifted from the chart; regenerate: "
                + ShippedManifests.REGENERATE)
        .isEqualTo(rendered);
    List<HasMetadata> objects = Serialization.unmarshal(rendered);
    assertThat(objects)
        .extracting(HasMetadata::getKind)
        .containsExactly(
            "Namespace",
            "CustomResourceDefinition",
            "CustomResourceDefinition",
            "CustomResourceDefinition",
            "CustomResourceDefinition",
            "CustomResourceDefinition",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Deployment",
            "PodDisruptionBudget",
            "Service");
  }

  @Test
  void dockerfileAgreesWithTheChart() throws IOException {
    String dockerfile = Files.readString(DOCKERFILE);
    Deployment deployment = RenderedChart.render(ChartValues.DEFAULTS, work).one(Deployment.class);
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    Container container = pod.getContainers().get(0);

    // Multi-stage: the jar is built with the wrapper, the runtime is a Java 17 JRE.
    assertThat(instructions(dockerfile, "FROM"))
        .containsExactly("eclipse-temurin:17-jdk AS build", "eclipse-temurin:17-jre");
    assertThat(instructions(dockerfile, "RUN"))
        .anySatisfy(r -> assertThat(r).startsWith("./mvnw ").contains(" package"));

    // The image's user is the pod's: numeric, so runAsNonRoot can be verified by the kubelet.
    assertThat(instructions(dockerfile, "USER"))
        .containsExactly(
            pod.getSecurityContext().getRunAsUser()
                + ":"
                + pod.getSecurityContext().getRunAsGroup());
    assertThat(pod.getSecurityContext().getRunAsUser()).isPositive();

    // The chart adds arguments only; the image's entrypoint runs the operator.
    assertThat(container.getCommand()).isNullOrEmpty();
    assertThat(instructions(dockerfile, "ENTRYPOINT"))
        .containsExactly("[\"java\", \"-jar\", \"/app/proxyfleet.jar\", \"operator\"]");
    assertThat(instructions(dockerfile, "COPY"))
        .contains("--from=build /proxyfleet.jar /app/proxyfleet.jar");

    // One port for probes and metrics, the same in the image, the pod and the flag.
    int port = container.getPorts().get(0).getContainerPort();
    assertThat(instructions(dockerfile, "EXPOSE")).containsExactly(Integer.toString(port));
    assertThat(container.getArgs()).contains("--http-port=" + port);

    // The image's health check asks the path the kubelet's liveness probe asks.
    assertThat(instructions(dockerfile, "HEALTHCHECK"))
        .singleElement()
        .asString()
        .contains(
            "http://127.0.0.1:"
                + port
                + container.getLivenessProbe().getHttpGet().getPath()
                + "\"");
    assertThat(container.getLivenessProbe().getHttpGet().getPath())
        .isEqualTo(io.proxyfleet.runtime.RuntimeServer.HEALTH_PATH);
    assertThat(container.getReadinessProbe().getHttpGet().getPath())
        .isEqualTo(io.proxyfleet.runtime.RuntimeServer.READY_PATH);
  }

  /** The arguments of every {@code instruction} line, in order. */
  private static List<String> instructions(String dockerfile, String instruction) {
    Matcher m = Pattern.compile("(?m)^" + instruction + "\\s+(.+)$").matcher(dockerfile);
    List<String> found = new java.util.ArrayList<>();
    while (m.find()) found.add(m.group(1).strip());
    return found;
  }
}
