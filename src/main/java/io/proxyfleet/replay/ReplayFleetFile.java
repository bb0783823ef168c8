package io.proxyfleet.replay;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.proxyfleet.api.CloudProfile;
import io.proxyfleet.api.ProxyFleet;
import io.proxyfleet.fleet.FleetValidator;
import io.proxyfleet.status.SpecProblem;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A replay's fleet: a YAML file with exactly one {@code ProxyFleet} and, optionally, the {@code
 * CloudProfile}s it names (only their {@code spec.provider} matters to a replay). Other documents
 * are ignored, so a file written for {@code kubectl apply} works as is.
 *
 * @param providers cloud profile name to provider type, from the file's CloudProfiles
 */
public record ReplayFleetFile(ProxyFleet fleet, Map<String, String> providers) {

  private static final ObjectMapper YAML =
      new YAMLMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /**
   * @throws ReplayInputException naming the document or field that is wrong
   */
  public static ReplayFleetFile read(InputStream in) throws IOException, ReplayInputException {
    List<ProxyFleet> fleets = new ArrayList<>();
    Map<String, String> providers = new LinkedHashMap<>();
    int document = 0;
    try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(in)) {
      while (docs.hasNextValue()) {
        JsonNode doc = docs.nextValue();
        document++;
        if (doc == null || !doc.isObject()) continue;
        String kind = doc.path("kind").asText();
        try {
          if (kind.equals("ProxyFleet")) {
            fleets.add(YAML.convertValue(doc, ProxyFleet.class));
          } else if (kind.equals("CloudProfile")) {
            CloudProfile profile = YAML.convertValue(doc, CloudProfile.class);
            if (profile.getMetadata() != null && profile.getSpec() != null) {
              providers.put(profile.getMetadata().getName(), profile.getSpec().getProvider());
            }
          }
        } catch (IllegalArgumentException e) {
          throw new ReplayInputException(
              "document " + document + " (" + kind + "): " + rootMessage(e));
        }
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new ReplayInputException(
          "not valid YAML: "
              + e.getOriginalMessage()
              + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()));
    }
    if (fleets.size() != 1) {
      throw new ReplayInputException(
          "needs exactly one ProxyFleet document, found " + fleets.size());
    }
    ProxyFleet fleet = fleets.get(0);
    if (fleet.getMetadata() == null || fleet.getMetadata().getName() == null) {
      throw new ReplayInputException("ProxyFleet: metadata.name is required");
    }
    if (fleet.getMetadata().getNamespace() == null) {
      fleet.getMetadata().setNamespace("default");
    }
    List<SpecProblem> problems = new FleetValidator().validate(fleet);
    if (!problems.isEmpty()) {
      throw new ReplayInputException(
          "ProxyFleet "
              + fleet.getMetadata().getName()
              + ": "
              + problems.stream().map(SpecProblem::toString).collect(Collectors.joining("; ")));
    }
    return new ReplayFleetFile(fleet, Map.copyOf(providers));
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) t = t.getCause();
    String m =
        t instanceof com.fasterxml.jackson.core.JsonProcessingException j
            ? j.getOriginalMessage()
            : t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m;
  }
}
