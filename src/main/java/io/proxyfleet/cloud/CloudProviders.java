package io.proxyfleet.cloud;

import io.proxyfleet.api.CloudProfile;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Provider objects per CloudProfile, rebuilt when the profile's generation changes (new
 * credentials, endpoint or settings) and closed when replaced or when the operator stops.
 */
public final class CloudProviders implements AutoCloseable {

  private final Map<String, CloudProviderFactory> factories;
  private final CloudCallObserver observer;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  private record Cached(String uid, Long generation, CloudProvider provider) {}

  public CloudProviders(List<CloudProviderFactory> factories) {
    this(factories, CloudCallObserver.NONE);
  }

  /** Every provider handed out reports its operations to {@code observer} (metrics). */
  public CloudProviders(List<CloudProviderFactory> factories, CloudCallObserver observer) {
    this.factories =
        factories.stream()
            .collect(Collectors.toUnmodifiableMap(CloudProviderFactory::type, Function.identity()));
    this.observer = observer;
  }

  /**
   * The provider for a profile; throws {@link CloudException} INVALID for an unsupported provider.
   */
  public CloudProvider forProfile(CloudProfile profile) {
    String key = profile.getMetadata().getNamespace() + "/" + profile.getMetadata().getName();
    Cached cached = cache.get(key);
    if (cached != null
        && Objects.equals(cached.uid(), profile.getMetadata().getUid())
        && Objects.equals(cached.generation(), profile.getMetadata().getGeneration())) {
      return cached.provider();
    }
    if (profile.getSpec() != null && !profile.getSpec().getUnreadableFields().isEmpty()) {
      // Defaults stand where the bad values were: building a client from them would act on a guess.
      throw new CloudException(
          CloudException.Reason.INVALID,
          "CloudProfile "
              + key
              + ": "
              + profile.getSpec().getUnreadableFields().stream()
                  .map(Object::toString)
                  .collect(Collectors.joining("; ")));
    }
    String type =
        profile.getSpec() == null || profile.getSpec().getProvider() == null
            ? null
            : profile.getSpec().getProvider();
    CloudProviderFactory factory = type == null ? null : factories.get(type);
    if (factory == null) {
      throw new CloudException(
          CloudException.Reason.INVALID,
          "CloudProfile "
              + key
              + ": spec.provider '"
              + type
              + "' is not available in this build;"
              + " supported: "
              + String.join(", ", factories.keySet().stream().sorted().toList()));
    }
    // One provider per (profile, generation), built atomically: two reconcilers asking at once for
    // a
    // new profile once each built one and the second closed the first while its caller used it
    // (calls then failed with the client's executor "Terminated").
    CloudProvider[] replaced = new CloudProvider[1];
    Cached current =
        cache.compute(
            key,
            (k, existing) -> {
              if (existing != null
                  && Objects.equals(existing.uid(), profile.getMetadata().getUid())
                  && Objects.equals(existing.generation(), profile.getMetadata().getGeneration())) {
                return existing;
              }
              CloudProvider created = factory.create(profile);
              replaced[0] = existing == null ? null : existing.provider();
              return new Cached(
                  profile.getMetadata().getUid(),
                  profile.getMetadata().getGeneration(),
                  observer == CloudCallObserver.NONE
                      ? created
                      : new ObservedCloudProvider(created, observer));
            });
    if (replaced[0] != null) {
      replaced[0].close();
    }
    return current.provider();
  }

  /** Drops the cached provider so the next use re-reads credentials (a Secret fixed in place). */
  public void invalidate(CloudProfile profile) {
    Cached cached =
        cache.remove(profile.getMetadata().getNamespace() + "/" + profile.getMetadata().getName());
    if (cached != null) {
      cached.provider().close();
    }
  }

  @Override
  public void close() {
    cache.values().forEach(c -> c.provider().close());
    cache.clear();
  }
}
