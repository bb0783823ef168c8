package io.proxyfleet.cloud.local;

import static java.nio.charset.StandardCharsets.US_ASCII;

import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.ProxyCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Instant;
import java.util.Base64;

/** Small helpers shared by the local-cloud tests. */
final class TestSupport {

  static final String CLUSTER = "test-cluster";
  static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
  static final ProxyCredentials CREDENTIALS = new ProxyCredentials("alice", "s3cret-Pass");

  private TestSupport() {}

  /** A port nothing listens on right now, so tests never collide with each other or the host. */
  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static OwnerTags owner(String uid) {
    return new OwnerTags(CLUSTER, "default", "fleet-a", "proxy-" + uid, uid);
  }

  static LaunchSpec spec(String uid, String region, Protocol protocol, int port) {
    return new LaunchSpec(owner(uid), region, region + "-s0", protocol, port, CREDENTIALS);
  }

  static String basic(String user, String pass) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + pass).getBytes(US_ASCII));
  }

  /** True when a TCP connection to ip:port is accepted. */
  static boolean accepts(String ip, int port) {
    try (Socket socket = new Socket(ip, port)) {
      return socket.isConnected();
    } catch (IOException e) {
      return false;
    }
  }

  /** Reads an HTTP response head (through the blank line) byte by byte, leaving the body. */
  static String readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.append((char) b);
    }
    return head.toString();
  }
}
