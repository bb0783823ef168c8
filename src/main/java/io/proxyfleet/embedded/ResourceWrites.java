package io.proxyfleet.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.zjsonpatch.JsonDiff;
import io.fabric8.zjsonpatch.JsonPatch;
import io.fabric8.zjsonpatch.JsonPatchException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The writes the CRUD dispatcher gets wrong, done here with the store as plain storage: merge
 * patches (RFC 7386, lists replaced), JSON patches (a failed {@code test} is a 422, not a 500),
 * server-side dry runs ({@code dryRun=All}: validated and answered as if done, nothing persisted),
 * schema defaults of custom resources, and the {@code /scale} subresource of CRDs that declare one.
 *
 * <p>A patch is turned into the full object it produces and handed to the store as a JSON patch
 * guarded by the resourceVersion, so the store's own rules (status subresource, generation,
 * resourceVersion, watch events) still apply to it.
 */
final class ResourceWrites {

  private static final String MERGE_PATCH = "application/merge-patch+json";
  private static final String JSON_PATCH = "application/json-patch+json";
  private static final String PROTOBUF = "application/vnd.kubernetes.protobuf";

  /** Patches that did not name a resourceVersion are retried when a concurrent write wins. */
  private static final int ATTEMPTS = 5;

  private final KubernetesCrudDispatcher store;
  private final CrdCatalog crds;

  ResourceWrites(KubernetesCrudDispatcher store, CrdCatalog crds) {
    this.store = store;
    this.crds = crds;
  }

  /** The answer to {@code request} if this class does such writes; empty to let the store. */
  Optional<MockResponse> handle(RecordedRequest request, String method, String path, String query) {
    Optional<ApiDispatcher.ResourcePath> parsed = ApiDispatcher.ResourcePath.parse(path);
    if (parsed.isEmpty() || method.equals("GET") && !"scale".equals(parsed.get().subresource())) {
      return Optional.empty();
    }
    ApiDispatcher.ResourcePath r = parsed.get();
    Optional<CrdCatalog.Served> served = crds.find(r.group(), r.version(), r.plural());
    if (!method.equals("GET")
        && !method.equals("DELETE")
        && contentType(request).startsWith(PROTOBUF)) {
      // RequestRewriter has turned the protobuf Secrets and ConfigMaps of kubectl create into
      // JSON; the mock can read nothing else in protobuf, so say so rather than fail to parse.
      return Optional.of(
          ApiDispatcher.status(
              415,
              "UnsupportedMediaType",
              "the local API accepts JSON only, not " + contentType(request)));
    }
    boolean dryRun =
        Arrays.stream(query.split("&")).anyMatch(p -> p.equals("dryRun=All"))
            || method.equals("DELETE") && deleteOptionsSayDryRun(request);
    if ("scale".equals(r.subresource())) {
      if (served.isEmpty() || !served.get().hasScaleSubresource()) {
        return Optional.of(notFound(r));
      }
      return Optional.of(scale(request, method, r, served.get(), dryRun));
    }
    if (r.subresource() != null && !r.subresource().equals("status")) {
      return Optional.empty();
    }
    try {
      return switch (method) {
        case "POST" ->
            served.isPresent() || dryRun
                ? Optional.of(create(request, r, served, dryRun))
                : Optional.empty();
        case "PUT" ->
            served.isPresent() || dryRun
                ? Optional.of(update(request, r, served, dryRun))
                : Optional.empty();
        case "PATCH" ->
            isOwnPatch(request) ? Optional.of(patch(request, r, served, dryRun)) : Optional.empty();
        case "DELETE" -> dryRun ? Optional.of(deleteDryRun(r)) : Optional.empty();
        default -> Optional.empty();
      };
    } catch (BadRequest e) {
      return Optional.of(e.response);
    }
  }

  /**
   * Hands {@code target} to the store as a JSON patch from {@code current}, guarded by a test of
   * the resourceVersion so that a concurrent write makes it fail rather than be overwritten. The
   * path goes without its query: the store takes {@code .../status?fieldManager=kubectl-patch} for
   * the main resource and then ignores the status.
   */
  private MockResponse storeAs(
      RecordedRequest request, String path, ObjectNode current, ObjectNode target) {
    if (withoutVersion(target).equals(withoutVersion(current))) {
      // kube-apiserver does not write a change that changes nothing: the resourceVersion stays,
      // no watch event is sent, and kubectl says "patched (no change)".
      return json(200, current);
    }
    var operations = Json.MAPPER.createArrayNode();
    operations
        .addObject()
        .put("op", "test")
        .put("path", "/metadata/resourceVersion")
        .set("value", current.path("metadata").path("resourceVersion"));
    JsonNode diff = JsonDiff.asJson(current, target);
    diff.forEach(operations::add);
    var headers = request.getHeaders().newBuilder();
    headers.set("Content-Type", JSON_PATCH);
    MockResponse stored =
        store.dispatch(
            new RecordedRequest(
                request.getHttpVersion(),
                HttpMethod.PATCH,
                path,
                headers.build(),
                new Buffer(operations.toString().getBytes(StandardCharsets.UTF_8))));
    // The store answers a patch with 202; kube-apiserver with 200.
    return stored.code() == 202 ? stored.setResponseCode(200) : stored;
  }

  private static JsonNode withoutVersion(ObjectNode object) {
    ObjectNode copy = object.deepCopy();
    copy.with("metadata").remove("resourceVersion");
    return copy;
  }

  private boolean changedSince(ApiDispatcher.ResourcePath r, ObjectNode read) {
    return current(r)
        .map(
            now ->
                !now.path("metadata")
                    .path("resourceVersion")
                    .equals(read.path("metadata").path("resourceVersion")))
        .orElse(true);
  }

  /** kubectl delete sends dry runs in the DeleteOptions body, not in the query. */
  private static boolean deleteOptionsSayDryRun(RecordedRequest request) {
    if (request.getBody() == null || request.getBody().size() == 0) {
      return false;
    }
    try {
      JsonNode options = Json.MAPPER.readTree(request.getBody().getBytes());
      if (options != null) {
        for (JsonNode value : options.path("dryRun")) {
          if (value.asText().equals("All")) {
            return true;
          }
        }
      }
      return false;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean isOwnPatch(RecordedRequest request) {
    String type = contentType(request);
    return type.startsWith(MERGE_PATCH) || type.startsWith(JSON_PATCH);
  }

  private MockResponse create(
      RecordedRequest request,
      ApiDispatcher.ResourcePath r,
      Optional<CrdCatalog.Served> served,
      boolean dryRun)
      throws BadRequest {
    ObjectNode object = body(request);
    served.ifPresent(s -> SchemaDefaults.apply(object, schema(s)));
    if (!dryRun) {
      return store.dispatch(withBody(request, HttpMethod.POST, r.path(), object));
    }
    ObjectNode metadata = object.with("metadata");
    if (!metadata.hasNonNull("name") && metadata.hasNonNull("generateName")) {
      metadata.put(
          "name",
          metadata.get("generateName").asText() + UUID.randomUUID().toString().substring(0, 5));
    }
    String name = metadata.path("name").asText("");
    if (name.isEmpty()) {
      return ApiDispatcher.status(
          422, "Invalid", "metadata.name: Required value: name or" + " generateName is required");
    }
    if (current(r.withName(name)).isPresent()) {
      return ApiDispatcher.status(
          409, "AlreadyExists", resource(r) + " \"" + name + "\" already exists");
    }
    if (r.namespace() != null) {
      metadata.put("namespace", r.namespace());
    }
    metadata.put("uid", UUID.randomUUID().toString());
    metadata.put("creationTimestamp", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    metadata.put("generation", 1);
    if (served.isPresent() && served.get().hasStatusSubresource()) {
      object.remove("status");
    }
    return json(201, object);
  }

  private MockResponse update(
      RecordedRequest request,
      ApiDispatcher.ResourcePath r,
      Optional<CrdCatalog.Served> served,
      boolean dryRun)
      throws BadRequest {
    ObjectNode object = body(request);
    if (r.subresource() == null) {
      served.ifPresent(s -> SchemaDefaults.apply(object, schema(s)));
    }
    if (!dryRun) {
      return store.dispatch(withBody(request, HttpMethod.PUT, r.path(), object));
    }
    ObjectNode current = current(r).orElseThrow(() -> new BadRequest(notFound(r)));
    return json(200, result(current, object, r, served));
  }

  private MockResponse patch(
      RecordedRequest request,
      ApiDispatcher.ResourcePath r,
      Optional<CrdCatalog.Served> served,
      boolean dryRun)
      throws BadRequest {
    JsonNode patch = parse(request);
    for (int attempt = 1; ; attempt++) {
      ObjectNode current = current(r).orElseThrow(() -> new BadRequest(notFound(r)));
      ObjectNode patched = applyPatch(contentType(request), current, patch);
      if (r.subresource() == null) {
        served.ifPresent(s -> SchemaDefaults.apply(patched, schema(s)));
      }
      if (dryRun) {
        return json(200, result(current, patched, r, served));
      }
      MockResponse stored = storeAs(request, r.path(), current, patched);
      if (stored.code() < 300
          || patch.path("metadata").has("resourceVersion")
          || attempt == ATTEMPTS
          || !changedSince(r, current)) {
        return stored;
      }
    }
  }

  private MockResponse deleteDryRun(ApiDispatcher.ResourcePath r) {
    if (r.name() == null) {
      return store.handleGet(r.path());
    }
    return current(r).map(object -> json(200, object)).orElseGet(() -> notFound(r));
  }

  /**
   * GET, PUT and PATCH of the autoscaling/v1 Scale of a custom resource, with the replica and
   * selector paths read from the CRD (specReplicasPath, statusReplicasPath, labelSelectorPath).
   */
  private MockResponse scale(
      RecordedRequest request,
      String method,
      ApiDispatcher.ResourcePath r,
      CrdCatalog.Served served,
      boolean dryRun) {
    ApiDispatcher.ResourcePath main = r.withoutSubresource();
    var paths = served.version().getSubresources().getScale();
    try {
      for (int attempt = 1; ; attempt++) {
        ObjectNode current = current(main).orElseThrow(() -> new BadRequest(notFound(main)));
        ObjectNode scale =
            scaleOf(
                current,
                paths.getSpecReplicasPath(),
                paths.getStatusReplicasPath(),
                paths.getLabelSelectorPath());
        JsonNode wanted;
        switch (method) {
          case "GET" -> {
            return json(200, scale);
          }
          case "PUT" -> wanted = parse(request);
          case "PATCH" -> {
            if (!isOwnPatch(request)) {
              return ApiDispatcher.status(
                  415,
                  "UnsupportedMediaType",
                  "the scale subresource takes merge and JSON patches");
            }
            wanted = applyPatch(contentType(request), scale, parse(request));
          }
          default -> {
            return ApiDispatcher.status(
                405, "MethodNotAllowed", method + " is not allowed on " + "the scale subresource");
          }
        }
        String version = wanted.path("metadata").path("resourceVersion").asText("");
        String currentVersion = current.path("metadata").path("resourceVersion").asText("");
        if (!version.isEmpty() && !version.equals(currentVersion)) {
          return conflict(main);
        }
        JsonNode replicas = wanted.path("spec").path("replicas");
        if (!replicas.isIntegralNumber()) {
          return ApiDispatcher.status(422, "Invalid", "spec.replicas: Required value");
        }
        ObjectNode updated = current.deepCopy();
        set(updated, paths.getSpecReplicasPath(), replicas);
        if (dryRun) {
          return json(
              200,
              scaleOf(
                  result(current, updated, main, Optional.of(served)),
                  paths.getSpecReplicasPath(),
                  paths.getStatusReplicasPath(),
                  paths.getLabelSelectorPath()));
        }
        MockResponse stored = storeAs(request, main.path(), current, updated);
        if (stored.code() >= 300
            && version.isEmpty()
            && attempt < ATTEMPTS
            && changedSince(main, current)) {
          continue;
        }
        if (stored.code() >= 300 || stored.getBody() == null) {
          return stored;
        }
        ObjectNode written = (ObjectNode) Json.MAPPER.readTree(stored.getBody().getBytes());
        return json(
            200,
            scaleOf(
                written,
                paths.getSpecReplicasPath(),
                paths.getStatusReplicasPath(),
                paths.getLabelSelectorPath()));
      }
    } catch (BadRequest e) {
      return e.response;
    } catch (IOException e) {
      return ApiDispatcher.status(500, "InternalError", "unreadable stored object: " + e);
    }
  }

  /** The Scale kube-apiserver derives from a custom resource; missing replica counts read 0. */
  static ObjectNode scaleOf(
      JsonNode object, String specPath, String statusPath, String selectorPath) {
    ObjectNode scale = Json.object();
    scale.put("kind", "Scale");
    scale.put("apiVersion", "autoscaling/v1");
    ObjectNode metadata = scale.putObject("metadata");
    JsonNode source = object.path("metadata");
    for (String field :
        new String[] {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
      if (source.hasNonNull(field)) {
        metadata.set(field, source.get(field));
      }
    }
    scale.putObject("spec").put("replicas", at(object, specPath).asInt(0));
    ObjectNode status = scale.putObject("status");
    status.put("replicas", at(object, statusPath).asInt(0));
    JsonNode selector = at(object, selectorPath);
    if (selector.isTextual() && !selector.asText().isEmpty()) {
      status.put("selector", selector.asText());
    }
    return scale;
  }

  /** A value at a simple dotted path such as {@code .spec.replicas}; missing when absent. */
  static JsonNode at(JsonNode object, String path) {
    JsonNode node = object;
    if (path == null || path.isBlank()) {
      return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }
    for (String part : path.replaceFirst("^\\.", "").split("\\.")) {
      node = node.path(part);
    }
    return node;
  }

  private static void set(ObjectNode object, String path, JsonNode value) {
    String[] parts = path.replaceFirst("^\\.", "").split("\\.");
    ObjectNode node = object;
    for (int i = 0; i < parts.length - 1; i++) {
      node = node.with(parts[i]);
    }
    node.set(parts[parts.length - 1], value);
  }

  /**
   * What a PUT or patch of {@code current} to {@code wanted} stores, computed without storing it:
   * the identity and creation time stay, the status follows the subresource rules, and the
   * generation moves when anything but metadata and a subresource's status changed.
   */
  private static ObjectNode result(
      ObjectNode current,
      ObjectNode wanted,
      ApiDispatcher.ResourcePath r,
      Optional<CrdCatalog.Served> served)
      throws BadRequest {
    String version = wanted.path("metadata").path("resourceVersion").asText("");
    if (!version.isEmpty()
        && !version.equals(current.path("metadata").path("resourceVersion").asText())) {
      throw new BadRequest(conflict(r));
    }
    boolean statusSubresource = served.map(CrdCatalog.Served::hasStatusSubresource).orElse(false);
    ObjectNode result;
    if ("status".equals(r.subresource())) {
      result = current.deepCopy();
      setOrRemove(result, "status", wanted.get("status"));
    } else {
      result = wanted.deepCopy();
      if (statusSubresource) {
        setOrRemove(result, "status", current.get("status"));
      }
    }
    ObjectNode metadata = result.with("metadata");
    JsonNode was = current.path("metadata");
    for (String field :
        new String[] {
          "name", "namespace", "uid", "creationTimestamp", "resourceVersion", "deletionTimestamp"
        }) {
      setOrRemove(metadata, field, was.get(field));
    }
    long generation = was.path("generation").asLong(1);
    if (!"status".equals(r.subresource())
        && !withoutMetadata(current, statusSubresource)
            .equals(withoutMetadata(result, statusSubresource))) {
      generation++;
    }
    metadata.put("generation", generation);
    return result;
  }

  private static JsonNode withoutMetadata(ObjectNode object, boolean withoutStatus) {
    ObjectNode copy = object.deepCopy();
    copy.remove("metadata");
    if (withoutStatus) {
      copy.remove("status");
    }
    return copy;
  }

  private static void setOrRemove(ObjectNode object, String field, JsonNode value) {
    if (value == null || value.isMissingNode()) {
      object.remove(field);
    } else {
      object.set(field, value);
    }
  }

  private static ObjectNode applyPatch(String type, ObjectNode current, JsonNode patch)
      throws BadRequest {
    JsonNode patched;
    if (type.startsWith(JSON_PATCH)) {
      if (!patch.isArray()) {
        throw new BadRequest(
            ApiDispatcher.status(400, "BadRequest", "a JSON patch must be a list of operations"));
      }
      try {
        patched = JsonPatch.apply(patch, withParents(current.deepCopy(), patch));
      } catch (JsonPatchException | IllegalArgumentException e) {
        // kube-apiserver answers a JSON patch that does not apply (a failed test, a missing path)
        // with 422 Invalid, never with a server error.
        throw new BadRequest(
            ApiDispatcher.status(
                422,
                "Invalid",
                "the server rejected our request due to an error in our request: "
                    + e.getMessage()));
      }
    } else {
      patched = MergePatch.apply(current, patch);
    }
    if (!patched.isObject()) {
      throw new BadRequest(
          ApiDispatcher.status(422, "Invalid", "the patch does not produce an object"));
    }
    return (ObjectNode) patched;
  }

  /**
   * Creates the missing objects above each operation's path, as the CRUD dispatcher always has.
   * kube-apiserver refuses an add under a missing parent instead; the operator's tests edit fleets
   * through Fabric8, whose models fill in objects the stored fleet lacks, and rely on this.
   */
  private static JsonNode withParents(ObjectNode target, JsonNode patch) {
    for (JsonNode operation : patch) {
      String[] parts = operation.path("path").asText("").replaceFirst("^/", "").split("/");
      JsonNode node = target;
      for (int i = 0; i < parts.length - 1 && node.isObject(); i++) {
        String key = parts[i].replace("~1", "/").replace("~0", "~");
        if (!node.has(key)) {
          ((ObjectNode) node).putObject(key);
        }
        node = node.get(key);
      }
    }
    return target;
  }

  private static JSONSchemaProps schema(CrdCatalog.Served served) {
    return served.version().getSchema() == null
        ? null
        : served.version().getSchema().getOpenAPIV3Schema();
  }

  private Optional<ObjectNode> current(ApiDispatcher.ResourcePath r) {
    MockResponse response = store.handleGet(r.path());
    if (response.code() != 200 || response.getBody() == null) {
      return Optional.empty();
    }
    try {
      JsonNode node = Json.MAPPER.readTree(response.getBody().getBytes());
      return node != null && node.isObject() && node.has("metadata")
          ? Optional.of((ObjectNode) node)
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static ObjectNode body(RecordedRequest request) throws BadRequest {
    JsonNode node = parse(request);
    if (!node.isObject()) {
      throw new BadRequest(ApiDispatcher.status(400, "BadRequest", "the body is not an object"));
    }
    return (ObjectNode) node;
  }

  private static JsonNode parse(RecordedRequest request) throws BadRequest {
    byte[] bytes = request.getBody() == null ? new byte[0] : request.getBody().getBytes();
    try {
      JsonNode node = Json.MAPPER.readTree(bytes);
      if (node == null) {
        throw new BadRequest(ApiDispatcher.status(400, "BadRequest", "empty body"));
      }
      return node;
    } catch (IOException e) {
      throw new BadRequest(
          ApiDispatcher.status(400, "BadRequest", "the body is not JSON: " + e.getMessage()));
    }
  }

  private static RecordedRequest withBody(
      RecordedRequest request, HttpMethod method, String path, JsonNode body) {
    var headers = request.getHeaders().newBuilder();
    headers.set("Content-Type", "application/json");
    try {
      return new RecordedRequest(
          request.getHttpVersion(),
          method,
          path,
          headers.build(),
          new Buffer(Json.MAPPER.writeValueAsBytes(body)));
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise " + body, e);
    }
  }

  private static MockResponse json(int code, JsonNode body) {
    return new MockResponse()
        .setResponseCode(code)
        .setHeader("Content-Type", "application/json")
        .setBody(body.toString());
  }

  private static String resource(ApiDispatcher.ResourcePath r) {
    return r.group().isEmpty() ? r.plural() : r.plural() + "." + r.group();
  }

  private static MockResponse notFound(ApiDispatcher.ResourcePath r) {
    return ApiDispatcher.status(
        404,
        "NotFound",
        resource(r) + " \"" + Objects.requireNonNullElse(r.name(), "") + "\" not found");
  }

  private static MockResponse conflict(ApiDispatcher.ResourcePath r) {
    return ApiDispatcher.status(
        409,
        "Conflict",
        "Operation cannot be fulfilled on "
            + resource(r)
            + " \""
            + r.name()
            + "\": the object has been modified; please apply your"
            + " changes to the latest version and try again");
  }

  private static String contentType(RecordedRequest request) {
    String type = ApiDispatcher.header(request, "Content-Type");
    return type == null ? "" : type.toLowerCase(Locale.ROOT).trim();
  }

  /** A request this class refuses, with the Status to answer. */
  private static final class BadRequest extends Exception {
    private final transient MockResponse response;

    BadRequest(MockResponse response) {
      super(null, null, false, false);
      this.response = response;
    }
  }
}
