package io.proxyfleet.fleet;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.proxyfleet.api.ProxyFleet;
import java.util.Optional;

/**
 * The part of an informer the fleet reads and writes through: its own writes are recorded at once,
 * so the next pass sees them before the watch delivers them. In production it is the informer; a
 * reconciler test passes a map and can play a lagging informer.
 */
interface WriteThroughCache<R extends HasMetadata> {

  Optional<R> get(ResourceID id);

  void handleRecentResourceCreate(ResourceID id, R resource);

  void handleRecentResourceUpdate(ResourceID id, R resource, R previous);

  /** Records what this process just created or updated (the server's answer). */
  default void remember(R written) {
    handleRecentResourceUpdate(ResourceID.fromResource(written), written, null);
  }

  /** Drops what is known about an object this process deleted. */
  default void forget(ResourceID id) {}

  static <R extends HasMetadata> WriteThroughCache<R> of(
      InformerEventSource<R, ProxyFleet> informer) {
    return new WriteThroughCache<>() {
      @Override
      public Optional<R> get(ResourceID id) {
        return informer.get(id);
      }

      @Override
      public void handleRecentResourceCreate(ResourceID id, R resource) {
        informer.handleRecentResourceCreate(id, resource);
      }

      @Override
      public void handleRecentResourceUpdate(ResourceID id, R resource, R previous) {
        informer.handleRecentResourceUpdate(id, resource, previous);
      }
    };
  }
}
