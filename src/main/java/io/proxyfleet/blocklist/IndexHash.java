package io.proxyfleet.blocklist;

import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.IpRange;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A content hash of a merged index: sha256 over its merged IPv4 ranges, so the same ranges give the
 * same hash whatever sources, order, duplicates or format they came from.
 *
 * <p>{@link BlockIndex} does not expose its IPv6 ranges, so IPv6 enters the hash only as the number
 * of merged IPv6 ranges: two lists that differ only in where their IPv6 ranges lie hash alike.
 */
public final class IndexHash {

  private IndexHash() {}

  public static String of(BlockIndex index) {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    List<IpRange> v4 = index.ipv4Ranges();
    ByteBuffer buffer = ByteBuffer.allocate(8 * 1024);
    for (IpRange r : v4) {
      if (buffer.remaining() < 8) {
        digest.update(buffer.flip());
        buffer.clear();
      }
      buffer.putInt((int) r.startLo()).putInt((int) r.endLo());
    }
    digest.update(buffer.flip());
    digest.update(("v6:" + (index.rangeCount() - v4.size())).getBytes(StandardCharsets.US_ASCII));
    return HexFormat.of().formatHex(digest.digest());
  }

  /** Merged IPv6 ranges of an index. */
  public static int ipv6Ranges(BlockIndex index) {
    return index.rangeCount() - index.ipv4Ranges().size();
  }
}
