package io.proxyfleet.secrets;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fleets' Secrets ({@code <fleet>-credentials}, {@code <fleet>-endpoints}, or a credentials
 * Secret the fleet names), read by name and shared by the fleet and proxy controllers.
 *
 * <p>An informer would need {@code list} and {@code watch} on every Secret of every watched
 * namespace, which is the power to read any credential in the cluster. Reading by name needs only
 * {@code get}, so the operator's RBAC can leave {@code list}/{@code watch} on Secrets out. What the
 * operator wrote or read is trusted for {@link #TRUSTED_FOR}; after that the next reader asks the
 * server again, so a Secret someone edited or deleted by hand is seen within that time instead of
 * at once as a watch would. The proxy controller launching a thousand proxies of one fleet reads
 * the fleet's credentials once instead of a thousand times; it launches with what the fleet
 * publishes, since both read the same entry. An absent Secret is never remembered.
 */
public final class SecretsByName {

  /** How long a Secret this process read or wrote is used without asking the server again. */
  public static final Duration TRUSTED_FOR = Duration.ofSeconds(30);

  private record Key(String namespace, String name) {}

  private record Entry(Secret secret, Instant seen) {}

  private final KubernetesClient client;
  private final Clock clock;
  private final Map<Key, Entry> known = new ConcurrentHashMap<>();

  public SecretsByName(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  /** The Secret as last seen, asking the server when it is unknown or seen too long ago. */
  public Optional<Secret> get(String namespace, String name) {
    Key key = new Key(namespace, name);
    Entry entry = known.get(key);
    Instant now = Instant.now(clock);
    if (entry != null && now.isBefore(entry.seen().plus(TRUSTED_FOR))) {
      return Optional.of(entry.secret());
    }
    Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
    if (secret == null) {
      known.remove(key);
      return Optional.empty();
    }
    known.put(key, new Entry(secret, now));
    return Optional.of(secret);
  }

  /** Records a Secret this process just created or updated (the server's answer). */
  public void remember(Secret written) {
    known.put(
        new Key(written.getMetadata().getNamespace(), written.getMetadata().getName()),
        new Entry(written, Instant.now(clock)));
  }

  /** Drops what is known about a Secret, for example when its fleet is deleted. */
  public void forget(String namespace, String name) {
    known.remove(new Key(namespace, name));
  }
}
