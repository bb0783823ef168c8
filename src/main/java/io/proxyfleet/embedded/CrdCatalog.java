package io.proxyfleet.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
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
 * <p>Read again from the store whenever a CRD was written since the last read, so a CRD created by
 * anyone (installCrds, the operator, {@code kubectl apply}) shows up in discovery at once and a
 * deleted one disappears. Every write to a custom resource looks its CRD up; reading, parsing and
 * comparing the whole CRD list each time was half of the embedded API's CPU while a thousand
 * proxies launched.
 */
final class CrdCatalog {

  static final String CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

  private static final String PLURAL = "customresourcedefinitions";

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

  private record Parsed(long writes, List<CustomResourceDefinition> crds, List<Served> served) {}

  private final ObjectStore store;
  private final KubernetesSerialization serialization;
  private final AtomicReference<Parsed> parsed = new AtomicReference<>();

  CrdCatalog(ObjectStore store, KubernetesSerialization serialization) {
    this.store = store;
    this.serialization = serialization;
  }

  List<CustomResourceDefinition> all() {
    return current().crds();
  }

  /** Every served version of every stored CRD. */
  List<Served> served() {
    return current().served();
  }

  private Parsed current() {
    // Counted before reading: a CRD written in between makes the next call read again.
    long writes = store.writesOf(PLURAL);
    Parsed last = parsed.get();
    if (last != null && last.writes() == writes) {
      return last;
    }
    MockResponse response = store.handleGet(CRD_PATH);
    List<CustomResourceDefinition> crds = new ArrayList<>();
    if (response.code() == 200 && response.getBody() != null) {
      try {
        for (JsonNode item : Json.MAPPER.readTree(response.getBody().getBytes()).path("items")) {
          CustomResourceDefinition crd =
              serialization.convertValue(item, CustomResourceDefinition.class);
          if (crd.getSpec() != null && crd.getSpec().getNames() != null) {
            crds.add(crd);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("unreadable CRD list in the store", e);
      }
    }
    List<Served> served = new ArrayList<>();
    for (CustomResourceDefinition crd : crds) {
      for (CustomResourceDefinitionVersion version : crd.getSpec().getVersions()) {
        if (Boolean.TRUE.equals(version.getServed())) {
          served.add(new Served(crd, version));
        }
      }
    }
    Parsed fresh = new Parsed(writes, List.copyOf(crds), List.copyOf(served));
    parsed.set(fresh);
    return fresh;
  }

  Optional<Served> find(String group, String version, String plural) {
    return served().stream()
        .filter(s -> s.group().equals(group))
        .filter(s -> s.version().getName().equals(version))
        .filter(s -> s.plural().equals(plural))
        .findFirst();
  }
}
