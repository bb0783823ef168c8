package io.proxyfleet.block;

import java.util.Optional;

/** Answers whether an IP is blocked for one fleet, and by what. */
@FunctionalInterface
public interface BlockChecker {
  BlockChecker NONE = ip -> Optional.empty();

  Optional<BlockMatch> check(String ip);

  default boolean isBlocked(String ip) {
    return check(ip).isPresent();
  }
}
