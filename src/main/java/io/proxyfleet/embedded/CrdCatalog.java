package io.proxyfleet.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.http.MockResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The CRDs currently stored in the CRUD dispatcher.
 *
 * <p>Read from the store on every use rather than cached, so a CRD created by anyone (installCrds,
 * the operator, {@code kubectl apply}) shows up in discovery at once and a deleted one disappears.
 */
final class CrdCatalog {

  static final String CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

  /** One served version of a CRD. */
  record Served(CustomResourceDefinition crd, CustomResourceDefinitionVersion version) {
    String group() {
      return crd.getSpec().getGroup();
    }

    String plural() {
      return crd.getSpec().getNames().getPlural();
    }

    String kind() {
      return crd.getSpec().getNames().getKind();
    }

    boolean namespaced() {
      return !"Cluster".equalsIgnoreCase(crd.getSpec().getScope());
    }

    boolean hasStatusSubresource() {
      return version.getSubresources() != null && version.getSubresources().getStatus() != null;
    }

    boolean hasScaleSubresource() {
      return version.getSubresources() != null && version.getSubresources().getScale() != null;
    }
  }

  private record Parsed(JsonNode items, List<CustomResourceDefinition> crds) {}

  private final KubernetesCrudDispatcher store;
  private final KubernetesSerialization serialization;
  private final AtomicReference<Parsed> parsed = new AtomicReference<>();

  CrdCatalog(KubernetesCrudDispatcher store, KubernetesSerialization serialization) {
    this.store = store;
    this.serialization = serialization;
  }

  List<CustomResourceDefinition> all() {
    MockResponse response = store.handleGet(CRD_PATH);
    if (response.code() != 200 || response.getBody() == null) {
      return List.of();
    }
    try {
      JsonNode items = Json.MAPPER.readTree(response.getBody().getBytes()).path("items");
      // Discovery reads the CRDs several times per kubectl command; converting them to the model
      // is the expensive part, so it is done again only when a CRD actually changed.
      Parsed last = parsed.get();
      if (last != null && last.items().equals(items)) {
        return last.crds();
      }
      List<CustomResourceDefinition> crds = new ArrayList<>();
      for (JsonNode item : items) {
        CustomResourceDefinition crd =
            serialization.convertValue(item, CustomResourceDefinition.class);
        if (crd.getSpec() != null && crd.getSpec().getNames() != null) {
          crds.add(crd);
        }
      }
      Parsed fresh = new Parsed(items, List.copyOf(crds));
      parsed.set(fresh);
      return fresh.crds();
    } catch (IOException e) {
      throw new UncheckedIOException("unreadable CRD list in the store", e);
    }
  }

  /** Every served version of every stored CRD. */
  List<Served> served() {
    List<Served> result = new ArrayList<>();
    for (CustomResourceDefinition crd : all()) {
      for (CustomResourceDefinitionVersion version : crd.getSpec().getVersions()) {
        if (Boolean.TRUE.equals(version.getServed())) {
          result.add(new Served(crd, version));
        }
      }
    }
    return result;
  }

  Optional<Served> find(String group, String version, String plural) {
    return served().stream()
        .filter(s -> s.group().equals(group))
        .filter(s -> s.version().getName().equals(version))
        .filter(s -> s.plural().equals(plural))
        .findFirst();
  }
}
