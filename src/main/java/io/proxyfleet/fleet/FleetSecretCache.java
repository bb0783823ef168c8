package io.proxyfleet.fleet;

import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.proxyfleet.secrets.SecretsByName;
import java.util.Optional;

/** The fleet's write-through view of the operator's by-name Secret cache. */
final class FleetSecretCache implements WriteThroughCache<Secret> {

  private final SecretsByName secrets;

  FleetSecretCache(SecretsByName secrets) {
    this.secrets = secrets;
  }

  @Override
  public Optional<Secret> get(ResourceID id) {
    return secrets.get(id.getNamespace().orElseThrow(), id.getName());
  }

  @Override
  public void remember(Secret written) {
    secrets.remember(written);
  }

  @Override
  public void forget(ResourceID id) {
    secrets.forget(id.getNamespace().orElseThrow(), id.getName());
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
