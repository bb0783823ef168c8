package io.proxyfleet.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Test clients that fetch a URL through a proxy given as a connection URI from the endpoints Secret
 * ({@code socks5://user:pass@ip:port} or {@code http://user:pass@ip:port}). Written against the
 * RFCs so the servers are checked by an independent implementation, not by their own codec.
 */
public final class ProxyClients {

  private ProxyClients() {}

  /** GETs {@code target} through the proxy and returns the response body; throws when refused. */
  public static String get(URI proxy, String target) throws IOException {
    // No userinfo: a SOCKS5 server without authentication (a local Shadowsocks client's side).
    String[] userInfo =
        proxy.getRawUserInfo() == null ? null : proxy.getRawUserInfo().split(":", 2);
    String user = userInfo == null ? null : URLDecoder.decode(userInfo[0], StandardCharsets.UTF_8);
    String pass = userInfo == null ? null : URLDecoder.decode(userInfo[1], StandardCharsets.UTF_8);
    URI t = URI.create(target);
    try (Socket s = new Socket()) {
      s.setSoTimeout(10_000);
      s.connect(new InetSocketAddress(proxy.getHost(), proxy.getPort()), 5_000);
      OutputStream out = s.getOutputStream();
      DataInputStream in = new DataInputStream(s.getInputStream());
      if (proxy.getScheme().equals("socks5")) {
        socks5Handshake(in, out, user, pass, t.getHost(), t.getPort());
        request(
            out,
            "GET "
                + t.getRawPath()
                + " HTTP/1.1\r\nHost: "
                + t.getHost()
                + ":"
                + t.getPort()
                + "\r\nConnection: close\r\n\r\n");
      } else {
        String auth =
            Base64.getEncoder()
                .encodeToString((user + ":" + pass).getBytes(StandardCharsets.UTF_8));
        request(
            out,
            "GET "
                + target
                + " HTTP/1.1\r\nHost: "
                + t.getHost()
                + ":"
                + t.getPort()
                + "\r\nProxy-Authorization: Basic "
                + auth
                + "\r\nConnection: close\r\n\r\n");
      }
      String response = new String(readAll(in), StandardCharsets.ISO_8859_1);
      if (!response.startsWith("HTTP/1.1 200")) {
        throw new IOException(
            "proxy answered: " + response.lines().findFirst().orElse("<nothing>"));
      }
      return response.substring(response.indexOf("\r\n\r\n") + 4);
    }
  }

  /** Whether the proxy refuses these credentials (an exception or a non-200 answer). */
  public static boolean refuses(URI proxy, String target) {
    try {
      get(proxy, target);
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  public static boolean acceptsTcp(String ip, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(ip, port), 2_000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void socks5Handshake(
      DataInputStream in, OutputStream out, String user, String pass, String host, int port)
      throws IOException {
    if (user == null) {
      out.write(new byte[] {5, 1, 0}); // version 5, one method: none
      out.flush();
      if (in.readByte() != 5 || in.readByte() != 0) {
        throw new IOException("SOCKS5 server demands authentication");
      }
    } else {
      usernamePassword(in, out, user, pass);
    }
    connect(in, out, host, port);
  }

  private static void usernamePassword(
      DataInputStream in, OutputStream out, String user, String pass) throws IOException {
    out.write(new byte[] {5, 1, 2}); // version 5, one method: username/password
    out.flush();
    if (in.readByte() != 5 || in.readByte() != 2) {
      throw new IOException("SOCKS5 server did not accept username/password authentication");
    }
    byte[] u = user.getBytes(StandardCharsets.UTF_8);
    byte[] p = pass.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream auth = new ByteArrayOutputStream();
    auth.write(1);
    auth.write(u.length);
    auth.write(u);
    auth.write(p.length);
    auth.write(p);
    out.write(auth.toByteArray());
    out.flush();
    in.readByte();
    if (in.readByte() != 0) {
      throw new IOException("SOCKS5 authentication failed");
    }
  }

  private static void connect(DataInputStream in, OutputStream out, String host, int port)
      throws IOException {
    byte[] h = host.getBytes(StandardCharsets.US_ASCII);
    ByteArrayOutputStream connect = new ByteArrayOutputStream();
    connect.write(new byte[] {5, 1, 0, 3});
    connect.write(h.length);
    connect.write(h);
    connect.write(port >> 8);
    connect.write(port & 0xFF);
    out.write(connect.toByteArray());
    out.flush();
    byte[] head = new byte[4];
    in.readFully(head);
    if (head[1] != 0) {
      throw new IOException("SOCKS5 CONNECT failed with status " + head[1]);
    }
    int skip =
        switch (head[3]) {
          case 1 -> 4;
          case 4 -> 16;
          case 3 -> in.readUnsignedByte();
          default -> throw new IOException("bad SOCKS5 address type " + head[3]);
        };
    in.readFully(new byte[skip + 2]);
  }

  private static void request(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  private static byte[] readAll(InputStream in) throws IOException {
    return in.readAllBytes();
  }
}
