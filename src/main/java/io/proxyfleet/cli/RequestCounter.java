package io.proxyfleet.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the operator's API requests by the controller that made them, told apart by the thread
 * that sends them (JOSDK names its reconciler threads after the controller; the fleet's parallel
 * writes run on {@code fleet-writes-*}). The bench reports requests per proxy launched with it.
 */
final class RequestCounter implements Interceptor {

  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

  @Override
  public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
    String thread = Thread.currentThread().getName();
    String side =
        thread.startsWith("ReconcilerExecutor-proxyfleet-") || thread.startsWith("fleet-writes-")
            ? "fleet"
            : thread.startsWith("ReconcilerExecutor-proxy-") ? "proxy" : "other";
    counts
        .computeIfAbsent(
            side + " " + request.method() + " " + resource(request.uri().getPath()),
            k -> new LongAdder())
        .increment();
  }

  /** The resource (and subresource) a path names, without namespace and object name. */
  static String resource(String path) {
    String[] parts = path.split("/");
    int ns = -1;
    for (int i = 0; i < parts.length; i++) {
      if (parts[i].equals("namespaces") && i + 2 < parts.length) {
        ns = i + 2;
      }
    }
    if (ns < 0) {
      return parts.length == 0 ? path : parts[parts.length - 1];
    }
    return parts.length > ns + 2 ? parts[ns] + "/" + parts[ns + 2] : parts[ns];
  }

  void reset() {
    counts.clear();
  }

  long total(String side) {
    return counts.entrySet().stream()
        .filter(e -> e.getKey().startsWith(side + " "))
        .mapToLong(e -> e.getValue().sum())
        .sum();
  }

  long count(String key) {
    LongAdder adder = counts.get(key);
    return adder == null ? 0 : adder.sum();
  }

  /** Every counter, sorted: "fleet POST proxies=1000, ...". */
  Map<String, Long> snapshot() {
    Map<String, Long> sorted = new TreeMap<>();
    counts.forEach((k, v) -> sorted.put(k, v.sum()));
    return sorted;
  }

  /** An HTTP client factory whose clients count through this. */
  HttpClient.Factory factory() {
    RequestCounter counter = this;
    return new JdkHttpClientFactory() {
      @Override
      public HttpClient.Builder newBuilder(Config config) {
        return super.newBuilder(config).addOrReplaceInterceptor("bench-request-counter", counter);
      }
    };
  }
}
