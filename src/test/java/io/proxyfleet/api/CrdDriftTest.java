package io.proxyfleet.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The committed crds/ must be exactly what the build generates from the API classes. */
class CrdDriftTest {

  static final Path GENERATED = Path.of("target/classes/META-INF/fabric8");
  static final Path COMMITTED = Path.of("crds");

  @Test
  void committedCrdsMatchTheGeneratedOnes() throws IOException {
    Path generated =
        Path.of(System.getProperty("proxyfleet.buildDir", "target"), "classes/META-INF/fabric8");
    List<String> names;
    try (Stream<Path> s = Files.list(generated)) {
      names = s.map(p -> p.getFileName().toString()).sorted().toList();
    }
    List<String> committed;
    try (Stream<Path> s = Files.list(COMMITTED)) {
      committed =
          s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yml")).sorted().toList();
    }
    String fix =
        "; regenerate with: ./mvnw process-classes && cp target/classes/META-INF/fabric8/*.yml crds/";
    assertThat(committed).as("CRD files in crds/" + fix).isEqualTo(names);
    for (String name : names) {
      assertThat(Files.readString(COMMITTED.resolve(name)))
          .as("crds/" + name + " differs from the generated CRD" + fix)
          .isEqualTo(Files.readString(generated.resolve(name)));
    }
  }
}
