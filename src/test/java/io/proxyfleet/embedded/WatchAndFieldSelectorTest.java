package io.proxyfleet.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.proxyfleet.testing.Kubectl;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Watches over plain HTTP (answered by polling) and field selectors, over raw HTTP and through the
 * real {@code kubectl wait}.
 */
class WatchAndFieldSelectorTest {

  private static final String WIDGETS = "/apis/example.proxyfleet.io/v1/namespaces/default/widgets";

  private static EmbeddedKubernetes api;
  private static KubernetesClient client;
  private static HttpClient http;

  @BeforeAll
  static void start() {
    api = EmbeddedKubernetes.start("127.0.0.1", 0);
    api.installCrds(TestCrds.all());
    client = api.client();
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  private static JsonNode get(String pathAndQuery) throws IOException, InterruptedException {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(api.url() + pathAndQuery))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return Json.MAPPER.readTree(response.body());
  }

  /** The events of one poll of a watch, in order. */
  private static List<JsonNode> watch(String pathAndQuery)
      throws IOException, InterruptedException {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(api.url() + pathAndQuery))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    List<JsonNode> events = new ArrayList<>();
    for (String line : response.body().split("\n")) {
      if (!line.isBlank()) {
        events.add(Json.MAPPER.readTree(line));
      }
    }
    return events;
  }

  private static GenericKubernetesResource create(String name) {
    return client
        .genericKubernetesResources(TestCrds.WIDGETS)
        .inNamespace("default")
        .resource(TestCrds.widget(name, 1))
        .create();
  }

  @Test
  void aListHonoursItsFieldSelector() throws Exception {
    create("fs-a");
    create("fs-b");

    JsonNode one = get(WIDGETS + "?fieldSelector=metadata.name%3Dfs-a");
    JsonNode others = get(WIDGETS + "?fieldSelector=metadata.name!%3Dfs-a");

    assertThat(one.path("items"))
        .extracting(i -> i.path("metadata").path("name").asText())
        .containsExactly("fs-a");
    assertThat(others.path("items"))
        .extracting(i -> i.path("metadata").path("name").asText())
        .contains("fs-b")
        .doesNotContain("fs-a");
  }

  @Test
  void aWatchSendsWhatChangedSinceItsResourceVersionIncludingDeletions() throws Exception {
    create("watched");
    create("bystander");
    String since = get(WIDGETS).path("metadata").path("resourceVersion").asText();
    var watched =
        client
            .genericKubernetesResources(TestCrds.WIDGETS)
            .inNamespace("default")
            .withName("watched");

    watched.patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"size\":5}}");
    create("newcomer");
    watched.delete();
    client
        .genericKubernetesResources(TestCrds.WIDGETS)
        .inNamespace("default")
        .withName("bystander")
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"size\":9}}");

    List<JsonNode> all =
        watch(WIDGETS + "?watch=true&allowWatchBookmarks=true&resourceVersion=" + since);
    assertThat(all)
        .extracting(
            e ->
                e.path("type").asText()
                    + " "
                    + e.path("object").path("metadata").path("name").asText())
        .containsExactly("ADDED newcomer", "DELETED watched", "MODIFIED bystander");

    List<JsonNode> one =
        watch(
            WIDGETS
                + "?watch=true&allowWatchBookmarks=true&resourceVersion="
                + since
                + "&fieldSelector=metadata.name%3Dwatched");
    assertThat(one).extracting(e -> e.path("type").asText()).containsExactly("DELETED");
    // The deleted object is sent as it was last stored, at the deletion's resourceVersion.
    assertThat(one.get(0).path("object").path("spec").path("size").asInt()).isEqualTo(5);
  }

  @Test
  void aWatchFromAClientThatWouldNotWatchAgainIsRefused() throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(api.url() + WIDGETS + "?watch=true")).build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(405);
    assertThat(response.body()).contains("kubectl get -w is not supported");
  }

  @Test
  void aWatchWithNothingNewIsHeldForAPollIntervalAndEndsEmpty() throws Exception {
    String now = get(WIDGETS).path("metadata").path("resourceVersion").asText();
    long started = System.nanoTime();

    List<JsonNode> none =
        watch(WIDGETS + "?watch=true&allowWatchBookmarks=true&resourceVersion=" + now);

    assertThat(none).isEmpty();
    // client-go takes a watch shorter than a second without events as an error and backs off.
    assertThat(Duration.ofNanos(System.nanoTime() - started))
        .isGreaterThanOrEqualTo(PollingWatch.POLL);
  }

  /**
   * kubectl wait lists, then watches; the status is written only once its log shows the watch, so
   * the condition can only have been seen through the watch.
   */
  @Test
  void kubectlWaitSeesAConditionThatBecomesTrueWhileItWaits(@TempDir Path work) throws Exception {
    String executable = Kubectl.locateOrSkip();
    Path kubeconfig = work.resolve("kubeconfig");
    api.writeKubeconfig(kubeconfig);
    create("waited");
    create("ready-elsewhere");
    client
        .genericKubernetesResources(TestCrds.WIDGETS)
        .inNamespace("default")
        .withName("ready-elsewhere")
        .subresource("status")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"status\":{\"conditions\":[{\"type\":" + "\"Ready\",\"status\":\"True\"}]}}");
    Path log = work.resolve("wait.log");
    Process wait =
        new ProcessBuilder(
                executable,
                "--kubeconfig",
                kubeconfig.toString(),
                "--cache-dir",
                work.resolve("cache").toString(),
                "-v=6",
                "wait",
                "--for=condition=Ready",
                "widget/waited",
                "--timeout=60s")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> Files.exists(log) && Files.readString(log).contains("watch=true"));
      assertThat(wait.isAlive())
          .as(
              "kubectl wait must still wait: another widget's Ready"
                  + " condition is no answer\n%s",
              Files.readString(log))
          .isTrue();

      client
          .genericKubernetesResources(TestCrds.WIDGETS)
          .inNamespace("default")
          .withName("waited")
          .subresource("status")
          .patch(
              PatchContext.of(PatchType.JSON_MERGE),
              Json.MAPPER.writeValueAsString(
                  Map.of(
                      "status",
                      Map.of("conditions", List.of(Map.of("type", "Ready", "status", "True"))))));

      assertThat(wait.waitFor(30, TimeUnit.SECONDS)).as(Files.readString(log)).isTrue();
      assertThat(wait.exitValue()).as(Files.readString(log)).isZero();
      assertThat(Files.readString(log))
          .contains("widget.example.proxyfleet.io/waited condition met");
    } finally {
      wait.destroyForcibly();
    }
  }
}
