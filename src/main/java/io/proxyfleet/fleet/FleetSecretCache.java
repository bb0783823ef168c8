package io.proxyfleet.fleet;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fleets' own Secrets ({@code <fleet>-credentials}, {@code <fleet>-endpoints}), read by name.
 *
 * <p>An informer would need {@code list} and {@code watch} on every Secret of every watched
 * namespace, which is the power to read any credential in the cluster. Reading by name needs only
 * {@code get}, so the operator's RBAC can leave {@code list}/{@code watch} on Secrets out. What the
 * fleet wrote or read is trusted for {@link #TRUSTED_FOR}; after that the next pass asks the server
 * again, so a Secret someone edited or deleted by hand is repaired within that time (or the fleet's
 * next resync) instead of at once as a watch would.
 */
final class FleetSecretCache implements WriteThroughCache<Secret> {

  /** How long a Secret this process read or wrote is used without asking the server again. */
  static final Duration TRUSTED_FOR = Duration.ofSeconds(30);

  private record Entry(Secret secret, Instant seen) {}

  private final KubernetesClient client;
  private final Clock clock;
  private final Map<ResourceID, Entry> known = new ConcurrentHashMap<>();

  FleetSecretCache(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  /** The Secret as last seen, asking the server when it is unknown or seen too long ago. */
  @Override
  public Optional<Secret> get(ResourceID id) {
    Entry entry = known.get(id);
    Instant now = Instant.now(clock);
    if (entry != null && now.isBefore(entry.seen().plus(TRUSTED_FOR))) {
      return Optional.of(entry.secret());
    }
    Secret secret =
        client.secrets().inNamespace(id.getNamespace().orElseThrow()).withName(id.getName()).get();
    if (secret == null) {
      known.remove(id);
      return Optional.empty();
    }
    known.put(id, new Entry(secret, now));
    return Optional.of(secret);
  }

  /** Records a Secret this process just created or updated (the server's answer). */
  @Override
  public void remember(Secret written) {
    known.put(ResourceID.fromResource(written), new Entry(written, Instant.now(clock)));
  }

  /** Drops what is known about a Secret, for example when its fleet is deleted. */
  @Override
  public void forget(ResourceID id) {
    known.remove(id);
  }

  @Override
  public void handleRecentResourceCreate(ResourceID id, Secret created) {
    remember(created);
  }

  @Override
  public void handleRecentResourceUpdate(ResourceID id, Secret updated, Secret previous) {
    remember(updated);
  }
}
