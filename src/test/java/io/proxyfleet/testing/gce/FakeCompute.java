package io.proxyfleet.testing.gce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * A faithful fake of the parts of the Compute Engine v1 REST API that the gcp adapter calls, over
 * plain HTTP on loopback, written against the published REST reference rather than the client
 * library's model classes (so a field the client and the fake both got wrong cannot hide).
 *
 * <p>What it keeps faithful: mutations answer with {@code compute#operation} objects that go
 * PENDING → RUNNING → DONE over time (zonal, regional and global), an operation can end DONE with
 * an {@code error} (quota, zone exhausted) while the HTTP call succeeded; {@code requestId}
 * de-duplicates a retried mutation (the same operation comes back, nothing happens twice); names
 * and labels are validated with GCE's regular expressions; list calls honour {@code filter} (label
 * and name equality), {@code maxResults} and {@code pageToken}; external addresses are drawn from
 * Google's published {@code cloud.json} prefixes of the region; and the refusals GCE makes: a
 * duplicate name (409 alreadyExists), a second access config, deleting an address in use, attaching
 * an address that is in use or belongs to another region. OAuth: service-account JWT grants are
 * exchanged at {@code /token} for bearer tokens and every API call must carry one (401 otherwise);
 * a permission can be withheld (403). Faults can be injected per API method (any HTTP error with a
 * GCE reason, or an operation that ends with an error code).
 */
public final class FakeCompute implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern NAME = Pattern.compile("[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern LABEL_KEY = Pattern.compile("[a-z][a-z0-9_-]{0,62}");
  private static final Pattern LABEL_VALUE = Pattern.compile("[a-z0-9_-]{0,63}");
  private static final Pattern FILTER_TERM =
      Pattern.compile("\\(?\\s*([a-zA-Z0-9_.-]+)\\s*(=|!=|:)\\s*(\"[^\"]*\"|[^\\s)]+)\\s*\\)?");

  /**
   * One API call as the fake saw it: the API method (e.g. compute.instances.insert) and the
   * permission it needs.
   */
  public record Call(
      String method, String permission, String path, Map<String, String> query, Instant at) {}

  /** A fault: an HTTP error (status, GCE reason) or an operation that ends with an error code. */
  public record Fault(int status, String reason, String operationErrorCode, String message) {
    public static Fault http(int status, String reason, String message) {
      return new Fault(status, reason, null, message);
    }

    public static Fault operation(String code, String message) {
      return new Fault(0, null, code, message);
    }

    /**
     * The request is carried out (the operation starts) but the connection is closed before any
     * answer: what the caller sees when its process dies right after sending a mutation.
     */
    public static Fault lostResponse() {
      return new Fault(-1, null, null, "response lost");
    }
  }

  private record Injection(
      Predicate<Call> match, Fault fault, AtomicLong remaining, long every, AtomicLong seen) {}

  private record Route(
      String httpMethod, Pattern path, String method, String permission, Handler handler) {}

  @FunctionalInterface
  private interface Handler {
    Object handle(Request r) throws IOException;
  }

  private record Request(
      HttpExchange exchange, Matcher path, Map<String, String> query, JsonNode body, Call call) {
    String p(int group) {
      return path.group(group);
    }
  }

  /** A mutation outcome that stays pending until the operation is DONE. */
  private final class Op {
    final ObjectNode json;
    final String scope; // zones/z, regions/r or global
    final Instant created;
    final Runnable effect;
    final Fault fault;
    boolean applied;

    Op(ObjectNode json, String scope, Runnable effect, Fault fault) {
      this.json = json;
      this.scope = scope;
      this.created = clock.instant();
      this.effect = effect;
      this.fault = fault;
    }

    synchronized boolean isApplied() {
      return applied;
    }

    synchronized ObjectNode snapshot() {
      long age = Duration.between(created, clock.instant()).toMillis();
      String status =
          age < pendingMillis
              ? "PENDING"
              : age < pendingMillis + runningMillis ? "RUNNING" : "DONE";
      if (status.equals("DONE") && !applied) {
        applied = true;
        json.put("endTime", clock.instant().toString());
        json.put("progress", 100);
        if (fault != null) {
          ObjectNode err = json.putObject("error").putArray("errors").addObject();
          err.put("code", fault.operationErrorCode());
          err.put("message", fault.message());
          json.put(
              "httpErrorStatusCode", fault.operationErrorCode().startsWith("QUOTA") ? 403 : 503);
          json.put(
              "httpErrorMessage",
              fault.operationErrorCode().startsWith("QUOTA") ? "FORBIDDEN" : "SERVICE UNAVAILABLE");
        } else if (effect != null) {
          synchronized (FakeCompute.this) {
            effect.run();
          }
        }
      }
      if (!status.equals("PENDING") && !json.has("startTime")) {
        json.put("startTime", clock.instant().toString());
      }
      json.put("status", status);
      return json.deepCopy();
    }
  }

  private final String project;
  private final Clock clock;
  private final Random random;
  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(8);
  private final List<Route> routes = new ArrayList<>();
  private final Map<String, List<String>> zonesByRegion = new TreeMap<>();
  private final Map<String, List<long[]>> rangesByRegion = new ConcurrentHashMap<>();
  private final Map<String, ObjectNode> instances = new TreeMap<>(); // zone/name
  private final Map<String, ObjectNode> addresses = new TreeMap<>(); // region/name
  private final Map<String, ObjectNode> firewalls = new TreeMap<>(); // name
  private final Map<String, Op> operations = new ConcurrentHashMap<>(); // scope/name

  /**
   * Operations not DONE yet: GCE finishes them whether or not anyone polls (a dead client never
   * does).
   */
  private final java.util.Queue<Op> unfinished = new java.util.concurrent.ConcurrentLinkedQueue<>();

  private final Map<String, Op> byRequestId = new ConcurrentHashMap<>();
  private final Set<String> usedIps = ConcurrentHashMap.newKeySet();
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final List<Injection> injections = new CopyOnWriteArrayList<>();
  private final Map<String, String> tokens = new ConcurrentHashMap<>(); // token -> client_email
  private final Set<String> accounts = ConcurrentHashMap.newKeySet();
  private final Set<String> deniedPermissions = ConcurrentHashMap.newKeySet();
  private final Set<String> machineTypes =
      new java.util.TreeSet<>(List.of("e2-micro", "e2-small", "e2-medium", "n2-standard-2"));
  private final Set<String> images =
      new java.util.TreeSet<>(
          List.of(
              "debian-cloud/debian-12",
              "debian-cloud/debian-11",
              "ubuntu-os-cloud/ubuntu-2404-lts-amd64"));
  private final Set<String> networks = new java.util.TreeSet<>(List.of("default"));
  private final Map<String, String> preferredRanges = new ConcurrentHashMap<>(); // region -> cidr
  private final AtomicLong ids = new AtomicLong(1_000_000_000_000L);
  private volatile long pendingMillis = 5;
  private volatile long runningMillis = 20;
  private volatile long bootMillis = 30;
  private volatile boolean requireAuth = true;

  public FakeCompute(String project) {
    this(project, Clock.systemUTC(), new Random(7));
  }

  public FakeCompute(String project, Clock clock, Random random) {
    this.project = project;
    this.clock = clock;
    this.random = random;
    region("europe-west3", "europe-west3-a", "europe-west3-b", "europe-west3-c");
    region("europe-west1", "europe-west1-b", "europe-west1-c", "europe-west1-d");
    region("us-central1", "us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f");
    loadRanges();
    routes();
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    server.setExecutor(executor);
    server.createContext("/", this::serve);
    server.start();
  }

  // ---------------------------------------------------------------------------------------------
  // Test controls

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  public String project() {
    return project;
  }

  public String tokenUri() {
    return endpoint() + "/token";
  }

  /** Declares a region and its zones (replacing what was declared before). */
  public synchronized FakeCompute region(String region, String... zones) {
    zonesByRegion.put(region, List.of(zones));
    return this;
  }

  /** Accepts a service account at the token endpoint. */
  public FakeCompute account(String clientEmail) {
    accounts.add(clientEmail);
    return this;
  }

  /** Every API call without a valid token is refused (default true). */
  public FakeCompute requireAuth(boolean require) {
    this.requireAuth = require;
    return this;
  }

  /** Calls needing the permission are refused with 403 forbidden, as with a role that lacks it. */
  public FakeCompute deny(String permission) {
    deniedPermissions.add(permission);
    return this;
  }

  public FakeCompute allowAll() {
    deniedPermissions.clear();
    return this;
  }

  public FakeCompute network(String name) {
    networks.add(name);
    return this;
  }

  /** How long operations stay PENDING and RUNNING, and instances STAGING. */
  public FakeCompute timing(Duration pending, Duration running, Duration boot) {
    this.pendingMillis = pending.toMillis();
    this.runningMillis = running.toMillis();
    this.bootMillis = boot.toMillis();
    return this;
  }

  /**
   * New addresses of the region are drawn from this CIDR (it must be one of the region's published
   * prefixes or inside one).
   */
  public FakeCompute drawFrom(String region, String cidr) {
    if (cidr == null) {
      preferredRanges.remove(region);
    } else {
      preferredRanges.put(region, cidr);
    }
    return this;
  }

  /**
   * The next {@code times} calls of the API method (e.g. compute.instances.insert) fail with the
   * fault.
   */
  public FakeCompute inject(String method, Fault fault, int times) {
    return inject(c -> c.method().equals(method), fault, times);
  }

  public FakeCompute inject(Predicate<Call> match, Fault fault, int times) {
    injections.add(new Injection(match, fault, new AtomicLong(times), 0, new AtomicLong()));
    return this;
  }

  /** Every {@code n}th matching call fails with the fault, for ever. */
  public FakeCompute injectEvery(Predicate<Call> match, long n, Fault fault) {
    injections.add(
        new Injection(match, fault, new AtomicLong(Long.MAX_VALUE), n, new AtomicLong()));
    return this;
  }

  public FakeCompute clearFaults() {
    injections.clear();
    return this;
  }

  public List<Call> calls() {
    return List.copyOf(calls);
  }

  public void resetCalls() {
    calls.clear();
  }

  public long count(String method) {
    return calls.stream().filter(c -> c.method().equals(method)).count();
  }

  /** Instances (zone/name → JSON copy) that are not yet deleted. */
  public Map<String, JsonNode> instances() {
    finishDueOperations();
    synchronized (this) {
      Map<String, JsonNode> out = new TreeMap<>();
      instances.forEach((k, v) -> out.put(k, v.deepCopy()));
      return out;
    }
  }

  public Map<String, JsonNode> addresses() {
    finishDueOperations();
    synchronized (this) {
      Map<String, JsonNode> out = new TreeMap<>();
      addresses.forEach((k, v) -> out.put(k, v.deepCopy()));
      return out;
    }
  }

  public Map<String, JsonNode> firewalls() {
    finishDueOperations();
    synchronized (this) {
      Map<String, JsonNode> out = new TreeMap<>();
      firewalls.forEach((k, v) -> out.put(k, v.deepCopy()));
      return out;
    }
  }

  /** Creates an instance directly (as another tool or a person would), bypassing operations. */
  public synchronized void putInstance(
      String zone, String name, Map<String, String> labels, Instant created) {
    putInstance(zone, name, labels, List.of(), created);
  }

  /** ... with network tags (what firewall rules target). */
  public synchronized void putInstance(
      String zone, String name, Map<String, String> labels, List<String> tags, Instant created) {
    ObjectNode i = JSON.createObjectNode();
    i.put("kind", "compute#instance");
    i.put("id", String.valueOf(ids.incrementAndGet()));
    i.put("name", name);
    i.put("zone", url("zones/" + zone));
    i.put("status", "RUNNING");
    i.put("machineType", url("zones/" + zone + "/machineTypes/e2-micro"));
    i.put("creationTimestamp", created.toString());
    i.put("selfLink", url("zones/" + zone + "/instances/" + name));
    ObjectNode l = i.putObject("labels");
    labels.forEach(l::put);
    ObjectNode nic = i.putArray("networkInterfaces").addObject();
    nic.put("name", "nic0");
    nic.put("network", url("global/networks/default"));
    nic.putArray("accessConfigs");
    if (!tags.isEmpty()) {
      ArrayNode items = i.putObject("tags").putArray("items");
      tags.forEach(items::add);
    }
    instances.put(zone + "/" + name, i);
  }

  /** Creates a firewall rule directly (as another tool, a person or another cluster would). */
  public synchronized void putFirewall(
      String name,
      String network,
      String description,
      List<String> targetTags,
      int port,
      Instant created) {
    ObjectNode f = JSON.createObjectNode();
    f.put("kind", "compute#firewall");
    f.put("id", String.valueOf(ids.incrementAndGet()));
    f.put("name", name);
    f.put("network", url("global/networks/" + network));
    f.put("direction", "INGRESS");
    f.put("description", description);
    f.putArray("sourceRanges").add("0.0.0.0/0");
    ArrayNode tags = f.putArray("targetTags");
    targetTags.forEach(tags::add);
    ObjectNode allowed = f.putArray("allowed").addObject();
    allowed.put("IPProtocol", "tcp");
    allowed.putArray("ports").add(String.valueOf(port));
    f.put("creationTimestamp", created.toString());
    f.put("selfLink", url("global/firewalls/" + name));
    firewalls.put(name, f);
  }

  /** Reserves an address directly (as another tool or a person would), bypassing operations. */
  public synchronized void putAddress(
      String region, String name, Map<String, String> labels, Instant created) {
    ObjectNode a = newAddress(region, name, "PREMIUM", created);
    ObjectNode l = a.putObject("labels");
    labels.forEach(l::put);
    addresses.put(region + "/" + name, a);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  // ---------------------------------------------------------------------------------------------
  // HTTP plumbing

  /**
   * Carries out every operation whose time has come. Called without the fake's lock (an operation's
   * effect takes it after the operation's own), before each request and each read by a test.
   */
  private void finishDueOperations() {
    for (java.util.Iterator<Op> it = unfinished.iterator(); it.hasNext(); ) {
      Op op = it.next();
      op.snapshot();
      if (op.isApplied()) {
        it.remove();
      }
    }
  }

  private void serve(HttpExchange exchange) throws IOException {
    finishDueOperations();
    try (exchange) {
      URI uri = exchange.getRequestURI();
      Map<String, String> query = query(uri.getRawQuery());
      String path = uri.getPath();
      if (path.equals("/token") && exchange.getRequestMethod().equals("POST")) {
        token(exchange);
        return;
      }
      for (Route route : routes) {
        Matcher m = route.path().matcher(path);
        if (!route.httpMethod().equals(exchange.getRequestMethod()) || !m.matches()) {
          continue;
        }
        Call call = new Call(route.method(), route.permission(), path, query, clock.instant());
        calls.add(call);
        if (requireAuth) {
          String auth = exchange.getRequestHeaders().getFirst("Authorization");
          if (auth == null
              || !auth.startsWith("Bearer ")
              || !tokens.containsKey(auth.substring(7))) {
            error(
                exchange,
                401,
                "authError",
                "Request is missing required authentication credential. Expected OAuth 2 access token.",
                "UNAUTHENTICATED");
            return;
          }
        }
        if (deniedPermissions.contains(route.permission())) {
          error(
              exchange,
              403,
              "forbidden",
              "Required '"
                  + route.permission()
                  + "' permission for '"
                  + path.replace("/compute/v1/", "")
                  + "'",
              "PERMISSION_DENIED");
          return;
        }
        // The whole request is read before a fault is chosen: a fault may stand for the client
        // dying
        // right after sending it (a test kills the operator process here), and GCE still has the
        // request and carries it out.
        JsonNode body = null;
        byte[] bytes = exchange.getRequestBody().readAllBytes();
        if (bytes.length > 0) {
          body = JSON.readTree(bytes);
        }
        Fault fault = fault(call);
        if (fault != null && fault.status() > 0 && fault.operationErrorCode() == null) {
          error(exchange, fault.status(), fault.reason(), fault.message(), null);
          return;
        }
        try {
          Object result = route.handler().handle(new Request(exchange, m, query, body, call));
          if (result instanceof MutationResult mr) {
            result =
                operation(
                    mr, query.get("requestId"), fault != null && fault.status() < 0 ? null : fault);
          }
          if (fault != null && fault.status() < 0) {
            return; // closes the connection with no response at all
          }
          send(exchange, 200, (JsonNode) result);
        } catch (ApiError e) {
          error(exchange, e.status, e.reason, e.getMessage(), null);
        }
        return;
      }
      error(
          exchange,
          404,
          "notFound",
          "No such API path: " + exchange.getRequestMethod() + " " + path,
          "NOT_FOUND");
    } catch (RuntimeException e) {
      try {
        error(exchange, 500, "backendError", "fake failed: " + e, null);
      } catch (IOException ignored) {
        // the client went away
      }
    }
  }

  private Fault fault(Call call) {
    for (Injection i : injections) {
      if (!i.match().test(call)) {
        continue;
      }
      if (i.every() > 0) {
        if (i.seen().incrementAndGet() % i.every() == 0) {
          return i.fault();
        }
        continue;
      }
      if (i.remaining().getAndDecrement() > 0) {
        return i.fault();
      }
    }
    return null;
  }

  private void token(HttpExchange exchange) throws IOException {
    Map<String, String> form =
        query(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
    calls.add(new Call("oauth2.token", null, "/token", Map.of(), clock.instant()));
    String assertion = form.get("assertion");
    String email = null;
    if (assertion != null && assertion.split("\\.").length == 3) {
      JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(assertion.split("\\.")[1]));
      email = claims.path("iss").asText(null);
    }
    if (email == null || !accounts.contains(email)) {
      ObjectNode body = JSON.createObjectNode();
      body.put("error", "invalid_grant");
      body.put("error_description", "Invalid JWT Signature.");
      send(exchange, 400, body);
      return;
    }
    String token = "ya29.fake-" + Long.toHexString(random.nextLong());
    tokens.put(token, email);
    ObjectNode body = JSON.createObjectNode();
    body.put("access_token", token);
    body.put("expires_in", 3599);
    body.put("token_type", "Bearer");
    send(exchange, 200, body);
  }

  private static void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  private static void error(
      HttpExchange exchange, int status, String reason, String message, String grpcStatus)
      throws IOException {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode error = root.putObject("error");
    error.put("code", status);
    error.put("message", message);
    ObjectNode e = error.putArray("errors").addObject();
    e.put("message", message);
    e.put(
        "domain",
        reason.endsWith("RateLimitExceeded") || reason.equals("rateLimitExceeded")
            ? "usageLimits"
            : "global");
    e.put("reason", reason);
    error.put(
        "status",
        grpcStatus != null
            ? grpcStatus
            : switch (status) {
              case 400 -> "INVALID_ARGUMENT";
              case 401 -> "UNAUTHENTICATED";
              case 403 -> "PERMISSION_DENIED";
              case 404 -> "NOT_FOUND";
              case 409 -> "ALREADY_EXISTS";
              case 429 -> "RESOURCE_EXHAUSTED";
              case 503 -> "UNAVAILABLE";
              default -> "INTERNAL";
            });
    send(exchange, status, root);
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String part : raw.split("&")) {
      int eq = part.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
      out.put(k, v);
    }
    return out;
  }

  private static final class ApiError extends RuntimeException {
    final int status;
    final String reason;

    ApiError(int status, String reason, String message) {
      super(message);
      this.status = status;
      this.reason = reason;
    }
  }

  private record MutationResult(String scope, String type, String targetLink, Runnable effect) {}

  private ObjectNode operation(MutationResult mr, String requestId, Fault fault) {
    if (requestId != null && !requestId.isEmpty()) {
      // GCE: a repeated requestId returns the first request's operation and does nothing again.
      Op first = byRequestId.get(requestId);
      if (first != null) {
        return first.snapshot();
      }
    }
    String name =
        "operation-" + clock.millis() + "-" + Long.toHexString(random.nextLong() & 0xffffffffffffL);
    ObjectNode json = JSON.createObjectNode();
    json.put("kind", "compute#operation");
    json.put("id", String.valueOf(ids.incrementAndGet()));
    json.put("name", name);
    json.put("operationType", mr.type());
    json.put("targetLink", mr.targetLink());
    json.put("status", "PENDING");
    json.put("progress", 0);
    json.put("insertTime", clock.instant().toString());
    json.put("selfLink", url(mr.scope() + "/operations/" + name));
    if (mr.scope().startsWith("zones/")) {
      json.put("zone", url(mr.scope()));
    } else if (mr.scope().startsWith("regions/")) {
      json.put("region", url(mr.scope()));
    }
    Op op =
        new Op(
            json,
            mr.scope(),
            mr.effect(),
            fault != null && fault.operationErrorCode() != null ? fault : null);
    operations.put(mr.scope() + "/" + name, op);
    unfinished.add(op);
    if (requestId != null && !requestId.isEmpty()) {
      byRequestId.put(requestId, op);
    }
    return op.snapshot();
  }

  private String url(String rest) {
    return endpoint() + "/compute/v1/projects/" + project + "/" + rest;
  }

  private static String last(String urlOrName) {
    return urlOrName == null ? null : urlOrName.substring(urlOrName.lastIndexOf('/') + 1);
  }

  // ---------------------------------------------------------------------------------------------
  // Routes

  private void route(String httpMethod, String path, String method, String permission, Handler h) {
    routes.add(
        new Route(
            httpMethod,
            Pattern.compile("/compute/v1/projects/([^/]+)" + path),
            method,
            permission,
            h));
  }

  private void routes() {
    String zone = "/zones/([^/]+)";
    String region = "/regions/([^/]+)";
    route("GET", region, "compute.regions.get", "compute.regions.get", this::getRegion);
    route(
        "GET",
        "/aggregated/instances",
        "compute.instances.aggregatedList",
        "compute.instances.list",
        r -> aggregated(r, "instances"));
    route(
        "GET",
        "/aggregated/addresses",
        "compute.addresses.aggregatedList",
        "compute.addresses.list",
        r -> aggregated(r, "addresses"));
    route(
        "POST",
        zone + "/instances",
        "compute.instances.insert",
        "compute.instances.create",
        this::insertInstance);
    route(
        "GET",
        zone + "/instances",
        "compute.instances.list",
        "compute.instances.list",
        r -> list(r, "compute#instanceList", instancesOf(r.p(2))));
    route(
        "GET",
        zone + "/instances/([^/]+)",
        "compute.instances.get",
        "compute.instances.get",
        r -> copy(instance(r.p(2), r.p(3))));
    route(
        "DELETE",
        zone + "/instances/([^/]+)",
        "compute.instances.delete",
        "compute.instances.delete",
        this::deleteInstance);
    route(
        "POST",
        zone + "/instances/([^/]+)/addAccessConfig",
        "compute.instances.addAccessConfig",
        "compute.instances.addAccessConfig",
        this::addAccessConfig);
    route(
        "POST",
        zone + "/instances/([^/]+)/deleteAccessConfig",
        "compute.instances.deleteAccessConfig",
        "compute.instances.deleteAccessConfig",
        this::deleteAccessConfig);
    route(
        "POST",
        region + "/addresses",
        "compute.addresses.insert",
        "compute.addresses.create",
        this::insertAddress);
    route(
        "GET",
        region + "/addresses",
        "compute.addresses.list",
        "compute.addresses.list",
        r -> list(r, "compute#addressList", addressesOf(r.p(2))));
    route(
        "GET",
        region + "/addresses/([^/]+)",
        "compute.addresses.get",
        "compute.addresses.get",
        r -> copy(address(r.p(2), r.p(3))));
    route(
        "DELETE",
        region + "/addresses/([^/]+)",
        "compute.addresses.delete",
        "compute.addresses.delete",
        this::deleteAddress);
    route(
        "POST",
        "/global/firewalls",
        "compute.firewalls.insert",
        "compute.firewalls.create",
        this::insertFirewall);
    route(
        "GET",
        "/global/firewalls",
        "compute.firewalls.list",
        "compute.firewalls.list",
        r -> list(r, "compute#firewallList", firewallList()));
    route(
        "GET",
        "/global/firewalls/([^/]+)",
        "compute.firewalls.get",
        "compute.firewalls.get",
        r -> copy(firewall(r.p(2))));
    route(
        "DELETE",
        "/global/firewalls/([^/]+)",
        "compute.firewalls.delete",
        "compute.firewalls.delete",
        this::deleteFirewall);
    route(
        "GET",
        zone + "/operations/([^/]+)",
        "compute.zoneOperations.get",
        "compute.zoneOperations.get",
        r -> op("zones/" + r.p(2), r.p(3), false));
    route(
        "POST",
        zone + "/operations/([^/]+)/wait",
        "compute.zoneOperations.wait",
        "compute.zoneOperations.get",
        r -> op("zones/" + r.p(2), r.p(3), true));
    route(
        "GET",
        region + "/operations/([^/]+)",
        "compute.regionOperations.get",
        "compute.regionOperations.get",
        r -> op("regions/" + r.p(2), r.p(3), false));
    route(
        "POST",
        region + "/operations/([^/]+)/wait",
        "compute.regionOperations.wait",
        "compute.regionOperations.get",
        r -> op("regions/" + r.p(2), r.p(3), true));
    route(
        "GET",
        "/global/operations/([^/]+)",
        "compute.globalOperations.get",
        "compute.globalOperations.get",
        r -> op("global", r.p(2), false));
    route(
        "POST",
        "/global/operations/([^/]+)/wait",
        "compute.globalOperations.wait",
        "compute.globalOperations.get",
        r -> op("global", r.p(2), true));
  }

  private void checkProject(Request r) {
    if (!r.p(1).equals(project)) {
      throw new ApiError(404, "notFound", "The resource 'projects/" + r.p(1) + "' was not found");
    }
  }

  private synchronized Object getRegion(Request r) {
    checkProject(r);
    List<String> zones = zonesByRegion.get(r.p(2));
    if (zones == null) {
      throw new ApiError(
          404,
          "notFound",
          "The resource 'projects/" + project + "/regions/" + r.p(2) + "' was not found");
    }
    ObjectNode n = JSON.createObjectNode();
    n.put("kind", "compute#region");
    n.put("name", r.p(2));
    n.put("status", "UP");
    n.put("selfLink", url("regions/" + r.p(2)));
    ArrayNode z = n.putArray("zones");
    zones.forEach(zone -> z.add(url("zones/" + zone)));
    return n;
  }

  private String regionOfZone(String zone) {
    for (Map.Entry<String, List<String>> e : zonesByRegion.entrySet()) {
      if (e.getValue().contains(zone)) {
        return e.getKey();
      }
    }
    throw new ApiError(
        404,
        "notFound",
        "The resource 'projects/" + project + "/zones/" + zone + "' was not found");
  }

  private Object op(String scope, String name, boolean wait) {
    Op op = operations.get(scope + "/" + name);
    if (op == null) {
      throw new ApiError(
          404,
          "notFound",
          "The resource 'projects/"
              + project
              + "/"
              + scope
              + "/operations/"
              + name
              + "' was not found");
    }
    ObjectNode s = op.snapshot();
    if (wait) {
      // operations.wait returns when DONE or after a while (GCE: about 2 minutes; here 2 seconds).
      long deadline = System.nanoTime() + 2_000_000_000L;
      while (!s.path("status").asText().equals("DONE") && System.nanoTime() < deadline) {
        try {
          Thread.sleep(2);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
        s = op.snapshot();
      }
    }
    return s;
  }

  private static void validateName(String field, String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new ApiError(
          400,
          "invalid",
          "Invalid value for field '"
              + field
              + "': '"
              + name
              + "'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'");
    }
  }

  private static void validateLabels(JsonNode labels) {
    if (labels == null || labels.isNull()) {
      return;
    }
    if (labels.size() > 64) {
      throw new ApiError(
          400,
          "invalid",
          "Invalid value for field 'resource.labels': too many labels (at most 64)");
    }
    labels
        .fields()
        .forEachRemaining(
            e -> {
              if (!LABEL_KEY.matcher(e.getKey()).matches()) {
                throw new ApiError(
                    400,
                    "invalid",
                    "Invalid value for field 'resource.labels': '"
                        + e.getKey()
                        + "'. Label keys must start with a lowercase letter and contain only lowercase letters, digits, '_' and '-' (at most 63)");
              }
              if (!LABEL_VALUE.matcher(e.getValue().asText()).matches()) {
                throw new ApiError(
                    400,
                    "invalid",
                    "Invalid value for field 'resource.labels."
                        + e.getKey()
                        + "': '"
                        + e.getValue().asText()
                        + "'. Label values may contain only lowercase letters, digits, '_' and '-' (at most 63)");
              }
            });
  }

  private synchronized Object insertInstance(Request r) {
    checkProject(r);
    String zone = r.p(2);
    String region = regionOfZone(zone);
    JsonNode body = r.body();
    String name = body.path("name").asText(null);
    validateName("resource.name", name);
    validateLabels(body.get("labels"));
    String machineType = last(body.path("machineType").asText(""));
    if (!machineTypes.contains(machineType)) {
      throw new ApiError(
          400,
          "invalid",
          "Invalid value for field 'resource.machineType': '"
              + body.path("machineType").asText()
              + "'. Machine type with name '"
              + machineType
              + "' does not exist in zone '"
              + zone
              + "'.");
    }
    JsonNode disk = body.path("disks").path(0).path("initializeParams").path("sourceImage");
    Matcher img =
        Pattern.compile("(?:.*/)?projects/([^/]+)/global/images/family/([^/]+)")
            .matcher(disk.asText(""));
    if (!img.matches() || !images.contains(img.group(1) + "/" + img.group(2))) {
      throw new ApiError(404, "notFound", "The resource '" + disk.asText("") + "' was not found");
    }
    JsonNode nics = body.path("networkInterfaces");
    if (nics.size() != 1) {
      throw new ApiError(
          400,
          "invalid",
          "Invalid value for field 'resource.networkInterfaces': exactly one is supported here");
    }
    String network = last(nics.path(0).path("network").asText("global/networks/default"));
    if (!networks.contains(network)) {
      throw new ApiError(
          404,
          "notFound",
          "The resource 'projects/" + project + "/global/networks/" + network + "' was not found");
    }
    JsonNode configs = nics.path(0).path("accessConfigs");
    if (configs.size() > 1) {
      throw new ApiError(400, "invalid", "At most one access config currently supported.");
    }
    if (instances.containsKey(zone + "/" + name)
        && !byRequestId.containsKey(r.query().getOrDefault("requestId", ""))) {
      throw new ApiError(
          409,
          "alreadyExists",
          "The resource 'projects/"
              + project
              + "/zones/"
              + zone
              + "/instances/"
              + name
              + "' already exists");
    }
    String natIp = configs.size() == 1 ? configs.path(0).path("natIP").asText(null) : null;
    if (natIp != null) {
      reservedAddress(region, natIp);
    }
    String self = url("zones/" + zone + "/instances/" + name);
    ObjectNode instance = ((ObjectNode) body).deepCopy();
    return new MutationResult(
        "zones/" + zone,
        "insert",
        self,
        () -> {
          if (instances.containsKey(zone + "/" + name)) {
            return;
          }
          instance.put("kind", "compute#instance");
          instance.put("id", String.valueOf(ids.incrementAndGet()));
          instance.put("zone", url("zones/" + zone));
          instance.put("status", "STAGING");
          instance.put("creationTimestamp", clock.instant().toString());
          instance.put("selfLink", self);
          ObjectNode nic = (ObjectNode) instance.path("networkInterfaces").path(0);
          nic.put("name", "nic0");
          nic.put("networkIP", "10.156.0." + (2 + instances.size() % 250));
          ArrayNode acs =
              nic.has("accessConfigs")
                  ? (ArrayNode) nic.get("accessConfigs")
                  : nic.putArray("accessConfigs");
          if (acs.size() == 1) {
            attach(region, self, (ObjectNode) acs.get(0));
          }
          instances.put(zone + "/" + name, instance);
          if (!instance.has("labels")) {
            instance.putObject("labels");
          }
        });
  }

  private ObjectNode reservedAddress(String region, String ip) {
    for (Map.Entry<String, ObjectNode> e : addresses.entrySet()) {
      if (e.getValue().path("address").asText().equals(ip)) {
        if (!e.getKey().startsWith(region + "/")) {
          throw new ApiError(
              400,
              "invalid",
              "Invalid value for field 'natIP': '"
                  + ip
                  + "'. The specified external IP address '"
                  + ip
                  + "' belongs to region '"
                  + e.getKey().substring(0, e.getKey().indexOf('/'))
                  + "', not '"
                  + region
                  + "'.");
        }
        if (!e.getValue().path("status").asText().equals("RESERVED")) {
          throw new ApiError(
              400,
              "invalid",
              "The IP address '" + ip + "' is already being used by another resource.");
        }
        return e.getValue();
      }
    }
    throw new ApiError(
        400,
        "invalid",
        "Invalid value for field 'natIP': '"
            + ip
            + "'. Specified IP address is not reserved or not in the project.");
  }

  /** Fills an access config (ephemeral or static) and marks a static address IN_USE. */
  private void attach(String region, String instanceSelf, ObjectNode config) {
    config.put("kind", "compute#accessConfig");
    config.put("type", "ONE_TO_ONE_NAT");
    if (!config.has("name")) {
      config.put("name", "External NAT");
    }
    String natIp = config.path("natIP").asText(null);
    if (natIp == null || natIp.isEmpty()) {
      config.put("natIP", draw(region));
      config.put("networkTier", config.path("networkTier").asText("PREMIUM"));
    } else {
      ObjectNode a = reservedAddress(region, natIp);
      a.put("status", "IN_USE");
      a.putArray("users").add(instanceSelf);
      config.put("networkTier", a.path("networkTier").asText("PREMIUM"));
    }
  }

  private void detach(ObjectNode config) {
    String ip = config.path("natIP").asText(null);
    boolean isStatic = false;
    for (ObjectNode a : addresses.values()) {
      if (a.path("address").asText().equals(ip)) {
        a.put("status", "RESERVED");
        a.remove("users");
        isStatic = true;
      }
    }
    if (!isStatic && ip != null) {
      usedIps.remove(ip);
    }
  }

  private synchronized ObjectNode instance(String zone, String name) {
    ObjectNode i = instances.get(zone + "/" + name);
    if (i == null) {
      throw new ApiError(
          404,
          "notFound",
          "The resource 'projects/"
              + project
              + "/zones/"
              + zone
              + "/instances/"
              + name
              + "' was not found");
    }
    if (i.path("status").asText().equals("STAGING")
        && Duration.between(Instant.parse(i.path("creationTimestamp").asText()), clock.instant())
                .toMillis()
            >= bootMillis) {
      i.put("status", "RUNNING");
    }
    return i;
  }

  private synchronized List<ObjectNode> instancesOf(String zone) {
    regionOfZone(zone);
    List<ObjectNode> out = new ArrayList<>();
    for (Map.Entry<String, ObjectNode> e : instances.entrySet()) {
      if (e.getKey().startsWith(zone + "/")) {
        out.add(instance(zone, e.getKey().substring(zone.length() + 1)));
      }
    }
    return out;
  }

  private synchronized Object deleteInstance(Request r) {
    checkProject(r);
    String zone = r.p(2);
    String name = r.p(3);
    ObjectNode i = instance(zone, name);
    i.put("status", "STOPPING");
    return new MutationResult(
        "zones/" + zone,
        "delete",
        i.path("selfLink").asText(),
        () -> {
          ObjectNode gone = instances.remove(zone + "/" + name);
          if (gone != null) {
            for (JsonNode ac : gone.path("networkInterfaces").path(0).path("accessConfigs")) {
              detach((ObjectNode) ac);
            }
          }
        });
  }

  private synchronized Object addAccessConfig(Request r) {
    checkProject(r);
    String zone = r.p(2);
    ObjectNode i = instance(zone, r.p(3));
    if (!"nic0".equals(r.query().get("networkInterface"))) {
      throw new ApiError(
          400,
          "invalid",
          "Invalid value for field 'networkInterface': '"
              + r.query().get("networkInterface")
              + "'.");
    }
    ArrayNode acs = (ArrayNode) i.path("networkInterfaces").path(0).get("accessConfigs");
    if (acs != null && acs.size() > 0) {
      throw new ApiError(400, "invalid", "At most one access config currently supported.");
    }
    String region = regionOfZone(zone);
    ObjectNode config =
        r.body() == null ? JSON.createObjectNode() : ((ObjectNode) r.body()).deepCopy();
    String natIp = config.path("natIP").asText(null);
    if (natIp != null && !natIp.isEmpty()) {
      reservedAddress(region, natIp);
    }
    String self = i.path("selfLink").asText();
    return new MutationResult(
        "zones/" + zone,
        "addAccessConfig",
        self,
        () -> {
          ObjectNode now = instances.get(zone + "/" + r.p(3));
          if (now == null) {
            return;
          }
          ObjectNode nic = (ObjectNode) now.path("networkInterfaces").path(0);
          ArrayNode list =
              nic.has("accessConfigs")
                  ? (ArrayNode) nic.get("accessConfigs")
                  : nic.putArray("accessConfigs");
          if (list.size() > 0) {
            return;
          }
          attach(region, self, config);
          list.add(config);
        });
  }

  private synchronized Object deleteAccessConfig(Request r) {
    checkProject(r);
    String zone = r.p(2);
    ObjectNode i = instance(zone, r.p(3));
    String name = r.query().get("accessConfig");
    ArrayNode acs = (ArrayNode) i.path("networkInterfaces").path(0).get("accessConfigs");
    boolean present = false;
    if (acs != null) {
      for (JsonNode ac : acs) {
        present |= ac.path("name").asText().equals(name);
      }
    }
    if (!present) {
      throw new ApiError(
          400,
          "invalid",
          "Invalid value for field 'accessConfig': '" + name + "'. Access config not found.");
    }
    return new MutationResult(
        "zones/" + zone,
        "deleteAccessConfig",
        i.path("selfLink").asText(),
        () -> {
          ObjectNode now = instances.get(zone + "/" + r.p(3));
          if (now == null) {
            return;
          }
          ArrayNode list = (ArrayNode) now.path("networkInterfaces").path(0).get("accessConfigs");
          for (int k = list.size() - 1; k >= 0; k--) {
            if (list.get(k).path("name").asText().equals(name)) {
              detach((ObjectNode) list.get(k));
              list.remove(k);
            }
          }
        });
  }

  private ObjectNode newAddress(String region, String name, String tier, Instant created) {
    ObjectNode a = JSON.createObjectNode();
    a.put("kind", "compute#address");
    a.put("id", String.valueOf(ids.incrementAndGet()));
    a.put("name", name);
    a.put("address", draw(region));
    a.put("addressType", "EXTERNAL");
    a.put("networkTier", tier);
    a.put("status", "RESERVED");
    a.put("region", url("regions/" + region));
    a.put("creationTimestamp", created.toString());
    a.put("selfLink", url("regions/" + region + "/addresses/" + name));
    return a;
  }

  private synchronized Object insertAddress(Request r) {
    checkProject(r);
    String region = r.p(2);
    if (!zonesByRegion.containsKey(region)) {
      throw new ApiError(
          404,
          "notFound",
          "The resource 'projects/" + project + "/regions/" + region + "' was not found");
    }
    JsonNode body = r.body();
    String name = body.path("name").asText(null);
    validateName("resource.name", name);
    validateLabels(body.get("labels"));
    String tier = body.path("networkTier").asText("PREMIUM");
    if (!tier.equals("PREMIUM") && !tier.equals("STANDARD")) {
      throw new ApiError(
          400, "invalid", "Invalid value for field 'resource.networkTier': '" + tier + "'.");
    }
    if (addresses.containsKey(region + "/" + name)
        && !byRequestId.containsKey(r.query().getOrDefault("requestId", ""))) {
      throw new ApiError(
          409,
          "alreadyExists",
          "The resource 'projects/"
              + project
              + "/regions/"
              + region
              + "/addresses/"
              + name
              + "' already exists");
    }
    return new MutationResult(
        "regions/" + region,
        "insert",
        url("regions/" + region + "/addresses/" + name),
        () -> {
          if (addresses.containsKey(region + "/" + name)) {
            return;
          }
          ObjectNode a = newAddress(region, name, tier, clock.instant());
          if (body.has("labels")) {
            a.set("labels", body.get("labels").deepCopy());
          }
          if (body.has("description")) {
            a.put("description", body.get("description").asText());
          }
          addresses.put(region + "/" + name, a);
        });
  }

  private synchronized ObjectNode address(String region, String name) {
    ObjectNode a = addresses.get(region + "/" + name);
    if (a == null) {
      throw new ApiError(
          404,
          "notFound",
          "The resource 'projects/"
              + project
              + "/regions/"
              + region
              + "/addresses/"
              + name
              + "' was not found");
    }
    return a;
  }

  private synchronized List<ObjectNode> addressesOf(String region) {
    if (!zonesByRegion.containsKey(region)) {
      throw new ApiError(
          404,
          "notFound",
          "The resource 'projects/" + project + "/regions/" + region + "' was not found");
    }
    List<ObjectNode> out = new ArrayList<>();
    addresses.forEach(
        (k, v) -> {
          if (k.startsWith(region + "/")) {
            out.add(v);
          }
        });
    return out;
  }

  private synchronized Object deleteAddress(Request r) {
    checkProject(r);
    String region = r.p(2);
    String name = r.p(3);
    ObjectNode a = address(region, name);
    if (a.path("status").asText().equals("IN_USE")) {
      throw new ApiError(
          400,
          "resourceInUseByAnotherResource",
          "The address resource 'projects/"
              + project
              + "/regions/"
              + region
              + "/addresses/"
              + name
              + "' is already being used by '"
              + a.path("users").path(0).asText()
              + "'");
    }
    return new MutationResult(
        "regions/" + region,
        "delete",
        a.path("selfLink").asText(),
        () -> {
          ObjectNode gone = addresses.get(region + "/" + name);
          if (gone != null && !gone.path("status").asText().equals("IN_USE")) {
            addresses.remove(region + "/" + name);
            usedIps.remove(gone.path("address").asText());
          }
        });
  }

  private synchronized Object insertFirewall(Request r) {
    checkProject(r);
    JsonNode body = r.body();
    String name = body.path("name").asText(null);
    validateName("resource.name", name);
    String network = last(body.path("network").asText("global/networks/default"));
    if (!networks.contains(network)) {
      throw new ApiError(
          404,
          "notFound",
          "The resource 'projects/" + project + "/global/networks/" + network + "' was not found");
    }
    if (firewalls.containsKey(name)
        && !byRequestId.containsKey(r.query().getOrDefault("requestId", ""))) {
      throw new ApiError(
          409,
          "alreadyExists",
          "The resource 'projects/" + project + "/global/firewalls/" + name + "' already exists");
    }
    ObjectNode fw = ((ObjectNode) body).deepCopy();
    return new MutationResult(
        "global",
        "insert",
        url("global/firewalls/" + name),
        () -> {
          fw.put("kind", "compute#firewall");
          fw.put("id", String.valueOf(ids.incrementAndGet()));
          fw.put("creationTimestamp", clock.instant().toString());
          fw.put("selfLink", url("global/firewalls/" + name));
          firewalls.putIfAbsent(name, fw);
        });
  }

  private synchronized ObjectNode firewall(String name) {
    ObjectNode f = firewalls.get(name);
    if (f == null) {
      throw new ApiError(
          404,
          "notFound",
          "The resource 'projects/" + project + "/global/firewalls/" + name + "' was not found");
    }
    return f;
  }

  private synchronized List<ObjectNode> firewallList() {
    return new ArrayList<>(firewalls.values());
  }

  private synchronized Object deleteFirewall(Request r) {
    checkProject(r);
    ObjectNode f = firewall(r.p(2));
    return new MutationResult(
        "global", "delete", f.path("selfLink").asText(), () -> firewalls.remove(r.p(2)));
  }

  private static ObjectNode copy(ObjectNode n) {
    synchronized (n) {
      return n.deepCopy();
    }
  }

  /**
   * An aggregated list: every zone (instances) or region (addresses) as a scope, filtered (no
   * paging here: few scopes).
   */
  private synchronized Object aggregated(Request r, String what) {
    checkProject(r);
    ObjectNode out = JSON.createObjectNode();
    out.put(
        "kind",
        what.equals("instances")
            ? "compute#instanceAggregatedList"
            : "compute#addressAggregatedList");
    ObjectNode items = out.putObject("items");
    for (Map.Entry<String, List<String>> e : zonesByRegion.entrySet()) {
      List<String> scopes = what.equals("instances") ? e.getValue() : List.of(e.getKey());
      for (String scope : scopes) {
        List<ObjectNode> all = what.equals("instances") ? instancesOf(scope) : addressesOf(scope);
        ArrayNode list = JSON.createArrayNode();
        all.stream()
            .filter(n -> matches(n, r.query().get("filter")))
            .forEach(n -> list.add(n.deepCopy()));
        ObjectNode scoped =
            items.putObject((what.equals("instances") ? "zones/" : "regions/") + scope);
        if (list.isEmpty()) {
          scoped.putObject("warning").put("code", "NO_RESULTS_ON_PAGE");
        } else {
          scoped.set(what, list);
        }
      }
    }
    return out;
  }

  /**
   * A list response: filter, then a page of at most maxResults (default and cap 500) from
   * pageToken.
   */
  private ObjectNode list(Request r, String kind, List<ObjectNode> all) {
    checkProject(r);
    String filter = r.query().get("filter");
    List<ObjectNode> matched = new ArrayList<>();
    for (ObjectNode n : all) {
      if (matches(n, filter)) {
        matched.add(n.deepCopy());
      }
    }
    int max = 500;
    if (r.query().containsKey("maxResults")) {
      max = Integer.parseInt(r.query().get("maxResults"));
      if (max < 0 || max > 500) {
        throw new ApiError(
            400,
            "invalid",
            "Invalid value for field 'maxResults': " + max + ". Must be between 0 and 500.");
      }
      if (max == 0) {
        max = 500;
      }
    }
    int from = 0;
    String token = r.query().get("pageToken");
    if (token != null && !token.isEmpty()) {
      try {
        from =
            Integer.parseInt(
                new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8));
      } catch (RuntimeException e) {
        throw new ApiError(400, "invalid", "Invalid value for field 'pageToken': '" + token + "'.");
      }
    }
    ObjectNode out = JSON.createObjectNode();
    out.put("kind", kind);
    out.put("id", "projects/" + project);
    ArrayNode items = out.putArray("items");
    int to = Math.min(matched.size(), from + max);
    for (int k = from; k < to; k++) {
      items.add(matched.get(k));
    }
    if (to < matched.size()) {
      out.put(
          "nextPageToken",
          Base64.getUrlEncoder()
              .encodeToString(String.valueOf(to).getBytes(StandardCharsets.UTF_8)));
    }
    out.put("selfLink", endpoint() + r.call().path());
    return out;
  }

  /**
   * GCE filter expressions: terms {@code field = "v"}, {@code field != "v"}, {@code field:*},
   * joined by AND or spaces.
   */
  static boolean matches(JsonNode resource, String filter) {
    if (filter == null || filter.isBlank()) {
      return true;
    }
    String rest = filter.replaceAll("\\bAND\\b", " ").trim();
    Matcher m = FILTER_TERM.matcher(rest);
    int at = 0;
    while (at < rest.length()) {
      if (Character.isWhitespace(rest.charAt(at))) {
        at++;
        continue;
      }
      if (!m.find(at) || m.start() != at) {
        throw new ApiError(
            400,
            "invalid",
            "Invalid value for field 'filter': '" + filter + "'. Invalid list filter expression.");
      }
      String field = m.group(1);
      String op = m.group(2);
      String value = m.group(3);
      if (value.startsWith("\"")) {
        value = value.substring(1, value.length() - 1);
      }
      JsonNode node = resource;
      for (String part : field.split("\\.")) {
        node = node == null ? null : node.get(part);
      }
      String actual = node == null || node.isNull() ? null : node.asText();
      boolean ok =
          switch (op) {
            case "=" -> value.equals(actual);
            case "!=" -> !value.equals(actual);
            default -> value.equals("*") ? actual != null : value.equals(actual);
          };
      if (!ok) {
        return false;
      }
      at = m.end();
    }
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Address pool from Google's published ranges

  private void loadRanges() {
    try (InputStream raw =
        FakeCompute.class.getResourceAsStream(
            "/cloud-ranges/gcp_cloud_2025-07-24T191628.json.gz")) {
      if (raw == null) {
        throw new IllegalStateException(
            "cloud-ranges/gcp_cloud_2025-07-24T191628.json.gz is not on the classpath");
      }
      JsonNode root = JSON.readTree(new GZIPInputStream(raw));
      for (JsonNode p : root.path("prefixes")) {
        String cidr = p.path("ipv4Prefix").asText(null);
        if (cidr != null) {
          rangesByRegion
              .computeIfAbsent(p.path("scope").asText(), k -> new ArrayList<>())
              .add(range(cidr));
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The region's published IPv4 prefixes, as CIDR strings. */
  public List<String> publishedRanges(String region) {
    List<String> out = new ArrayList<>();
    for (long[] r : rangesByRegion.getOrDefault(region, List.of())) {
      out.add(ip(r[0]) + "/" + (32 - Long.numberOfTrailingZeros(r[1] - r[0] + 1)));
    }
    return Collections.unmodifiableList(out);
  }

  private static long[] range(String cidr) {
    String[] parts = cidr.split("/");
    int bits = Integer.parseInt(parts[1]);
    long base = 0;
    for (String o : parts[0].split("\\.")) {
      base = base * 256 + Integer.parseInt(o);
    }
    long size = 1L << (32 - bits);
    base &= ~(size - 1);
    return new long[] {base, base + size - 1};
  }

  private static String ip(long v) {
    return ((v >> 24) & 255) + "." + ((v >> 16) & 255) + "." + ((v >> 8) & 255) + "." + (v & 255);
  }

  private String draw(String region) {
    List<long[]> pool;
    String preferred = preferredRanges.get(region);
    if (preferred != null) {
      pool = List.of(range(preferred));
    } else {
      pool = rangesByRegion.get(region);
    }
    if (pool == null || pool.isEmpty()) {
      throw new ApiError(503, "backendError", "no published address range for region " + region);
    }
    for (int attempt = 0; attempt < 10_000; attempt++) {
      long[] r = pool.get(random.nextInt(pool.size()));
      long span = r[1] - r[0] - 1;
      long v = r[0] + 1 + (span <= 0 ? 0 : Math.floorMod(random.nextLong(), span));
      String ip = ip(v);
      if (usedIps.add(ip)) {
        return ip;
      }
    }
    throw new ApiError(503, "backendError", "address pool of " + region + " exhausted");
  }
}
