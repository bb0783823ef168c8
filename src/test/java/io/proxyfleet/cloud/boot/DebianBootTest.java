package io.proxyfleet.cloud.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.FakeTlsSecret;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.links.ProxyLinks;
import io.proxyfleet.testing.OriginServer;
import io.proxyfleet.testing.ProxyClients;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The boot scripts on a real Debian 12: each protocol's script runs as root in a debootstrap tree
 * (chroot) inside a network namespace of the test's own, its daemon starts from the unit the script
 * wrote, and a client on this host passes traffic through it with the fleet's credentials, taken
 * from the link the fleet publishes. A wrong password is refused, and neither instance metadata nor
 * a service on the VM's loopback is reachable through the proxy or as its user.
 *
 * <p>Needs root, debootstrap, iproute2, mount (overlay) and python3 (the fake metadata server).
 * With CI=true it must run; elsewhere it skips with one line saying how to enable it. mtprotoproxy
 * cannot be downloaded from GitHub here: a local HTTP server on the test network serves the
 * vendored copy (src/test/resources/data/mtproto), and the script checks the same pinned SHA-256.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DebianBootTest {

  static final Path CACHE = Path.of(System.getProperty("user.home"), ".cache", "proxyfleet");
  static final int PORT = 443;
  static final Duration READY = Duration.ofSeconds(60);
  static final String DOMAIN = "www.example.com";

  @TempDir Path tmp;

  DebianTree tree;
  TestNetwork net;
  OriginServer origin;
  HttpServer mirror;
  ProxyCredentials credentials;

  @BeforeAll
  void machine() throws Exception {
    String missing = missingPrerequisite();
    if (missing != null) {
      if ("true".equals(System.getenv("CI"))) {
        Assertions.fail("DebianBootTest must run under CI=true but cannot: " + missing);
      }
      String line =
          "DebianBootTest skipped: "
              + missing
              + "; enable it by running the build as root with"
              + " `apt-get install debootstrap iproute2 iptables` (CI=true makes it mandatory)";
      System.err.println(line);
      Assumptions.abort(line);
    }
    long start = System.nanoTime();
    tree = DebianTree.cached(CACHE);
    System.out.printf(
        "DebianBootTest: Debian tree %s (%s)%n",
        tree.root, tree.buildSeconds == 0 ? "cached" : "built in " + tree.buildSeconds + " s");
    net = TestNetwork.create();
    origin = new OriginServer(InetAddress.getByName(net.hostIp));
    mirror = HttpServer.create(new InetSocketAddress(net.hostIp, 0), 0);
    byte[] daemon = Files.readAllBytes(Path.of("src/test/resources/data/mtproto/mtprotoproxy.py"));
    byte[] tampered =
        (new String(daemon, StandardCharsets.UTF_8)
                + "\nimport os  # one line added by an attacker\n")
            .getBytes(StandardCharsets.UTF_8);
    mirror.createContext(
        "/mtprotoproxy.py",
        e -> {
          e.sendResponseHeaders(200, daemon.length);
          e.getResponseBody().write(daemon);
          e.close();
        });
    mirror.createContext(
        "/tampered/mtprotoproxy.py",
        e -> {
          e.sendResponseHeaders(200, tampered.length);
          e.getResponseBody().write(tampered);
          e.close();
        });
    mirror.start();
    // Credentials as a fleet generates them; socks5 needs a fresh account name.
    SecureRandom random = new SecureRandom();
    credentials =
        new ProxyCredentials(
            "pf-" + Long.toString(Math.abs(random.nextLong()) % 1_000_000_000L, 36),
            Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(bytes(random, 24))
                .replace('-', 'x')
                .replace('_', 'y'),
            new FakeTlsSecret(FakeTlsSecret.newKey(random), DOMAIN));
    System.out.printf(
        "DebianBootTest: network and servers ready in %d ms%n",
        (System.nanoTime() - start) / 1_000_000);
  }

  @AfterAll
  void cleanUp() {
    if (mirror != null) mirror.stop(0);
    if (origin != null) origin.close();
    if (net != null) net.close();
  }

  @Test
  void socks5DanteServesTheTelegramLinkCredentialsAndNothingPrivate() throws Exception {
    try (DebianVm vm = bootVm(Protocol.SOCKS5, "socks5")) {
      assertThat(vm.systemctlCalls()).contains("enable danted", "restart danted");
      vm.start("danted");
      awaitListening(vm, "danted");
      // The client takes server, port, user and password from the tg:// link, decoded.
      Map<String, String> link =
          query(ProxyLinks.links(Protocol.SOCKS5, "vm", net.vmIp, PORT, credentials).get(0));
      URI proxy =
          URI.create(
              "socks5://"
                  + enc(link.get("user"))
                  + ":"
                  + enc(link.get("pass"))
                  + "@"
                  + link.get("server")
                  + ":"
                  + link.get("port"));
      assertThat(ProxyClients.get(proxy, originUrl())).isEqualTo(OriginServer.BODY);
      assertThat(
              ProxyClients.refuses(
                  URI.create(
                      "socks5://" + enc(link.get("user")) + ":wrong@" + net.vmIp + ":" + PORT),
                  originUrl()))
          .isTrue();
      assertPrivateTargetsRefused(proxy);
    }
  }

  @Test
  void httpTinyproxyDemandsBasicAuthAndReachesNothingPrivate() throws Exception {
    try (DebianVm vm = bootVm(Protocol.HTTP, "http")) {
      assertThat(vm.systemctlCalls()).contains("enable tinyproxy", "restart tinyproxy");
      vm.start("tinyproxy");
      awaitListening(vm, "tinyproxy");
      URI proxy =
          URI.create(ProxyLinks.links(Protocol.HTTP, "vm", net.vmIp, PORT, credentials).get(0));
      assertThat(ProxyClients.get(proxy, originUrl())).isEqualTo(OriginServer.BODY);
      assertThat(
              ProxyClients.refuses(
                  URI.create(
                      "http://" + credentials.username() + ":wrong@" + net.vmIp + ":" + PORT),
                  originUrl()))
          .isTrue();
      assertPrivateTargetsRefused(proxy);
    }
  }

  @Test
  void shadowsocksServesTheSip002LinkAsThePrivilegeLessUser() throws Exception {
    try (DebianVm vm = bootVm(Protocol.SHADOWSOCKS, "shadowsocks")) {
      assertThat(vm.systemctlCalls())
          .contains("disable --now shadowsocks-libev.service", "restart proxyfleet-proxy.service");
      Process server = vm.start("proxyfleet-proxy.service");
      awaitListening(vm, "proxyfleet-proxy.service");
      assertThat(uidOf(server, "ss-server"))
          .as("ss-server runs as the proxy user")
          .isEqualTo(proxyUid(vm));
      // The client is configured from the ss:// link: method and password from its base64url
      // userinfo.
      URI link =
          URI.create(
              ProxyLinks.links(Protocol.SHADOWSOCKS, "vm", net.vmIp, PORT, credentials).get(0));
      String[] userInfo =
          new String(Base64.getUrlDecoder().decode(link.getRawUserInfo()), StandardCharsets.UTF_8)
              .split(":", 2);
      URI right =
          shadowsocksClient(vm, "right", link.getHost(), link.getPort(), userInfo[0], userInfo[1]);
      URI wrong =
          shadowsocksClient(
              vm, "wrong", link.getHost(), link.getPort(), userInfo[0], userInfo[1] + "x");
      assertThat(ProxyClients.get(right, originUrl())).isEqualTo(OriginServer.BODY);
      assertThat(ProxyClients.refuses(wrong, originUrl())).isTrue();
      assertPrivateTargetsRefused(right);
    }
  }

  @Test
  void mtprotoRunsThePinnedDaemonWithTheFakeTlsSecretOfTheLink() throws Exception {
    try (DebianVm vm = bootVm(Protocol.MTPROTO, "mtproto")) {
      Process daemon = vm.start("proxyfleet-proxy.service");
      awaitListening(vm, "proxyfleet-proxy.service");
      assertThat(uidOf(daemon, "python3"))
          .as("mtprotoproxy runs as the proxy user")
          .isEqualTo(proxyUid(vm));
      // mtprotoproxy prints the links it serves: FakeTLS only, with exactly the secret we publish.
      await()
          .atMost(READY)
          .until(() -> vm.output("proxyfleet-proxy.service").contains("secret=ee"));
      String printed = vm.output("proxyfleet-proxy.service");
      String published =
          query(ProxyLinks.links(Protocol.MTPROTO, "vm", net.vmIp, PORT, credentials).get(0))
              .get("secret");
      assertThat(printed).contains("secret=" + published).doesNotContain("secret=dd");
      assertThat(printed.lines().filter(l -> l.contains("tg://proxy")).toList()).hasSize(1);
      assertThat(vm.file("/opt/proxyfleet/mtprotoproxy.py"))
          .isEqualTo(Files.readString(Path.of("src/test/resources/data/mtproto/mtprotoproxy.py")));
    }
  }

  @Test
  void mtprotoRefusesADaemonWhoseChecksumDoesNotMatch() throws Exception {
    try (DebianVm vm = DebianVm.create(tree, net, tmp.resolve("tampered"))) {
      String script =
          BootScript.render(
              Protocol.MTPROTO,
              PORT,
              credentials,
              CloudDns.AWS,
              PinnedDownload.MTPROTOPROXY.from(
                  "http://"
                      + net.hostIp
                      + ":"
                      + mirror.getAddress().getPort()
                      + "/tampered/mtprotoproxy.py"));
      HostCommand result = vm.boot(script);
      assertThat(result.exitCode()).as(vm.file("/var/log/proxyfleet-boot.log")).isNotZero();
      assertThat(vm.file("/var/log/proxyfleet-boot.log"))
          .contains("does not match its pinned SHA-256; refusing to run it");
      assertThat(vm.exists("/opt/proxyfleet/mtprotoproxy.py")).isFalse();
      assertThat(vm.exists("/opt/proxyfleet/mtprotoproxy.py.download")).isFalse();
      assertThat(vm.systemctlCalls()).doesNotContain("restart proxyfleet-proxy.service");
    }
  }

  /**
   * Boots a VM with the protocol's script, applies its firewall unit and checks the common ground.
   */
  DebianVm bootVm(Protocol protocol, String name) throws Exception {
    DebianVm vm = DebianVm.create(tree, net, tmp.resolve(name));
    try {
      long start = System.nanoTime();
      String script =
          BootScript.render(
              protocol,
              PORT,
              credentials,
              CloudDns.AWS,
              PinnedDownload.MTPROTOPROXY.from(
                  "http://"
                      + net.hostIp
                      + ":"
                      + mirror.getAddress().getPort()
                      + "/mtprotoproxy.py"));
      HostCommand result = vm.boot(script);
      String log = vm.file("/var/log/proxyfleet-boot.log");
      assertThat(result.exitCode())
          .as("boot script of " + protocol + ":\n" + HostCommand.tail(log + result.output()))
          .isZero();
      System.out.printf(
          "DebianBootTest: %s boot script ran in %d ms%n",
          protocol, (System.nanoTime() - start) / 1_000_000);
      assertThat(log)
          .contains("proxyfleet: " + protocol.wireName() + " proxy listening on " + PORT);
      assertThat(log + result.output())
          .as("the boot log never shows credentials")
          .doesNotContain(credentials.password())
          .doesNotContain(credentials.fakeTls().key());
      for (String pkg : BootScript.packages(protocol)) {
        assertThat(vm.run(null, "dpkg-query", "-W", "-f=${Version}", pkg).output())
            .as(pkg)
            .isEqualTo(BootScript.DEBIAN_PACKAGES.get(pkg));
      }
      assertThat(vm.systemctlCalls()).contains("enable --now proxyfleet-firewall.service");
      vm.start("proxyfleet-firewall.service");
      String rules = net.exec("iptables", "-S", "PROXYFLEET");
      // The VPC resolver (base+2 of the CIDR the fake IMDSv2 reported) is the one private address
      // open, on port 53 only.
      assertThat(rules)
          .contains(
              "-A PROXYFLEET -d "
                  + TestNetwork.VPC_RESOLVER
                  + "/32 -p udp -m udp --dport 53 -j ACCEPT")
          .contains(
              "-A PROXYFLEET -d "
                  + TestNetwork.VPC_RESOLVER
                  + "/32 -p tcp -m tcp --dport 53 -j ACCEPT")
          .contains("-A PROXYFLEET -d 169.254.169.253/32 -p tcp -m tcp --dport 53 -j ACCEPT")
          .contains("-A PROXYFLEET -d 169.254.0.0/16 -j REJECT")
          .contains("-A PROXYFLEET -d 127.0.0.0/8 -j REJECT");
      assertThat(net.exec("iptables", "-S", "OUTPUT")).contains("--uid-owner");
      // Control: root on the VM reaches both private services, so a refusal below is the firewall's
      // doing.
      assertThat(
              vm.run(
                      null,
                      "curl",
                      "-sf",
                      "-m",
                      "5",
                      "http://" + TestNetwork.METADATA_IP + "/latest/meta-data/mac")
                  .output())
          .isEqualTo("02:00:00:00:00:01");
      assertThat(
              vm.run(
                      null,
                      "curl",
                      "-sf",
                      "-m",
                      "5",
                      "http://127.0.0.1:" + TestNetwork.LOOPBACK_PORT + "/")
                  .output())
          .isEqualTo(TestNetwork.LOOPBACK_BODY);
      assertThat(
              vm.run(
                      "pf-proxy",
                      "curl",
                      "-sf",
                      "-m",
                      "5",
                      "http://" + TestNetwork.METADATA_IP + "/latest/meta-data/mac")
                  .exitCode())
          .isNotZero();
      assertThat(
              vm.run(
                      "pf-proxy",
                      "curl",
                      "-sf",
                      "-m",
                      "5",
                      "http://127.0.0.1:" + TestNetwork.LOOPBACK_PORT + "/")
                  .exitCode())
          .isNotZero();
      assertThat(vm.run("pf-proxy", "curl", "-sf", "-m", "5", originUrl()).output())
          .as("the proxy user reaches the internet")
          .isEqualTo(OriginServer.BODY);
      // The kernel lets the proxy user reach the VPC resolver on port 53 and nothing else there.
      String resolver = "http://" + TestNetwork.VPC_RESOLVER;
      assertThat(vm.run(null, "curl", "-sf", "-m", "5", resolver + ":80/").output())
          .isEqualTo(TestNetwork.VPC_RESOLVER_BODY);
      assertThat(vm.run("pf-proxy", "curl", "-sf", "-m", "5", resolver + ":53/").output())
          .as("DNS port of the VPC resolver")
          .isEqualTo(TestNetwork.VPC_RESOLVER_BODY);
      assertThat(vm.run("pf-proxy", "curl", "-sf", "-m", "5", resolver + ":80/").exitCode())
          .as("any other port of it")
          .isNotZero();
      return vm;
    } catch (Exception | AssertionError e) {
      vm.close();
      throw e;
    }
  }

  /**
   * Waits until the daemon accepts connections on the VM's port; on timeout, says what it printed.
   */
  void awaitListening(DebianVm vm, String unit) throws IOException {
    try {
      await().atMost(READY).until(() -> ProxyClients.acceptsTcp(net.vmIp, PORT));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(
          unit
              + " is not listening on "
              + net.vmIp
              + ":"
              + PORT
              + "; it printed:\n"
              + HostCommand.tail(vm.output(unit))
              + "\nunit: "
              + vm.unit(unit)
              + "\nlistening: "
              + net.tryExec("ss", "-ltn").output(),
          e);
    }
  }

  void assertPrivateTargetsRefused(URI proxy) {
    assertThat(
            ProxyClients.refuses(
                proxy,
                "http://"
                    + TestNetwork.METADATA_IP
                    + ":80/latest/meta-data/iam/security-credentials/"))
        .as("instance metadata through the proxy")
        .isTrue();
    assertThat(ProxyClients.refuses(proxy, "http://127.0.0.1:" + TestNetwork.LOOPBACK_PORT + "/"))
        .as("the VM's loopback through the proxy")
        .isTrue();
  }

  /**
   * ss-local from the VM's own Debian packages, on this host, as a user's client; its SOCKS5 side
   * needs no password.
   */
  URI shadowsocksClient(
      DebianVm vm, String name, String server, int port, String method, String password)
      throws Exception {
    int local;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      local = s.getLocalPort();
    }
    String json =
        "{\"server\":\""
            + server
            + "\",\"server_port\":"
            + port
            + ",\"local_address\":\"127.0.0.1\",\"local_port\":"
            + local
            + ",\"password\":"
            + BootScript.jsonString(password)
            + ",\"method\":\""
            + method
            + "\",\"timeout\":30}";
    Files.writeString(vm.root.resolve("root/ss-local-" + name + ".json"), json);
    vm.client(
        vm.dir.resolve("ss-local-" + name + ".log"),
        "ss-local",
        "-c",
        "/root/ss-local-" + name + ".json");
    int localPort = local;
    await().atMost(READY).until(() -> ProxyClients.acceptsTcp("127.0.0.1", localPort));
    return URI.create("socks5://127.0.0.1:" + local);
  }

  String originUrl() {
    return "http://" + net.hostIp + ":" + origin.port() + "/hello";
  }

  /**
   * Real and effective uid of the named process in the unit's process tree, as "real/effective".
   */
  static String uidOf(Process unit, String command) {
    return java.util.stream.Stream.concat(
            java.util.stream.Stream.of(unit.toHandle()), unit.descendants())
        .filter(h -> h.info().command().map(c -> c.contains(command)).orElse(false))
        .map(
            h -> {
              try {
                String[] uid =
                    Files.readAllLines(Path.of("/proc/" + h.pid() + "/status")).stream()
                        .filter(l -> l.startsWith("Uid:"))
                        .findFirst()
                        .orElseThrow()
                        .split("\\s+");
                return uid[1] + "/" + uid[2];
              } catch (IOException e) {
                return "gone";
              }
            })
        .findFirst()
        .orElse("not running");
  }

  static String proxyUid(DebianVm vm) {
    String uid = vm.run(null, "id", "-u", BootScript.RUN_USER).output().trim();
    return uid + "/" + uid;
  }

  static byte[] bytes(SecureRandom random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  static Map<String, String> query(String link) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String pair : URI.create(link).getRawQuery().split("&")) {
      String[] kv = pair.split("=", 2);
      out.put(kv[0], URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
    }
    return out;
  }

  static String enc(String s) {
    return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static String missingPrerequisite() throws IOException {
    if (!System.getProperty("os.name").equals("Linux")) return "not Linux";
    if (((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) != 0)
      return "not running as root";
    for (String tool : List.of("debootstrap", "ip", "chroot", "mount", "umount", "python3")) {
      if (HostCommand.run("sh", "-c", "command -v " + tool).exitCode() != 0)
        return tool + " not found";
    }
    if (!Files.readString(Path.of("/proc/filesystems")).contains("overlay"))
      return "the kernel has no overlay filesystem";
    return null;
  }
}
