package io.proxyfleet.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Discovery and OpenAPI endpoints over raw HTTP, shaped as kubectl expects them. */
class DiscoveryHttpTest {

  /** What kubectl 1.32 sends for {@code /api} and {@code /apis}. */
  static final String AGGREGATED_ACCEPT =
      "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
          + "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
          + "application/json";

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static EmbeddedKubernetes api;
  private static HttpClient http;

  @BeforeAll
  static void start() {
    api = EmbeddedKubernetes.start("127.0.0.1", 0);
    api.installCrds(TestCrds.all());
    http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  static HttpResponse<String> get(String path, String accept)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(api.url() + path)).timeout(Duration.ofSeconds(10)).GET();
    if (accept != null) {
      request.header("Accept", accept);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode getJson(String path, String accept) throws IOException, InterruptedException {
    HttpResponse<String> response = get(path, accept);
    assertThat(response.statusCode()).as("GET %s: %s", path, response.body()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    return MAPPER.readTree(response.body());
  }

  private static List<String> texts(JsonNode array, String field) {
    List<String> values = new ArrayList<>();
    array.forEach(n -> values.add(n.path(field).asText()));
    return values;
  }

  private static JsonNode resource(JsonNode list, String name) {
    for (JsonNode r : list.path("resources")) {
      if (r.path("name").asText().equals(name)) {
        return r;
      }
    }
    throw new AssertionError("no resource " + name + " in " + list);
  }

  @Test
  void version() throws Exception {
    JsonNode v = getJson("/version", null);
    assertThat(v.path("major").asText()).isEqualTo("1");
    assertThat(v.path("minor").asText()).isEqualTo("32");
    assertThat(v.path("gitVersion").asText()).isEqualTo("v1.32.0-proxyfleet-local");
    assertThat(v.path("platform").asText()).matches("[a-z]+/[a-z0-9]+");
    assertThat(v.path("goVersion").asText()).isNotBlank();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/api", "/api?timeout=32s", "/api/"})
  void coreVersionsToleratingQueryAndAggregatedAccept(String path) throws Exception {
    JsonNode doc = getJson(path, AGGREGATED_ACCEPT);
    assertThat(doc.path("kind").asText()).isEqualTo("APIVersions");
    assertThat(doc.path("versions")).extracting(JsonNode::asText).containsExactly("v1");
    assertThat(doc.path("serverAddressByClientCIDRs").get(0).path("serverAddress").asText())
        .isEqualTo("127.0.0.1:" + api.port());
  }

  @Test
  void coreResources() throws Exception {
    JsonNode doc = getJson("/api/v1?timeout=32s", null);
    assertThat(doc.path("kind").asText()).isEqualTo("APIResourceList");
    assertThat(doc.path("groupVersion").asText()).isEqualTo("v1");
    assertThat(texts(doc.path("resources"), "name"))
        .contains("namespaces", "secrets", "configmaps", "events", "services", "pods");

    JsonNode namespaces = resource(doc, "namespaces");
    assertThat(namespaces.path("namespaced").asBoolean()).isFalse();
    assertThat(namespaces.path("kind").asText()).isEqualTo("Namespace");
    assertThat(namespaces.path("shortNames")).extracting(JsonNode::asText).containsExactly("ns");

    JsonNode secrets = resource(doc, "secrets");
    assertThat(secrets.path("namespaced").asBoolean()).isTrue();
    assertThat(secrets.path("kind").asText()).isEqualTo("Secret");
    assertThat(secrets.path("singularName").asText()).isEqualTo("secret");
    assertThat(secrets.path("verbs"))
        .extracting(JsonNode::asText)
        .contains("create", "delete", "get", "list", "patch", "update", "watch");

    assertThat(resource(doc, "configmaps").path("shortNames"))
        .extracting(JsonNode::asText)
        .containsExactly("cm");
    assertThat(resource(doc, "events").path("shortNames"))
        .extracting(JsonNode::asText)
        .containsExactly("ev");
  }

  @Test
  void groupsIncludeBuiltInsAndInstalledCrds() throws Exception {
    JsonNode doc = getJson("/apis?timeout=32s", AGGREGATED_ACCEPT);
    assertThat(doc.path("kind").asText()).isEqualTo("APIGroupList");
    assertThat(texts(doc.path("groups"), "name"))
        .contains(
            "apiextensions.k8s.io",
            "coordination.k8s.io",
            "events.k8s.io",
            "example.proxyfleet.io");
    for (JsonNode group : doc.path("groups")) {
      assertThat(group.path("preferredVersion").path("groupVersion").asText())
          .startsWith(group.path("name").asText() + "/");
      assertThat(group.path("versions")).isNotEmpty();
    }

    JsonNode example = getJson("/apis/example.proxyfleet.io", null);
    assertThat(example.path("kind").asText()).isEqualTo("APIGroup");
    assertThat(example.path("preferredVersion").path("groupVersion").asText())
        .isEqualTo("example.proxyfleet.io/v1");
  }

  @Test
  void crdResources() throws Exception {
    JsonNode doc = getJson("/apis/example.proxyfleet.io/v1?timeout=32s", null);
    assertThat(doc.path("kind").asText()).isEqualTo("APIResourceList");
    assertThat(doc.path("groupVersion").asText()).isEqualTo("example.proxyfleet.io/v1");
    assertThat(texts(doc.path("resources"), "name"))
        .containsExactlyInAnyOrder("widgets", "widgets/status", "gadgets");

    JsonNode widgets = resource(doc, "widgets");
    assertThat(widgets.path("singularName").asText()).isEqualTo("widget");
    assertThat(widgets.path("namespaced").asBoolean()).isTrue();
    assertThat(widgets.path("kind").asText()).isEqualTo("Widget");
    assertThat(widgets.path("shortNames")).extracting(JsonNode::asText).containsExactly("wd");
    assertThat(widgets.path("categories"))
        .extracting(JsonNode::asText)
        .containsExactly("proxyfleet");
    assertThat(widgets.path("verbs"))
        .extracting(JsonNode::asText)
        .containsExactly(
            "create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");

    JsonNode status = resource(doc, "widgets/status");
    assertThat(status.path("kind").asText()).isEqualTo("Widget");
    assertThat(status.path("verbs"))
        .extracting(JsonNode::asText)
        .containsExactly("get", "patch", "update");

    JsonNode gadgets = resource(doc, "gadgets");
    assertThat(gadgets.path("namespaced").asBoolean()).isFalse();
    assertThat(gadgets.path("shortNames")).extracting(JsonNode::asText).containsExactly("gd");
  }

  @Test
  void builtInGroupResources() throws Exception {
    JsonNode crds = getJson("/apis/apiextensions.k8s.io/v1", null);
    JsonNode crd = resource(crds, "customresourcedefinitions");
    assertThat(crd.path("namespaced").asBoolean()).isFalse();
    assertThat(crd.path("kind").asText()).isEqualTo("CustomResourceDefinition");

    JsonNode leases = resource(getJson("/apis/coordination.k8s.io/v1", null), "leases");
    assertThat(leases.path("namespaced").asBoolean()).isTrue();
    assertThat(leases.path("kind").asText()).isEqualTo("Lease");

    JsonNode events = resource(getJson("/apis/events.k8s.io/v1", null), "events");
    assertThat(events.path("kind").asText()).isEqualTo("Event");
  }

  @Test
  void unknownGroupVersionIsNotFound() throws Exception {
    assertThat(get("/apis/nope.example.com/v1", null).statusCode()).isEqualTo(404);
    assertThat(get("/apis/example.proxyfleet.io/v9", null).statusCode()).isEqualTo(404);
    assertThat(get("/apis/nope.example.com", null).statusCode()).isEqualTo(404);
  }

  @Test
  void crdCreatedThroughTheApiAppearsAndDeletedOneDisappears() throws Exception {
    try (EmbeddedKubernetes own = EmbeddedKubernetes.start("127.0.0.1", 0)) {
      assertThat(own.client().getApiGroups().getGroups())
          .extracting(g -> g.getName())
          .doesNotContain("example.proxyfleet.io");
      own.client()
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .resource(TestCrds.widgets())
          .create();
      assertThat(own.client().getApiGroups().getGroups())
          .extracting(g -> g.getName())
          .contains("example.proxyfleet.io");
      own.client()
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .withName("widgets.example.proxyfleet.io")
          .delete();
      assertThat(own.client().getApiGroups().getGroups())
          .extracting(g -> g.getName())
          .doesNotContain("example.proxyfleet.io");
    }
  }

  @Test
  void openApiV3IndexAndDocuments() throws Exception {
    JsonNode index = getJson("/openapi/v3", null);
    JsonNode paths = index.path("paths");
    assertThat(paths.has("api/v1")).isTrue();
    assertThat(paths.has("apis/example.proxyfleet.io/v1")).isTrue();
    String url = paths.path("apis/example.proxyfleet.io/v1").path("serverRelativeURL").asText();
    assertThat(url).startsWith("/openapi/v3/apis/example.proxyfleet.io/v1?hash=");

    JsonNode doc = getJson(url, "application/json");
    assertThat(doc.path("openapi").asText()).startsWith("3.");
    JsonNode patch =
        doc.path("paths")
            .path("/apis/example.proxyfleet.io/v1/namespaces/{namespace}/widgets/{name}")
            .path("patch");
    assertThat(patch.path("x-kubernetes-group-version-kind").path("kind").asText())
        .isEqualTo("Widget");
    assertThat(texts(patch.path("parameters"), "name")).contains("fieldValidation");
    assertThat(
            patch.path("requestBody").path("content").has("application/strategic-merge-patch+json"))
        .isFalse();
  }

  @Test
  void openApiV2IsNotServed() throws Exception {
    assertThat(get("/openapi/v2", "application/json").statusCode()).isEqualTo(404);
  }

  @Test
  void healthEndpoints() throws Exception {
    for (String path : List.of("/healthz", "/readyz", "/livez?verbose")) {
      HttpResponse<String> response = get(path, null);
      assertThat(response.statusCode()).as(path).isEqualTo(200);
      assertThat(response.body()).isEqualTo("ok");
    }
  }

  @Test
  void httpWatchIsRejectedWithAnExplanation() throws Exception {
    HttpResponse<String> response =
        get("/apis/example.proxyfleet.io/v1/namespaces/default/widgets?watch=true", null);
    assertThat(response.statusCode()).isEqualTo(405);
    JsonNode status = MAPPER.readTree(response.body());
    assertThat(status.path("kind").asText()).isEqualTo("Status");
    assertThat(status.path("message").asText()).contains("kubectl get -w");
  }
}
