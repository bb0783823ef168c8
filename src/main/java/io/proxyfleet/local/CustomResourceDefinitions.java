package io.proxyfleet.local;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** The generated CRDs, as packaged in the jar (the same bytes as {@code crds/}). */
public final class CustomResourceDefinitions {

  public static final List<String> FILES =
      List.of(
          "proxyfleets.proxyfleet.io-v1.yml",
          "proxies.proxyfleet.io-v1.yml",
          "cloudprofiles.proxyfleet.io-v1.yml",
          "blocklists.proxyfleet.io-v1.yml",
          "vantages.proxyfleet.io-v1.yml");

  private CustomResourceDefinitions() {}

  public static List<CustomResourceDefinition> all() {
    List<CustomResourceDefinition> out = new ArrayList<>();
    for (String file : FILES) {
      try (InputStream in =
          CustomResourceDefinitions.class.getResourceAsStream("/META-INF/fabric8/" + file)) {
        if (in == null) {
          throw new IllegalStateException(
              "CRD " + file + " is not on the class path; build with ./mvnw package");
        }
        out.add(Serialization.unmarshal(in, CustomResourceDefinition.class));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }
}
