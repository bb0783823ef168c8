package io.proxyfleet.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Front dispatcher of the embedded API: answers discovery, OpenAPI, health and Table requests
 * itself, does the writes the store gets wrong in {@link ResourceWrites} (patches, dry runs,
 * defaults, the scale subresource) and hands everything else to the {@link
 * KubernetesCrudDispatcher}, which stays the only store of objects.
 */
final class ApiDispatcher extends Dispatcher {

  private static final Logger LOG = LoggerFactory.getLogger(ApiDispatcher.class);

  private static final String APPLICATION_JSON = "application/json";
  private static final Set<String> BUILT_IN_GROUPS =
      Discovery.BUILT_INS.stream()
          .map(Discovery.BuiltIn::group)
          .filter(g -> !g.isEmpty())
          .collect(Collectors.toUnmodifiableSet());

  private final ObjectStore store;
  private final CrdCatalog crds;
  private final Discovery discovery;
  private final OpenApi openApi;
  private final TableConverter tables;
  private final ResourceWrites writes;
  private final PollingWatch watches;
  private final Supplier<String> serverAddress;
  private final Runnable beforeEachRequest;

  ApiDispatcher(
      ObjectStore store,
      CrdCatalog crds,
      TableConverter tables,
      Supplier<String> serverAddress,
      Runnable beforeEachRequest) {
    this.store = store;
    this.crds = crds;
    this.discovery = new Discovery(crds);
    this.openApi = new OpenApi(discovery, crds);
    this.tables = tables;
    this.writes = new ResourceWrites(store, crds);
    this.watches = new PollingWatch(store);
    this.serverAddress = serverAddress;
    this.beforeEachRequest = beforeEachRequest;
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    beforeEachRequest.run();
    try {
      MockResponse response = route(request);
      // client-go reads a body without a Content-Type as whatever it sent: after a protobuf
      // write (kubectl create secret) it failed to decode the store's JSON answer.
      if (response.getBody() != null
          && response.getBody().size() > 0
          && response.getWebSocketListener() == null
          && header(response) == null) {
        response.setHeader("Content-Type", APPLICATION_JSON);
      }
      return response;
    } catch (RuntimeException e) {
      LOG.warn("{} {} failed", request.getMethod(), request.getPath(), e);
      return status(500, "InternalError", e.toString());
    }
  }

  @Override
  public void shutdown() {
    store.shutdown();
  }

  private MockResponse route(RecordedRequest request) {
    String rawPath = request.getPath() == null ? "/" : request.getPath();
    int q = rawPath.indexOf('?');
    String path = q < 0 ? rawPath : rawPath.substring(0, q);
    String query = q < 0 ? "" : rawPath.substring(q + 1);
    while (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    String method = request.getMethod().toUpperCase(Locale.ROOT);

    if (method.equals("GET")) {
      Optional<MockResponse> answer = serveNonResource(path);
      if (answer.isPresent()) {
        return answer.get();
      }
      Optional<String> tableVersion =
          TableConverter.requestedTableVersion(header(request, "Accept"));
      if (tableVersion.isPresent() && !isWatch(query)) {
        Optional<MockResponse> table = serveTable(request, path, tableVersion.get());
        if (table.isPresent()) {
          return table.get();
        }
      }
    }
    if (method.equals("GET") && isWatch(query) && !isWebSocketUpgrade(request)) {
      // The mock streams watch events over WebSockets only (what Fabric8 uses); watches over
      // plain HTTP are answered by polling.
      return watches
          .answer(path, query)
          .orElseGet(
              () ->
                  status(
                      405,
                      "MethodNotAllowed",
                      "kubectl get -w is not supported by"
                          + " the ProxyFleet local API (it answers watches by polling, which kubectl wait"
                          + " follows and get -w does not); poll with kubectl get instead"));
    }
    if (method.equals("GET") && !isWatch(query)) {
      Optional<FieldSelector> selector = FieldSelector.fromQuery(query);
      if (selector.isPresent()) {
        return filtered(store.dispatch(withoutFieldSelector(request)), selector.get());
      }
    }
    RecordedRequest effective =
        isBuiltIn(path) ? RequestRewriter.forBuiltIn(request, path) : request;
    return writes.handle(effective, method, path, query).orElseGet(() -> store.dispatch(effective));
  }

  private Optional<MockResponse> serveNonResource(String path) {
    String[] s = segments(path);
    if (s.length == 0) {
      return json(Discovery.rootPaths());
    }
    switch (path) {
      case "/version":
        return json(Discovery.version());
      case "/healthz", "/livez", "/readyz":
        return Optional.of(
            new MockResponse()
                .setResponseCode(200)
                .setHeader("Content-Type", "text/plain; charset=utf-8")
                .setBody("ok"));
      case "/api":
        return json(Discovery.apiVersions(serverAddress.get()));
      case "/api/v1":
        return json(discovery.resources("", "v1").orElseThrow());
      case "/apis":
        return json(discovery.groupList());
      case "/openapi/v2":
        // Nothing valid can be served without the full schema; 404 is what kubectl tolerates.
        return Optional.of(status(404, "NotFound", "OpenAPI v2 is not served by the local API"));
      case "/openapi/v3":
        return json(openApi.index());
      default:
        break;
    }
    if (path.startsWith(OpenApi.V3_PREFIX)) {
      String key = path.substring(OpenApi.V3_PREFIX.length());
      return Optional.of(
          openApi
              .document(key)
              .flatMap(ApiDispatcher::json)
              .orElseGet(() -> status(404, "NotFound", "no OpenAPI document for " + key)));
    }
    if (s[0].equals("apis") && s.length == 2) {
      return Optional.of(
          discovery.group(s[1]).flatMap(ApiDispatcher::json).orElseGet(ApiDispatcher::notFound));
    }
    if (s[0].equals("apis") && s.length == 3) {
      return Optional.of(
          discovery
              .resources(s[1], s[2])
              .flatMap(ApiDispatcher::json)
              .orElseGet(ApiDispatcher::notFound));
    }
    return Optional.empty();
  }

  private Optional<MockResponse> serveTable(
      RecordedRequest request, String path, String tableVersion) {
    Optional<ResourcePath> resource = ResourcePath.parse(path);
    if (resource.isEmpty() || resource.get().subresource() != null) {
      return Optional.empty();
    }
    ResourcePath r = resource.get();
    Optional<CrdCatalog.Served> served = crds.find(r.group(), r.version(), r.plural());
    if (served.isEmpty()) {
      return Optional.empty();
    }
    String query =
        request.getPath().contains("?")
            ? request.getPath().substring(request.getPath().indexOf('?') + 1)
            : "";
    MockResponse stored =
        FieldSelector.fromQuery(query)
            .map(selector -> filtered(store.dispatch(withoutFieldSelector(request)), selector))
            .orElseGet(() -> store.dispatch(request));
    if (stored.code() != 200 || stored.getBody() == null) {
      return Optional.of(stored);
    }
    JsonNode body;
    try {
      body = Json.MAPPER.readTree(stored.getBody().getBytes());
    } catch (IOException e) {
      return Optional.of(stored);
    }
    ObjectNode table =
        tables.convert(body, served.get().version().getAdditionalPrinterColumns(), tableVersion);
    return json(table);
  }

  /**
   * The request without its fieldSelector, which the store would read as attributes to match and so
   * answer nothing for most selectors ({@code involvedObject.name=...}).
   */
  private static RecordedRequest withoutFieldSelector(RecordedRequest request) {
    String path = request.getPath();
    int q = path.indexOf('?');
    if (q < 0) {
      return request;
    }
    String query =
        Arrays.stream(path.substring(q + 1).split("&"))
            .filter(p -> !p.startsWith("fieldSelector="))
            .collect(Collectors.joining("&"));
    return new RecordedRequest(
        request.getHttpVersion(),
        request.method(),
        path.substring(0, q) + (query.isEmpty() ? "" : "?" + query),
        request.getHeaders(),
        request.getBody());
  }

  /** A list answer with only the items {@code selector} matches (the store ignores it). */
  private static MockResponse filtered(MockResponse listed, FieldSelector selector) {
    if (listed.code() != 200 || listed.getBody() == null) {
      return listed;
    }
    try {
      JsonNode list = Json.MAPPER.readTree(listed.getBody().getBytes());
      if (list == null || !list.path("items").isArray()) {
        return listed;
      }
      selector.filterItems(list);
      // The store calls every list "List"; client-go's typed clients (kubectl describe's event
      // search) decode only the kind's own list type, e.g. EventList.
      JsonNode items = list.path("items");
      String kind = items.path(0).path("kind").asText("");
      boolean oneKind =
          !kind.isEmpty()
              && java.util.stream.StreamSupport.stream(items.spliterator(), false)
                  .allMatch(i -> i.path("kind").asText().equals(kind));
      if (oneKind && list.isObject()) {
        ((ObjectNode) list).put("kind", kind + "List");
      }
      return new MockResponse()
          .setResponseCode(200)
          .setHeader("Content-Type", APPLICATION_JSON)
          .setBody(list.toString());
    } catch (IOException e) {
      return listed;
    }
  }

  /**
   * Whether the path belongs to a built-in group; decided from the path alone so that ordinary
   * requests never pay for a CRD lookup. CRDs cannot claim these groups.
   */
  private static boolean isBuiltIn(String path) {
    if (path.startsWith("/api/")) {
      return true;
    }
    String[] s = segments(path);
    return s.length >= 2 && s[0].equals("apis") && BUILT_IN_GROUPS.contains(s[1]);
  }

  private static boolean isWatch(String query) {
    return Arrays.stream(query.split("&"))
        .anyMatch(p -> p.equals("watch=true") || p.equals("watch=1"));
  }

  private static boolean isWebSocketUpgrade(RecordedRequest request) {
    String upgrade = header(request, "Upgrade");
    return upgrade != null && upgrade.toLowerCase(Locale.ROOT).contains("websocket");
  }

  private static String header(MockResponse response) {
    return response.getHeaders() == null ? null : response.getHeaders().get("Content-Type");
  }

  static String header(RecordedRequest request, String name) {
    return request.getHeaders() == null ? null : request.getHeaders().get(name);
  }

  private static String[] segments(String path) {
    List<String> parts = new ArrayList<>();
    for (String part : path.split("/")) {
      if (!part.isEmpty()) {
        parts.add(part);
      }
    }
    return parts.toArray(String[]::new);
  }

  private static Optional<MockResponse> json(JsonNode doc) {
    return Optional.of(
        new MockResponse()
            .setResponseCode(200)
            .setHeader("Content-Type", APPLICATION_JSON)
            .setBody(doc.toString()));
  }

  private static MockResponse notFound() {
    return status(404, "NotFound", "the server could not find the requested resource");
  }

  static MockResponse status(int code, String reason, String message) {
    ObjectNode status = Json.object();
    status.put("kind", "Status");
    status.put("apiVersion", "v1");
    status.putObject("metadata");
    status.put("status", "Failure");
    status.put("message", message);
    status.put("reason", reason);
    status.put("code", code);
    return new MockResponse()
        .setResponseCode(code)
        .setHeader("Content-Type", APPLICATION_JSON)
        .setBody(status.toString());
  }

  /** The parts of a resource URL under {@code /apis}, or {@code /api} for the core group. */
  record ResourcePath(
      String group,
      String version,
      String namespace,
      String plural,
      String name,
      String subresource) {

    static Optional<ResourcePath> parse(String path) {
      String[] s = segments(path);
      boolean core = s.length >= 3 && s[0].equals("api");
      if (!core && (s.length < 4 || !s[0].equals("apis"))) {
        return Optional.empty();
      }
      String group = core ? "" : s[1];
      String version = core ? s[1] : s[2];
      int i = core ? 2 : 3;
      String namespace = null;
      if (s[i].equals("namespaces") && s.length >= i + 3) {
        namespace = s[i + 1];
        i += 2;
      }
      String plural = s[i];
      String name = s.length > i + 1 ? s[i + 1] : null;
      String subresource = s.length > i + 2 ? s[i + 2] : null;
      return Optional.of(new ResourcePath(group, version, namespace, plural, name, subresource));
    }

    ResourcePath withName(String other) {
      return new ResourcePath(group, version, namespace, plural, other, null);
    }

    ResourcePath withoutSubresource() {
      return new ResourcePath(group, version, namespace, plural, name, null);
    }

    /** The URL path again, without a query. */
    String path() {
      StringBuilder path =
          new StringBuilder(group.isEmpty() ? "/api/" + version : "/apis/" + group + "/" + version);
      if (namespace != null) {
        path.append("/namespaces/").append(namespace);
      }
      path.append('/').append(plural);
      if (name != null) {
        path.append('/').append(name);
      }
      if (subresource != null) {
        path.append('/').append(subresource);
      }
      return path.toString();
    }
  }
}
