package io.proxyfleet.cloud.ledger;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * How a ledger names what it creates. Ids are never reused within a ledger, so a late terminate of
 * an old id cannot reach a newer instance. Not thread-safe; the ledger calls it under its lock.
 */
public interface LedgerIds {

  /** A new id for an instance launched for {@code ownerUid}. */
  String instanceId(String ownerUid);

  /** A new id for an allocation of {@code ip}. */
  String addressId(String ip);

  /**
   * Counters ({@code i-00000000000000001}, {@code eipalloc-00000000000000001}): constant memory
   * over long simulations, where nobody needs to predict an id.
   */
  static LedgerIds sequential() {
    return new LedgerIds() {
      private long instances;
      private long addresses;

      @Override
      public String instanceId(String ownerUid) {
        return String.format("i-%017x", ++instances);
      }

      @Override
      public String addressId(String ip) {
        return String.format("eipalloc-%017x", ++addresses);
      }
    };
  }

  /**
   * Derived from the owner, so a test or a log reader can predict an instance's id ({@code i-} and
   * 17 hex digits of SHA-256 of the owner UID; a relaunch for the same owner hashes {@code uid#1},
   * {@code uid#2}, ...). Remembers every id it issued.
   */
  static LedgerIds derived() {
    return new LedgerIds() {
      private final Set<String> issued = new HashSet<>();
      private long allocations;

      @Override
      public String instanceId(String ownerUid) {
        for (int generation = 0; ; generation++) {
          String seed = generation == 0 ? ownerUid : ownerUid + "#" + generation;
          String id = "i-" + sha256Hex(seed).substring(0, 17);
          if (issued.add(id)) {
            return id;
          }
        }
      }

      @Override
      public String addressId(String ip) {
        return "eipalloc-" + sha256Hex(ip + "#" + ++allocations).substring(0, 17);
      }
    };
  }

  private static String sha256Hex(String s) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
