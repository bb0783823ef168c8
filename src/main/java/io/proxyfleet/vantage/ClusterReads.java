package io.proxyfleet.vantage;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.proxyfleet.api.ApiGroup;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.Vantage;
import io.proxyfleet.secrets.FleetSecrets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a reachability pass reads. In the operator these are the fleet controller's informer caches
 * (no request per pass); {@link #api} asks the API server each time, for a controller running
 * without them.
 */
public interface ClusterReads {

  List<ProxyFleet> fleets();

  List<Proxy> proxiesOf(ProxyFleet fleet);

  List<Vantage> vantagesIn(String namespace);

  Optional<Secret> credentials(ProxyFleet fleet);

  /** Reads from the API server on every call, limited to {@code namespaces} (empty: all). */
  static ClusterReads api(KubernetesClient client, Set<String> namespaces) {
    return new ClusterReads() {
      @Override
      public List<ProxyFleet> fleets() {
        if (namespaces.isEmpty()) {
          return client.resources(ProxyFleet.class).inAnyNamespace().list().getItems();
        }
        List<ProxyFleet> all = new ArrayList<>();
        for (String ns : namespaces) {
          all.addAll(client.resources(ProxyFleet.class).inNamespace(ns).list().getItems());
        }
        return all;
      }

      @Override
      public List<Proxy> proxiesOf(ProxyFleet fleet) {
        return client
            .resources(Proxy.class)
            .inNamespace(fleet.getMetadata().getNamespace())
            .withLabel(ApiGroup.FLEET_LABEL, fleet.getMetadata().getName())
            .list()
            .getItems();
      }

      @Override
      public List<Vantage> vantagesIn(String namespace) {
        return client.resources(Vantage.class).inNamespace(namespace).list().getItems();
      }

      @Override
      public Optional<Secret> credentials(ProxyFleet fleet) {
        return Optional.ofNullable(
            client
                .secrets()
                .inNamespace(fleet.getMetadata().getNamespace())
                .withName(FleetSecrets.credentialsName(fleet))
                .get());
      }
    };
  }
}
