package io.proxyfleet.testing.kube;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The shipped {@code proxyfleet operator} command in a JVM of its own, as a pod would run it: its
 * own process (so SIGTERM and {@code kill -9} are real), a kubeconfig holding a ServiceAccount
 * token, and its log in a file the test can search for {@code forbidden}.
 */
public final class OperatorProcess implements AutoCloseable {

  private final Process process;
  private final Path log;
  private final int httpPort;

  private OperatorProcess(Process process, Path log, int httpPort) {
    this.process = process;
    this.log = log;
    this.httpPort = httpPort;
  }

  /**
   * Starts {@code java ... io.proxyfleet.cli.Main operator ARGS} with {@code KUBECONFIG} set to
   * {@code kubeconfig} and the extra environment {@code env} (for example {@code POD_NAME}). Its
   * HTTP endpoints listen on a free port of their own ({@link #httpPort()}): several operators run
   * at once in a test, and other builds on the machine may hold the default 8080.
   */
  public static OperatorProcess start(
      Path kubeconfig, Path log, Map<String, String> env, String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-cp",
                System.getProperty("java.class.path"),
                "io.proxyfleet.cli.Main",
                "operator"));
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().put("KUBECONFIG", kubeconfig.toString());
    builder.environment().remove("POD_NAME");
    builder.environment().remove("POD_NAMESPACE");
    int httpPort = freePort();
    builder.environment().put("PROXYFLEET_HTTP_PORT", Integer.toString(httpPort));
    builder.environment().putAll(env);
    try {
      return new OperatorProcess(builder.start(), log, httpPort);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int freePort() {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Port of its /healthz, /readyz and /metrics. */
  public int httpPort() {
    return httpPort;
  }

  /** {@code http://127.0.0.1:PORT/PATH} on the operator's HTTP endpoints. */
  public java.net.URI url(String path) {
    return java.net.URI.create("http://127.0.0.1:" + httpPort + path);
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /**
   * SIGTERM, as the kubelet sends at pod deletion; returns how long the process took to exit, or
   * null if it did not within {@code limit}.
   */
  public Duration terminate(Duration limit) {
    long start = System.nanoTime();
    process.destroy();
    try {
      if (process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        return Duration.ofNanos(System.nanoTime() - start);
      }
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** SIGKILL: the process has no chance to clean up, as after a node loss or an OOM kill. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public Integer exitCode() {
    return process.isAlive() ? null : process.exitValue();
  }

  public Path logFile() {
    return log;
  }

  public String log() {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Log lines that mention an authorization refusal. */
  public List<String> forbiddenLines() {
    return log()
        .lines()
        .filter(l -> l.toLowerCase(java.util.Locale.ROOT).contains("forbidden"))
        .toList();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
