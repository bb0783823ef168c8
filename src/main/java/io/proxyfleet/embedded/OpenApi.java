package io.proxyfleet.embedded;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A minimal OpenAPI v3 discovery: one document per group version with just a PATCH operation per
 * kind that declares the {@code fieldValidation} query parameter.
 *
 * <p>That is exactly what kubectl's {@code --validate=strict} (the default) looks for before
 * sending {@code fieldValidation=Strict}; without it kubectl falls back to client-side validation,
 * which needs the full OpenAPI v2 schema and makes plain {@code kubectl apply} fail. No schemas are
 * published, and the PATCH operations deliberately do not offer strategic merge patch so kubectl
 * never tries to compute one from (absent) OpenAPI schemas. The server does not validate fields.
 */
final class OpenApi {

  static final String V3_PREFIX = "/openapi/v3/";

  private final Discovery discovery;
  private final CrdCatalog crds;

  OpenApi(Discovery discovery, CrdCatalog crds) {
    this.discovery = discovery;
    this.crds = crds;
  }

  /** The {@code /openapi/v3} index: one entry per group version, pointing at a hashed URL. */
  ObjectNode index() {
    ObjectNode doc = Json.object();
    ObjectNode paths = doc.putObject("paths");
    documents()
        .forEach(
            (key, gvDoc) -> {
              ObjectNode entry = paths.putObject(key);
              entry.put("serverRelativeURL", V3_PREFIX + key + "?hash=" + hash(gvDoc));
            });
    return doc;
  }

  /** The document for {@code api/v1} or {@code apis/{group}/{version}}. */
  Optional<ObjectNode> document(String key) {
    return Optional.ofNullable(documents().get(key));
  }

  private Map<String, ObjectNode> documents() {
    Map<String, ObjectNode> docs = new LinkedHashMap<>();
    for (Discovery.BuiltIn b : Discovery.BUILT_INS) {
      addPatchPath(docs, b.group(), b.version(), b.kind(), b.plural(), b.namespaced());
    }
    for (CrdCatalog.Served s : crds.served()) {
      addPatchPath(docs, s.group(), s.version().getName(), s.kind(), s.plural(), s.namespaced());
    }
    // A group version that discovery lists must have a document, or kubectl reports it missing.
    discovery
        .groups()
        .forEach(
            (group, versions) ->
                versions.forEach(
                    v -> docs.computeIfAbsent("apis/" + group + "/" + v, k -> emptyDocument())));
    return docs;
  }

  private static void addPatchPath(
      Map<String, ObjectNode> docs,
      String group,
      String version,
      String kind,
      String plural,
      boolean namespaced) {
    String key = group.isEmpty() ? "api/" + version : "apis/" + group + "/" + version;
    ObjectNode doc = docs.computeIfAbsent(key, k -> emptyDocument());
    String path = "/" + key + (namespaced ? "/namespaces/{namespace}/" : "/") + plural + "/{name}";

    ObjectNode patch = ((ObjectNode) doc.get("paths")).putObject(path).putObject("patch");
    patch.put("operationId", "patch" + kind);
    ArrayNode parameters = patch.putArray("parameters");
    parameters.add(queryParameter("fieldValidation"));
    parameters.add(queryParameter("fieldManager"));
    parameters.add(queryParameter("dryRun"));
    ObjectNode content = patch.putObject("requestBody").putObject("content");
    content.putObject("application/json-patch+json").putObject("schema").put("type", "object");
    content.putObject("application/merge-patch+json").putObject("schema").put("type", "object");
    patch.putObject("responses").putObject("200").put("description", "OK");
    patch.put("x-kubernetes-action", "patch");
    ObjectNode gvk = patch.putObject("x-kubernetes-group-version-kind");
    gvk.put("group", group);
    gvk.put("version", version);
    gvk.put("kind", kind);
  }

  private static ObjectNode queryParameter(String name) {
    ObjectNode p = Json.object();
    p.put("name", name);
    p.put("in", "query");
    p.putObject("schema").put("type", "string");
    return p;
  }

  private static ObjectNode emptyDocument() {
    ObjectNode doc = Json.object();
    doc.put("openapi", "3.0.0");
    ObjectNode info = doc.putObject("info");
    info.put("title", "Kubernetes");
    info.put("version", Discovery.GIT_VERSION);
    doc.putObject("paths");
    doc.putObject("components").putObject("schemas");
    return doc;
  }

  private static String hash(ObjectNode doc) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-512")
              .digest(Json.MAPPER.writeValueAsString(doc).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().withUpperCase().formatHex(digest, 0, 32);
    } catch (NoSuchAlgorithmException | JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
