package io.proxyfleet.cloud.local;

import static io.proxyfleet.cloud.local.TestSupport.CREDENTIALS;
import static io.proxyfleet.cloud.local.TestSupport.T0;
import static io.proxyfleet.cloud.local.TestSupport.basic;
import static io.proxyfleet.cloud.local.TestSupport.freePort;
import static io.proxyfleet.cloud.local.TestSupport.owner;
import static io.proxyfleet.cloud.local.TestSupport.readHead;
import static io.proxyfleet.cloud.local.TestSupport.spec;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.replay.SimulatedClock;
import io.proxyfleet.testing.OriginServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Authenticator;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProxyTrafficTest {

  private static final String REGION = "local-211";

  private LoopbackNetwork network;
  private LocalCloudProvider cloud;
  private OriginServer origin;
  private int port;

  @BeforeEach
  void setUp() throws IOException {
    network = new LoopbackNetwork(new SimulatedClock(T0), new SplittableRandom(11));
    cloud = new LocalCloudProvider(network, 2, Duration.ZERO);
    origin = OriginServer.onLoopback();
    port = freePort();
  }

  @AfterEach
  void tearDown() {
    network.close();
    origin.close();
  }

  /** Launches a proxy and gives it an address; returns the address it serves on. */
  private String proxy(String uid, Protocol protocol) {
    Instance instance = cloud.launch(spec(uid, REGION, protocol, port));
    Address address = cloud.allocateAddress(REGION, owner(uid), Optional.of(instance.subnetId()));
    cloud.associateAddress(REGION, instance.id(), address);
    return address.ip();
  }

  // ---- SOCKS5 ----

  @Test
  void socks5RelaysToADomainDestination() throws IOException {
    String ip = proxy("s1", Protocol.SOCKS5);
    try (Socks5TestClient client =
        Socks5TestClient.open(ip, port, "alice", "s3cret-Pass", "localhost", origin.port())) {
      assertThat(client.httpGet("localhost", origin.port(), "/hello"))
          .startsWith("HTTP/1.1 200")
          .endsWith(OriginServer.BODY);
    }
  }

  @Test
  void socks5RelaysToAnIpv4Destination() throws IOException {
    String ip = proxy("s1", Protocol.SOCKS5);
    try (Socks5TestClient client = new Socks5TestClient(ip, port)) {
      assertThat(client.greet(Socks5TestClient.NO_AUTH, Socks5TestClient.PASSWORD))
          .isEqualTo(Socks5TestClient.PASSWORD);
      assertThat(client.authenticate("alice", "s3cret-Pass")).isZero();
      assertThat(client.request(Socks5TestClient.CONNECT, new byte[] {127, 0, 0, 1}, origin.port()))
          .isZero();
      assertThat(client.httpGet("127.0.0.1", origin.port(), "/hello")).endsWith(OriginServer.BODY);
    }
  }

  @Test
  void socks5RelaysToAnIpv6Destination() throws IOException {
    InetAddress v6 = InetAddress.getByName("::1");
    OriginServer v6Origin;
    try {
      v6Origin = new OriginServer(v6);
    } catch (IOException e) {
      Assumptions.abort("no IPv6 loopback here: " + e);
      return;
    }
    try (v6Origin) {
      String ip = proxy("s1", Protocol.SOCKS5);
      try (Socks5TestClient client = new Socks5TestClient(ip, port)) {
        client.greet(Socks5TestClient.PASSWORD);
        client.authenticate("alice", "s3cret-Pass");
        assertThat(v6).isInstanceOf(Inet6Address.class);
        assertThat(client.request(Socks5TestClient.CONNECT, v6.getAddress(), v6Origin.port()))
            .isZero();
        assertThat(client.httpGet("[::1]", v6Origin.port(), "/hello")).endsWith(OriginServer.BODY);
      }
    }
  }

  @Test
  void socks5WorksWithTheJdkClient() throws IOException {
    String ip = proxy("s1", Protocol.SOCKS5);
    Authenticator previous = Authenticator.getDefault();
    // The JDK SOCKS client asks the default Authenticator, for protocol "SOCKS5".
    Authenticator.setDefault(
        new Authenticator() {
          @Override
          protected PasswordAuthentication getPasswordAuthentication() {
            return "SOCKS5".equals(getRequestingProtocol())
                ? new PasswordAuthentication("alice", "s3cret-Pass".toCharArray())
                : null;
          }
        });
    try (Socket socket = new Socket(new Proxy(Proxy.Type.SOCKS, new InetSocketAddress(ip, port)))) {
      socket.setSoTimeout(10_000);
      socket.connect(InetSocketAddress.createUnresolved("localhost", origin.port()), 5_000);
      socket
          .getOutputStream()
          .write(
              "GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                  .getBytes(US_ASCII));
      assertThat(new String(socket.getInputStream().readAllBytes(), US_ASCII))
          .endsWith(OriginServer.BODY);
    } finally {
      Authenticator.setDefault(previous);
    }
  }

  @Test
  void socks5RefusesClientsThatOfferNoPasswordAuth() throws IOException {
    String ip = proxy("s1", Protocol.SOCKS5);
    try (Socks5TestClient client = new Socks5TestClient(ip, port)) {
      assertThat(client.greet(Socks5TestClient.NO_AUTH)).isEqualTo(Socks5TestClient.UNACCEPTED);
      assertThat(client.readOrEof()).isEqualTo(-1);
    }
  }

  @Test
  void socks5RefusesWrongCredentials() throws IOException {
    String ip = proxy("s1", Protocol.SOCKS5);
    try (Socks5TestClient client = new Socks5TestClient(ip, port)) {
      client.greet(Socks5TestClient.PASSWORD);
      assertThat(client.authenticate("alice", "wrong")).isNotZero();
      assertThat(client.readOrEof()).isEqualTo(-1);
    }
    try (Socks5TestClient client = new Socks5TestClient(ip, port)) {
      client.greet(Socks5TestClient.PASSWORD);
      assertThat(client.authenticate("mallory", "s3cret-Pass")).isNotZero();
      assertThat(client.readOrEof()).isEqualTo(-1);
    }
  }

  @Test
  void socks5RejectsCommandsOtherThanConnect() throws IOException {
    String ip = proxy("s1", Protocol.SOCKS5);
    try (Socks5TestClient client = new Socks5TestClient(ip, port)) {
      client.greet(Socks5TestClient.PASSWORD);
      client.authenticate("alice", "s3cret-Pass");
      assertThat(client.request(Socks5TestClient.BIND, new byte[] {127, 0, 0, 1}, origin.port()))
          .isEqualTo(0x07); // command not supported
      assertThat(client.readOrEof()).isEqualTo(-1);
    }
  }

  @Test
  void socks5ReportsARefusedTarget() throws IOException {
    String ip = proxy("s1", Protocol.SOCKS5);
    try (Socks5TestClient client = new Socks5TestClient(ip, port)) {
      client.greet(Socks5TestClient.PASSWORD);
      client.authenticate("alice", "s3cret-Pass");
      assertThat(client.request(Socks5TestClient.CONNECT, new byte[] {127, 0, 0, 1}, freePort()))
          .isEqualTo(0x05); // connection refused
    }
  }

  @Test
  void socks5HandlesAPipelinedHandshake() throws IOException {
    String ip = proxy("s1", Protocol.SOCKS5);
    // Greeting, credentials, CONNECT and the HTTP request in one write: each decoder swap must hand
    // the remaining bytes on, and bytes sent before CONNECT is answered must reach the target.
    byte[] user = "alice".getBytes(US_ASCII);
    byte[] pass = "s3cret-Pass".getBytes(US_ASCII);
    byte[] http =
        ("GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").getBytes(US_ASCII);
    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
    all.writeBytes(new byte[] {5, 1, 2});
    all.write(1);
    all.write(user.length);
    all.writeBytes(user);
    all.write(pass.length);
    all.writeBytes(pass);
    all.writeBytes(
        new byte[] {5, 1, 0, 1, 127, 0, 0, 1, (byte) (origin.port() >>> 8), (byte) origin.port()});
    all.writeBytes(http);
    try (Socket socket = new Socket(ip, port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(all.toByteArray());
      byte[] replies = socket.getInputStream().readNBytes(2 + 2 + 10);
      assertThat(replies[1]).isEqualTo((byte) 2); // PASSWORD chosen
      assertThat(replies[3]).isZero(); // auth success
      assertThat(replies[5]).isZero(); // CONNECT success
      assertThat(new String(socket.getInputStream().readAllBytes(), US_ASCII))
          .endsWith(OriginServer.BODY);
    }
  }

  // ---- HTTP ----

  @Test
  void httpForwardsAbsoluteFormRequestsWithTheJdkClient() throws Exception {
    String ip = proxy("h1", Protocol.HTTP);
    HttpClient client =
        HttpClient.newBuilder()
            .proxy(ProxySelector.of(new InetSocketAddress(ip, port)))
            .authenticator(
                new Authenticator() {
                  @Override
                  protected PasswordAuthentication getPasswordAuthentication() {
                    return getRequestorType() == RequestorType.PROXY
                        ? new PasswordAuthentication("alice", "s3cret-Pass".toCharArray())
                        : null;
                  }
                })
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> response =
          client.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + origin.port() + "/hello"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo(OriginServer.BODY);
    }
  }

  @Test
  void httpRewritesToOriginFormAndStripsProxyHeaders() throws IOException {
    String ip = proxy("h1", Protocol.HTTP);
    try (Socket socket = new Socket(ip, port)) {
      socket.setSoTimeout(10_000);
      String target = "127.0.0.1:" + origin.port();
      // What curl -x http://user:pass@ip:port http://target/... sends.
      socket
          .getOutputStream()
          .write(
              ("GET http://"
                      + target
                      + "/echo?q=1 HTTP/1.1\r\n"
                      + "Host: "
                      + target
                      + "\r\n"
                      + "Proxy-Authorization: "
                      + basic("alice", "s3cret-Pass")
                      + "\r\n"
                      + "Proxy-Connection: Keep-Alive\r\n"
                      + "\r\n")
                  .getBytes(US_ASCII));
      String response = new String(socket.getInputStream().readAllBytes(), US_ASCII);
      assertThat(response)
          .startsWith("HTTP/1.1 200")
          .containsIgnoringCase("connection: close")
          .endsWith(
              "uri=/echo?q=1 proxy-authorization=false proxy-connection=false host=" + target);
    }
  }

  @Test
  void httpConnectTunnelsRawBytes() throws IOException {
    String ip = proxy("h1", Protocol.HTTP);
    try (Socket socket = new Socket(ip, port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      String target = "127.0.0.1:" + origin.port();
      out.write(
          ("CONNECT "
                  + target
                  + " HTTP/1.1\r\nHost: "
                  + target
                  + "\r\n"
                  + "Proxy-Authorization: "
                  + basic("alice", "s3cret-Pass")
                  + "\r\n\r\n")
              .getBytes(US_ASCII));
      assertThat(readHead(in)).startsWith("HTTP/1.1 200 Connection Established\r\n");

      out.write(
          ("GET /hello HTTP/1.1\r\nHost: " + target + "\r\nConnection: close\r\n\r\n")
              .getBytes(US_ASCII));
      assertThat(new String(in.readAllBytes(), US_ASCII)).endsWith(OriginServer.BODY);
    }
  }

  @Test
  void httpChallengesRequestsWithoutCredentials() throws IOException {
    String ip = proxy("h1", Protocol.HTTP);
    try (Socket socket = new Socket(ip, port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      String target = "127.0.0.1:" + origin.port();
      out.write(
          ("GET http://" + target + "/hello HTTP/1.1\r\nHost: " + target + "\r\n\r\n")
              .getBytes(US_ASCII));
      String head = readHead(socket.getInputStream());
      assertThat(head)
          .startsWith("HTTP/1.1 407")
          .containsIgnoringCase("proxy-authenticate: Basic realm=\"proxyfleet\"");

      // The challenge keeps the connection open so the client can answer it on the same socket.
      out.write(
          ("GET http://"
                  + target
                  + "/hello HTTP/1.1\r\nHost: "
                  + target
                  + "\r\n"
                  + "Proxy-Authorization: "
                  + basic("alice", "s3cret-Pass")
                  + "\r\n\r\n")
              .getBytes(US_ASCII));
      assertThat(new String(socket.getInputStream().readAllBytes(), US_ASCII))
          .startsWith("HTTP/1.1 200")
          .endsWith(OriginServer.BODY);
    }
  }

  @Test
  void httpRefusesWrongCredentialsAndCloses() throws IOException {
    String ip = proxy("h1", Protocol.HTTP);
    for (String method :
        new String[] {
          "CONNECT 127.0.0.1:" + origin.port(), "GET http://127.0.0.1:" + origin.port() + "/hello"
        }) {
      try (Socket socket = new Socket(ip, port)) {
        socket.setSoTimeout(10_000);
        socket
            .getOutputStream()
            .write(
                (method
                        + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Proxy-Authorization: "
                        + basic("alice", "nope")
                        + "\r\n\r\n")
                    .getBytes(US_ASCII));
        String response = new String(socket.getInputStream().readAllBytes(), US_ASCII);
        assertThat(response)
            .startsWith("HTTP/1.1 407")
            .containsIgnoringCase("proxy-authenticate: Basic realm=\"proxyfleet\"")
            .doesNotContain(OriginServer.BODY);
      }
    }
  }

  @Test
  void httpJdkClientWithoutCredentialsGets407() throws Exception {
    String ip = proxy("h1", Protocol.HTTP);
    HttpClient client =
        HttpClient.newBuilder().proxy(ProxySelector.of(new InetSocketAddress(ip, port))).build();
    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + origin.port() + "/hello"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(407);
    assertThat(response.headers().firstValue("Proxy-Authenticate"))
        .contains("Basic realm=\"proxyfleet\"");
  }

  @Test
  void httpAnswers502WhenTheTargetRefuses() throws IOException {
    String ip = proxy("h1", Protocol.HTTP);
    int closed = freePort();
    try (Socket socket = new Socket(ip, port)) {
      socket.setSoTimeout(10_000);
      socket
          .getOutputStream()
          .write(
              ("CONNECT 127.0.0.1:"
                      + closed
                      + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      + "Proxy-Authorization: "
                      + basic("alice", "s3cret-Pass")
                      + "\r\n\r\n")
                  .getBytes(US_ASCII));
      assertThat(new String(socket.getInputStream().readAllBytes(), US_ASCII))
          .startsWith("HTTP/1.1 502");
    }
  }

  @Test
  void httpRejectsOriginFormRequests() throws IOException {
    String ip = proxy("h1", Protocol.HTTP);
    try (Socket socket = new Socket(ip, port)) {
      socket.setSoTimeout(10_000);
      socket
          .getOutputStream()
          .write(
              ("GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      + "Proxy-Authorization: "
                      + basic("alice", "s3cret-Pass")
                      + "\r\n\r\n")
                  .getBytes(US_ASCII));
      assertThat(new String(socket.getInputStream().readAllBytes(), US_ASCII))
          .startsWith("HTTP/1.1 400");
    }
  }

  // ---- Elastic IP behaviour under traffic ----

  @Test
  void reassociationCutsLiveTunnelsAndTheNewAddressServes() throws IOException {
    Instance instance = cloud.launch(spec("s1", REGION, Protocol.SOCKS5, port));
    Address first = cloud.allocateAddress(REGION, owner("s1"), Optional.empty());
    Address second = cloud.allocateAddress(REGION, owner("s1"), Optional.empty());
    cloud.associateAddress(REGION, instance.id(), first);

    try (Socks5TestClient tunnel =
        Socks5TestClient.open(
            first.ip(), port, "alice", "s3cret-Pass", "127.0.0.1", origin.port())) {
      cloud.associateAddress(REGION, instance.id(), second);
      assertThat(tunnel.readOrEof()).isEqualTo(-1);
    }
    assertThatThrownBy(() -> new Socket(first.ip(), port).close()).isInstanceOf(IOException.class);
    try (Socks5TestClient client =
        Socks5TestClient.open(
            second.ip(), port, "alice", "s3cret-Pass", "127.0.0.1", origin.port())) {
      assertThat(client.httpGet("127.0.0.1", origin.port(), "/hello")).endsWith(OriginServer.BODY);
    }
  }

  @Test
  void finishedConnectionsAreNoLongerCounted() throws IOException {
    String ip = proxy("s1", Protocol.SOCKS5);
    try (Socks5TestClient client =
        Socks5TestClient.open(ip, port, "alice", "s3cret-Pass", "127.0.0.1", origin.port())) {
      assertThat(network.openConnections()).isEqualTo(1);
      client.httpGet("127.0.0.1", origin.port(), "/hello");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> network.openConnections() == 0);
  }

  @Test
  void closeDropsLiveTunnelsAndListeners() throws IOException {
    String socksIp = proxy("s1", Protocol.SOCKS5);
    String httpIp = proxy("h1", Protocol.HTTP);
    try (Socks5TestClient tunnel =
            Socks5TestClient.open(
                socksIp, port, "alice", "s3cret-Pass", "127.0.0.1", origin.port());
        Socket idle = new Socket(httpIp, port)) {
      assertThat(idle.isConnected()).isTrue();
      await().atMost(Duration.ofSeconds(10)).until(() -> network.openConnections() == 2);
      assertThat(network.openListeners()).isEqualTo(2);

      network.close();

      assertThat(network.openListeners()).isZero();
      assertThat(network.openConnections()).isZero();
      assertThat(tunnel.readOrEof()).isEqualTo(-1);
    }
  }

  @Test
  void credentialsAreNeverPrinted() {
    assertThat(CREDENTIALS.toString()).doesNotContain("s3cret-Pass");
  }
}
