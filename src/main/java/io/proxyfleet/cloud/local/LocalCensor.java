package io.proxyfleet.cloud.local;

import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.IpAddresses;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * The censor of local mode's world: connections from the censored network ({@code 127.254.0.0/16},
 * where local mode's {@code inside} vantage sits) to a censored address are dropped, as real
 * censors do: accepted and never answered, so the client times out instead of being refused.
 * Connections from anywhere else always get through. What is censored is set by whoever plays the
 * world (local mode reads the {@code local-censor} ConfigMap); the operator never learns it except
 * by probing.
 */
public final class LocalCensor {

  /** The censored network's addresses: probes from here see the censorship. */
  public static final String CENSORED_NETWORK = "127.254.0.0/16";

  private static final BlockIndex INSIDE =
      BlockIndex.builder().add(IpAddresses.parseRange(CENSORED_NETWORK)).build();

  private volatile BlockIndex censored = BlockIndex.EMPTY;

  /** An address inside the censored network to probe from. */
  public static InetAddress insideAddress(int n) {
    if (n < 1 || n > 65_534) {
      throw new IllegalArgumentException("n must be 1 to 65534");
    }
    try {
      return InetAddress.getByAddress(new byte[] {127, (byte) 254, (byte) (n >> 8), (byte) n});
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  /** What the censor blocks from now on. */
  public record Update(int censored, List<String> skipped) {}

  /**
   * Replaces what is censored with these addresses and CIDRs (one per line; blank lines and {@code
   * #} comments ignored). Lines that do not parse are skipped and returned, never fatal.
   */
  public Update censor(String lines) {
    BlockIndex.Builder builder = BlockIndex.builder();
    List<String> skipped = new java.util.ArrayList<>();
    int count = 0;
    for (String raw : (lines == null ? "" : lines).split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      try {
        builder.add(IpAddresses.parseRange(line));
        count++;
      } catch (IllegalArgumentException e) {
        skipped.add(line);
      }
    }
    censored = builder.build();
    return new Update(count, List.copyOf(skipped));
  }

  /** Whether a connection between these ends is dropped. */
  public boolean drops(SocketAddress from, SocketAddress to) {
    if (!(from instanceof InetSocketAddress source)
        || !(to instanceof InetSocketAddress target)
        || source.getAddress() == null
        || target.getAddress() == null) {
      return false;
    }
    BlockIndex now = censored;
    return !now.isEmpty()
        && INSIDE.match(source.getAddress().getHostAddress()).isPresent()
        && now.match(target.getAddress().getHostAddress()).isPresent();
  }
}
