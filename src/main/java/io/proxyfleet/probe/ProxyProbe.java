package io.proxyfleet.probe;

import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.ProxyCredentials;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks one proxy from one vantage by speaking its protocol with the fleet's credentials:
 *
 * <ul>
 *   <li>SOCKS5: greeting offering only username/password (RFC 1929), the authentication, and a
 *       CONNECT to {@link #target}. Any CONNECT reply proves the daemon works with our credentials;
 *       a reply saying the target was unreachable from the proxy is noted in the detail but still
 *       passes, because it says nothing about whether users reach the proxy.
 *   <li>HTTP: {@code CONNECT target} with {@code Proxy-Authorization: Basic}; 407 means the
 *       credentials were refused, any other HTTP status proves the daemon answers.
 *   <li>Shadowsocks and MTProto: a TCP connect only. A Shadowsocks server answers nothing until it
 *       gets a valid AEAD request, and an MTProto FakeTLS server forwards anything it cannot verify
 *       to the imitated domain, so without a client implementation an open port is all a probe
 *       proves.
 * </ul>
 *
 * A censor that drops packets shows as {@link ProbeOutcome#TIMEOUT}, one that injects resets as
 * {@link ProbeOutcome#REFUSED}. The whole probe, connect included, is bounded by {@code timeout}.
 */
public final class ProxyProbe {

  private static final Pattern STATUS_LINE = Pattern.compile("^HTTP/1\\.[01] (\\d{3})(?: .*)?$");
  private static final int MAX_STATUS_LINE = 8 * 1024;

  private final Duration timeout;
  private final InetAddress source;
  private final Target target;
  private final Clock clock;

  /** Where the probe asks the proxy to connect to. */
  public record Target(String host, int port) {
    public Target {
      Objects.requireNonNull(host, "host");
      if (host.isEmpty() || host.length() > 255) {
        throw new IllegalArgumentException("target host must be 1 to 255 characters");
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("target port must be 1 to 65535");
      }
    }

    /** {@code host:port}, as a CONNECT request names it. */
    public String authority() {
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
  }

  /**
   * @param source the local address to connect from, or null for the system's choice (a vantage
   *     bound to one address, or local mode's censored network)
   */
  public ProxyProbe(Duration timeout, InetAddress source, Target target, Clock clock) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive");
    }
    this.timeout = timeout;
    this.source = source;
    this.target = Objects.requireNonNull(target, "target");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  private final java.util.concurrent.atomic.LongAdder probes =
      new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder bytesSent =
      new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder bytesReceived =
      new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder writes =
      new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder reads =
      new java.util.concurrent.atomic.LongAdder();

  /**
   * What this probe's checks exchanged so far, counted at the socket: probes made, payload bytes
   * each way, and the writes and reads that carried them (each a TCP segment or more).
   */
  public record Traffic(long probes, long bytesSent, long bytesReceived, long writes, long reads) {}

  public Traffic traffic() {
    return new Traffic(
        probes.sum(), bytesSent.sum(), bytesReceived.sum(), writes.sum(), reads.sum());
  }

  public ProbeResult probe(
      Protocol protocol, InetSocketAddress proxy, ProxyCredentials credentials) {
    probes.increment();
    Instant start = clock.instant();
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Socket socket = new Socket()) {
      if (source != null) {
        socket.bind(new InetSocketAddress(source, 0));
      }
      socket.connect(proxy, (int) Math.max(1, timeout.toMillis()));
      Deadline io = new Deadline(socket, deadline, this);
      Result result =
          switch (protocol) {
            case SOCKS5 -> socks5(io, credentials);
            case HTTP -> http(io, credentials);
            case SHADOWSOCKS, MTPROTO ->
                new Result(
                    ProbeOutcome.PASSED,
                    "port open (" + protocol.wireName() + " is checked by TCP connect only)");
          };
      return result(result.outcome, start, result.detail);
    } catch (SocketTimeoutException e) {
      return result(ProbeOutcome.TIMEOUT, start, "no answer within " + timeout.toMillis() + " ms");
    } catch (ConnectException e) {
      return result(ProbeOutcome.REFUSED, start, "connection refused");
    } catch (NoRouteToHostException e) {
      return result(ProbeOutcome.UNREACHABLE, start, "no route to host");
    } catch (EOFException e) {
      return result(ProbeOutcome.REFUSED, start, "connection closed during the handshake");
    } catch (SocketException e) {
      // "Connection reset", "Network is unreachable", ...: the path failed, the daemon did not
      // answer.
      String message = String.valueOf(e.getMessage());
      return result(
          message.contains("unreachable") ? ProbeOutcome.UNREACHABLE : ProbeOutcome.REFUSED,
          start,
          message.toLowerCase(java.util.Locale.ROOT));
    } catch (IOException e) {
      return result(ProbeOutcome.REFUSED, start, e.getClass().getSimpleName());
    }
  }

  private ProbeResult result(ProbeOutcome outcome, Instant start, String detail) {
    Instant end = clock.instant();
    Duration latency = end.isBefore(start) ? Duration.ZERO : Duration.between(start, end);
    return new ProbeResult(outcome, latency, end, detail);
  }

  private record Result(ProbeOutcome outcome, String detail) {}

  private Result socks5(Deadline io, ProxyCredentials credentials) throws IOException {
    io.write(new byte[] {5, 1, 2});
    byte[] choice = io.read(2);
    if (choice[0] != 5) {
      return new Result(ProbeOutcome.PROTOCOL_ERROR, "not a SOCKS5 server");
    }
    if ((choice[1] & 0xff) == 0xff) {
      return new Result(
          ProbeOutcome.AUTH_REFUSED, "the proxy accepts no username/password authentication");
    }
    if (choice[1] != 2) {
      return new Result(
          ProbeOutcome.PROTOCOL_ERROR,
          "the proxy chose method " + (choice[1] & 0xff) + ", which was not offered");
    }
    byte[] user = credentials.username().getBytes(StandardCharsets.UTF_8);
    byte[] pass = credentials.password().getBytes(StandardCharsets.UTF_8);
    if (user.length > 255 || pass.length > 255) {
      return new Result(ProbeOutcome.AUTH_REFUSED, "credentials longer than SOCKS5 allows");
    }
    byte[] auth = new byte[3 + user.length + pass.length];
    auth[0] = 1;
    auth[1] = (byte) user.length;
    System.arraycopy(user, 0, auth, 2, user.length);
    auth[2 + user.length] = (byte) pass.length;
    System.arraycopy(pass, 0, auth, 3 + user.length, pass.length);
    io.write(auth);
    byte[] status = io.read(2);
    if (status[1] != 0) {
      return new Result(ProbeOutcome.AUTH_REFUSED, "the proxy refused the fleet's credentials");
    }
    byte[] host = target.host().getBytes(StandardCharsets.US_ASCII);
    byte[] connect = new byte[7 + host.length];
    connect[0] = 5;
    connect[1] = 1;
    connect[3] = 3;
    connect[4] = (byte) host.length;
    System.arraycopy(host, 0, connect, 5, host.length);
    connect[5 + host.length] = (byte) (target.port() >> 8);
    connect[6 + host.length] = (byte) target.port();
    io.write(connect);
    byte[] reply = io.read(2);
    if (reply[0] != 5) {
      return new Result(ProbeOutcome.PROTOCOL_ERROR, "malformed CONNECT reply");
    }
    int code = reply[1] & 0xff;
    if (code == 0) {
      return new Result(
          ProbeOutcome.PASSED, "authenticated and connected to " + target.authority());
    }
    if (code <= 8) {
      return new Result(
          ProbeOutcome.PASSED,
          "authenticated; the proxy could not reach "
              + target.authority()
              + " (SOCKS5 reply "
              + code
              + ")");
    }
    return new Result(ProbeOutcome.PROTOCOL_ERROR, "unknown SOCKS5 reply " + code);
  }

  private Result http(Deadline io, ProxyCredentials credentials) throws IOException {
    String basic =
        Base64.getEncoder()
            .encodeToString(
                (credentials.username() + ":" + credentials.password())
                    .getBytes(StandardCharsets.UTF_8));
    io.write(
        ("CONNECT "
                + target.authority()
                + " HTTP/1.1\r\nHost: "
                + target.authority()
                + "\r\nProxy-Authorization: Basic "
                + basic
                + "\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
    String line = io.readLine(MAX_STATUS_LINE);
    Matcher m = STATUS_LINE.matcher(line);
    if (!m.matches()) {
      return new Result(ProbeOutcome.PROTOCOL_ERROR, "not an HTTP proxy answer");
    }
    int code = Integer.parseInt(m.group(1));
    if (code == 407) {
      return new Result(
          ProbeOutcome.AUTH_REFUSED, "the proxy refused the fleet's credentials (407)");
    }
    if (code / 100 == 2) {
      return new Result(
          ProbeOutcome.PASSED, "authenticated and connected to " + target.authority());
    }
    return new Result(
        ProbeOutcome.PASSED,
        "authenticated; the proxy answered " + code + " for " + target.authority());
  }

  /** Reads and writes under one deadline for the whole probe. */
  private static final class Deadline {
    private final Socket socket;
    private final long deadlineNanos;
    private final InputStream in;
    private final OutputStream out;
    private final ProxyProbe counts;

    Deadline(Socket socket, long deadlineNanos, ProxyProbe counts) throws IOException {
      this.socket = socket;
      this.counts = counts;
      this.deadlineNanos = deadlineNanos;
      this.in = socket.getInputStream();
      this.out = socket.getOutputStream();
    }

    void write(byte[] bytes) throws IOException {
      remaining();
      out.write(bytes);
      out.flush();
      counts.writes.increment();
      counts.bytesSent.add(bytes.length);
    }

    byte[] read(int n) throws IOException {
      byte[] buf = new byte[n];
      int off = 0;
      while (off < n) {
        socket.setSoTimeout(remaining());
        int r = in.read(buf, off, n - off);
        if (r < 0) {
          throw new EOFException();
        }
        counts.reads.increment();
        counts.bytesReceived.add(r);
        off += r;
      }
      return buf;
    }

    String readLine(int max) throws IOException {
      StringBuilder line = new StringBuilder();
      while (line.length() < max) {
        socket.setSoTimeout(remaining());
        int c = in.read();
        if (c < 0) {
          throw new EOFException();
        }
        counts.bytesReceived.increment();
        if (c == '\n') {
          int end =
              line.length() > 0 && line.charAt(line.length() - 1) == '\r'
                  ? line.length() - 1
                  : line.length();
          return line.substring(0, end);
        }
        line.append((char) c);
      }
      return line.toString();
    }

    private int remaining() throws SocketTimeoutException {
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0) {
        throw new SocketTimeoutException("probe deadline passed");
      }
      return (int) Math.max(1, Duration.ofNanos(left).toMillis());
    }
  }
}
