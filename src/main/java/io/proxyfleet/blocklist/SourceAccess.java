package io.proxyfleet.blocklist;

import io.fabric8.kubernetes.api.model.Secret;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a Blocklist may reach, an operator-level setting: a Blocklist's author is trusted with far
 * less than the operator (which may read Secrets and sits inside the cluster network).
 *
 * <p>URL sources go to public {@code https} destinations only. A host that resolves to a loopback,
 * link-local (cloud metadata), private, CGNAT, unspecified, multicast or otherwise reserved address
 * is refused before the request and at every redirect, unless it lies in {@code allowedCidrs}
 * (tests and local mode allow 127.0.0.0/8; plain {@code http} is allowed only to those ranges too).
 * An {@code authSecret} is used only from {@code operatorNamespace}, or from a Secret that opts in
 * with the label {@value #AUTH_SECRET_LABEL}{@code : "true"}.
 *
 * <p>DNS rebinding (a name that answers a public address to the check and a private one to the
 * connection): a host is resolved once per request ({@link #check}); a plain {@code http} request
 * to a name is sent to the very address that was checked (see {@link HttpSourceFetcher}), so a
 * second, different answer is never used. An {@code https} request to a name lets the JDK client
 * connect by name, and TLS hostname verification is what stops rebinding there: a host reached
 * through a second answer cannot prove to be the named host, so the handshake fails before any
 * header (the Authorization header included) or body is exchanged.
 *
 * @param operatorNamespace the namespace the operator runs in (Secrets there are the operator's)
 * @param allowedCidrs non-public ranges URL sources may reach anyway, e.g. {@code 127.0.0.0/8}
 */
public record SourceAccess(String operatorNamespace, List<String> allowedCidrs) {

  /**
   * A Secret outside the operator's namespace carrying this label with value "true" may be an
   * authSecret.
   */
  public static final String AUTH_SECRET_LABEL = "proxyfleet.io/blocklist-auth";

  /**
   * Addresses that are not public Internet destinations (RFC 6890 special-purpose ranges that a
   * request could use to reach the operator's own network or a cloud metadata service).
   */
  static final List<String> NON_PUBLIC =
      List.of(
          "0.0.0.0/8",
          "10.0.0.0/8",
          "100.64.0.0/10",
          "127.0.0.0/8",
          "169.254.0.0/16",
          "172.16.0.0/12",
          "192.0.0.0/24",
          "192.168.0.0/16",
          "198.18.0.0/15",
          "224.0.0.0/4",
          "240.0.0.0/4",
          "::/128",
          "::1/128",
          "fc00::/7",
          "fe80::/10",
          "ff00::/8",
          "64:ff9b::/96",
          "64:ff9b:1::/48");

  public SourceAccess {
    Objects.requireNonNull(operatorNamespace, "operatorNamespace");
    allowedCidrs = List.copyOf(allowedCidrs);
    allowedCidrs.forEach(SourceAccess::parse);
  }

  /** Production: public https destinations only. */
  public static SourceAccess publicOnly(String operatorNamespace) {
    return new SourceAccess(operatorNamespace, List.of());
  }

  /** Resolves a host name to its addresses; tests use one that answers differently each time. */
  @FunctionalInterface
  public interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  /** The JVM's resolver (and its cache). */
  public static final Resolver SYSTEM = InetAddress::getAllByName;

  /**
   * The outcome of checking a destination: why it is refused (empty when it may be reached) and the
   * addresses the check resolved and accepted (empty when the host is unknown: the request reports
   * it).
   */
  public record Checked(Optional<String> refusal, List<InetAddress> addresses) {}

  /** Why a request to {@code uri} must not be sent, or empty when it may. Resolves the host. */
  public Optional<String> refusal(URI uri) {
    return check(uri, SYSTEM).refusal();
  }

  /** Resolves the host of {@code uri} once with {@code resolver} and checks every address. */
  public Checked check(URI uri, Resolver resolver) {
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      return new Checked(Optional.of("the URL has no host"), List.of());
    }
    InetAddress[] addresses;
    try {
      addresses =
          resolver.resolve(host.startsWith("[") ? host.substring(1, host.length() - 1) : host);
    } catch (UnknownHostException e) {
      return new Checked(
          Optional.empty(), List.of()); // the request itself reports the unknown host
    }
    boolean allAllowed = true;
    for (InetAddress a : addresses) {
      boolean allowed = matchesAny(a, allowedCidrs);
      allAllowed &= allowed;
      if (!allowed && matchesAny(a, NON_PUBLIC)) {
        return new Checked(
            Optional.of(
                host
                    + " resolves to "
                    + a.getHostAddress()
                    + ", which is not a public address;"
                    + " URL sources may only reach public hosts (the operator's --blocklist-allowed-cidrs setting can allow a range)"),
            List.of());
      }
    }
    String scheme = Objects.toString(uri.getScheme(), "").toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !allAllowed) {
      return new Checked(
          Optional.of("plain " + scheme + " to " + host + " is refused; use an https URL"),
          List.of());
    }
    return new Checked(Optional.empty(), List.of(addresses));
  }

  /** Whether an authSecret may be read from this Secret (its namespace or its opt-in label). */
  public boolean mayUse(Secret secret) {
    if (operatorNamespace.equals(secret.getMetadata().getNamespace())) {
      return true;
    }
    Map<String, String> labels = secret.getMetadata().getLabels();
    return labels != null && "true".equals(labels.get(AUTH_SECRET_LABEL));
  }

  private static boolean matchesAny(InetAddress address, List<String> cidrs) {
    byte[] bytes = address.getAddress();
    for (String cidr : cidrs) {
      Prefix p = parse(cidr);
      if (p.bytes().length == bytes.length && p.contains(bytes)) {
        return true;
      }
    }
    return false;
  }

  private record Prefix(byte[] bytes, int length) {
    boolean contains(byte[] address) {
      for (int bit = 0; bit < length; bit++) {
        int mask = 0x80 >> (bit % 8);
        if ((address[bit / 8] & mask) != (bytes[bit / 8] & mask)) {
          return false;
        }
      }
      return true;
    }
  }

  private static Prefix parse(String cidr) {
    int slash = cidr.indexOf('/');
    String literal = slash < 0 ? cidr : cidr.substring(0, slash);
    if (!literal.matches("[0-9a-fA-F:.]+")) {
      // Never resolve a name here: these are address ranges.
      throw new IllegalArgumentException("'" + cidr + "' is not a CIDR");
    }
    try {
      byte[] bytes = InetAddress.getByName(literal).getAddress();
      int length = slash < 0 ? bytes.length * 8 : Integer.parseInt(cidr.substring(slash + 1));
      if (length < 0 || length > bytes.length * 8) {
        throw new IllegalArgumentException("'" + cidr + "' has a bad prefix length");
      }
      return new Prefix(bytes, length);
    } catch (UnknownHostException | NumberFormatException e) {
      throw new IllegalArgumentException("'" + cidr + "' is not a CIDR", e);
    }
  }
}
