package io.proxyfleet.testing.kube;

import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A real kube-apiserver backed by a real etcd, both on free loopback ports, configured as a
 * production cluster would be where it matters to us: RBAC authorization, ServiceAccount tokens
 * (TokenRequest works), and {@code OwnerReferencesPermissionEnforcement} (OpenShift's default).
 * There is no kubelet and no kube-controller-manager: no pods run and no ownerReference garbage
 * collection happens.
 */
public final class KubeApiServer implements AutoCloseable {

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

  private final Path bin;
  private final Path work;
  private final String adminToken;
  private final int etcdPort;
  private final int etcdPeerPort;
  private final int port;
  private final boolean audit;
  private Process etcd;
  private Process apiServer;
  private KubernetesClient admin;

  private KubeApiServer(Path bin, Path work, boolean audit) throws IOException {
    this.bin = bin;
    this.work = work;
    this.audit = audit;
    byte[] token = new byte[24];
    new SecureRandom().nextBytes(token);
    this.adminToken = HexFormat.of().formatHex(token);
    this.etcdPort = freePort();
    this.etcdPeerPort = freePort();
    this.port = freePort();
  }

  /**
   * Starts etcd and kube-apiserver from {@code bin} and waits until {@code /readyz} answers 200.
   */
  public static KubeApiServer start(Path bin) {
    return start(bin, false);
  }

  /**
   * As {@link #start(Path)}; with {@code audit} the server also writes an audit log of every
   * request a ServiceAccount makes ({@link #AUDIT_POLICY}), read with {@link #auditEvents()}.
   */
  public static KubeApiServer start(Path bin, boolean audit) {
    try {
      KubeApiServer server =
          new KubeApiServer(bin, Files.createTempDirectory("proxyfleet-kube"), audit);
      try {
        server.writeCredentials();
        server.startEtcd();
        server.startApiServer();
        return server;
      } catch (RuntimeException | IOException e) {
        server.close();
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String url() {
    return "https://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** The server's own log, for failure messages. */
  public Path log() {
    return work.resolve("kube-apiserver.log");
  }

  /**
   * What the audit log records: the metadata (user, verb, resource, subresource, namespace, name,
   * response code) of every request made by a ServiceAccount, that is by the operators under test;
   * the admin's and the control plane's own requests are left out to keep the log small.
   */
  public static final String AUDIT_POLICY =
      """
      apiVersion: audit.k8s.io/v1
      kind: Policy
      omitStages: [RequestReceived]
      rules:
        - level: Metadata
          userGroups: ["system:serviceaccounts"]
        - level: None
      """;

  /** The audit log (JSON lines), or empty when the server was started without one. */
  public java.util.Optional<Path> auditLog() {
    return audit ? java.util.Optional.of(work.resolve("audit.log")) : java.util.Optional.empty();
  }

  /**
   * Every audit event written so far, one per request (a watch also writes its {@code
   * ResponseStarted} stage; only the last stage of each {@code auditID} is kept).
   */
  public List<com.fasterxml.jackson.databind.JsonNode> auditEvents() {
    Path log =
        auditLog()
            .orElseThrow(
                () -> new IllegalStateException("this server was started without an audit log"));
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> byId =
        new java.util.LinkedHashMap<>();
    try {
      if (!Files.exists(log)) {
        return List.of();
      }
      for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
        if (line.isBlank()) {
          continue;
        }
        com.fasterxml.jackson.databind.JsonNode event;
        try {
          event = json.readTree(line);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
          // The last line may be half written while the server runs.
          continue;
        }
        byId.put(event.path("auditID").asText(), event);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return List.copyOf(byId.values());
  }

  /** A client in {@code system:masters}, shared; do not close it. */
  public synchronized KubernetesClient admin() {
    if (admin == null) {
      admin = client(adminToken);
    }
    return admin;
  }

  /** A new client authenticating with {@code token}; the caller closes it. */
  public KubernetesClient client(String token) {
    return new KubernetesClientBuilder()
        .withConfig(config(token, "default"))
        .withHttpClientFactory(new JdkHttpClientFactory())
        .build();
  }

  public Config config(String token, String namespace) {
    return new ConfigBuilder(Config.empty())
        .withMasterUrl(url())
        .withOauthToken(token)
        .withTrustCerts(true)
        .withDisableHostnameVerification(true)
        .withNamespace(namespace)
        .withRequestTimeout(30_000)
        .build();
  }

  /**
   * A short-lived token for a ServiceAccount, issued through the TokenRequest API as a kubelet
   * would.
   */
  public String serviceAccountToken(String namespace, String serviceAccount, Duration lifetime) {
    TokenRequest request =
        new TokenRequestBuilder()
            .withNewSpec()
            .withExpirationSeconds(lifetime.toSeconds())
            .endSpec()
            .build();
    return admin()
        .serviceAccounts()
        .inNamespace(namespace)
        .withName(serviceAccount)
        .tokenRequest(request)
        .getStatus()
        .getToken();
  }

  /**
   * Writes a kubeconfig for {@code token} (the admin's when null) whose context uses {@code
   * namespace}.
   */
  public Path writeKubeconfig(Path file, String token, String namespace) {
    String yaml =
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: real
          cluster: {server: "%s", insecure-skip-tls-verify: true}
        users:
        - name: user
          user: {token: "%s"}
        contexts:
        - name: real
          context: {cluster: real, user: user, namespace: %s}
        current-context: real
        """
            .formatted(url(), token == null ? adminToken : token, namespace);
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, yaml);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops kube-apiserver only (etcd keeps the data), as an outage of the control plane would. */
  public synchronized void stopApiServer() {
    stop(apiServer);
    apiServer = null;
  }

  /** Starts kube-apiserver again on the same port with the same data. */
  public synchronized void restartApiServer() {
    if (apiServer == null) {
      startApiServer();
    }
  }

  @Override
  public synchronized void close() {
    if (admin != null) {
      admin.close();
    }
    stop(apiServer);
    stop(etcd);
    deleteTree(work);
  }

  private void writeCredentials() throws IOException {
    Files.writeString(
        work.resolve("tokens.csv"),
        adminToken + ",proxyfleet-admin,admin-uid,\"system:masters\"\n");
    KeyPair keys;
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      keys = generator.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    Files.writeString(work.resolve("sa.key"), pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
    Files.writeString(work.resolve("sa.pub"), pem("PUBLIC KEY", keys.getPublic().getEncoded()));
  }

  private void startEtcd() {
    String client = "http://127.0.0.1:" + etcdPort;
    String peer = "http://127.0.0.1:" + etcdPeerPort;
    etcd =
        launch(
            "etcd",
            List.of(
                bin.resolve("etcd").toString(),
                "--data-dir=" + work.resolve("etcd"),
                "--listen-client-urls=" + client,
                "--advertise-client-urls=" + client,
                "--listen-peer-urls=" + peer,
                "--initial-advertise-peer-urls=" + peer,
                "--initial-cluster=default=" + peer,
                // Tests do not need durability across a power cut; fsync on every write costs
                // seconds.
                "--unsafe-no-fsync",
                "--log-level=warn"));
  }

  private void startApiServer() {
    List<String> args =
        new ArrayList<>(
            List.of(
                bin.resolve("kube-apiserver").toString(),
                "--etcd-servers=http://127.0.0.1:" + etcdPort,
                "--bind-address=127.0.0.1",
                "--secure-port=" + port,
                "--cert-dir=" + work.resolve("certs"),
                "--token-auth-file=" + work.resolve("tokens.csv"),
                "--authorization-mode=RBAC",
                "--service-account-key-file=" + work.resolve("sa.pub"),
                "--service-account-signing-key-file=" + work.resolve("sa.key"),
                "--service-account-issuer=https://kubernetes.default.svc",
                "--api-audiences=https://kubernetes.default.svc",
                "--service-cluster-ip-range=10.0.0.0/24",
                "--endpoint-reconciler-type=none",
                "--enable-admission-plugins=OwnerReferencesPermissionEnforcement",
                "--enable-priority-and-fairness=false",
                "--v=0"));
    if (audit) {
      try {
        Files.writeString(work.resolve("audit-policy.yaml"), AUDIT_POLICY);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      args.addAll(
          List.of(
              "--audit-policy-file=" + work.resolve("audit-policy.yaml"),
              "--audit-log-path=" + work.resolve("audit.log"),
              "--audit-log-format=json",
              "--audit-log-mode=blocking"));
    }
    apiServer = launch("kube-apiserver", args);
    awaitReady();
  }

  private Process launch(String name, List<String> command) {
    try {
      return new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve(name + ".log").toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
  }

  private void awaitReady() {
    HttpClient http =
        HttpClient.newBuilder()
            .sslContext(trustAll())
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    HttpRequest readyz =
        HttpRequest.newBuilder(URI.create(url() + "/readyz"))
            .header("Authorization", "Bearer " + adminToken)
            .timeout(Duration.ofSeconds(5))
            .build();
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!apiServer.isAlive()) {
        throw new IllegalStateException(
            "kube-apiserver exited with " + apiServer.exitValue() + ": " + tail(log()));
      }
      try {
        HttpResponse<String> r = http.send(readyz, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
        last = r.statusCode() + " " + r.body();
      } catch (IOException e) {
        last = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      // Polling a process that is still starting: nothing to wait on but time.
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
    }
    throw new IllegalStateException(
        "kube-apiserver not ready after " + READY_TIMEOUT + ": " + last + "\n" + tail(log()));
  }

  static String tail(Path file) {
    try {
      String s = Files.readString(file, StandardCharsets.UTF_8);
      return s.substring(Math.max(0, s.length() - 3000));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static void stop(Process p) {
    if (p == null) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  /** The server's certificate is self-signed and made up at start: tests trust it blindly. */
  static SSLContext trustAll() {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(
          null,
          new TrustManager[] {
            new X509TrustManager() {
              @Override
              public void checkClientTrusted(X509Certificate[] chain, String authType) {}

              @Override
              public void checkServerTrusted(X509Certificate[] chain, String authType) {}

              @Override
              public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
              }
            }
          },
          new SecureRandom());
      return ctx;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteTree(Path root) {
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A leftover temp directory is harmless.
    }
  }
}
