package io.proxyfleet.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RequestRewriterTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static JsonNode read(String json) throws Exception {
    return MAPPER.readTree(json);
  }

  private static RecordedRequest request(
      HttpMethod method, String path, String contentType, String body) {
    return new RecordedRequest(
        "HTTP/1.1",
        method,
        path,
        Headers.builder().add("Content-Type", contentType).build(),
        new Buffer(body.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void strategicMergePatchBecomesMergePatchWithoutDirectives() throws Exception {
    RecordedRequest rewritten =
        RequestRewriter.forBuiltIn(
            request(
                HttpMethod.PATCH,
                "/api/v1/namespaces/default/configmaps/c?fieldManager=kubectl",
                "application/strategic-merge-patch+json",
                """
        {"$setElementOrder/finalizers": ["a"],
         "metadata": {"labels": {"a": "b", "gone": null}, "$retainKeys": ["labels"]},
         "data": {"k": "v"},
         "spec": {"$patch": "delete"}}
        """),
            "/api/v1/namespaces/default/configmaps/c");

    assertThat(rewritten.getHeader("Content-Type")).isEqualTo("application/merge-patch+json");
    assertThat(rewritten.getPath()).endsWith("?fieldManager=kubectl");
    assertThat(read(rewritten.getBody().readUtf8()))
        .isEqualTo(
            read(
                """
        {"metadata": {"labels": {"a": "b", "gone": null}}, "data": {"k": "v"}, "spec": null}
        """));
  }

  @Test
  void secretStringDataIsEncodedIntoData() throws Exception {
    RecordedRequest rewritten =
        RequestRewriter.forBuiltIn(
            request(
                HttpMethod.POST,
                "/api/v1/namespaces/default/secrets",
                "application/json",
                """
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
         "data": {"kept": "a2VwdA=="}, "stringData": {"user": "alice"}}
        """),
            "/api/v1/namespaces/default/secrets");

    JsonNode body = read(rewritten.getBody().readUtf8());
    assertThat(body.has("stringData")).isFalse();
    assertThat(body.path("data"))
        .isEqualTo(
            read(
                """
        {"kept": "a2VwdA==", "user": "YWxpY2U="}
        """));
  }

  @Test
  void secretMergePatchWithStringDataPatchesData() throws Exception {
    RecordedRequest rewritten =
        RequestRewriter.forBuiltIn(
            request(
                HttpMethod.PATCH,
                "/api/v1/namespaces/default/secrets/s",
                "application/merge-patch+json",
                """
        {"stringData": {"user": "bob", "removed": null}}
        """),
            "/api/v1/namespaces/default/secrets/s");

    assertThat(read(rewritten.getBody().readUtf8()))
        .isEqualTo(
            read(
                """
        {"data": {"user": "Ym9i"}}
        """));
  }

  @Test
  void otherRequestsPassUntouched() {
    RecordedRequest get =
        request(HttpMethod.GET, "/api/v1/namespaces/default/secrets", "application/json", "");
    assertThat(RequestRewriter.forBuiltIn(get, "/api/v1/namespaces/default/secrets")).isSameAs(get);
    RecordedRequest post =
        request(
            HttpMethod.POST,
            "/api/v1/namespaces/default/configmaps",
            "application/json",
            "{\"data\":{}}");
    assertThat(RequestRewriter.forBuiltIn(post, "/api/v1/namespaces/default/configmaps"))
        .isSameAs(post);
    RecordedRequest jsonPatch =
        request(
            HttpMethod.PATCH,
            "/api/v1/namespaces/default/secrets/s",
            "application/json-patch+json",
            "[]");
    assertThat(RequestRewriter.forBuiltIn(jsonPatch, "/api/v1/namespaces/default/secrets/s"))
        .isSameAs(jsonPatch);
  }

  @Test
  void arraysDropDirectiveElements() throws Exception {
    ObjectNode patch =
        (ObjectNode)
            read(
                """
        {"list": [{"name": "a"}, {"$patch": "delete", "name": "b"}, "plain"]}
        """);
    assertThat(RequestRewriter.withoutDirectives(patch))
        .isEqualTo(
            read(
                """
        {"list": [{"name": "a"}, "plain"]}
        """));
  }
}
