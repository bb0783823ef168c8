package io.proxyfleet.embedded;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/** The test CRDs: namespaced {@code Widget} (wd) and cluster-scoped {@code Gadget} (gd). */
final class TestCrds {

  static final String GROUP = "example.proxyfleet.io";
  static final String API_VERSION = GROUP + "/v1";

  static final ResourceDefinitionContext WIDGETS =
      new ResourceDefinitionContext.Builder()
          .withGroup(GROUP)
          .withVersion("v1")
          .withKind("Widget")
          .withPlural("widgets")
          .withNamespaced(true)
          .build();

  static final ResourceDefinitionContext GADGETS =
      new ResourceDefinitionContext.Builder()
          .withGroup(GROUP)
          .withVersion("v1")
          .withKind("Gadget")
          .withPlural("gadgets")
          .withNamespaced(false)
          .build();

  private TestCrds() {}

  static CustomResourceDefinition widgets() {
    return load("widgets-crd.yaml");
  }

  static CustomResourceDefinition gadgets() {
    return load("gadgets-crd.yaml");
  }

  static List<CustomResourceDefinition> all() {
    return List.of(widgets(), gadgets());
  }

  static GenericKubernetesResource widget(String name, int size) {
    return new GenericKubernetesResourceBuilder()
        .withApiVersion(API_VERSION)
        .withKind("Widget")
        .withNewMetadata()
        .withName(name)
        .withNamespace("default")
        .endMetadata()
        .withAdditionalProperties(Map.of("spec", Map.of("size", size, "color", "red")))
        .build();
  }

  static GenericKubernetesResource gadget(String name, String region) {
    return new GenericKubernetesResourceBuilder()
        .withApiVersion(API_VERSION)
        .withKind("Gadget")
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withAdditionalProperties(Map.of("spec", Map.of("region", region)))
        .build();
  }

  private static CustomResourceDefinition load(String resource) {
    try (InputStream in = TestCrds.class.getResourceAsStream("/embedded/" + resource)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource /embedded/" + resource);
      }
      return new KubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
