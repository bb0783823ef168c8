package io.proxyfleet.block;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The published block index of every Blocklist, by name. The Blocklist reconciler publishes; fleet
 * and proxy reconcilers look up; listeners hear which list changed so they can re-evaluate the
 * fleets that use it. Publishing swaps an immutable index, so lookups never wait for a rebuild.
 */
public final class BlockIndexRegistry {

  private final Map<String, BlockIndex> published = new ConcurrentHashMap<>();
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

  /** Publishes (or replaces) a list's index and tells the listeners. */
  public void publish(String blocklist, BlockIndex index) {
    BlockIndex previous = published.put(blocklist, index);
    if (previous != index) {
      listeners.forEach(l -> l.accept(blocklist));
    }
  }

  /** Withdraws a deleted list and tells the listeners. */
  public void withdraw(String blocklist) {
    if (published.remove(blocklist) != null) {
      listeners.forEach(l -> l.accept(blocklist));
    }
  }

  /** Whether a list has been published (exists and was parsed). */
  public boolean isPublished(String blocklist) {
    return published.containsKey(blocklist);
  }

  /** Registers a callback run with a list's name after it is published or withdrawn. */
  public void addListener(Consumer<String> listener) {
    listeners.add(listener);
  }

  /** The first of the named lists that blocks the address, in the order given. */
  public Optional<BlockMatch> match(Collection<String> blocklists, String ip) {
    if (ip == null || blocklists == null) {
      return Optional.empty();
    }
    for (String name : blocklists) {
      BlockIndex index = published.get(name);
      if (index != null) {
        Optional<IpRange> range = index.match(ip);
        if (range.isPresent()) {
          return Optional.of(new BlockMatch(name, range.get().describe()));
        }
      }
    }
    return Optional.empty();
  }

  /** A lookup bound to a fleet's lists, for code that should not know about the registry. */
  public BlockChecker checkerFor(Collection<String> blocklists) {
    List<String> names = List.copyOf(blocklists == null ? List.of() : blocklists);
    return ip -> match(names, ip);
  }

  /**
   * The union of the named lists' indexes, cached until one of them is republished: fleets ask for
   * it on every reconcile to compute region exposure, and merging a registry-sized list each time
   * would be wasteful.
   */
  public BlockIndex union(Collection<String> blocklists) {
    List<BlockIndex> parts = new ArrayList<>();
    for (String name : blocklists == null ? List.<String>of() : blocklists) {
      BlockIndex index = published.get(name);
      if (index != null && !index.isEmpty()) {
        parts.add(index);
      }
    }
    if (parts.isEmpty()) {
      return BlockIndex.EMPTY;
    }
    if (parts.size() == 1) {
      return parts.get(0);
    }
    Union cached = lastUnion;
    if (cached != null && sameInstances(cached.parts(), parts)) {
      return cached.index();
    }
    BlockIndex.Builder builder = BlockIndex.builder();
    parts.forEach(builder::addAll);
    BlockIndex index = builder.build();
    lastUnion = new Union(List.copyOf(parts), index);
    return index;
  }

  private record Union(List<BlockIndex> parts, BlockIndex index) {}

  private volatile Union lastUnion;

  private static boolean sameInstances(List<BlockIndex> a, List<BlockIndex> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i) != b.get(i)) {
        return false;
      }
    }
    return true;
  }
}
