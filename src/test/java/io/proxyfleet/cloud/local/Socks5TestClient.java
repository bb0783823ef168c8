package io.proxyfleet.cloud.local;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/** A minimal SOCKS5 client (RFC 1928/1929) that exposes every reply byte to the test. */
final class Socks5TestClient implements AutoCloseable {

  static final int NO_AUTH = 0x00;
  static final int PASSWORD = 0x02;
  static final int UNACCEPTED = 0xff;
  static final int CONNECT = 0x01;
  static final int BIND = 0x02;
  static final int ATYP_IPV4 = 0x01;
  static final int ATYP_DOMAIN = 0x03;
  static final int ATYP_IPV6 = 0x04;

  final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  Socks5TestClient(String proxyHost, int proxyPort) throws IOException {
    socket = new Socket();
    socket.connect(new InetSocketAddress(proxyHost, proxyPort), 5_000);
    socket.setSoTimeout(10_000);
    in = new DataInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  /** Offers the given methods; returns the method the server chose. */
  int greet(int... methods) throws IOException {
    byte[] msg = new byte[2 + methods.length];
    msg[0] = 5;
    msg[1] = (byte) methods.length;
    for (int i = 0; i < methods.length; i++) {
      msg[2 + i] = (byte) methods[i];
    }
    out.write(msg);
    out.flush();
    int version = in.readUnsignedByte();
    if (version != 5) {
      throw new IOException("bad version " + version);
    }
    return in.readUnsignedByte();
  }

  /** Sends RFC 1929 credentials; returns the status (0 is success). */
  int authenticate(String user, String pass) throws IOException {
    byte[] u = user.getBytes(US_ASCII);
    byte[] p = pass.getBytes(US_ASCII);
    out.write(1);
    out.write(u.length);
    out.write(u);
    out.write(p.length);
    out.write(p);
    out.flush();
    in.readUnsignedByte(); // sub-negotiation version
    return in.readUnsignedByte();
  }

  /** Sends a request with a domain-name destination; returns the reply code (0 is success). */
  int request(int command, String domain, int port) throws IOException {
    byte[] name = domain.getBytes(US_ASCII);
    byte[] msg = new byte[4 + 1 + name.length + 2];
    msg[0] = 5;
    msg[1] = (byte) command;
    msg[3] = ATYP_DOMAIN;
    msg[4] = (byte) name.length;
    System.arraycopy(name, 0, msg, 5, name.length);
    msg[msg.length - 2] = (byte) (port >>> 8);
    msg[msg.length - 1] = (byte) port;
    return request(msg);
  }

  /** Sends a request with a literal IPv4 (4 bytes) or IPv6 (16 bytes) destination. */
  int request(int command, byte[] address, int port) throws IOException {
    byte[] msg = new byte[4 + address.length + 2];
    msg[0] = 5;
    msg[1] = (byte) command;
    msg[3] = (byte) (address.length == 4 ? ATYP_IPV4 : ATYP_IPV6);
    System.arraycopy(address, 0, msg, 4, address.length);
    msg[msg.length - 2] = (byte) (port >>> 8);
    msg[msg.length - 1] = (byte) port;
    return request(msg);
  }

  private int request(byte[] msg) throws IOException {
    out.write(msg);
    out.flush();
    in.readUnsignedByte(); // version
    int reply = in.readUnsignedByte();
    in.readUnsignedByte(); // reserved
    int atyp = in.readUnsignedByte();
    int addressLength =
        switch (atyp) {
          case ATYP_IPV4 -> 4;
          case ATYP_IPV6 -> 16;
          case ATYP_DOMAIN -> in.readUnsignedByte();
          default -> throw new IOException("bad address type " + atyp);
        };
    in.readFully(new byte[addressLength + 2]);
    return reply;
  }

  /** Greets, authenticates and connects; throws unless every step succeeds. */
  static Socks5TestClient open(
      String proxyHost, int proxyPort, String user, String pass, String host, int port)
      throws IOException {
    Socks5TestClient client = new Socks5TestClient(proxyHost, proxyPort);
    if (client.greet(PASSWORD) != PASSWORD
        || client.authenticate(user, pass) != 0
        || client.request(CONNECT, host, port) != 0) {
      client.close();
      throw new IOException("SOCKS5 handshake failed");
    }
    return client;
  }

  /** Sends a plain HTTP GET through the tunnel and returns the whole response. */
  String httpGet(String host, int port, String path) throws IOException {
    out.write(
        ("GET "
                + path
                + " HTTP/1.1\r\nHost: "
                + host
                + ":"
                + port
                + "\r\nConnection: close\r\n\r\n")
            .getBytes(US_ASCII));
    out.flush();
    return new String(in.readAllBytes(), US_ASCII);
  }

  /** Reads one byte, or -1 at end of stream; a reset counts as end of stream. */
  int readOrEof() {
    try {
      return in.read();
    } catch (IOException e) {
      return -1;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
