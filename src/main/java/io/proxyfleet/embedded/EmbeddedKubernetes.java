package io.proxyfleet.embedded;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process Kubernetes API server that the operator, the Fabric8 client and real {@code
 * kubectl} can all use: the Fabric8 mock server in CRUD mode behind {@link ApiDispatcher}.
 *
 * <p>Plain HTTP only, no authentication: bind it to a loopback address.
 */
public final class EmbeddedKubernetes implements AutoCloseable {

  /** Name of the cluster, user and context written into kubeconfigs. */
  public static final String CONTEXT_NAME = "proxyfleet-local";

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKubernetes.class);
  private static final Duration PORT_RELEASE_TIMEOUT = Duration.ofSeconds(2);

  /**
   * The mock web server logs every request at INFO through java.util.logging, which would flood
   * local mode's console; holding the logger keeps the level from being lost to garbage collection.
   */
  private static final java.util.logging.Logger MOCK_WEB_SERVER_LOG =
      java.util.logging.Logger.getLogger(MockWebServer.class.getName());

  private final KubernetesMockServer server;
  private final InetAddress bindAddress;
  private final String host;
  private final KubernetesClient client;

  /** Expires Events once a minute, as a real API server's event TTL does. */
  private final java.util.concurrent.ScheduledExecutorService housekeeping =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "embedded-api-event-expiry");
            t.setDaemon(true);
            return t;
          });

  private volatile boolean closed;

  private EmbeddedKubernetes(KubernetesMockServer server, InetAddress bindAddress) {
    this.server = server;
    this.bindAddress = bindAddress;
    this.host = urlHost(bindAddress);
    this.client =
        new KubernetesClientBuilder()
            .withConfig(clientConfig(url()))
            .withHttpClientFactory(new JdkHttpClientFactory())
            .build();
    EventExpiry expiry = new EventExpiry(client, Clock.systemUTC(), EventExpiry.TTL);
    housekeeping.scheduleWithFixedDelay(
        () -> {
          try {
            expiry.expire();
          } catch (RuntimeException e) {
            LOG.debug("event expiry pass failed: {}", e.toString());
          }
        },
        1,
        1,
        TimeUnit.MINUTES);
  }

  /**
   * Starts the API on {@code host} (an address or name to bind, e.g. {@code 127.0.0.1}) and {@code
   * port} ({@code 0} for any free port), with a {@code default} namespace.
   */
  public static EmbeddedKubernetes start(String host, int port) {
    MOCK_WEB_SERVER_LOG.setLevel(Level.WARNING);
    KubernetesSerialization serialization = new KubernetesSerialization();
    ObjectStore store = new ObjectStore();
    MockWebServer webServer = new MockWebServer();
    // The web server records every request in a queue nobody reads; draining it on each request
    // keeps a long-running local mode from growing without bound.
    Runnable drain =
        () -> {
          try {
            while (webServer.takeRequest(0, TimeUnit.NANOSECONDS) != null) {
              // discard
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    AtomicReference<String> address = new AtomicReference<>();
    ApiDispatcher dispatcher =
        new ApiDispatcher(
            store,
            new CrdCatalog(store, serialization),
            new TableConverter(Clock.systemUTC()),
            address::get,
            drain);
    KubernetesMockServer server =
        new KubernetesMockServer(new Context(), webServer, new HashMap<>(), dispatcher, false);
    InetAddress bind;
    try {
      bind = InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("cannot resolve host to bind: " + host, e);
    }
    try {
      server.start(bind, port);
    } catch (RuntimeException e) {
      IllegalStateException failure =
          new IllegalStateException("cannot listen on " + host + ":" + port, e);
      // The web server owns a Vert.x instance from construction on; its non-daemon threads would
      // keep the JVM alive after a failed start.
      try {
        server.shutdown();
      } catch (RuntimeException cleanup) {
        failure.addSuppressed(cleanup);
      }
      throw failure;
    }
    EmbeddedKubernetes api = new EmbeddedKubernetes(server, bind);
    address.set(api.hostAndPort());
    try {
      api.client
          .namespaces()
          .resource(
              new NamespaceBuilder().withNewMetadata().withName("default").endMetadata().build())
          .create();
    } catch (RuntimeException e) {
      api.close();
      throw e;
    }
    LOG.info("embedded Kubernetes API listening on {}", api.url());
    return api;
  }

  /**
   * Creates the CRDs through the API, which is what makes the CRUD dispatcher honour their status
   * subresources, and makes them visible to discovery.
   */
  public void installCrds(Collection<CustomResourceDefinition> crds) {
    for (CustomResourceDefinition crd : crds) {
      client
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .resource(crd)
          .createOr(existing -> existing.update());
    }
  }

  /** A client for in-process use, backed by the JDK HTTP client; closed by {@link #close()}. */
  public KubernetesClient client() {
    return client;
  }

  /**
   * A separate client (its own connections and informers) that the caller closes, e.g. one per
   * operator process in tests.
   */
  public KubernetesClient newClient() {
    return new KubernetesClientBuilder()
        .withConfig(clientConfig(url()))
        .withHttpClientFactory(new JdkHttpClientFactory())
        .build();
  }

  /**
   * A separate client built by {@code factory} (e.g. one that counts requests); the caller closes
   * it.
   */
  public KubernetesClient newClient(io.fabric8.kubernetes.client.http.HttpClient.Factory factory) {
    return new KubernetesClientBuilder()
        .withConfig(clientConfig(url()))
        .withHttpClientFactory(factory)
        .build();
  }

  /** The base URL, e.g. {@code http://127.0.0.1:43567}. */
  public String url() {
    return "http://" + hostAndPort();
  }

  /** The port the server listens on. */
  public int port() {
    return server.getPort();
  }

  /**
   * Writes a kubeconfig whose current context ({@value #CONTEXT_NAME}, namespace {@code default})
   * points at this server, replacing the file if it exists. Readable by the owner only where the
   * file system supports POSIX permissions, as kubeconfigs normally hold credentials.
   */
  public void writeKubeconfig(Path file) {
    String yaml =
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: %1$s
          cluster:
            server: %2$s
        users:
        - name: %1$s
          user:
            token: %1$s-token
        contexts:
        - name: %1$s
          context:
            cluster: %1$s
            user: %1$s
            namespace: default
        current-context: %1$s
        preferences: {}
        """
            .formatted(CONTEXT_NAME, url());
    try {
      Path target = file.toAbsolutePath();
      Files.createDirectories(target.getParent());
      Path temp = Files.createTempFile(target.getParent(), ".kubeconfig", ".tmp");
      try {
        ownerOnly(temp);
        Files.writeString(temp, yaml, StandardCharsets.UTF_8);
        Files.move(
            temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(temp);
      }
      ownerOnly(target);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write kubeconfig " + file, e);
    }
  }

  /** Stops the server and closes the client; calling it again does nothing. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    housekeeping.shutdownNow();
    int port = port();
    try {
      client.close();
    } finally {
      server.shutdown();
      awaitPortReleased(port);
    }
  }

  /**
   * Vert.x reports the server closed while its acceptor may still be closing the listening socket
   * for a few milliseconds; waiting for the port to be bindable again makes {@link #close()} mean
   * "nothing listens any more", so a restart on the same port cannot fail.
   */
  private void awaitPortReleased(int port) {
    long deadline = System.nanoTime() + PORT_RELEASE_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      try (ServerSocket probe = new ServerSocket()) {
        probe.setReuseAddress(true);
        probe.bind(new InetSocketAddress(bindAddress, port));
        return;
      } catch (IOException stillListening) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
      }
    }
    LOG.warn("port {} still bound {} after shutdown", port, PORT_RELEASE_TIMEOUT);
  }

  private String hostAndPort() {
    return host + ":" + port();
  }

  private static Config clientConfig(String url) {
    return new ConfigBuilder(Config.empty())
        .withMasterUrl(url)
        .withNamespace("default")
        .withOauthToken(CONTEXT_NAME + "-token")
        // The server speaks HTTP/1.1 only; skipping the h2c upgrade attempt avoids a wasted round.
        .withHttp2Disable(true)
        .build();
  }

  private static String urlHost(InetAddress bind) {
    if (bind.isAnyLocalAddress()) {
      return bind instanceof java.net.Inet6Address ? "[::1]" : "127.0.0.1";
    }
    String literal = bind.getHostAddress();
    return bind instanceof java.net.Inet6Address ? "[" + literal + "]" : literal;
  }

  private static void ownerOnly(Path path) throws IOException {
    try {
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system (Windows): the user's profile directory protects the file instead.
    }
  }
}
