package io.proxyfleet.cloud.local;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.proxyfleet.cloud.ProxyCredentials;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Locale;

/** Checks client credentials against a proxy's in constant time; never exposes the secret. */
final class CredentialCheck {

  private final byte[] username;
  private final byte[] password;

  CredentialCheck(ProxyCredentials credentials) {
    this.username = credentials.username().getBytes(UTF_8);
    this.password = credentials.password().getBytes(UTF_8);
  }

  boolean matches(String user, String pass) {
    if (user == null || pass == null) {
      return false;
    }
    // Expected value first: MessageDigest.isEqual's running time depends on its first argument
    // only.
    // Both halves are always compared so the timing does not reveal which one was wrong.
    boolean userOk = MessageDigest.isEqual(username, user.getBytes(UTF_8));
    boolean passOk = MessageDigest.isEqual(password, pass.getBytes(UTF_8));
    return userOk & passOk;
  }

  /** Checks a {@code Proxy-Authorization} value of the form {@code Basic base64(user:pass)}. */
  boolean matchesBasic(String headerValue) {
    if (headerValue == null) {
      return false;
    }
    String value = headerValue.trim();
    int space = value.indexOf(' ');
    if (space < 0 || !value.substring(0, space).toLowerCase(Locale.ROOT).equals("basic")) {
      return false;
    }
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(value.substring(space + 1).trim()), UTF_8);
    } catch (IllegalArgumentException e) {
      return false;
    }
    // RFC 7617: the user-id cannot contain a colon, the password can.
    int colon = decoded.indexOf(':');
    return colon >= 0 && matches(decoded.substring(0, colon), decoded.substring(colon + 1));
  }
}
