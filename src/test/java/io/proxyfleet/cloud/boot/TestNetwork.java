package io.proxyfleet.cloud.boot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Debian boot test's network: a namespace of its own standing in for the VM, joined to this
 * host by a veth pair on 198.18.N.0/24 (RFC 2544's benchmarking range, routed nowhere). Inside, a
 * fake instance metadata server on 169.254.169.254 and a service on 127.0.0.1 that the proxy user
 * must not reach. The boot script's iptables rules land in this namespace, never on the host, and
 * the host does not forward: nothing the test starts can talk beyond these addresses.
 */
final class TestNetwork implements AutoCloseable {

  static final String METADATA_IP = "169.254.169.254";
  static final int LOOPBACK_PORT = 8081;
  static final String LOOPBACK_BODY = "loopback service of the VM";

  /**
   * The VPC the fake metadata reports, in a private range the firewall closes, and its resolver
   * (base+2).
   */
  static final String VPC_CIDR = "10.99.0.0/16";

  static final String VPC_RESOLVER = "10.99.0.2";
  static final String VPC_RESOLVER_BODY = "VPC resolver address";

  // Answers fixed bodies by "METHOD path", like IMDSv2 (a PUT for the token, then GETs).
  private static final String SERVER =
      """
      import http.server, json, sys
      routes = json.loads(sys.argv[3])
      class H(http.server.BaseHTTPRequestHandler):
          def answer(self):
              body = routes.get(self.command + " " + self.path)
              if body is None:
                  self.send_response(404); self.end_headers(); return
              data = body.encode()
              self.send_response(200); self.send_header("Content-Length", str(len(data))); self.end_headers()
              self.wfile.write(data)
          do_GET = answer
          do_PUT = answer
          def log_message(self, *args):
              pass
      http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
      """;

  final String name;
  final String hostIp;
  final String vmIp;
  private final List<Process> services = new ArrayList<>();

  private TestNetwork(String name, String hostIp, String vmIp) {
    this.name = name;
    this.hostIp = hostIp;
    this.vmIp = vmIp;
  }

  static TestNetwork create() throws IOException {
    long pid = ProcessHandle.current().pid();
    int octet = (int) (pid % 200) + 20;
    String ns = "pf-boot-" + pid;
    String hostIf = "pfb" + (pid % 100000) + "h";
    String vmIf = "pfb" + (pid % 100000) + "v";
    TestNetwork net = new TestNetwork(ns, "198.18." + octet + ".1", "198.18." + octet + ".2");
    HostCommand.check("ip", "netns", "add", ns);
    HostCommand.check("ip", "link", "add", hostIf, "type", "veth", "peer", "name", vmIf);
    HostCommand.check("ip", "link", "set", vmIf, "netns", ns);
    HostCommand.check("ip", "addr", "add", net.hostIp + "/24", "dev", hostIf);
    HostCommand.check("ip", "link", "set", hostIf, "up");
    net.exec("ip", "addr", "add", net.vmIp + "/24", "dev", vmIf);
    net.exec("ip", "link", "set", vmIf, "up");
    net.exec("ip", "link", "set", "lo", "up");
    // The default route is how the boot script finds dante's external interface, as on a VM.
    net.exec("ip", "route", "add", "default", "via", net.hostIp);
    net.exec("ip", "addr", "add", METADATA_IP + "/32", "dev", "lo");
    net.exec("ip", "addr", "add", VPC_RESOLVER + "/32", "dev", "lo");
    // IMDSv2 as the firewall script asks it: a token, the MAC, the VPC CIDRs (this test network).
    net.serve(
        METADATA_IP,
        80,
        Map.of(
            "PUT /latest/api/token", "test-token",
            "GET /latest/meta-data/mac", "02:00:00:00:00:01",
            "GET /latest/meta-data/network/interfaces/macs/02:00:00:00:00:01/vpc-ipv4-cidr-blocks",
                VPC_CIDR,
            "GET /latest/meta-data/iam/security-credentials/", "proxyfleet-node-role"));
    net.serve("127.0.0.1", LOOPBACK_PORT, Map.of("GET /", LOOPBACK_BODY));
    // An HTTP server on the resolver's address, on port 53 (DNS over TCP uses it) and on 80: the
    // proxy
    // user may reach the first only. A real resolver is not needed to prove what the kernel lets
    // through.
    net.serve(VPC_RESOLVER, 53, Map.of("GET /", VPC_RESOLVER_BODY));
    net.serve(VPC_RESOLVER, 80, Map.of("GET /", VPC_RESOLVER_BODY));
    // Python takes a moment to start on a busy machine; a VM booting before that would find no
    // metadata.
    for (String url :
        List.of(
            "http://" + METADATA_IP + "/latest/meta-data/mac",
            "http://127.0.0.1:" + LOOPBACK_PORT + "/",
            "http://" + VPC_RESOLVER + ":53/",
            "http://" + VPC_RESOLVER + ":80/")) {
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(60))
          .until(() -> net.tryExec("curl", "-sf", "-m", "2", url).exitCode() == 0);
    }
    return net;
  }

  /** Runs a command inside the namespace, failing on a non-zero exit. */
  String exec(String... command) {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
    full.addAll(List.of(command));
    return HostCommand.check(java.time.Duration.ofMinutes(2), full);
  }

  HostCommand tryExec(String... command) {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
    full.addAll(List.of(command));
    return HostCommand.run(java.time.Duration.ofMinutes(2), full);
  }

  private void serve(String address, int port, Map<String, String> routes) throws IOException {
    Path script = Files.createTempFile("pf-serve", ".py");
    Files.writeString(script, SERVER);
    script.toFile().deleteOnExit();
    String json = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(routes);
    services.add(
        new ProcessBuilder(
                "ip",
                "netns",
                "exec",
                name,
                Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3",
                script.toString(),
                address,
                String.valueOf(port),
                json)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start());
  }

  /**
   * Ends every process left in the namespace (all started by this test) and removes it with its
   * veth.
   */
  @Override
  public void close() {
    services.forEach(Process::destroyForcibly);
    killAll();
    HostCommand.run("ip", "netns", "del", name);
  }

  /** Processes in the namespace: only this test starts any there. */
  void killAll() {
    HostCommand pids = HostCommand.run("ip", "netns", "pids", name);
    for (String pid : pids.output().split("\\s+")) {
      if (pid.matches("[0-9]+")
          && !services.stream().anyMatch(p -> p.pid() == Long.parseLong(pid))) {
        ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }
}
