package io.proxyfleet.cloud.boot;

import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.ProxyCredentials;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The boot script of a proxy VM, per protocol and cloud. Pure: same input, same script.
 *
 * <p>Every daemon demands authentication and listens on the LaunchSpec port only. Credentials never
 * appear in shell syntax: each file that holds them is written from a base64 block (base64 has no
 * shell metacharacters), so no password can inject a command; the one other value from outside, the
 * SOCKS username, must match a strict pattern and is single-quoted besides. The daemons run as the
 * unprivileged user {@code pf-proxy}, whose connections to link-local (instance metadata), loopback
 * and private ranges are rejected by the firewall, except DNS to the cloud's resolver.
 *
 * <p>Supply chain: every package comes from Debian 12's archive at the version in {@link
 * #DEBIAN_PACKAGES} (the script refuses other releases and checks what got installed), and the one
 * file from elsewhere, mtprotoproxy, runs only if its SHA-256 matches {@link
 * PinnedDownload#MTPROTOPROXY}. When Debian publishes a security update the archive drops the old
 * version: bump the pin, and the Debian boot test (which installs exactly these versions) tells you
 * when that is needed.
 */
public final class BootScript {

  /** Cipher of Shadowsocks proxies; the connection URIs name the same one. */
  public static final String SHADOWSOCKS_METHOD = io.proxyfleet.links.ProxyLinks.SHADOWSOCKS_METHOD;

  /** The Debian 12 (bookworm) release the package pins belong to. */
  public static final String DEBIAN_CODENAME = "bookworm";

  /**
   * Package -> exact version in Debian 12's archive (main and bookworm-security, checked 2026-11).
   * curl, ca-certificates and iproute2 come with Debian's cloud images and are used as they are.
   */
  public static final Map<String, String> DEBIAN_PACKAGES =
      pins(
          "iptables", "1.8.9-2",
          "dante-server", "1.4.2+dfsg-7+b8",
          "tinyproxy", "1.11.1-2.1+deb12u1",
          "shadowsocks-libev", "3.3.5+ds-10",
          "python3", "3.11.2-1+b1",
          "python3-cryptography", "38.0.4-3+deb12u1");

  static final String RUN_USER = "pf-proxy";

  // Linux account names dante authenticates against (useradd's default NAME_REGEX, 32 chars).
  private static final Pattern SOCKS_USER = Pattern.compile("^[a-z_][a-z0-9_-]{0,31}$");
  // Accounts a fresh Debian/Ubuntu image has or cloud-init creates; the script refuses any existing
  // one too.
  private static final Set<String> RESERVED_USERS =
      Set.of(
          "root",
          "daemon",
          "bin",
          "sys",
          "sync",
          "games",
          "man",
          "lp",
          "mail",
          "news",
          "uucp",
          "proxy",
          "www-data",
          "backup",
          "list",
          "irc",
          "gnats",
          "nobody",
          "admin",
          "debian",
          "ubuntu",
          "ec2-user",
          "systemd-network",
          "systemd-resolve",
          "messagebus",
          "sshd",
          "_apt",
          "tinyproxy",
          "danted",
          RUN_USER);
  // tinyproxy's config grammar allows only these in BasicAuth (conf.c: ALNUM is [-a-z0-9._]+).
  private static final Pattern TINYPROXY_TOKEN = Pattern.compile("^[-A-Za-z0-9._]+$");
  private static final int MAX_CREDENTIAL = 255;
  private static final String[] BLOCKED_V4 = {
    "169.254.0.0/16",
    "127.0.0.0/8",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10"
  };
  private static final String[] BLOCKED_V6 = {"fe80::/10", "::1/128", "fc00::/7", "fd00:ec2::/32"};

  private BootScript() {}

  /** The script; throws INVALID naming the field when the credentials or port cannot be served. */
  public static String render(
      Protocol protocol, int port, ProxyCredentials credentials, CloudDns dns) {
    return render(protocol, port, credentials, dns, PinnedDownload.MTPROTOPROXY);
  }

  /**
   * The script, fetching mtprotoproxy from {@code mtprotoproxy} (a mirror must serve the same
   * bytes).
   */
  public static String render(
      Protocol protocol,
      int port,
      ProxyCredentials credentials,
      CloudDns dns,
      PinnedDownload mtprotoproxy) {
    validate(protocol, port, credentials);
    StringBuilder s = new StringBuilder();
    s.append("#!/bin/bash\n")
        .append("# ProxyFleet proxy VM: ")
        .append(protocol.wireName())
        .append(" on TCP port ")
        .append(port)
        .append(", authentication required.\n")
        .append(
            "# Files holding credentials are written from base64 blocks; nothing here echoes them.\n")
        .append("set -euo pipefail\n")
        .append("umask 077\n")
        .append("exec >>/var/log/proxyfleet-boot.log 2>&1\n")
        .append("export DEBIAN_FRONTEND=noninteractive\n")
        .append("PF_PORT=")
        .append(port)
        .append('\n')
        .append(". /etc/os-release\n")
        .append("if [ \"${VERSION_CODENAME:-}\" != ")
        .append(DEBIAN_CODENAME)
        .append(" ]; then\n")
        .append("  echo \"proxyfleet: this script installs pinned Debian 12 (")
        .append(DEBIAN_CODENAME)
        .append(") packages; the image is ${PRETTY_NAME:-unknown}\" >&2; exit 1\n")
        .append("fi\n")
        .append("pf_pinned() { # package=version: installed at exactly that version?\n")
        .append(
            "  [ \"$(dpkg-query -W -f='${Status} ${Version}' \"${1%%=*}\" 2>/dev/null)\" = \"install ok installed ${1#*=}\" ]\n")
        .append("}\n")
        .append("pf_install() { # package=version ...\n")
        .append("  missing=''\n")
        .append("  for pv in \"$@\"; do pf_pinned \"$pv\" || missing=\"$missing $pv\"; done\n")
        .append("  if [ -n \"$missing\" ]; then\n")
        .append(
            "    # The package lists and archives the image already holds first (an image built with the packages\n")
        .append(
            "    # cached needs no network), then fresh lists; the public IP may arrive a little after boot, so\n")
        .append("    # retry until the archive answers.\n")
        .append("    for attempt in $(seq 1 60); do\n")
        .append("      if apt-get install -y -q --no-install-recommends $missing \\\n")
        .append(
            "          || { apt-get update -q && apt-get install -y -q --no-install-recommends $missing; }; then break; fi\n")
        .append("      sleep 10\n")
        .append("    done\n")
        .append("  fi\n")
        .append("  for pv in \"$@\"; do\n")
        .append(
            "    pf_pinned \"$pv\" || { echo \"proxyfleet: ${pv%%=*} is not installed at the pinned version ${pv#*=}\" >&2; return 1; }\n")
        .append("  done\n")
        .append("}\n")
        .append("pf_write() { # path mode owner base64\n")
        .append("  install -d -m 0755 \"$(dirname \"$1\")\"\n")
        .append("  printf '%s' \"$4\" | base64 -d >\"$1.new\"\n")
        .append("  chmod \"$2\" \"$1.new\"; chown \"$3\" \"$1.new\"; mv -f \"$1.new\" \"$1\"\n")
        .append("}\n");
    s.append("pf_install");
    for (String pkg : packages(protocol)) {
      s.append(' ').append(pkg).append('=').append(DEBIAN_PACKAGES.get(pkg));
    }
    s.append('\n');
    s.append("id -u ")
        .append(RUN_USER)
        .append(
            " >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ")
        .append(RUN_USER)
        .append('\n');
    firewall(s, dns);
    switch (protocol) {
      case SOCKS5 -> socks5(s, port, credentials);
      case HTTP -> http(s, port, credentials);
      case SHADOWSOCKS -> shadowsocks(s, port, credentials);
      case MTPROTO -> mtproto(s, port, credentials, mtprotoproxy);
    }
    s.append("echo \"proxyfleet: ")
        .append(protocol.wireName())
        .append(" proxy listening on $PF_PORT\"\n");
    return s.toString();
  }

  /** {@link #render} as EC2 wants it: base64. */
  public static String base64(
      Protocol protocol, int port, ProxyCredentials credentials, CloudDns dns) {
    return Base64.getEncoder()
        .encodeToString(render(protocol, port, credentials, dns).getBytes(StandardCharsets.UTF_8));
  }

  /** The Debian packages the protocol's script installs (keys of {@link #DEBIAN_PACKAGES}). */
  public static List<String> packages(Protocol protocol) {
    return switch (protocol) {
      case SOCKS5 -> List.of("iptables", "dante-server");
      case HTTP -> List.of("iptables", "tinyproxy");
      case SHADOWSOCKS -> List.of("iptables", "shadowsocks-libev");
      case MTPROTO -> List.of("iptables", "python3", "python3-cryptography");
    };
  }

  private static Map<String, String> pins(String... pairs) {
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      out.put(pairs[i], pairs[i + 1]);
    }
    return java.util.Collections.unmodifiableMap(out);
  }

  /** Checks that the protocol's daemon can enforce these credentials on this port. */
  public static void validate(Protocol protocol, int port, ProxyCredentials c) {
    if (protocol == null) {
      throw new CloudException(Reason.INVALID, "protocol must be set");
    }
    if (port < 1 || port > 65535) {
      throw new CloudException(Reason.INVALID, "port " + port + " is not a TCP port (1..65535)");
    }
    if (port == 22) {
      throw new CloudException(
          Reason.INVALID, "port 22 is taken by sshd on the proxy VM; choose another spec.port");
    }
    if (c == null) {
      throw new CloudException(
          Reason.INVALID, "credentials must be set: proxies always require authentication");
    }
    check("username", c.username());
    check("password", c.password());
    switch (protocol) {
      case SOCKS5 -> {
        if (!SOCKS_USER.matcher(c.username()).matches() || RESERVED_USERS.contains(c.username())) {
          throw new CloudException(
              Reason.INVALID,
              "credentials username must be a fresh Linux account name for socks5"
                  + " (dante checks system accounts): ^[a-z_][a-z0-9_-]{0,31}$ and not a system account such as root");
        }
      }
      case HTTP -> {
        if (!TINYPROXY_TOKEN.matcher(c.username()).matches()
            || !TINYPROXY_TOKEN.matcher(c.password()).matches()) {
          throw new CloudException(
              Reason.INVALID,
              "credentials username and password may contain only letters, digits,"
                  + " '-', '.' and '_' for http (tinyproxy BasicAuth syntax)");
        }
      }
      case MTPROTO -> {
        if (c.fakeTls() == null) {
          throw new CloudException(
              Reason.INVALID,
              "an mtproto proxy needs its FakeTLS secret (spec.mtproto.fakeTlsDomain)");
        }
      }
      default -> {}
    }
  }

  private static void check(String field, String value) {
    if (value == null || value.isEmpty() || value.length() > MAX_CREDENTIAL) {
      throw new CloudException(
          Reason.INVALID, "credentials " + field + " must be 1.." + MAX_CREDENTIAL + " characters");
    }
    if (!value.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f)) {
      throw new CloudException(Reason.INVALID, "credentials " + field + " must be printable ASCII");
    }
  }

  private static void firewall(StringBuilder s, CloudDns dns) {
    write(s, "/usr/local/sbin/proxyfleet-firewall", "0755", "root:root", firewallScript(dns));
    String unit =
        """
        [Unit]
        Description=ProxyFleet egress rules for proxy users
        Before=network-online.target
        [Service]
        Type=oneshot
        ExecStart=/usr/local/sbin/proxyfleet-firewall
        RemainAfterExit=yes
        [Install]
        WantedBy=multi-user.target
        """;
    write(s, "/etc/systemd/system/proxyfleet-firewall.service", "0644", "root:root", unit);
    s.append("systemctl daemon-reload\n")
        .append("systemctl enable --now proxyfleet-firewall.service\n");
  }

  /**
   * The egress rules of the proxy user, run as root at every boot. DNS to the cloud's resolver is
   * accepted before the REJECTs; on AWS the VPC resolvers (base+2 of each VPC CIDR) are read from
   * IMDSv2 first, which root may still reach. If metadata does not answer, only the fixed resolver
   * is open and the rules are installed all the same: a closed network is better than an open one.
   */
  static String firewallScript(CloudDns dns) {
    StringBuilder r =
        new StringBuilder("#!/bin/sh\n")
            .append(
                "# Proxy users must not reach instance metadata, the VM itself or private networks;\n")
            .append("# DNS (port 53) to the cloud's resolver is the one exception.\n")
            .append("set -u\n")
            .append("RESOLVERS4='")
            .append(dns.ipv4())
            .append("'\n")
            .append("RESOLVERS6='")
            .append(dns.ipv6() == null ? "" : dns.ipv6())
            .append("'\n");
    if (dns.vpcResolvers()) {
      r.append("if command -v curl >/dev/null 2>&1; then\n")
          .append("  IMDS=http://169.254.169.254/latest\n")
          .append(
              "  TOKEN=$(curl -sf -m 3 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \"$IMDS/api/token\" || true)\n")
          .append(
              "  MAC=$(curl -sf -m 3 -H \"X-aws-ec2-metadata-token: $TOKEN\" \"$IMDS/meta-data/mac\" || true)\n")
          .append("  case \"$MAC\" in *[!0-9a-f:]*|'') MAC='' ;; esac\n")
          .append("  if [ -n \"$MAC\" ]; then\n")
          .append(
              "    for CIDR in $(curl -sf -m 3 -H \"X-aws-ec2-metadata-token: $TOKEN\" \"$IMDS/meta-data/network/interfaces/macs/$MAC/vpc-ipv4-cidr-blocks\" || true); do\n")
          .append(
              "      # The VPC resolver is the CIDR's base address plus two; accept only a well-formed result.\n")
          .append(
              "      R=$(echo \"${CIDR%/*}\" | awk -F. 'NF == 4 && $4 + 2 <= 255 { print $1 \".\" $2 \".\" $3 \".\" ($4 + 2) }')\n")
          .append(
              "      case \"$R\" in *[!0-9.]*|'') ;; *) RESOLVERS4=\"$RESOLVERS4 $R\" ;; esac\n")
          .append("    done\n")
          .append("  fi\n")
          .append("fi\n");
    }
    for (String cmd : new String[] {"iptables", "ip6tables"}) {
      boolean v4 = cmd.equals("iptables");
      r.append(cmd)
          .append(" -N PROXYFLEET 2>/dev/null || ")
          .append(cmd)
          .append(" -F PROXYFLEET\n")
          .append("for R in ")
          .append(v4 ? "$RESOLVERS4" : "$RESOLVERS6")
          .append("; do\n")
          .append("  for P in udp tcp; do ")
          .append(cmd)
          .append(" -A PROXYFLEET -d \"$R\"")
          .append(v4 ? "/32" : "/128")
          .append(" -p \"$P\" --dport 53 -j ACCEPT; done\n")
          .append("done\n");
      for (String range : v4 ? BLOCKED_V4 : BLOCKED_V6) {
        r.append(cmd).append(" -A PROXYFLEET -d ").append(range).append(" -j REJECT\n");
      }
      r.append(cmd)
          .append(" -C OUTPUT -m owner --uid-owner ")
          .append(RUN_USER)
          .append(" -j PROXYFLEET 2>/dev/null || ")
          .append(cmd)
          .append(" -I OUTPUT -m owner --uid-owner ")
          .append(RUN_USER)
          .append(" -j PROXYFLEET\n");
    }
    return r.toString();
  }

  private static void socks5(StringBuilder s, int port, ProxyCredentials c) {
    StringBuilder conf =
        new StringBuilder()
            .append(
                "# dante: SOCKS5 with username/password checked against the local account below.\n")
            .append("logoutput: syslog\n")
            .append("internal: 0.0.0.0 port = ")
            .append(port)
            .append('\n')
            .append("external: @IFACE@\n")
            .append("clientmethod: none\n")
            .append("socksmethod: username\n")
            .append("user.privileged: root\n")
            .append("user.unprivileged: ")
            .append(RUN_USER)
            .append('\n')
            // One keyword per line: dante reads "socksmethod: username log: error" as a method
            // named "log"
            // and refuses the whole file (found by the Debian boot test).
            .append("client pass {\n  from: 0.0.0.0/0 to: 0.0.0.0/0\n  log: error\n}\n");
    for (String range : BLOCKED_V4) {
      conf.append("socks block {\n  from: 0.0.0.0/0 to: ")
          .append(range)
          .append("\n  log: error\n}\n");
    }
    conf.append(
        "socks pass {\n  from: 0.0.0.0/0 to: 0.0.0.0/0\n  socksmethod: username\n  log: error\n}\n");
    s.append("PF_USER=")
        .append(shellQuote(c.username()))
        .append('\n')
        .append("if getent passwd \"$PF_USER\" >/dev/null; then\n")
        .append(
            "  echo \"proxyfleet: account $PF_USER exists on the image; refusing to set its password\" >&2; exit 1\n")
        .append("fi\n")
        .append(
            "useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \"$PF_USER\"\n")
        .append(
            "# chpasswd reads user:password; the pair comes from base64, never from shell words.\n")
        .append("printf '%s' ")
        .append(shellQuote(b64(c.username() + ":" + c.password() + "\n")))
        .append(" | base64 -d | chpasswd\n")
        .append("PF_IFACE=$(ip -4 route show default | awk '{print $5; exit}')\n");
    write(s, "/etc/danted.conf", "0644", "root:root", conf.toString());
    s.append("sed -i \"s/@IFACE@/${PF_IFACE}/\" /etc/danted.conf\n")
        .append("systemctl enable danted\n")
        .append("systemctl restart danted\n");
  }

  private static void http(StringBuilder s, int port, ProxyCredentials c) {
    String conf =
        "# tinyproxy: HTTP proxy (CONNECT and absolute-form) with Basic proxy authentication.\n"
            + "User "
            + RUN_USER
            + "\n"
            + "Group "
            + RUN_USER
            + "\n"
            + "Port "
            + port
            + "\n"
            + "Timeout 600\n"
            + "MaxClients 500\n"
            + "LogLevel Warning\n"
            + "Syslog On\n"
            + "DisableViaHeader Yes\n"
            + "BasicAuth "
            + c.username()
            + " "
            + c.password()
            + "\n";
    write(s, "/etc/tinyproxy/tinyproxy.conf", "0640", "root:" + RUN_USER, conf);
    s.append("systemctl enable tinyproxy\n").append("systemctl restart tinyproxy\n");
  }

  private static void shadowsocks(StringBuilder s, int port, ProxyCredentials c) {
    String json =
        "{\"server\":[\"0.0.0.0\"],\"server_port\":"
            + port
            + ",\"password\":"
            + jsonString(c.password())
            + ",\"method\":\""
            + SHADOWSOCKS_METHOD
            + "\",\"mode\":\"tcp_only\",\"timeout\":300}\n";
    write(s, "/etc/proxyfleet/shadowsocks.json", "0640", "root:" + RUN_USER, json);
    s.append("systemctl disable --now shadowsocks-libev.service >/dev/null 2>&1 || true\n");
    service(
        s,
        "ShadowSocks (AEAD, " + SHADOWSOCKS_METHOD + ")",
        "/usr/bin/ss-server -c /etc/proxyfleet/shadowsocks.json");
  }

  private static void mtproto(
      StringBuilder s, int port, ProxyCredentials c, PinnedDownload daemon) {
    // FakeTLS only: classic and "dd" secrets are fingerprinted by censors. Clients that do not
    // complete the handshake with the secret are forwarded to the real domain (MASK), so a probe of
    // the port sees that site.
    String config =
        "# mtprotoproxy: Telegram MTProto proxy, FakeTLS only; clients must know the secret.\n"
            + "PORT = "
            + port
            + "\n"
            + "USERS = {\"proxyfleet\": \""
            + c.fakeTls().key()
            + "\"}\n"
            + "MODES = {\"classic\": False, \"secure\": False, \"tls\": True}\n"
            + "TLS_DOMAIN = \""
            + c.fakeTls().domain()
            + "\"\n"
            + "MASK = True\n"
            + "MASK_HOST = \""
            + c.fakeTls().domain()
            + "\"\n"
            + "PREFER_IPV6 = False\n"
            + "LISTEN_ADDR_IPV6 = None\n";
    String target = "/opt/proxyfleet/mtprotoproxy.py";
    s.append("install -d -m 0755 /opt/proxyfleet\n")
        .append("curl -fsSL --retry 30 --retry-delay 10 --retry-all-errors -o ")
        .append(target)
        .append(".download ")
        .append(shellQuote(daemon.url()))
        .append('\n')
        .append(
            "# Run it only if it is the reviewed file: a changed repository or mirror must not run on the VM.\n")
        .append("if ! echo '")
        .append(daemon.sha256())
        .append("  ")
        .append(target)
        .append(".download' | sha256sum -c --quiet -; then\n")
        .append("  rm -f ")
        .append(target)
        .append(".download\n")
        .append(
            "  echo \"proxyfleet: mtprotoproxy.py does not match its pinned SHA-256; refusing to run it\" >&2; exit 1\n")
        .append("fi\n")
        .append("chmod 0644 ")
        .append(target)
        .append(".download\n")
        .append("mv -f ")
        .append(target)
        .append(".download ")
        .append(target)
        .append('\n');
    write(s, "/etc/proxyfleet/mtproto.py", "0640", "root:" + RUN_USER, config);
    service(s, "MTProto (FakeTLS)", "/usr/bin/python3 " + target + " /etc/proxyfleet/mtproto.py");
  }

  private static void service(StringBuilder s, String what, String execStart) {
    String unit =
        "[Unit]\n"
            + "Description=ProxyFleet "
            + what
            + " proxy\n"
            + "After=network-online.target proxyfleet-firewall.service\n"
            + "Wants=network-online.target\n"
            + "[Service]\n"
            + "User="
            + RUN_USER
            + "\n"
            + "Group="
            + RUN_USER
            + "\n"
            + "ExecStart="
            + execStart
            + "\n"
            + "AmbientCapabilities=CAP_NET_BIND_SERVICE\n"
            + "NoNewPrivileges=yes\n"
            + "Restart=always\n"
            + "RestartSec=2\n"
            + "[Install]\n"
            + "WantedBy=multi-user.target\n";
    write(s, "/etc/systemd/system/proxyfleet-proxy.service", "0644", "root:root", unit);
    s.append("systemctl daemon-reload\n")
        .append("systemctl enable proxyfleet-proxy.service\n")
        .append("systemctl restart proxyfleet-proxy.service\n");
  }

  private static void write(
      StringBuilder s, String path, String mode, String owner, String content) {
    s.append("pf_write ")
        .append(path)
        .append(' ')
        .append(mode)
        .append(' ')
        .append(owner)
        .append(' ')
        .append(shellQuote(b64(content)))
        .append('\n');
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  /** One shell word for any string: single-quoted, with each ' written as '\''. */
  static String shellQuote(String value) {
    return "'" + value.replace("'", "'\\''") + "'";
  }

  static String jsonString(String value) {
    StringBuilder out = new StringBuilder("\"");
    for (char ch : value.toCharArray()) {
      switch (ch) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (ch < 0x20 || ch > 0x7e) {
            out.append(String.format("\\u%04x", (int) ch));
          } else {
            out.append(ch);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}
