package io.proxyfleet.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Rewrites writes to built-in kinds into what the CRUD dispatcher understands, where kubectl and
 * the real API server rely on behaviour the mock lacks.
 */
final class RequestRewriter {

  private static final String STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json";
  private static final String MERGE_PATCH = "application/merge-patch+json";
  private static final String PROTOBUF = "application/vnd.kubernetes.protobuf";
  private static final Pattern SECRETS =
      Pattern.compile("/api/v1/namespaces/[^/]+/secrets(/[^/]+)?");

  private RequestRewriter() {}

  /** The request to hand to the store in place of {@code request}; often {@code request} itself. */
  static RecordedRequest forBuiltIn(RecordedRequest request, String path) {
    request = protobufAsJson(request);
    String method = request.getMethod().toUpperCase(Locale.ROOT);
    boolean secret = SECRETS.matcher(path).matches();
    boolean strategic =
        method.equals("PATCH") && contentType(request).startsWith(STRATEGIC_MERGE_PATCH);
    boolean mergePatch = method.equals("PATCH") && contentType(request).startsWith(MERGE_PATCH);
    boolean write = method.equals("POST") || method.equals("PUT");
    if (!strategic && !(secret && (write || mergePatch))) {
      return request;
    }
    byte[] body = request.getBody() == null ? new byte[0] : request.getBody().getBytes();
    JsonNode json;
    try {
      json = Json.MAPPER.readTree(body);
    } catch (IOException e) {
      return request;
    }
    if (json == null || !json.isObject()) {
      return request;
    }
    if (strategic) {
      json = withoutDirectives(json);
    }
    if (secret && json.isObject()) {
      json = stringDataIntoData((ObjectNode) json);
      if (write && json.path("type").asText("").isEmpty()) {
        // kube-apiserver defaults the type; kubectl create secret generic leaves it empty.
        ((ObjectNode) json).put("type", "Opaque");
      }
    }
    var headers = request.getHeaders().newBuilder();
    if (strategic) {
      headers.set("Content-Type", MERGE_PATCH);
    }
    try {
      return new RecordedRequest(
          request.getHttpVersion(),
          request.method(),
          request.getPath(),
          headers.build(),
          new Buffer(Json.MAPPER.writeValueAsBytes(json)));
    } catch (IOException e) {
      return request;
    }
  }

  /**
   * kubectl's typed clients ({@code create secret}, {@code create configmap}) write protobuf, which
   * the mock cannot read; the Secrets and ConfigMaps among them are turned into JSON. Other
   * protobuf bodies pass unchanged, and {@link ResourceWrites} refuses them with 415.
   */
  static RecordedRequest protobufAsJson(RecordedRequest request) {
    if (!contentType(request).startsWith(PROTOBUF) || request.getBody() == null) {
      return request;
    }
    return ProtobufBody.decode(request.getBody().getBytes())
        .map(
            json -> {
              var headers = request.getHeaders().newBuilder();
              headers.set("Content-Type", "application/json");
              try {
                return new RecordedRequest(
                    request.getHttpVersion(),
                    request.method(),
                    request.getPath(),
                    headers.build(),
                    new Buffer(Json.MAPPER.writeValueAsBytes(json)));
              } catch (IOException e) {
                return request;
              }
            })
        .orElse(request);
  }

  /**
   * The CRUD dispatcher only knows JSON patch and JSON merge patch, but kubectl sends strategic
   * merge patches for built-in kinds ({@code kubectl apply} of an existing Secret, plain {@code
   * kubectl patch}). Dropping the {@code $}-directives turns such a patch into a merge patch that
   * does the same for maps and scalars; lists are replaced rather than merged by key, which is fine
   * for the Secrets, ConfigMaps and metadata this project patches.
   */
  static JsonNode withoutDirectives(JsonNode node) {
    if (node == null) {
      return JsonNodeFactory.instance.nullNode();
    }
    if (node.isObject()) {
      if ("delete".equals(node.path("$patch").asText(null))) {
        return JsonNodeFactory.instance.nullNode();
      }
      ObjectNode copy = Json.object();
      for (Map.Entry<String, JsonNode> field : node.properties()) {
        if (!field.getKey().startsWith("$")) {
          copy.set(field.getKey(), withoutDirectives(field.getValue()));
        }
      }
      return copy;
    }
    if (node.isArray()) {
      var copy = Json.MAPPER.createArrayNode();
      for (JsonNode element : node) {
        if (!(element.isObject() && element.has("$patch"))) {
          copy.add(withoutDirectives(element));
        }
      }
      return copy;
    }
    return node;
  }

  /**
   * The API server never stores {@code stringData}: it base64-encodes it into {@code data}, and
   * readers (the operator included) only look at {@code data}. Applied to a full Secret or to a
   * merge patch alike; a {@code null} in a patch's stringData removes nothing, as on a real server,
   * because there is no stored stringData to remove it from.
   */
  static ObjectNode stringDataIntoData(ObjectNode secret) {
    JsonNode stringData = secret.remove("stringData");
    if (stringData == null || !stringData.isObject() || stringData.isEmpty()) {
      return secret;
    }
    JsonNode existing = secret.get("data");
    ObjectNode data =
        existing != null && existing.isObject() ? (ObjectNode) existing : Json.object();
    for (Map.Entry<String, JsonNode> entry : stringData.properties()) {
      if (!entry.getValue().isNull()) {
        data.put(
            entry.getKey(),
            Base64.getEncoder()
                .encodeToString(entry.getValue().asText().getBytes(StandardCharsets.UTF_8)));
      }
    }
    secret.set("data", data);
    return secret;
  }

  private static String contentType(RecordedRequest request) {
    String type = ApiDispatcher.header(request, "Content-Type");
    return type == null ? "" : type.toLowerCase(Locale.ROOT).trim();
  }
}
