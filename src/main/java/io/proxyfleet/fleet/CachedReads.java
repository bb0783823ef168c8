package io.proxyfleet.fleet;

import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.proxyfleet.api.ApiGroup;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.Vantage;
import io.proxyfleet.secrets.FleetSecrets;
import io.proxyfleet.vantage.ClusterReads;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the fleet controller already holds in memory, read by others in this process instead of
 * asking the API server again: the fleets, their Proxies and Vantages from the informers, and the
 * fleets' credentials through the same by-name Secret cache. The reachability checks run every few
 * seconds; before this they listed fleets, Proxies and Vantages on every pass (about 0.6 requests a
 * second per fleet). Objects returned are the caches' own: read them, never change them.
 */
public final class CachedReads implements ClusterReads {

  private final IndexerResourceCache<ProxyFleet> fleets;
  private final InformerEventSource<Proxy, ProxyFleet> proxies;
  private final InformerEventSource<Vantage, ProxyFleet> vantages;
  private final WriteThroughCache<Secret> secrets;

  CachedReads(
      IndexerResourceCache<ProxyFleet> fleets,
      InformerEventSource<Proxy, ProxyFleet> proxies,
      InformerEventSource<Vantage, ProxyFleet> vantages,
      WriteThroughCache<Secret> secrets) {
    this.fleets = fleets;
    this.proxies = proxies;
    this.vantages = vantages;
    this.secrets = secrets;
  }

  @Override
  public List<ProxyFleet> fleets() {
    return fleets.list(f -> true).toList();
  }

  /** The fleet's Proxies, by its label (as the agent and kubectl select them). */
  @Override
  public List<Proxy> proxiesOf(ProxyFleet fleet) {
    String name = fleet.getMetadata().getName();
    return proxies
        .list(
            fleet.getMetadata().getNamespace(),
            p ->
                p.getMetadata().getLabels() != null
                    && name.equals(p.getMetadata().getLabels().get(ApiGroup.FLEET_LABEL)))
        .toList();
  }

  @Override
  public List<Vantage> vantagesIn(String namespace) {
    return vantages.list(namespace, v -> true).toList();
  }

  /**
   * The fleet's credentials Secret, trusted for a short while after it was read (see
   * SecretsByName).
   */
  @Override
  public Optional<Secret> credentials(ProxyFleet fleet) {
    return secrets.get(
        new ResourceID(
            FleetSecrets.credentialsName(fleet),
            Objects.requireNonNull(fleet.getMetadata().getNamespace())));
  }
}
