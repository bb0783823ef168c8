package io.proxyfleet.probe;

import static org.assertj.core.api.Assertions.assertThat;

import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.cloud.local.LocalCloudProvider;
import io.proxyfleet.cloud.local.LoopbackNetwork;
import io.proxyfleet.testing.OriginServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The probe against the local cloud's real SOCKS5 and HTTP daemons, and against servers that
 * misbehave.
 */
class ProxyProbeTest {

  static final ProxyCredentials CREDENTIALS = new ProxyCredentials("alice", "s3cret-Pass");
  static final String REGION = "local-211";

  LoopbackNetwork network;
  LocalCloudProvider cloud;
  OriginServer origin;
  ProxyProbe probe;

  @BeforeEach
  void setUp() throws IOException {
    network = new LoopbackNetwork(Clock.systemUTC(), new SplittableRandom(5));
    cloud = new LocalCloudProvider(network, 2, Duration.ZERO);
    origin = OriginServer.onLoopback();
    probe =
        new ProxyProbe(
            Duration.ofSeconds(2),
            null,
            new ProxyProbe.Target("127.0.0.1", origin.port()),
            Clock.systemUTC());
  }

  @AfterEach
  void tearDown() {
    network.close();
    origin.close();
  }

  private InetSocketAddress launch(String uid, Protocol protocol) throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    OwnerTags owner = new OwnerTags("c", "default", "fleet", "proxy-" + uid, uid);
    Instance instance =
        cloud.launch(new LaunchSpec(owner, REGION, REGION + "-s0", protocol, port, CREDENTIALS));
    Address address = cloud.allocateAddress(REGION, owner, Optional.of(instance.subnetId()));
    cloud.associateAddress(REGION, instance.id(), address);
    return new InetSocketAddress(address.ip(), port);
  }

  @Test
  void socks5AndHttpPassWithTheFleetsCredentials() throws IOException {
    for (Protocol protocol : new Protocol[] {Protocol.SOCKS5, Protocol.HTTP}) {
      ProbeResult result =
          probe.probe(protocol, launch(protocol.wireName(), protocol), CREDENTIALS);
      assertThat(result.outcome())
          .as(protocol + ": " + result.detail())
          .isEqualTo(ProbeOutcome.PASSED);
      assertThat(result.detail()).contains("connected to 127.0.0.1:" + origin.port());
    }
  }

  @Test
  void aSocks5CheckIsCountedByteForByte() throws IOException {
    ProbeResult result =
        probe.probe(Protocol.SOCKS5, launch("socks5", Protocol.SOCKS5), CREDENTIALS);
    assertThat(result.passed()).isTrue();
    int user = CREDENTIALS.username().length();
    int pass = CREDENTIALS.password().length();
    int host = "127.0.0.1".length();
    // Greeting (3), RFC 1929 auth (3 + user + pass), CONNECT by domain name (7 + host); the proxy
    // answers 2 + 2 bytes, then at least the 2 bytes of its reply header that the probe reads.
    ProxyProbe.Traffic traffic = probe.traffic();
    assertThat(traffic.probes()).isEqualTo(1);
    assertThat(traffic.bytesSent()).isEqualTo(3 + 3 + user + pass + 7 + host);
    assertThat(traffic.bytesReceived()).isEqualTo(2 + 2 + 2);
    assertThat(traffic.writes()).isEqualTo(3);
    assertThat(traffic.reads())
        .as("a 2-byte answer may in principle arrive in two reads")
        .isBetween(3L, 6L);
  }

  @Test
  void wrongCredentialsAreRefusedNotBlocked() throws IOException {
    ProxyCredentials wrong = new ProxyCredentials("alice", "wrong");
    for (Protocol protocol : new Protocol[] {Protocol.SOCKS5, Protocol.HTTP}) {
      ProbeResult result =
          probe.probe(protocol, launch("w-" + protocol.wireName(), protocol), wrong);
      assertThat(result.outcome())
          .as(protocol + ": " + result.detail())
          .isEqualTo(ProbeOutcome.AUTH_REFUSED);
      assertThat(result.outcome().answered()).isTrue();
      assertThat(result.detail()).doesNotContain("wrong").doesNotContain("s3cret");
    }
  }

  @Test
  void aTargetTheProxyCannotReachStillProvesTheDaemonWorks() throws IOException {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    ProxyProbe unreachableTarget =
        new ProxyProbe(
            Duration.ofSeconds(2),
            null,
            new ProxyProbe.Target("127.0.0.1", closed),
            Clock.systemUTC());
    for (Protocol protocol : new Protocol[] {Protocol.SOCKS5, Protocol.HTTP}) {
      ProbeResult result =
          unreachableTarget.probe(
              protocol, launch("t-" + protocol.wireName(), protocol), CREDENTIALS);
      assertThat(result.outcome())
          .as(protocol + ": " + result.detail())
          .isEqualTo(ProbeOutcome.PASSED);
      assertThat(result.detail()).contains("127.0.0.1:" + closed);
    }
  }

  @Test
  void aSilentPeerTimesOutWithinTheBound() throws IOException {
    // Accepted by the kernel's backlog, never answered: what a censor dropping replies looks like.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      ProxyProbe quick =
          new ProxyProbe(
              Duration.ofMillis(300),
              null,
              new ProxyProbe.Target("example.org", 443),
              Clock.systemUTC());
      long start = System.nanoTime();
      ProbeResult result =
          quick.probe(
              Protocol.SOCKS5,
              new InetSocketAddress(silent.getInetAddress(), silent.getLocalPort()),
              CREDENTIALS);
      assertThat(result.outcome()).isEqualTo(ProbeOutcome.TIMEOUT);
      assertThat(result.outcome().answered()).isFalse();
      // Bounded by the probe's own deadline, with generous slack for a loaded machine.
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }
  }

  @Test
  void nothingListeningIsRefused() throws IOException {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    for (Protocol protocol : Protocol.values()) {
      assertThat(
              probe
                  .probe(protocol, new InetSocketAddress("127.0.0.1", closed), CREDENTIALS)
                  .outcome())
          .as(protocol.wireName())
          .isEqualTo(ProbeOutcome.REFUSED);
    }
  }

  @Test
  void somethingElseOnThePortIsAProtocolError() throws Exception {
    try (ServerSocket garbage = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread server =
          new Thread(
              () -> {
                for (int i = 0; i < 2; i++) {
                  try (Socket s = garbage.accept();
                      OutputStream out = s.getOutputStream()) {
                    out.write("SSH-2.0-OpenSSH_9.2\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    s.getInputStream().read(new byte[64]);
                  } catch (IOException e) {
                    return;
                  }
                }
              });
      server.start();
      InetSocketAddress at =
          new InetSocketAddress(garbage.getInetAddress(), garbage.getLocalPort());
      assertThat(probe.probe(Protocol.SOCKS5, at, CREDENTIALS).outcome())
          .isEqualTo(ProbeOutcome.PROTOCOL_ERROR);
      assertThat(probe.probe(Protocol.HTTP, at, CREDENTIALS).outcome())
          .isEqualTo(ProbeOutcome.PROTOCOL_ERROR);
      server.join(5_000);
    }
  }

  @Test
  void shadowsocksAndMtprotoAreCheckedByConnectOnly() throws IOException {
    try (ServerSocket open = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      InetSocketAddress at = new InetSocketAddress(open.getInetAddress(), open.getLocalPort());
      for (Protocol protocol : new Protocol[] {Protocol.SHADOWSOCKS, Protocol.MTPROTO}) {
        ProbeResult result = probe.probe(protocol, at, CREDENTIALS);
        assertThat(result.outcome()).isEqualTo(ProbeOutcome.PASSED);
        assertThat(result.detail()).contains("TCP connect only");
      }
    }
  }
}
