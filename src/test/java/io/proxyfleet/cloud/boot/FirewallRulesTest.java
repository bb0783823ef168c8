package io.proxyfleet.cloud.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy user's egress rules, proven on the generated script itself: it runs under sh with
 * iptables and curl replaced by recorders (curl answers like IMDSv2), and the recorded rules are
 * evaluated first-match like the kernel does. The Debian boot test runs the same script against
 * real iptables in a network namespace.
 */
class FirewallRulesTest {

  @TempDir Path dir;

  enum Verdict {
    ACCEPT,
    REJECT,
    NOT_FILTERED
  }

  record Rule(String table, String destination, String protocol, Integer port, String target) {}

  @Test
  void awsOpensDnsToTheRoute53ResolverAndEveryVpcBasePlusTwoOnly() throws Exception {
    List<Rule> rules =
        run(
            CloudDns.AWS,
            Map.of("MAC", "0a:1b:2c:3d:4e:5f", "CIDRS", "172.31.0.0/16 10.20.30.0/24"));
    for (String resolver : List.of("169.254.169.253", "172.31.0.2", "10.20.30.2")) {
      assertThat(verdict(rules, resolver, "udp", 53))
          .as(resolver + " udp/53")
          .isEqualTo(Verdict.ACCEPT);
      assertThat(verdict(rules, resolver, "tcp", 53))
          .as(resolver + " tcp/53")
          .isEqualTo(Verdict.ACCEPT);
      assertThat(verdict(rules, resolver, "tcp", 80))
          .as(resolver + " is DNS only")
          .isEqualTo(Verdict.REJECT);
    }
    assertThat(verdict(rules, "fd00:ec2::253", "udp", 53)).isEqualTo(Verdict.ACCEPT);
    assertThat(verdict(rules, "fd00:ec2::254", "tcp", 80)).isEqualTo(Verdict.REJECT);
    // Everything else in the closed ranges stays closed, DNS port or not.
    for (String closed :
        List.of(
            "169.254.169.254",
            "172.31.0.3",
            "10.20.30.1",
            "10.0.0.2",
            "127.0.0.1",
            "127.0.0.53",
            "192.168.1.1",
            "100.64.0.1")) {
      assertThat(verdict(rules, closed, "udp", 53))
          .as(closed + " udp/53")
          .isEqualTo(Verdict.REJECT);
      assertThat(verdict(rules, closed, "tcp", 80))
          .as(closed + " tcp/80")
          .isEqualTo(Verdict.REJECT);
    }
    assertThat(verdict(rules, "1.1.1.1", "udp", 53))
        .as("the internet is the proxy's job")
        .isEqualTo(Verdict.NOT_FILTERED);
    assertThat(verdict(rules, "198.51.100.7", "tcp", 443)).isEqualTo(Verdict.NOT_FILTERED);
  }

  @Test
  void gcpOpensOnlyMetadataDnsOnPort53() throws Exception {
    List<Rule> rules = run(CloudDns.GCP, Map.of());
    assertThat(verdict(rules, "169.254.169.254", "udp", 53)).isEqualTo(Verdict.ACCEPT);
    assertThat(verdict(rules, "169.254.169.254", "tcp", 53)).isEqualTo(Verdict.ACCEPT);
    assertThat(verdict(rules, "169.254.169.254", "tcp", 80))
        .as("metadata HTTP stays closed")
        .isEqualTo(Verdict.REJECT);
    assertThat(verdict(rules, "169.254.169.253", "udp", 53)).isEqualTo(Verdict.REJECT);
    assertThat(verdict(rules, "10.128.0.2", "udp", 53)).isEqualTo(Verdict.REJECT);
    assertThat(String.join("\n", recorded))
        .as("GCP never asks AWS metadata")
        .doesNotContain("curl");
  }

  @Test
  void withoutMetadataOnlyTheFixedResolverOpensAndTheRulesStillApply() throws Exception {
    List<Rule> rules = run(CloudDns.AWS, Map.of("IMDS_DOWN", "1"));
    assertThat(verdict(rules, "169.254.169.253", "udp", 53)).isEqualTo(Verdict.ACCEPT);
    assertThat(verdict(rules, "172.31.0.2", "udp", 53)).isEqualTo(Verdict.REJECT);
    assertThat(verdict(rules, "169.254.169.254", "tcp", 80)).isEqualTo(Verdict.REJECT);
  }

  @Test
  void malformedMetadataAnswersOpenNothing() throws Exception {
    List<Rule> rules =
        run(
            CloudDns.AWS,
            Map.of("MAC", "0a:1b:2c:3d:4e:5f", "CIDRS", "10.0.0.254/31 evil;rm 1.2.3"));
    assertThat(
            rules.stream()
                .filter(r -> r.target().equals("ACCEPT"))
                .map(Rule::destination)
                .distinct())
        .containsExactlyInAnyOrder("169.254.169.253/32", "fd00:ec2::253/128");
  }

  @Test
  void theRulesApplyToTheProxyUserOnly() throws Exception {
    run(CloudDns.AWS, Map.of("IMDS_DOWN", "1"));
    assertThat(recorded)
        .contains(
            "iptables -I OUTPUT -m owner --uid-owner pf-proxy -j PROXYFLEET",
            "ip6tables -I OUTPUT -m owner --uid-owner pf-proxy -j PROXYFLEET");
  }

  List<String> recorded = new ArrayList<>();

  /** Runs the firewall script the boot script writes, with recorders for iptables and curl. */
  List<Rule> run(CloudDns dns, Map<String, String> imds) throws IOException, InterruptedException {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path log = dir.resolve("calls.log");
    stub(
        bin.resolve("iptables"),
        "echo \"iptables $*\" >>\"$PF_LOG\"\n[ \"$1\" = -C ] && exit 1\nexit 0\n");
    stub(
        bin.resolve("ip6tables"),
        "echo \"ip6tables $*\" >>\"$PF_LOG\"\n[ \"$1\" = -C ] && exit 1\nexit 0\n");
    // IMDSv2: a token from PUT, then every read must carry it.
    stub(
        bin.resolve("curl"),
        """
        echo "curl $*" >>"$PF_LOG"
        [ -n "${IMDS_DOWN:-}" ] && exit 7
        url=""; token=""; put=""
        while [ $# -gt 0 ]; do
          case "$1" in
            -X) put="$2"; shift ;;
            -H) case "$2" in X-aws-ec2-metadata-token:*) token="${2#*: }" ;; esac; shift ;;
            -m) shift ;;
            http*) url="$1" ;;
          esac
          shift
        done
        case "$url" in
          */api/token) [ "$put" = PUT ] && printf tok && exit 0; exit 22 ;;
        esac
        [ "$token" = tok ] || exit 22
        case "$url" in
          */meta-data/mac) printf '%s' "$MAC" ;;
          */macs/"$MAC"/vpc-ipv4-cidr-blocks) printf '%s\\n' $CIDRS ;;
          *) exit 22 ;;
        esac
        """);
    Path script = dir.resolve("proxyfleet-firewall");
    Files.writeString(script, BootScript.firewallScript(dns));
    ProcessBuilder pb = new ProcessBuilder("sh", script.toString()).redirectErrorStream(true);
    pb.environment().clear();
    pb.environment().put("PATH", bin + ":/usr/bin:/bin");
    pb.environment().put("PF_LOG", log.toString());
    pb.environment().putAll(imds);
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    recorded = Files.exists(log) ? Files.readAllLines(log) : List.of();
    List<Rule> rules = new ArrayList<>();
    for (String line : recorded) {
      String[] w = line.split(" ");
      if (w.length < 3 || !w[1].equals("-A") || !w[2].equals("PROXYFLEET")) continue;
      String dest = null, proto = null, target = null;
      Integer port = null;
      for (int i = 3; i < w.length - 1; i++) {
        switch (w[i]) {
          case "-d" -> dest = w[i + 1];
          case "-p" -> proto = w[i + 1];
          case "--dport" -> port = Integer.parseInt(w[i + 1]);
          case "-j" -> target = w[i + 1];
          default -> {}
        }
      }
      rules.add(new Rule(w[0], dest, proto, port, target));
    }
    return rules;
  }

  /**
   * First matching rule of the right table wins; no match means the chain returns (not filtered).
   */
  static Verdict verdict(List<Rule> rules, String address, String protocol, int port)
      throws IOException {
    InetAddress a = InetAddress.getByName(address);
    String table = a.getAddress().length == 4 ? "iptables" : "ip6tables";
    for (Rule r : rules) {
      if (!r.table().equals(table) || !contains(r.destination(), a)) continue;
      if (r.protocol() != null && !r.protocol().equals(protocol)) continue;
      if (r.port() != null && r.port() != port) continue;
      return Verdict.valueOf(r.target());
    }
    return Verdict.NOT_FILTERED;
  }

  static boolean contains(String cidr, InetAddress a) throws IOException {
    String[] parts = cidr.split("/");
    byte[] net = InetAddress.getByName(parts[0]).getAddress();
    byte[] addr = a.getAddress();
    if (net.length != addr.length) return false;
    int bits = addr.length * 8;
    int prefix = Integer.parseInt(parts[1]);
    BigInteger mask =
        BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE).shiftRight(prefix).not();
    return new BigInteger(1, net).and(mask).equals(new BigInteger(1, addr).and(mask));
  }

  private static void stub(Path path, String body) throws IOException {
    Files.writeString(path, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
