package io.proxyfleet.cloud;

import io.proxyfleet.api.MtprotoSpec;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Objects;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * An MTProto FakeTLS secret: 16 random bytes plus the domain whose TLS handshake the proxy
 * imitates. Clients get {@code ee<key hex><domain hex>}; the daemon gets the key and the domain
 * separately.
 *
 * <p>FakeTLS, because censors fingerprint the classic and "dd" secrets: with {@code ee} the first
 * bytes on the wire are a TLS ClientHello naming the domain. Never printed: {@link #toString()}
 * hides it.
 */
public record FakeTlsSecret(String key, String domain) {

  /** 16 bytes, lowercase hex: the form mtprotoproxy's USERS and the credentials Secret hold. */
  public static final Pattern KEY = Pattern.compile("^[0-9a-f]{32}$");

  private static final Pattern DOMAIN = Pattern.compile(MtprotoSpec.DOMAIN_PATTERN);

  public FakeTlsSecret {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(domain, "domain");
    if (!KEY.matcher(key).matches()) {
      throw new IllegalArgumentException("an MTProto secret key is 32 lowercase hex digits");
    }
    if (!validDomain(domain)) {
      throw new IllegalArgumentException("'" + domain + "' is not a hostname FakeTLS can imitate");
    }
  }

  public static boolean validDomain(String domain) {
    return domain != null
        && domain.length() <= MtprotoSpec.MAX_DOMAIN
        && DOMAIN.matcher(domain).matches();
  }

  /** A fresh key from a cryptographically strong generator. */
  public static String newKey(RandomGenerator secureRandom) {
    byte[] bytes = new byte[16];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) secureRandom.nextInt(256);
    }
    return HexFormat.of().formatHex(bytes);
  }

  /** What clients put in {@code secret=}: {@code ee}, the key, then the domain's bytes in hex. */
  public String clientSecret() {
    return "ee" + key + HexFormat.of().formatHex(domain.getBytes(StandardCharsets.US_ASCII));
  }

  /** Reads a client secret back; throws IllegalArgumentException when it is not a FakeTLS one. */
  public static FakeTlsSecret parse(String clientSecret) {
    if (clientSecret == null
        || !clientSecret.startsWith("ee")
        || clientSecret.length() < 2 + 32 + 2
        || clientSecret.length() % 2 != 0) {
      throw new IllegalArgumentException(
          "not a FakeTLS secret (ee + 32 hex digits + domain in hex)");
    }
    byte[] domain = HexFormat.of().parseHex(clientSecret.substring(34));
    return new FakeTlsSecret(
        clientSecret.substring(2, 34), new String(domain, StandardCharsets.US_ASCII));
  }

  @Override
  public String toString() {
    return "FakeTlsSecret[key=<redacted>, domain=" + domain + "]";
  }
}
