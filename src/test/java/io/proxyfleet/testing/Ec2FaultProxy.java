package io.proxyfleet.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * An HTTP proxy in front of moto that sees every EC2 Query API call: counts calls per Action,
 * records their parameters, and injects what moto cannot produce: real EC2 XML errors ({@code
 * RequestLimitExceeded} with 503 every Nth call, a chosen error for a chosen Action and
 * parameters), canned responses (e.g. paginated pages), and callbacks after an Action succeeded.
 */
public final class Ec2FaultProxy implements AutoCloseable {

  /** One EC2 call as the proxy saw it. */
  public record Call(String action, Map<String, String> params, int status) {
    public String param(String name) {
      return params.get(name);
    }

    /** Parameters whose name starts with {@code prefix}, e.g. "TagSpecification.". */
    public Map<String, String> params(String prefix) {
      Map<String, String> out = new TreeMap<>();
      params.forEach(
          (k, v) -> {
            if (k.startsWith(prefix)) {
              out.put(k, v);
            }
          });
      return out;
    }
  }

  /** A response the proxy gives instead of forwarding. */
  public record Reply(int status, String body) {
    public static Reply error(int status, String code, String message) {
      return new Reply(status, errorXml(code, message));
    }
  }

  private record Rule(
      String action,
      Predicate<Map<String, String>> when,
      Function<Map<String, String>, Reply> reply,
      AtomicInteger remaining) {}

  private final URI target;
  private final HttpServer server;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final List<Rule> rules = new CopyOnWriteArrayList<>();
  private final Map<String, List<Consumer<Call>>> afterSuccess = new ConcurrentHashMap<>();
  private final AtomicLong sequence = new AtomicLong();
  private volatile int throttleEvery;
  private volatile Set<String> throttleActions = Set.of();
  private final AtomicLong throttled = new AtomicLong();

  private Ec2FaultProxy(URI target) throws IOException {
    this.target = target;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.createContext("/", this::handle);
    server.setExecutor(
        Executors.newFixedThreadPool(
            8,
            r -> {
              Thread t = new Thread(r, "ec2-fault-proxy");
              t.setDaemon(true);
              return t;
            }));
    server.start();
  }

  /** Starts a proxy on a free loopback port in front of {@code target} (moto's endpoint). */
  public static Ec2FaultProxy start(URI target) throws IOException {
    return new Ec2FaultProxy(target);
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /**
   * Every {@code n}th call (counted over all Actions, or over {@code actions} when given) answers
   * RequestLimitExceeded/503; 0 turns it off.
   */
  public Ec2FaultProxy throttleEvery(int n, String... actions) {
    throttleActions = Set.of(actions);
    throttleEvery = n;
    return this;
  }

  /** How many calls were answered with injected throttling. */
  public long throttledCalls() {
    return throttled.get();
  }

  /** Answers {@code action} with an EC2 error every time. */
  public Ec2FaultProxy fail(String action, int status, String code) {
    return fail(action, p -> true, status, code, Integer.MAX_VALUE);
  }

  /**
   * Answers {@code action} calls whose parameters match {@code when} with an error, {@code times}
   * times.
   */
  public Ec2FaultProxy fail(
      String action, Predicate<Map<String, String>> when, int status, String code, int times) {
    rules.add(
        new Rule(
            action,
            when,
            p -> Reply.error(status, code, code + " (injected by the test)"),
            new AtomicInteger(times)));
    return this;
  }

  /** Answers matching calls with whatever {@code reply} returns (empty: forward as usual). */
  public Ec2FaultProxy respond(
      String action, Function<Map<String, String>, Optional<Reply>> reply) {
    rules.add(
        new Rule(
            action,
            p -> reply.apply(p).isPresent(),
            p -> reply.apply(p).orElseThrow(),
            new AtomicInteger(Integer.MAX_VALUE)));
    return this;
  }

  /**
   * Runs {@code callback} after moto answered {@code action} successfully (before the client sees
   * it).
   */
  public Ec2FaultProxy afterSuccess(String action, Consumer<Call> callback) {
    afterSuccess.computeIfAbsent(action, a -> new CopyOnWriteArrayList<>()).add(callback);
    return this;
  }

  /** Removes every injection; counts and recorded calls stay. */
  public Ec2FaultProxy clearFaults() {
    rules.clear();
    afterSuccess.clear();
    throttleEvery = 0;
    return this;
  }

  public long count(String action) {
    AtomicLong c = counts.get(action);
    return c == null ? 0 : c.get();
  }

  public Map<String, Long> counts() {
    Map<String, Long> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  public List<Call> calls(String action) {
    return calls.stream().filter(c -> c.action().equals(action)).toList();
  }

  public List<Call> calls() {
    return new ArrayList<>(calls);
  }

  public void resetCounts() {
    counts.clear();
    calls.clear();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      Map<String, String> params =
          new LinkedHashMap<>(parse(exchange.getRequestURI().getRawQuery()));
      params.putAll(parse(new String(body, StandardCharsets.UTF_8)));
      String action = params.getOrDefault("Action", "?");
      counts.computeIfAbsent(action, a -> new AtomicLong()).incrementAndGet();

      Reply injected = null;
      int every = throttleEvery;
      if (every > 0
          && (throttleActions.isEmpty() || throttleActions.contains(action))
          && sequence.incrementAndGet() % every == 0) {
        throttled.incrementAndGet();
        injected = Reply.error(503, "RequestLimitExceeded", "Request limit exceeded.");
      }
      for (Rule rule : rules) {
        if (injected == null
            && rule.action().equals(action)
            && rule.remaining().get() > 0
            && rule.when().test(params)) {
          if (rule.remaining().decrementAndGet() >= 0) {
            injected = rule.reply().apply(params);
          }
        }
      }
      if (injected != null) {
        calls.add(new Call(action, params, injected.status()));
        send(
            exchange,
            injected.status(),
            injected.body().getBytes(StandardCharsets.UTF_8),
            "text/xml");
        return;
      }
      HttpRequest.Builder forward =
          HttpRequest.newBuilder(URI.create(target + exchange.getRequestURI().toString()))
              .timeout(Duration.ofSeconds(60))
              .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
      exchange
          .getRequestHeaders()
          .forEach(
              (name, values) -> {
                String n = name.toLowerCase();
                if (!Set.of(
                        "host",
                        "content-length",
                        "connection",
                        "expect",
                        "upgrade",
                        "transfer-encoding")
                    .contains(n)) {
                  values.forEach(v -> forward.header(name, v));
                }
              });
      HttpResponse<byte[]> response;
      try {
        response = http.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
      Call call = new Call(action, params, response.statusCode());
      calls.add(call);
      if (response.statusCode() / 100 == 2) {
        afterSuccess.getOrDefault(action, List.of()).forEach(cb -> cb.accept(call));
      }
      send(
          exchange,
          response.statusCode(),
          response.body(),
          response.headers().firstValue("content-type").orElse("text/xml"));
    }
  }

  private static void send(HttpExchange exchange, int status, byte[] body, String contentType)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private static Map<String, String> parse(String form) {
    Map<String, String> out = new LinkedHashMap<>();
    if (form == null || form.isEmpty()) {
      return out;
    }
    for (String pair : form.split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.put(k, v);
    }
    return out;
  }

  /** A real EC2 error document. */
  public static String errorXml(String code, String message) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>"
        + code
        + "</Code><Message>"
        + message
        + "</Message></Error></Errors><RequestID>00000000-0000-0000-0000-000000000000</RequestID></Response>";
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
