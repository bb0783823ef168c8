package io.proxyfleet.cloud.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.links.ProxyLinks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The boot scripts: authentication configured per protocol, credentials only there, no injection.
 */
class BootScriptTest {

  static final ProxyCredentials CREDS =
      new ProxyCredentials(
          "pf-abc123",
          "Zx9QwErTy7uIoP3aSdFgHjKl2ZxCvBnM",
          new io.proxyfleet.cloud.FakeTlsSecret(
              "00112233445566778899aabbccddeeff", "www.example.com"));
  static final Pattern WRITE =
      Pattern.compile("^pf_write (\\S+) (\\S+) (\\S+) '([A-Za-z0-9+/=]*)'$", Pattern.MULTILINE);

  /** Path -> decoded content of every file the script writes. */
  static Map<String, String> files(String script) {
    Map<String, String> files = new LinkedHashMap<>();
    Matcher m = WRITE.matcher(script);
    while (m.find()) {
      files.put(
          m.group(1), new String(Base64.getDecoder().decode(m.group(4)), StandardCharsets.UTF_8));
    }
    return files;
  }

  /** Every base64 block of the script, decoded. */
  static List<String> blobs(String script) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("'([A-Za-z0-9+/=]{8,})'").matcher(script);
    while (m.find()) {
      out.add(new String(Base64.getDecoder().decode(m.group(1)), StandardCharsets.UTF_8));
    }
    return out;
  }

  /** The script with every base64 block blanked: what a shell parses as words. */
  static String shellText(String script) {
    return script.replaceAll("'[A-Za-z0-9+/=]{8,}'", "'<b64>'");
  }

  @Test
  void socks5RunsDanteWithUsernameAuthAgainstAFreshAccount() {
    String script = BootScript.render(Protocol.SOCKS5, 1080, CREDS, CloudDns.AWS);
    Map<String, String> files = files(script);
    String conf = files.get("/etc/danted.conf");
    assertThat(conf)
        .contains("internal: 0.0.0.0 port = 1080")
        .contains("socksmethod: username")
        .contains(
            "socks pass {\n  from: 0.0.0.0/0 to: 0.0.0.0/0\n  socksmethod: username\n  log: error\n}\n")
        .doesNotContain("socksmethod: none")
        .doesNotContain(CREDS.password());
    assertThat(conf)
        .as("metadata and private ranges are blocked")
        .contains("socks block {\n  from: 0.0.0.0/0 to: 169.254.0.0/16\n")
        .contains("to: 10.0.0.0/8\n");
    assertThat(script)
        .contains("pf_install iptables=1.8.9-2 dante-server=1.4.2+dfsg-7+b8\n")
        .contains("PF_USER='pf-abc123'")
        .contains("if getent passwd \"$PF_USER\"")
        .contains("| base64 -d | chpasswd")
        .contains("systemctl restart danted");
    String chpasswd =
        script.lines().filter(l -> l.endsWith("| base64 -d | chpasswd")).findFirst().orElseThrow();
    String pair =
        new String(Base64.getDecoder().decode(chpasswd.split("'")[3]), StandardCharsets.UTF_8);
    assertThat(pair).isEqualTo(CREDS.username() + ":" + CREDS.password() + "\n");
    assertThat(script).as("the password appears nowhere in clear").doesNotContain(CREDS.password());
  }

  @Test
  void httpRunsTinyproxyWithBasicAuthOnThePort() {
    String script = BootScript.render(Protocol.HTTP, 8080, CREDS, CloudDns.AWS);
    String conf = files(script).get("/etc/tinyproxy/tinyproxy.conf");
    assertThat(conf)
        .contains("Port 8080\n")
        .contains("BasicAuth " + CREDS.username() + " " + CREDS.password() + "\n")
        .contains("User " + BootScript.RUN_USER);
    assertThat(script)
        .contains("pf_install iptables=1.8.9-2 tinyproxy=1.11.1-2.1+deb12u1\n")
        .contains("systemctl restart tinyproxy")
        .doesNotContain(CREDS.password());
  }

  @Test
  void shadowsocksUsesTheUriCipherAndThePassword() {
    ProxyCredentials weird = new ProxyCredentials("u", "pa\"ss\\wo'rd $(reboot) `id`");
    String script = BootScript.render(Protocol.SHADOWSOCKS, 8388, weird, CloudDns.AWS);
    String json = files(script).get("/etc/proxyfleet/shadowsocks.json");
    assertThat(json)
        .contains("\"server_port\":8388")
        .contains("\"method\":\"" + BootScript.SHADOWSOCKS_METHOD + "\"")
        .contains("\"password\":\"pa\\\"ss\\\\wo'rd $(reboot) `id`\"");
    String uri = ProxyLinks.uri(Protocol.SHADOWSOCKS, "1.2.3.4", 8388, weird);
    String userInfo =
        new String(
            Base64.getUrlDecoder().decode(uri.substring("ss://".length(), uri.indexOf('@'))),
            StandardCharsets.UTF_8);
    assertThat(userInfo)
        .as("the published URI names the cipher the server runs")
        .isEqualTo(BootScript.SHADOWSOCKS_METHOD + ":" + weird.password());
    assertThat(files(script).get("/etc/systemd/system/proxyfleet-proxy.service"))
        .contains("ExecStart=/usr/bin/ss-server -c /etc/proxyfleet/shadowsocks.json")
        .contains("User=" + BootScript.RUN_USER);
    assertThat(script).doesNotContain("reboot");
  }

  @Test
  void mtprotoServesTheSecretThePublishedLinkCarries() {
    String script = BootScript.render(Protocol.MTPROTO, 443, CREDS, CloudDns.AWS);
    String config = files(script).get("/etc/proxyfleet/mtproto.py");
    String link = ProxyLinks.uri(Protocol.MTPROTO, "1.2.3.4", 443, CREDS);
    String secret = link.substring(link.indexOf("secret=") + "secret=".length());
    assertThat(secret).isEqualTo(CREDS.fakeTls().clientSecret());
    assertThat(config)
        .contains("PORT = 443\n")
        .contains("\"proxyfleet\": \"" + CREDS.fakeTls().key() + "\"")
        .contains("\"classic\": False")
        .contains("\"tls\": True")
        .contains("TLS_DOMAIN = \"www.example.com\"");
    assertThat(script)
        .contains(PinnedDownload.MTPROTOPROXY.url())
        .doesNotContain(CREDS.fakeTls().key())
        .doesNotContain(CREDS.password());
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void everyProtocolDemandsAuthenticationOnExactlyItsPortAndBlocksMetadata(Protocol protocol) {
    String script = BootScript.render(protocol, 4433, CREDS, CloudDns.AWS);
    assertThat(script)
        .startsWith("#!/bin/bash\n")
        .contains("set -euo pipefail")
        .contains("PF_PORT=4433");
    String firewall = files(script).get("/usr/local/sbin/proxyfleet-firewall");
    assertThat(firewall)
        .contains("-d 169.254.0.0/16 -j REJECT")
        .contains("--uid-owner " + BootScript.RUN_USER);
    String all = String.join("\n", blobs(script));
    assertThat(all).contains("4433");
    assertThat(all.contains(CREDS.password()) || all.contains(CREDS.fakeTls().key()))
        .as("credentials configured")
        .isTrue();
    assertThat(BootScript.render(protocol, 4433, CREDS, CloudDns.AWS)).as("pure").isEqualTo(script);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "'; reboot; '",
        "$(curl evil)",
        "`id`",
        "a'b\"c\\d",
        "x\\'",
        "!!",
        "%s%n",
        "-- -rf /"
      })
  void weirdPasswordsCannotInjectShell(String password) throws Exception {
    ProxyCredentials c = new ProxyCredentials("pf-user", password);
    for (Protocol protocol : List.of(Protocol.SOCKS5, Protocol.SHADOWSOCKS, Protocol.MTPROTO)) {
      String script =
          BootScript.render(protocol, 1080, c.withFakeTls(CREDS.fakeTls()), CloudDns.AWS);
      assertThat(shellText(script))
          .as(protocol + ": the password never reaches shell words")
          .doesNotContain(password);
      assertThat(bashSyntaxOk(script)).as(protocol + ": bash -n accepts the script").isTrue();
    }
    assertThatThrownBy(() -> BootScript.render(Protocol.HTTP, 8080, c, CloudDns.AWS))
        .isInstanceOf(CloudException.class)
        .hasMessageContaining("tinyproxy");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void everyPackageIsPinnedToItsDebianVersionAndChecked(Protocol protocol) {
    String script = BootScript.render(protocol, 1080, CREDS, CloudDns.AWS);
    String install =
        script.lines().filter(l -> l.startsWith("pf_install ")).findFirst().orElseThrow();
    List<String> args = List.of(install.substring("pf_install ".length()).split(" "));
    assertThat(args)
        .isNotEmpty()
        .allSatisfy(a -> assertThat(a).matches("[a-z0-9.+-]+=[0-9][A-Za-z0-9.+~:-]*"));
    assertThat(args)
        .containsExactlyElementsOf(
            BootScript.packages(protocol).stream()
                .map(p -> p + "=" + BootScript.DEBIAN_PACKAGES.get(p))
                .toList());
    assertThat(script.lines().filter(l -> l.contains("apt-get install")).toList())
        .as("apt installs only what pf_install pinned")
        .hasSize(2)
        .allSatisfy(l -> assertThat(l).contains("--no-install-recommends $missing"));
    assertThat(script)
        .as("other releases are refused, not served with unknown versions")
        .contains("if [ \"${VERSION_CODENAME:-}\" != bookworm ]; then")
        .contains("is not installed at the pinned version");
  }

  @Test
  void mtprotoRunsTheDaemonOnlyWhenItsChecksumMatches() {
    PinnedDownload mirror =
        PinnedDownload.MTPROTOPROXY.from("http://198.18.0.1:8000/mtprotoproxy.py");
    String script = BootScript.render(Protocol.MTPROTO, 443, CREDS, CloudDns.AWS, mirror);
    List<String> lines = script.lines().toList();
    int download = indexOf(lines, "curl -fsSL");
    int check = indexOf(lines, "sha256sum -c");
    int install =
        indexOf(
            lines,
            "mv -f /opt/proxyfleet/mtprotoproxy.py.download /opt/proxyfleet/mtprotoproxy.py");
    int start = indexOf(lines, "systemctl restart proxyfleet-proxy.service");
    assertThat(lines.get(download))
        .contains("'http://198.18.0.1:8000/mtprotoproxy.py'")
        .endsWith("mtprotoproxy.py.download 'http://198.18.0.1:8000/mtprotoproxy.py'");
    assertThat(lines.get(check))
        .contains(
            PinnedDownload.MTPROTOPROXY.sha256() + "  /opt/proxyfleet/mtprotoproxy.py.download");
    assertThat(download).isLessThan(check);
    assertThat(check).isLessThan(install);
    assertThat(install).isLessThan(start);
    assertThatThrownBy(() -> PinnedDownload.MTPROTOPROXY.from("http://x/'; reboot; '"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  static int indexOf(List<String> lines, String part) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(part)) return i;
    }
    throw new AssertionError("no line contains " + part);
  }

  @Test
  void shellQuoteRoundTripsThroughBash() throws Exception {
    for (String s : List.of("plain", "it's", "'", "''", "$HOME `x` \\ \" !", "")) {
      Process p =
          new ProcessBuilder("bash", "-c", "printf '%s' " + BootScript.shellQuote(s)).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(out).isEqualTo(s);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "root",
        "Root",
        "1abc",
        "a b",
        "ubuntu",
        "pf-proxy",
        "x;reboot",
        "abcdefghijklmnopqrstuvwxyz0123456789"
      })
  void socksUsernamesMustBeFreshLinuxAccounts(String username) {
    assertThatThrownBy(
            () ->
                BootScript.render(
                    Protocol.SOCKS5, 1080, new ProxyCredentials(username, "pw"), CloudDns.AWS))
        .isInstanceOf(CloudException.class)
        .hasMessageContaining("Linux account");
  }

  @Test
  void badInputIsInvalid() {
    assertThatThrownBy(() -> BootScript.render(Protocol.SOCKS5, 0, CREDS, CloudDns.AWS))
        .hasMessageContaining("port");
    assertThatThrownBy(() -> BootScript.render(Protocol.SOCKS5, 22, CREDS, CloudDns.AWS))
        .hasMessageContaining("sshd");
    assertThatThrownBy(() -> BootScript.render(Protocol.SOCKS5, 1080, null, CloudDns.AWS))
        .hasMessageContaining("authentication");
    assertThatThrownBy(
            () ->
                BootScript.render(
                    Protocol.SHADOWSOCKS,
                    1080,
                    new ProxyCredentials("u", "line\nbreak"),
                    CloudDns.AWS))
        .hasMessageContaining("printable");
    assertThatThrownBy(
            () ->
                BootScript.render(
                    Protocol.SHADOWSOCKS, 1080, new ProxyCredentials("u", ""), CloudDns.AWS))
        .hasMessageContaining("1..255");
  }

  @Test
  void fleetGeneratedCredentialsFitEveryProtocol() {
    var fleet = new io.proxyfleet.api.ProxyFleet();
    fleet.setMetadata(
        new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withName("f")
            .withNamespace("d")
            .withUid("u")
            .build());
    fleet.setSpec(new io.proxyfleet.api.ProxyFleetSpec());
    for (int i = 0; i < 50; i++) {
      ProxyCredentials c =
          io.proxyfleet.secrets.FleetSecrets.read(
                  io.proxyfleet.secrets.FleetSecrets.newCredentials(
                      fleet, new java.security.SecureRandom()))
              .orElseThrow();
      for (Protocol protocol : Protocol.values()) {
        BootScript.validate(protocol, 1080, c.withFakeTls(CREDS.fakeTls()));
      }
    }
  }

  @Test
  void userDataStaysWellUnderEc2sLimit() {
    List<Integer> sizes = new ArrayList<>();
    for (Protocol protocol : Protocol.values()) {
      sizes.add(BootScript.base64(protocol, 1080, CREDS, CloudDns.AWS).length());
    }
    assertThat(sizes).allSatisfy(s -> assertThat(s).isLessThan(16 * 1024));
  }

  static boolean bashSyntaxOk(String script) throws IOException, InterruptedException {
    Path f = Files.createTempFile("userdata", ".sh");
    try {
      Files.writeString(f, script);
      Process p = new ProcessBuilder("bash", "-n", f.toString()).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } finally {
      Files.deleteIfExists(f);
    }
  }
}
