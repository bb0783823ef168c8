package io.proxyfleet.cloud.boot;

import java.util.regex.Pattern;

/**
 * A file the boot script downloads and runs only if its SHA-256 matches. The URL may point at a
 * mirror (the Debian test serves the file from a local HTTP server); the checksum never changes
 * with it.
 */
public record PinnedDownload(String url, String sha256) {

  private static final Pattern SHA256 = Pattern.compile("^[0-9a-f]{64}$");
  // A URL goes into the script single-quoted; refuse anything that could end the quote or a line.
  private static final Pattern SAFE_URL =
      Pattern.compile("^https?://[A-Za-z0-9._~:/?#\\[\\]@!$&()*+,;=%-]+$");

  /**
   * mtprotoproxy (github.com/alexbers/mtprotoproxy, MIT), one Python file pinned to a commit. It
   * serves FakeTLS ("ee") secrets with a configurable domain and forwards non-Telegram clients to
   * that domain, so a censor probing the port sees the real site. SHA-256 of the file at that
   * commit.
   */
  public static final PinnedDownload MTPROTOPROXY =
      new PinnedDownload(
          "https://raw.githubusercontent.com/alexbers/mtprotoproxy/b26873176ac9c3a039887ddbb9eab0a038170477/mtprotoproxy.py",
          "a9a0012046dce6d4306db34ea43a9668f5c6121ac11b7636f5debb362bfefa25");

  public PinnedDownload {
    if (url == null || !SAFE_URL.matcher(url).matches() || url.contains("'")) {
      throw new IllegalArgumentException("not a plain http(s) URL: " + url);
    }
    if (sha256 == null || !SHA256.matcher(sha256).matches()) {
      throw new IllegalArgumentException("a SHA-256 is 64 lowercase hex digits");
    }
  }

  /** The same file from another place (a mirror); the checksum stays. */
  public PinnedDownload from(String mirrorUrl) {
    return new PinnedDownload(mirrorUrl, sha256);
  }
}
