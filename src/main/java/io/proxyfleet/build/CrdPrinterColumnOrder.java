package io.proxyfleet.build;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.proxyfleet.api.Blocklist;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.api.Vantage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Puts the generated CRDs' printer columns in the order the API classes declare them.
 *
 * <p>Fabric8's CRD generator keys columns by JSONPath in a sorted map, so AGE ({@code
 * .metadata.creationTimestamp}) would always come first and {@code kubectl get} would not read
 * DESIRED, READY, BLOCKED, ROTATIONS, AGE. Runs in {@code process-classes} right after the
 * generator; the committed {@code crds/} are this step's output.
 */
public final class CrdPrinterColumnOrder {

  private static final List<Class<?>> RESOURCES =
      List.of(ProxyFleet.class, Proxy.class, CloudProfile.class, Blocklist.class, Vantage.class);

  private CrdPrinterColumnOrder() {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : "target/classes/META-INF/fabric8");
    for (Class<?> type : RESOURCES) {
      List<String> declared =
          Arrays.stream(type.getAnnotationsByType(AdditionalPrinterColumn.class))
              .map(AdditionalPrinterColumn::name)
              .toList();
      try (var files = Files.list(dir)) {
        for (Path file : files.toList()) {
          String yaml = Files.readString(file, StandardCharsets.UTF_8);
          CustomResourceDefinition crd =
              Serialization.unmarshal(yaml, CustomResourceDefinition.class);
          if (!crd.getSpec().getNames().getKind().equals(kindOf(type))) {
            continue;
          }
          crd.getSpec()
              .getVersions()
              .forEach(
                  v -> {
                    if (v.getAdditionalPrinterColumns() != null) {
                      v.getAdditionalPrinterColumns()
                          .sort(
                              Comparator.comparingInt(
                                  (CustomResourceColumnDefinition c) ->
                                      declared.indexOf(c.getName())));
                    }
                  });
          String header =
              "# Generated from io.proxyfleet.api by the Fabric8 CRD generator; do not edit.\n";
          Files.writeString(file, header + Serialization.asYaml(crd), StandardCharsets.UTF_8);
        }
      }
    }
  }

  private static String kindOf(Class<?> type) {
    return type.getAnnotation(io.fabric8.kubernetes.model.annotation.Kind.class).value();
  }
}
