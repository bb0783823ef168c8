package io.proxyfleet.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Table conversion as served over HTTP for kubectl's Accept header. */
class TableHttpTest {

  private static final String KUBECTL_TABLE_ACCEPT = TableConverterTest.KUBECTL_TABLE_ACCEPT;
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static EmbeddedKubernetes api;

  @BeforeAll
  static void start() {
    api = EmbeddedKubernetes.start("127.0.0.1", 0);
    api.installCrds(TestCrds.all());
    GenericKubernetesResource w = TestCrds.widget("http-w", 4);
    w.setAdditionalProperty("status", Map.of("phase", "Pending"));
    api.client().genericKubernetesResources(TestCrds.WIDGETS).resource(w).create();
    api.client()
        .genericKubernetesResources(TestCrds.GADGETS)
        .resource(TestCrds.gadget("http-g", "us-east-1"))
        .create();
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  private HttpResponse<String> get(String path, String accept) throws Exception {
    var request = HttpRequest.newBuilder(URI.create(api.url() + path));
    if (accept != null) {
      request.header("Accept", accept);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode read(String json) throws Exception {
    return MAPPER.readTree(json);
  }

  private static List<String> columnNames(JsonNode table) {
    List<String> names = new ArrayList<>();
    table.path("columnDefinitions").forEach(c -> names.add(c.path("name").asText()));
    return names;
  }

  @Test
  void listOfCustomResources() throws Exception {
    HttpResponse<String> response =
        get(
            "/apis/example.proxyfleet.io/v1/namespaces/default/widgets?limit=500",
            KUBECTL_TABLE_ACCEPT);
    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode table = read(response.body());
    assertThat(table.path("kind").asText()).isEqualTo("Table");
    assertThat(columnNames(table)).containsExactly("Name", "Size", "Phase", "Age");
    JsonNode cells = table.path("rows").get(0).path("cells");
    assertThat(cells.get(0).asText()).isEqualTo("http-w");
    assertThat(cells.get(1).asInt()).isEqualTo(4);
    assertThat(cells.get(3).asText()).matches("\\d+s");
  }

  @Test
  void singleCustomResourceAndClusterScoped() throws Exception {
    JsonNode one =
        read(
            get(
                    "/apis/example.proxyfleet.io/v1/namespaces/default/widgets/http-w",
                    KUBECTL_TABLE_ACCEPT)
                .body());
    assertThat(one.path("kind").asText()).isEqualTo("Table");
    assertThat(one.path("rows")).hasSize(1);

    JsonNode gadgets =
        read(get("/apis/example.proxyfleet.io/v1/gadgets", KUBECTL_TABLE_ACCEPT).body());
    assertThat(columnNames(gadgets)).containsExactly("Name", "Region", "Ready", "Detail");
    assertThat(gadgets.path("rows").get(0).path("cells"))
        .isEqualTo(read("[\"http-g\", \"us-east-1\", null, null]"));
  }

  @Test
  void missingObjectIsStillNotFound() throws Exception {
    assertThat(
            get(
                    "/apis/example.proxyfleet.io/v1/namespaces/default/widgets/nope",
                    KUBECTL_TABLE_ACCEPT)
                .statusCode())
        .isEqualTo(404);
  }

  @Test
  void plainJsonWithoutTableAccept() throws Exception {
    JsonNode list =
        read(
            get("/apis/example.proxyfleet.io/v1/namespaces/default/widgets", "application/json")
                .body());
    assertThat(list.path("kind").asText()).isNotEqualTo("Table");
    assertThat(list.path("items").get(0).path("spec").path("size").asInt()).isEqualTo(4);
  }

  @Test
  void coreResourcesAreNotConverted() throws Exception {
    JsonNode list = read(get("/api/v1/namespaces", KUBECTL_TABLE_ACCEPT).body());
    assertThat(list.path("kind").asText()).isNotEqualTo("Table");
    assertThat(list.path("items")).isNotEmpty();
  }
}
