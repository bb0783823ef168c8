package io.proxyfleet.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A moto EC2 emulator ({@code moto_server}) on a free loopback port for one test class: register
 * with {@code @RegisterExtension static final MotoServer MOTO = new MotoServer();}.
 *
 * <p>When {@code moto_server} is missing the tests are skipped with a message saying how to install
 * it, except in CI ({@code CI=true}), where they fail loudly.
 */
public final class MotoServer implements BeforeAllCallback, AfterAllCallback {

  public static final String INSTALL_HINT = "pip install 'moto[server]'";

  private final Map<String, String> environment;
  private Process process;
  private int port;
  private Path logFile;

  public MotoServer() {
    this(Map.of());
  }

  /**
   * A server with extra environment, e.g. {@code INITIAL_NO_AUTH_ACTION_COUNT=0} for real IAM
   * checks.
   */
  public MotoServer(Map<String, String> environment) {
    this.environment = new LinkedHashMap<>(environment);
  }

  /** The moto_server executable: $MOTO_SERVER, or moto_server on the PATH. */
  public static Optional<Path> executable() {
    String explicit = System.getenv("MOTO_SERVER");
    if (explicit != null && !explicit.isBlank() && Files.isExecutable(Path.of(explicit))) {
      return Optional.of(Path.of(explicit));
    }
    String path = System.getenv("PATH");
    String home = System.getProperty("user.home");
    List<String> dirs =
        new ArrayList<>(path == null ? List.of() : List.of(path.split(File.pathSeparator)));
    // Where pip and pyenv put it when the PATH of a CI shell does not name those directories.
    dirs.add(home + "/.pyenv/shims");
    dirs.add(home + "/.local/bin");
    for (String dir : dirs) {
      Path candidate = Path.of(dir, "moto_server");
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** Skips (locally) or fails (CI=true) when moto is not installed. */
  public static Path requireExecutable() {
    Optional<Path> exe = executable();
    if (exe.isEmpty()) {
      String message =
          "moto_server not found on PATH: the AWS tests need the moto EC2 emulator; install it with "
              + INSTALL_HINT;
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(message + " (CI=true: failing instead of skipping)");
      }
      Assumptions.abort(message);
    }
    return exe.get();
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    stop();
  }

  public void start() throws IOException, InterruptedException {
    Path exe = requireExecutable();
    IOException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      port = freePort();
      logFile = Files.createTempFile("moto-" + port + "-", ".log");
      ProcessBuilder pb =
          new ProcessBuilder(exe.toString(), "-H", "127.0.0.1", "-p", String.valueOf(port))
              .redirectErrorStream(true)
              .redirectOutput(logFile.toFile());
      pb.environment().putAll(environment);
      process = pb.start();
      if (waitReady(Duration.ofSeconds(30))) {
        return;
      }
      last =
          new IOException(
              "moto_server did not become ready on port "
                  + port
                  + "; log:\n"
                  + Files.readString(logFile));
      process.destroyForcibly();
    }
    throw last;
  }

  /** Polls moto's API until it answers 200; false when the process died or the timeout passed. */
  private boolean waitReady(Duration timeout) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    try {
      org.awaitility.Awaitility.await()
          .atMost(timeout)
          .pollInterval(Duration.ofMillis(100))
          .until(() -> !process.isAlive() || answers(http));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      return false;
    }
    return process.isAlive();
  }

  private boolean answers(HttpClient http) throws InterruptedException {
    try {
      HttpResponse<Void> r =
          http.send(
              HttpRequest.newBuilder(URI.create(endpoint() + "/moto-api/"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false; // not listening yet
    }
  }

  /** Forgets every resource (all regions, all services). */
  public void reset() throws IOException, InterruptedException {
    HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(endpoint() + "/moto-api/reset"))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.discarding());
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  public int port() {
    return port;
  }

  public void stop() {
    if (process != null) {
      process.descendants().forEach(ProcessHandle::destroy);
      process.destroy();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
      process = null;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }
}
