package io.proxyfleet.cloud.aws;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts EC2 calls per region and operation ("eu-central-1 DescribeInstances"): calls as the
 * adapter makes them and HTTP attempts as EC2 sees them (retries included).
 */
public final class CallCounter {

  private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> attempts = new ConcurrentHashMap<>();

  void call(String region, String operation) {
    calls.computeIfAbsent(key(region, operation), k -> new LongAdder()).increment();
  }

  void attempt(String region, String operation) {
    attempts.computeIfAbsent(key(region, operation), k -> new LongAdder()).increment();
  }

  /** Calls per "region Operation", sorted. */
  public Map<String, Long> calls() {
    return snapshot(calls);
  }

  /** HTTP attempts per "region Operation" (calls plus SDK retries), sorted. */
  public Map<String, Long> attempts() {
    return snapshot(attempts);
  }

  /** Total calls so far. */
  public long totalCalls() {
    return calls.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /** Operation names called so far, in any region. */
  public java.util.Set<String> operations() {
    java.util.Set<String> ops = new java.util.TreeSet<>();
    calls.keySet().forEach(k -> ops.add(k.substring(k.indexOf(' ') + 1)));
    return ops;
  }

  public void reset() {
    calls.clear();
    attempts.clear();
  }

  private static String key(String region, String operation) {
    return region + " " + operation;
  }

  private static Map<String, Long> snapshot(Map<String, LongAdder> m) {
    Map<String, Long> out = new TreeMap<>();
    m.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }
}
