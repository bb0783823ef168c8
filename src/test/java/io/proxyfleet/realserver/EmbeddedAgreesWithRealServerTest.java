package io.proxyfleet.realserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.proxyfleet.embedded.EmbeddedKubernetes;
import io.proxyfleet.local.CustomResourceDefinitions;
import io.proxyfleet.testing.Kubectl;
import io.proxyfleet.testing.kube.KubeApiServer;
import io.proxyfleet.testing.kube.RealKube;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * One kubectl scenario (the README's walk-through of local mode plus the commands an on-call
 * engineer reaches for: merge and JSON patches, server-side dry runs, diff, scale, wait) run
 * against the embedded API of local mode and against a real kube-apiserver. After every step both
 * must have answered with the same exit code and, where the output is deterministic, the same
 * output, and must hold the same objects.
 *
 * <p>No operator runs: the scenario is about API semantics. Where a step needs a status (scale
 * reads status.replicas, wait reads conditions), the scenario writes it through the status
 * subresource, as the operator would.
 */
@ExtendWith(RealKube.class)
class EmbeddedAgreesWithRealServerTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** Kubectl's ages ("12s", "3m4s") differ between two runs by nature. */
  private static final Pattern AGE = Pattern.compile("(?<=\\s)\\d+[smhd](\\d+[smhd])?(?=\\s|$)");

  /** What of a step's stdout must agree (exit codes always must). */
  enum Output {
    /** The text, after masking ages. */
    TEXT,
    /** A JSON or YAML document, normalised as the captured objects are. */
    OBJECT,
    /** The changed lines of a {@code kubectl diff}, without its file headers. */
    DIFF,
    /** Nothing: the output names server-specific things (error wording, event times). */
    NONE
  }

  record Step(String title, Output output, String stdin, List<String> args) {
    static Step of(String title, Output output, String... args) {
      return new Step(title, output, "", List.of(args));
    }

    static Step withInput(String title, Output output, String stdin, String... args) {
      return new Step(title, output, stdin, List.of(args));
    }
  }

  /** What one server made of one step. */
  record Outcome(int exitCode, String stdout, JsonNode objects, Kubectl.Result raw) {}

  @Test
  void theEmbeddedApiAnswersTheScenarioAsTheRealServerDoes(KubeApiServer real, @TempDir Path work)
      throws IOException {
    String executable = Kubectl.locateOrSkip();
    // The same namespace name on both, so the objects compare as they are; unique so that a
    // second run against the same real server (one per test run) starts from nothing.
    String ns = "agree-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    KubernetesClient admin = real.admin();
    RealServerFixtures.namespace(admin, ns);
    // Blocklists are cluster-scoped; the README's "manual" must not survive an earlier run.
    admin
        .genericKubernetesResources("proxyfleet.io/v1alpha1", "Blocklist")
        .withName("manual")
        .delete();

    try (EmbeddedKubernetes embedded = EmbeddedKubernetes.start("127.0.0.1", 0)) {
      embedded.installCrds(CustomResourceDefinitions.all());
      RealServerFixtures.namespace(embedded.client(), ns);

      Path embeddedConfig = work.resolve("embedded/kubeconfig");
      embedded.writeKubeconfig(embeddedConfig);
      Files.writeString(
          embeddedConfig,
          Files.readString(embeddedConfig).replace("namespace: default", "namespace: " + ns));
      Path realConfig = real.writeKubeconfig(work.resolve("real/kubeconfig"), null, ns);
      Kubectl onEmbedded =
          new Kubectl(
              executable, embeddedConfig, Files.createDirectories(work.resolve("embedded/run")));
      Kubectl onReal =
          new Kubectl(executable, realConfig, Files.createDirectories(work.resolve("real/run")));

      List<String> divergences = new ArrayList<>();
      for (Step step : scenario(ns, work)) {
        Outcome e = perform(onEmbedded, step);
        Outcome r = perform(onReal, step);
        if (e.exitCode() != r.exitCode()) {
          divergences.add(describe(step, "exit code", e, r));
        } else if (step.output() != Output.NONE && !e.stdout().equals(r.stdout())) {
          divergences.add(describe(step, "output", e, r));
        } else if (!e.objects().equals(r.objects())) {
          divergences.add(
              describe(step, "objects", e, r)
                  + "\n--- embedded objects ---\n"
                  + pretty(e.objects())
                  + "\n--- real objects ---\n"
                  + pretty(r.objects()));
        }
      }
      assertThat(divergences)
          .as("steps where the embedded API disagrees with kube-apiserver")
          .isEmpty();
    } finally {
      admin
          .genericKubernetesResources("proxyfleet.io/v1alpha1", "Blocklist")
          .withName("manual")
          .delete();
      admin.namespaces().withName(ns).delete();
    }
  }

  /**
   * The README walk-through first (apply the local examples, look at them, block and unblock a
   * range, scale and change policy, delete and re-apply), then the rest of what the issue lists.
   */
  private static List<Step> scenario(String ns, Path work) throws IOException {
    String profile = example("00-cloudprofile.yaml", ns);
    String blocklist = example("01-blocklist-manual.yaml", ns);
    String fleet = example("02-fleet-demo.yaml", ns);
    Path fleetFile = work.resolve("02-fleet-demo.yaml");
    Files.writeString(fleetFile, fleet);
    Path sevenFile = work.resolve("fleet-seven.yaml");
    Files.writeString(sevenFile, fleet.replace("replicas: 6", "replicas: 7"));
    Path otherFile = work.resolve("fleet-other.yaml");
    Files.writeString(otherFile, fleet.replace("name: demo", "name: other"));
    String status =
        """
        {"status":{"replicas":5,"readyReplicas":5,"selector":"proxyfleet.io/fleet=demo",
         "conditions":[{"type":"Ready","status":"True","reason":"AllReady","message":"5 of 5",
                        "lastTransitionTime":"2026-01-01T00:00:00Z"}]}}""";
    return List.of(
        // README walk-through.
        Step.withInput("apply the CloudProfile", Output.TEXT, profile, "apply", "-f", "-"),
        Step.withInput("apply the Blocklist", Output.TEXT, blocklist, "apply", "-f", "-"),
        Step.of("apply the fleet", Output.TEXT, "apply", "-f", fleetFile.toString()),
        Step.of("apply the fleet again", Output.TEXT, "apply", "-f", fleetFile.toString()),
        Step.of("get proxyfleets", Output.TEXT, "get", "proxyfleets"),
        Step.of("get pf", Output.TEXT, "get", "pf"),
        Step.of("get proxies", Output.TEXT, "get", "proxies"),
        Step.of("get pf demo -o yaml", Output.OBJECT, "get", "pf", "demo", "-o", "yaml"),
        Step.of(
            "create the endpoints Secret",
            Output.TEXT,
            "create",
            "secret",
            "generic",
            "demo-endpoints",
            "--from-literal=endpoints.json=[{\"uri\" : \"socks5://u:p@127.1.0.1:1080\"}]"),
        Step.of(
            "read endpoints.json",
            Output.TEXT,
            "get",
            "secret",
            "demo-endpoints",
            "-o",
            "jsonpath={.data.endpoints\\.json}"),
        Step.of(
            "create a ConfigMap for a Blocklist source",
            Output.TEXT,
            "create",
            "configmap",
            "feed",
            "--from-literal=list.txt=10.0.0.0/8"),
        Step.of(
            "block a range",
            Output.TEXT,
            "patch",
            "blocklist",
            "manual",
            "--type=merge",
            "-p",
            "{\"spec\":{\"cidrs\":[\"127.1.0.0/24\"]}}"),
        Step.of(
            "events as custom columns",
            Output.TEXT,
            "get",
            "events",
            "-o",
            "custom-columns=REASON:.reason,OBJECT:.involvedObject.name,MESSAGE:.message"),
        Step.withInput(
            "apply the inside Vantage",
            Output.TEXT,
            example("03-vantage-inside.yaml", ns),
            "apply",
            "-f",
            "-"),
        Step.of("get vantage inside", Output.TEXT, "get", "vantage", "inside"),
        Step.of(
            "censor without telling",
            Output.TEXT,
            "create",
            "configmap",
            "local-censor",
            "--from-literal=cidrs=127.1.0.7"),
        Step.of("lift the censorship", Output.TEXT, "delete", "configmap", "local-censor"),
        Step.of(
            "events of one reason",
            Output.TEXT,
            "get",
            "events",
            "--field-selector",
            "reason=Unhealthy",
            "-o",
            "custom-columns=OBJECT:.involvedObject.name,MESSAGE:.message"),
        Step.of(
            "scale by merge patch",
            Output.TEXT,
            "patch",
            "pf",
            "demo",
            "--type=merge",
            "-p",
            "{\"spec\":{\"replicas\":10}}"),
        Step.of(
            "set maxAge by merge patch",
            Output.TEXT,
            "patch",
            "pf",
            "demo",
            "--type=merge",
            "-p",
            "{\"spec\":{\"rotation\":{\"maxAge\":\"2m\"}}}"),
        Step.of("delete the fleet", Output.TEXT, "delete", "pf", "demo"),
        Step.of("re-apply the fleet", Output.TEXT, "apply", "-f", fleetFile.toString()),
        // Merge patches replace lists (RFC 7386) and delete keys set to null.
        Step.of(
            "unblock: an empty list replaces the list",
            Output.TEXT,
            "patch",
            "blocklist",
            "manual",
            "--type=merge",
            "-p",
            "{\"spec\":{\"cidrs\":[]}}"),
        Step.of(
            "two ranges",
            Output.TEXT,
            "patch",
            "blocklist",
            "manual",
            "--type=merge",
            "-p",
            "{\"spec\":{\"cidrs\":[\"10.0.0.0/8\",\"192.0.2.1\"]}}"),
        Step.of(
            "a shorter list replaces a longer one",
            Output.TEXT,
            "patch",
            "blocklist",
            "manual",
            "--type=merge",
            "-p",
            "{\"spec\":{\"cidrs\":[\"192.0.2.1\"]}}"),
        Step.of(
            "null removes a key",
            Output.TEXT,
            "patch",
            "pf",
            "demo",
            "--type=merge",
            "-p",
            "{\"spec\":{\"rotation\":{\"maxSurge\":null}}}"),
        // JSON patch.
        Step.of(
            "JSON patch",
            Output.TEXT,
            "patch",
            "pf",
            "demo",
            "--type=json",
            "-p",
            "[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":4},"
                + "{\"op\":\"add\",\"path\":\"/spec/blocklists/-\",\"value\":\"extra\"}]"),
        Step.of(
            "strategic merge patch of a custom resource",
            Output.NONE,
            "patch",
            "pf",
            "demo",
            "-p",
            "{\"spec\":{\"replicas\":2}}"),
        Step.of(
            "JSON patch whose test fails",
            Output.NONE,
            "patch",
            "pf",
            "demo",
            "--type=json",
            "-p",
            "[{\"op\":\"test\",\"path\":\"/spec/replicas\",\"value\":99}]"),
        // Server-side dry runs change nothing.
        Step.of(
            "apply --dry-run=server",
            Output.TEXT,
            "apply",
            "--dry-run=server",
            "-f",
            sevenFile.toString()),
        Step.of(
            "create --dry-run=server",
            Output.TEXT,
            "create",
            "--dry-run=server",
            "-f",
            otherFile.toString()),
        Step.of(
            "create --dry-run=server of an existing object",
            Output.NONE,
            "create",
            "--dry-run=server",
            "-f",
            fleetFile.toString()),
        Step.of(
            "patch --dry-run=server",
            Output.TEXT,
            "patch",
            "pf",
            "demo",
            "--dry-run=server",
            "--type=merge",
            "-p",
            "{\"spec\":{\"replicas\":8}}"),
        Step.of("kubectl diff", Output.DIFF, "diff", "-f", sevenFile.toString()),
        Step.of(
            "delete pf --dry-run=server", Output.TEXT, "delete", "pf", "demo", "--dry-run=server"),
        Step.of(
            "delete blocklist --dry-run=server",
            Output.TEXT,
            "delete",
            "blocklist",
            "manual",
            "--dry-run=server"),
        // The scale subresource.
        Step.of("kubectl scale", Output.TEXT, "scale", "pf", "demo", "--replicas=3"),
        Step.of(
            "get the Scale",
            Output.OBJECT,
            "get",
            "pf",
            "demo",
            "--subresource=scale",
            "-o",
            "json"),
        Step.of(
            "write a status as the operator would",
            Output.TEXT,
            "patch",
            "pf",
            "demo",
            "--subresource=status",
            "--type=merge",
            "-p",
            status),
        Step.of(
            "get the Scale with a status",
            Output.OBJECT,
            "get",
            "pf",
            "demo",
            "--subresource=scale",
            "-o",
            "json"),
        Step.of(
            "scale with a matching precondition",
            Output.TEXT,
            "scale",
            "pf",
            "demo",
            "--current-replicas=3",
            "--replicas=5"),
        Step.of(
            "scale with a failing precondition",
            Output.NONE,
            "scale",
            "pf",
            "demo",
            "--current-replicas=9",
            "--replicas=1"),
        // kubectl wait.
        Step.of(
            "wait for a condition",
            Output.TEXT,
            "wait",
            "--for=condition=Ready",
            "pf/demo",
            "--timeout=20s"),
        Step.of(
            "wait for a JSONPath value",
            Output.TEXT,
            "wait",
            "--for=jsonpath={.spec.replicas}=5",
            "pf/demo",
            "--timeout=20s"),
        // Another fleet without status: waiting for it must not see demo's Ready condition.
        Step.of("apply a second fleet", Output.TEXT, "apply", "-f", otherFile.toString()),
        Step.of(
            "get with a field selector",
            Output.TEXT,
            "get",
            "pf",
            "--field-selector=metadata.name=other"),
        Step.of(
            "wait for a condition that never comes",
            Output.NONE,
            "wait",
            "--for=condition=Ready",
            "pf/other",
            "--timeout=3s"),
        Step.of("delete the second fleet", Output.TEXT, "delete", "pf", "other"),
        Step.of("get pf demo -o yaml at the end", Output.OBJECT, "get", "pf", "demo", "-o", "yaml"),
        Step.of("delete the fleet at the end", Output.TEXT, "delete", "pf", "demo"),
        Step.of(
            "wait for a deletion that happened",
            Output.TEXT,
            "wait",
            "--for=delete",
            "pf/demo",
            "--timeout=20s"),
        Step.of("get the deleted fleet", Output.NONE, "get", "pf", "demo"),
        Step.of("delete the Blocklist", Output.TEXT, "delete", "blocklist", "manual"));
  }

  private static String example(String file, String ns) throws IOException {
    return Files.readString(Path.of("examples/local", file))
        .replace("namespace: default", "namespace: " + ns);
  }

  private static Outcome perform(Kubectl kubectl, Step step) {
    Kubectl.Result result = kubectl.runWithInput(step.stdin(), step.args().toArray(String[]::new));
    String stdout =
        switch (step.output()) {
          case TEXT -> AGE.matcher(result.stdout()).replaceAll("<age>");
          case OBJECT -> result.exitCode() == 0 ? pretty(normalise(parse(result.stdout()))) : "";
          case DIFF ->
              result
                  .stdout()
                  .lines()
                  .filter(
                      l ->
                          (l.startsWith("+") || l.startsWith("-"))
                              && !l.startsWith("+++")
                              && !l.startsWith("---"))
                  .collect(Collectors.joining("\n"));
          case NONE -> "";
        };
    return new Outcome(result.exitCode(), stdout, capture(kubectl), result);
  }

  /** The objects the scenario touches, as kubectl reads them back. */
  private static JsonNode capture(Kubectl kubectl) {
    ObjectNode all = JSON.createObjectNode();
    Kubectl.Result namespaced =
        kubectl.run("get", "proxyfleets,proxies,cloudprofiles,secrets,configmaps", "-o", "json");
    assertThat(namespaced.exitCode()).as("%s", namespaced).isZero();
    all.set("namespaced", normalise(parse(namespaced.stdout())));
    Kubectl.Result manual =
        kubectl.run("get", "blocklist", "manual", "--ignore-not-found", "-o", "json");
    assertThat(manual.exitCode()).as("%s", manual).isZero();
    all.set(
        "blocklist",
        manual.stdout().isBlank() ? JSON.nullNode() : normalise(parse(manual.stdout())));
    return all;
  }

  private static JsonNode parse(String text) {
    try {
      return text.stripLeading().startsWith("{") ? JSON.readTree(text) : YAML.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException("not a JSON or YAML document:\n" + text, e);
    }
  }

  /**
   * Drops what two servers cannot agree on by design: identities (uid), clocks (creationTimestamp),
   * storage versions (resourceVersion), bookkeeping of field owners (managedFields, which the
   * embedded API does not keep), the legacy selfLink and the generation of Secrets and ConfigMaps;
   * sorts list items so that order of storage does not matter.
   */
  static JsonNode normalise(JsonNode node) {
    JsonNode copy = node.deepCopy();
    strip(copy);
    if (copy.path("items").isArray()) {
      ArrayNode items = (ArrayNode) copy.get("items");
      List<JsonNode> sorted = new ArrayList<>();
      items.forEach(sorted::add);
      sorted.sort(
          Comparator.comparing(
              i -> i.path("kind").asText() + "/" + i.path("metadata").path("name").asText()));
      items.removeAll();
      sorted.forEach(items::add);
      ((ObjectNode) copy).remove("metadata");
    }
    return copy;
  }

  private static void strip(JsonNode node) {
    if (node.isObject()) {
      JsonNode metadata = node.get("metadata");
      if (metadata != null && metadata.isObject()) {
        ((ObjectNode) metadata)
            .remove(
                List.of(
                    "uid", "resourceVersion", "creationTimestamp", "managedFields", "selfLink"));
        // The mock store numbers the generation of every kind (its handlers need the field);
        // kube-apiserver only of kinds with a spec. Custom resources keep theirs compared.
        if (node.path("apiVersion").asText().equals("v1")
            && List.of("Secret", "ConfigMap").contains(node.path("kind").asText())) {
          ((ObjectNode) metadata).remove("generation");
        }
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        strip(it.next().getValue());
      }
    } else if (node.isArray()) {
      node.forEach(EmbeddedAgreesWithRealServerTest::strip);
    }
  }

  private static String describe(Step step, String what, Outcome e, Outcome r) {
    return "step '"
        + step.title()
        + "': "
        + what
        + " differs\n=== embedded ===\n"
        + e.raw()
        + "\n=== real ===\n"
        + r.raw();
  }

  private static String pretty(JsonNode node) {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
