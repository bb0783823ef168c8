package io.proxyfleet.cloud.ledger;

import java.util.function.LongPredicate;
import java.util.random.RandomGenerator;

/**
 * Where one allocation draws its public IPv4 address from. The ledger owns which addresses are
 * taken; the pool owns the shape of the address space (loopback subnets, published cloud prefixes),
 * so each in-memory cloud keeps its own draw and the rules stay in one place.
 */
@FunctionalInterface
public interface AddressPool {

  /**
   * Draws a free address (IPv4 as an unsigned 32-bit value).
   *
   * @param random the ledger's only source of randomness, so a seeded ledger repeats its draws
   * @param allocated whether an address is already allocated in this ledger
   * @throws io.proxyfleet.cloud.CloudException QUOTA_EXCEEDED, naming the region, when none is free
   */
  long draw(RandomGenerator random, LongPredicate allocated);
}
