package io.proxyfleet.chart;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code helm template} of {@code helm/proxyfleet} through helm-java (Helm's own Go code, no binary
 * needed), split into documents that remember the template they came from.
 */
public record RenderedChart(List<Doc> docs) {

  public static final Path CHART = Path.of("helm/proxyfleet");

  /** The release the plain manifests are rendered as: names as in operator/rbac.yaml. */
  public static final String RELEASE = "proxyfleet";

  public static final String NAMESPACE = "proxyfleet-system";

  private static final Pattern SOURCE =
      Pattern.compile("^# Source: [^/]+/(.+)$", Pattern.MULTILINE);

  /**
   * One rendered document: its template path (for example {@code templates/rbac.yaml}) and its
   * text.
   */
  public record Doc(String source, String text) {
    public HasMetadata object() {
      return Serialization.unmarshal(text);
    }
  }

  /**
   * Renders with the chart's defaults plus {@code valuesYaml} (may be empty) as release {@link
   * #RELEASE}.
   */
  public static RenderedChart render(String valuesYaml, Path work) {
    return render(RELEASE, NAMESPACE, valuesYaml, work);
  }

  public static RenderedChart render(
      String release, String namespace, String valuesYaml, Path work) {
    TemplateCommand template =
        new Helm(CHART).template().withName(release).withNamespace(namespace);
    if (!valuesYaml.isBlank()) {
      template.withValuesFile(write(work, valuesYaml));
    }
    return parse(template.call());
  }

  /** A copy of the chart whose values.yaml is its defaults deep-merged with {@code valuesYaml}. */
  public static Path withValues(String valuesYaml, Path work) {
    try {
      Path copy = Files.createTempDirectory(work, "chart-").resolve("proxyfleet");
      try (Stream<Path> files = Files.walk(CHART)) {
        for (Path from : files.toList()) {
          Path to = copy.resolve(CHART.relativize(from).toString());
          if (Files.isDirectory(from)) Files.createDirectories(to);
          else Files.copy(from, to);
        }
      }
      Map<String, Object> defaults = yamlMap(Files.readString(CHART.resolve("values.yaml")));
      Map<String, Object> overrides = valuesYaml.isBlank() ? Map.of() : yamlMap(valuesYaml);
      Files.writeString(
          copy.resolve("values.yaml"), Serialization.asYaml(merge(defaults, overrides)));
      return copy;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> yamlMap(String yaml) {
    return Serialization.unmarshal(yaml, Map.class);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> over) {
    Map<String, Object> out = new LinkedHashMap<>(base);
    over.forEach(
        (k, v) ->
            out.put(
                k,
                v instanceof Map && out.get(k) instanceof Map
                    ? merge((Map<String, Object>) out.get(k), (Map<String, Object>) v)
                    : v));
    return out;
  }

  static Path write(Path work, String valuesYaml) {
    try {
      Path file = Files.createTempFile(work, "values-", ".yaml");
      Files.writeString(file, valuesYaml);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static RenderedChart parse(String manifest) {
    List<Doc> docs = new ArrayList<>();
    for (String part : manifest.split("(?m)^---\\s*$")) {
      Matcher m = SOURCE.matcher(part);
      String body = part.strip();
      // A template whose condition is false renders nothing but its Source line (or nothing at
      // all).
      if (body.isEmpty() || body.lines().allMatch(l -> l.isBlank() || l.startsWith("#"))) {
        continue;
      }
      docs.add(new Doc(m.find() ? m.group(1) : "", body + "\n"));
    }
    return new RenderedChart(docs);
  }

  public List<HasMetadata> objects() {
    return docs.stream().map(Doc::object).toList();
  }

  /** The documents of these templates, in the order the templates are given. */
  public List<Doc> from(String... sources) {
    return Stream.of(sources)
        .flatMap(source -> docs.stream().filter(d -> d.source().equals(source)))
        .toList();
  }

  public <T extends HasMetadata> List<T> all(Class<T> type) {
    return objects().stream().filter(type::isInstance).map(type::cast).toList();
  }

  public <T extends HasMetadata> T one(Class<T> type) {
    List<T> found = all(type);
    if (found.size() != 1) {
      throw new AssertionError("expected one " + type.getSimpleName() + ", found " + found.size());
    }
    return found.get(0);
  }

  public <T extends HasMetadata> Optional<T> maybe(Class<T> type) {
    return all(type).stream().findFirst();
  }
}
