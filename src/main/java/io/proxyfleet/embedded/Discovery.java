package io.proxyfleet.embedded;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Legacy (non-aggregated) discovery documents: {@code /version}, {@code /api}, {@code /api/v1},
 * {@code /apis}, {@code /apis/{group}} and {@code /apis/{group}/{version}}.
 *
 * <p>Only the legacy form is served: kubectl asks for aggregated discovery first, sees a plain
 * {@code application/json} answer and falls back to these endpoints.
 */
final class Discovery {

  static final String MAJOR = "1";
  static final String MINOR = "32";
  static final String GIT_VERSION = "v1.32.0-proxyfleet-local";

  private static final String[] ALL_VERBS = {
    "create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"
  };
  private static final String[] SUBRESOURCE_VERBS = {"get", "patch", "update"};

  /** A built-in resource: what the project and kubectl's defaults touch, nothing more. */
  record BuiltIn(
      String group,
      String version,
      String plural,
      String singular,
      String kind,
      boolean namespaced,
      List<String> shortNames,
      List<String> categories,
      List<String> subresources,
      String[] verbs) {}

  static final List<BuiltIn> BUILT_INS =
      List.of(
          new BuiltIn(
              "",
              "v1",
              "configmaps",
              "configmap",
              "ConfigMap",
              true,
              List.of("cm"),
              List.of(),
              List.of(),
              ALL_VERBS),
          new BuiltIn(
              "",
              "v1",
              "events",
              "event",
              "Event",
              true,
              List.of("ev"),
              List.of(),
              List.of(),
              ALL_VERBS),
          // Real namespaces have no deletecollection verb.
          new BuiltIn(
              "",
              "v1",
              "namespaces",
              "namespace",
              "Namespace",
              false,
              List.of("ns"),
              List.of(),
              List.of("status"),
              new String[] {"create", "delete", "get", "list", "patch", "update", "watch"}),
          new BuiltIn(
              "",
              "v1",
              "pods",
              "pod",
              "Pod",
              true,
              List.of("po"),
              List.of("all"),
              List.of("status"),
              ALL_VERBS),
          new BuiltIn(
              "", "v1", "secrets", "secret", "Secret", true, List.of(), List.of(), List.of(),
              ALL_VERBS),
          new BuiltIn(
              "",
              "v1",
              "services",
              "service",
              "Service",
              true,
              List.of("svc"),
              List.of("all"),
              List.of("status"),
              new String[] {
                "create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"
              }),
          new BuiltIn(
              "apiextensions.k8s.io",
              "v1",
              "customresourcedefinitions",
              "customresourcedefinition",
              "CustomResourceDefinition",
              false,
              List.of("crd", "crds"),
              List.of("api-extensions"),
              List.of("status"),
              ALL_VERBS),
          new BuiltIn(
              "coordination.k8s.io",
              "v1",
              "leases",
              "lease",
              "Lease",
              true,
              List.of(),
              List.of(),
              List.of(),
              ALL_VERBS),
          new BuiltIn(
              "events.k8s.io",
              "v1",
              "events",
              "event",
              "Event",
              true,
              List.of("ev"),
              List.of(),
              List.of(),
              ALL_VERBS));

  private final CrdCatalog crds;

  Discovery(CrdCatalog crds) {
    this.crds = crds;
  }

  static ObjectNode version() {
    ObjectNode v = Json.object();
    v.put("major", MAJOR);
    v.put("minor", MINOR);
    v.put("emulationMajor", MAJOR);
    v.put("emulationMinor", MINOR);
    v.put("gitVersion", GIT_VERSION);
    v.put("gitCommit", "0000000000000000000000000000000000000000");
    v.put("gitTreeState", "clean");
    v.put("buildDate", "2025-01-01T00:00:00Z");
    v.put("goVersion", "go1.23.0");
    v.put("compiler", "gc");
    v.put("platform", platform());
    return v;
  }

  static String platform() {
    String os = System.getProperty("os.name", "linux").toLowerCase(Locale.ROOT);
    String goos =
        os.contains("mac") || os.contains("darwin")
            ? "darwin"
            : os.contains("win") ? "windows" : "linux";
    String arch = System.getProperty("os.arch", "amd64").toLowerCase(Locale.ROOT);
    String goarch =
        switch (arch) {
          case "x86_64", "amd64" -> "amd64";
          case "aarch64", "arm64" -> "arm64";
          default -> arch;
        };
    return goos + "/" + goarch;
  }

  static ObjectNode apiVersions(String serverAddress) {
    ObjectNode doc = Json.object();
    doc.put("kind", "APIVersions");
    doc.set("versions", Json.array("v1"));
    ObjectNode cidr = Json.object();
    cidr.put("clientCIDR", "0.0.0.0/0");
    cidr.put("serverAddress", serverAddress);
    doc.putArray("serverAddressByClientCIDRs").add(cidr);
    return doc;
  }

  static ObjectNode rootPaths() {
    ObjectNode doc = Json.object();
    ArrayNode paths = doc.putArray("paths");
    List.of(
            "/api",
            "/api/v1",
            "/apis",
            "/healthz",
            "/livez",
            "/openapi/v2",
            "/openapi/v3",
            "/readyz",
            "/version")
        .forEach(paths::add);
    return doc;
  }

  /** Group name to its versions, most preferred first; the core group is not a member. */
  Map<String, List<String>> groups() {
    Map<String, Set<String>> versions = new LinkedHashMap<>();
    for (BuiltIn b : BUILT_INS) {
      if (!b.group().isEmpty()) {
        versions.computeIfAbsent(b.group(), g -> new LinkedHashSet<>()).add(b.version());
      }
    }
    for (CrdCatalog.Served s : crds.served()) {
      versions.computeIfAbsent(s.group(), g -> new LinkedHashSet<>()).add(s.version().getName());
    }
    Map<String, List<String>> sorted = new LinkedHashMap<>();
    versions.forEach(
        (group, set) -> {
          List<String> list = new ArrayList<>(set);
          list.sort(KUBE_VERSION_PRIORITY);
          sorted.put(group, list);
        });
    return sorted;
  }

  ObjectNode groupList() {
    ObjectNode doc = Json.object();
    doc.put("kind", "APIGroupList");
    doc.put("apiVersion", "v1");
    ArrayNode list = doc.putArray("groups");
    groups().forEach((name, versions) -> list.add(group(name, versions)));
    return doc;
  }

  Optional<ObjectNode> group(String name) {
    List<String> versions = groups().get(name);
    if (versions == null) {
      return Optional.empty();
    }
    ObjectNode doc = group(name, versions);
    doc.put("kind", "APIGroup");
    doc.put("apiVersion", "v1");
    return Optional.of(doc);
  }

  private static ObjectNode group(String name, List<String> versions) {
    ObjectNode group = Json.object();
    group.put("name", name);
    ArrayNode array = group.putArray("versions");
    for (String version : versions) {
      array.add(groupVersion(name, version));
    }
    group.set("preferredVersion", groupVersion(name, versions.get(0)));
    return group;
  }

  private static ObjectNode groupVersion(String group, String version) {
    ObjectNode gv = Json.object();
    gv.put("groupVersion", group + "/" + version);
    gv.put("version", version);
    return gv;
  }

  /** The APIResourceList of a group version; the core group is {@code ""}. */
  Optional<ObjectNode> resources(String group, String version) {
    ArrayNode resources = Json.MAPPER.createArrayNode();
    for (BuiltIn b : BUILT_INS) {
      if (b.group().equals(group) && b.version().equals(version)) {
        resources.add(
            resource(
                b.plural(),
                b.singular(),
                b.namespaced(),
                b.kind(),
                b.verbs(),
                b.shortNames(),
                b.categories()));
        for (String sub : b.subresources()) {
          resources.add(
              resource(
                  b.plural() + "/" + sub,
                  "",
                  b.namespaced(),
                  b.kind(),
                  SUBRESOURCE_VERBS,
                  List.of(),
                  List.of()));
        }
      }
    }
    if (!group.isEmpty()) {
      for (CrdCatalog.Served s : crds.served()) {
        if (s.group().equals(group) && s.version().getName().equals(version)) {
          var names = s.crd().getSpec().getNames();
          resources.add(
              resource(
                  s.plural(),
                  orEmpty(names.getSingular(), s.kind()),
                  s.namespaced(),
                  s.kind(),
                  ALL_VERBS,
                  nullSafe(names.getShortNames()),
                  nullSafe(names.getCategories())));
          if (s.hasStatusSubresource()) {
            resources.add(
                resource(
                    s.plural() + "/status",
                    "",
                    s.namespaced(),
                    s.kind(),
                    SUBRESOURCE_VERBS,
                    List.of(),
                    List.of()));
          }
          if (s.hasScaleSubresource()) {
            ObjectNode scale =
                resource(
                    s.plural() + "/scale",
                    "",
                    s.namespaced(),
                    "Scale",
                    SUBRESOURCE_VERBS,
                    List.of(),
                    List.of());
            scale.put("group", "autoscaling");
            scale.put("version", "v1");
            resources.add(scale);
          }
        }
      }
    }
    if (resources.isEmpty()) {
      return Optional.empty();
    }
    ObjectNode doc = Json.object();
    doc.put("kind", "APIResourceList");
    doc.put("apiVersion", "v1");
    doc.put("groupVersion", group.isEmpty() ? version : group + "/" + version);
    doc.set("resources", resources);
    return Optional.of(doc);
  }

  private static ObjectNode resource(
      String name,
      String singular,
      boolean namespaced,
      String kind,
      String[] verbs,
      List<String> shortNames,
      List<String> categories) {
    ObjectNode r = Json.object();
    r.put("name", name);
    r.put("singularName", singular);
    r.put("namespaced", namespaced);
    r.put("kind", kind);
    r.set("verbs", Json.array(verbs));
    if (!shortNames.isEmpty()) {
      r.set("shortNames", Json.array(shortNames.toArray(String[]::new)));
    }
    if (!categories.isEmpty()) {
      r.set("categories", Json.array(categories.toArray(String[]::new)));
    }
    return r;
  }

  private static String orEmpty(String singular, String kind) {
    return singular != null && !singular.isEmpty() ? singular : kind.toLowerCase(Locale.ROOT);
  }

  private static List<String> nullSafe(List<String> list) {
    return list == null ? List.of() : list;
  }

  private static final Pattern KUBE_VERSION = Pattern.compile("v(\\d+)(?:(alpha|beta)(\\d+))?");

  /**
   * Kubernetes' version priority: GA before beta before alpha, higher numbers first, anything that
   * is not a Kubernetes-style version last in lexical order. Discovery lists versions in this order
   * and kubectl uses the first one as the preferred version.
   */
  static final Comparator<String> KUBE_VERSION_PRIORITY =
      Comparator.comparingInt(Discovery::stability)
          .reversed()
          .thenComparing(Comparator.comparingInt((String v) -> number(v, 1)).reversed())
          .thenComparing(Comparator.comparingInt((String v) -> number(v, 3)).reversed())
          .thenComparing(Comparator.naturalOrder());

  private static int stability(String version) {
    Matcher m = KUBE_VERSION.matcher(version);
    if (!m.matches()) {
      return 0;
    }
    return m.group(2) == null ? 3 : m.group(2).equals("beta") ? 2 : 1;
  }

  private static int number(String version, int group) {
    Matcher m = KUBE_VERSION.matcher(version);
    if (!m.matches() || m.group(group) == null) {
      return 0;
    }
    return Integer.parseInt(m.group(group));
  }
}
