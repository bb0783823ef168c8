package io.proxyfleet.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.proxyfleet.testing.Kubectl;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real kubectl against the embedded API through a written kubeconfig. Every test gets its own
 * kubectl cache directory so a discovery cache never leaks between tests or runs.
 *
 * <p>None of these commands needs an extra flag: not {@code --validate=false} for apply, since the
 * server publishes the OpenAPI v3 bits kubectl checks for field validation.
 */
class KubectlCompatibilityTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  @TempDir static Path shared;
  private static String executable;
  private static EmbeddedKubernetes api;
  private static KubernetesClient client;
  private static Path kubeconfig;

  @TempDir Path workDir;
  private Kubectl kubectl;

  @BeforeAll
  static void start() {
    executable = Kubectl.locateOrSkip();
    api = EmbeddedKubernetes.start("127.0.0.1", 0);
    api.installCrds(TestCrds.all());
    client = api.client();
    kubeconfig = shared.resolve("kube/config");
    api.writeKubeconfig(kubeconfig);
  }

  @AfterAll
  static void stop() {
    if (api != null) {
      api.close();
    }
  }

  @BeforeEach
  void kubectl() {
    kubectl = new Kubectl(executable, kubeconfig, workDir);
  }

  private Kubectl.Result ok(String... args) {
    Kubectl.Result result = kubectl.run(args);
    assertThat(result.exitCode()).as("%s", result).isZero();
    return result;
  }

  private Path manifest(String name, String yaml) throws IOException {
    Path file = workDir.resolve(name);
    Files.writeString(file, yaml);
    return file;
  }

  private static GenericKubernetesResource createWidget(String name, int size, String phase) {
    var widgets = client.genericKubernetesResources(TestCrds.WIDGETS);
    GenericKubernetesResource created = widgets.resource(TestCrds.widget(name, size)).create();
    if (phase != null) {
      created.setAdditionalProperty("status", Map.of("phase", phase));
      created = widgets.resource(created).updateStatus();
    }
    return created;
  }

  private static GenericKubernetesResource widget(String name) {
    return client
        .genericKubernetesResources(TestCrds.WIDGETS)
        .inNamespace("default")
        .withName(name)
        .get();
  }

  @SuppressWarnings("unchecked")
  private static Object spec(GenericKubernetesResource r, String key) {
    return ((Map<String, Object>) r.getAdditionalProperties().get("spec")).get(key);
  }

  /** The table line for {@code name}, split on runs of blanks. */
  private static List<String> row(Kubectl.Result result, String name) {
    return result
        .stdout()
        .lines()
        .map(line -> List.of(line.trim().split("\\s+")))
        .filter(cells -> cells.get(0).equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no row for " + name + " in\n" + result));
  }

  @Test
  void versionAndApiResources() {
    Kubectl.Result version = ok("version", "-o", "json");
    assertThat(version.stdout()).as("%s", version).contains("v1.32.0-proxyfleet-local");

    Kubectl.Result resources = ok("api-resources");
    assertThat(resources.stdout())
        .as("%s", resources)
        .containsPattern("widgets\\s+wd\\s+example.proxyfleet.io/v1\\s+true\\s+Widget")
        .containsPattern("gadgets\\s+gd\\s+example.proxyfleet.io/v1\\s+false\\s+Gadget")
        .containsPattern("secrets\\s+v1\\s+true\\s+Secret")
        .containsPattern("leases\\s+coordination.k8s.io/v1\\s+true\\s+Lease");
  }

  @Test
  void getByShortNameShowsPrinterColumns() {
    createWidget("table-w", 2, "Ready");
    createWidget("table-bare", 1, null);

    Kubectl.Result result = ok("get", "wd");

    String header = result.stdout().lines().findFirst().orElse("");
    assertThat(List.of(header.trim().split("\\s+")))
        .as("%s", result)
        .containsExactly("NAME", "SIZE", "PHASE", "AGE");
    List<String> row = row(result, "table-w");
    assertThat(row.subList(0, 3)).as("%s", result).containsExactly("table-w", "2", "Ready");
    assertThat(row.get(3)).as("%s", result).matches("\\d+s");
    // A missing status leaves the PHASE cell blank, as on a real cluster.
    assertThat(row(result, "table-bare")).as("%s", result).hasSize(3);

    Kubectl.Result single = ok("get", "widget", "table-w");
    assertThat(single.stdout()).as("%s", single).contains("SIZE").contains("Ready");
  }

  @Test
  void getAsJsonAndYaml() throws IOException {
    createWidget("json-w", 6, null);

    Kubectl.Result json = ok("get", "widgets", "-o", "json");
    JsonNode list = MAPPER.readTree(json.stdout());
    JsonNode item = null;
    for (JsonNode candidate : list.path("items")) {
      if (candidate.path("metadata").path("name").asText().equals("json-w")) {
        item = candidate;
      }
    }
    assertThat(item).as("%s", json).isNotNull();
    assertThat(item.path("kind").asText()).isEqualTo("Widget");
    assertThat(item.path("spec").path("size").asInt()).isEqualTo(6);

    Kubectl.Result yaml = ok("get", "wd", "json-w", "-o", "yaml");
    assertThat(yaml.stdout())
        .as("%s", yaml)
        .contains("kind: Widget")
        .contains("name: json-w")
        .contains("size: 6");
  }

  @Test
  void applyCustomResourceCreatesThenConfigures() throws IOException {
    String yaml =
        """
        apiVersion: example.proxyfleet.io/v1
        kind: Widget
        metadata:
          name: applied-w
        spec:
          size: %d
          color: green
        """;
    Kubectl.Result created = ok("apply", "-f", manifest("w1.yaml", yaml.formatted(1)).toString());
    assertThat(created.stdout())
        .as("%s", created)
        .contains("widget.example.proxyfleet.io/applied-w created");
    assertThat(spec(widget("applied-w"), "size")).isEqualTo(1);

    Kubectl.Result unchanged = ok("apply", "-f", workDir.resolve("w1.yaml").toString());
    assertThat(unchanged.stdout()).as("%s", unchanged).contains("unchanged");

    Kubectl.Result configured =
        ok("apply", "-f", manifest("w2.yaml", yaml.formatted(4)).toString());
    assertThat(configured.stdout())
        .as("%s", configured)
        .contains("widget.example.proxyfleet.io/applied-w configured");
    assertThat(spec(widget("applied-w"), "size")).isEqualTo(4);
    assertThat(spec(widget("applied-w"), "color")).isEqualTo("green");
  }

  @Test
  void applySecretCreatesThenConfigures() throws IOException {
    String yaml =
        """
        apiVersion: v1
        kind: Secret
        metadata:
          name: applied-secret
          labels:
            app: proxyfleet
        type: Opaque
        stringData:
          user: %s
        """;
    Kubectl.Result created =
        ok("apply", "-f", manifest("s1.yaml", yaml.formatted("alice")).toString());
    assertThat(created.stdout()).as("%s", created).contains("secret/applied-secret created");
    assertThat(secretValue("applied-secret", "user")).isEqualTo("alice");

    Kubectl.Result configured =
        ok("apply", "-f", manifest("s2.yaml", yaml.formatted("bob")).toString());
    assertThat(configured.stdout())
        .as("%s", configured)
        .contains("secret/applied-secret configured");
    assertThat(secretValue("applied-secret", "user")).isEqualTo("bob");
    assertThat(
            client
                .secrets()
                .inNamespace("default")
                .withName("applied-secret")
                .get()
                .getMetadata()
                .getLabels())
        .containsEntry("app", "proxyfleet");
  }

  private static String secretValue(String name, String key) {
    var secret = client.secrets().inNamespace("default").withName(name).get();
    return new String(
        Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
  }

  @Test
  void mergePatch() {
    createWidget("patched-w", 1, null);

    Kubectl.Result result =
        ok("patch", "wd", "patched-w", "--type=merge", "-p", "{\"spec\":{\"size\":3}}");

    assertThat(result.stdout())
        .as("%s", result)
        .contains("widget.example.proxyfleet.io/patched-w patched");
    assertThat(spec(widget("patched-w"), "size")).isEqualTo(3);
    assertThat(spec(widget("patched-w"), "color")).isEqualTo("red");
  }

  @Test
  void strategicPatchAndLabelOnBuiltInKinds() {
    client
        .secrets()
        .inNamespace("default")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("labelled")
                .endMetadata()
                .addToData(
                    "k", Base64.getEncoder().encodeToString("v".getBytes(StandardCharsets.UTF_8)))
                .build())
        .create();

    ok("patch", "secret", "labelled", "-p", "{\"metadata\":{\"annotations\":{\"a\":\"b\"}}}");
    ok("label", "secret", "labelled", "tier=backend");

    var secret = client.secrets().inNamespace("default").withName("labelled").get();
    assertThat(secret.getMetadata().getAnnotations()).containsEntry("a", "b");
    assertThat(secret.getMetadata().getLabels()).containsEntry("tier", "backend");
    assertThat(secret.getData()).containsKey("k");
  }

  @Test
  void delete() {
    createWidget("doomed-w", 1, null);

    Kubectl.Result result = ok("delete", "wd", "doomed-w");

    assertThat(result.stdout())
        .as("%s", result)
        .contains("widget.example.proxyfleet.io \"doomed-w\" deleted");
    assertThat(widget("doomed-w")).isNull();
    Kubectl.Result gone = kubectl.run("get", "wd", "doomed-w");
    assertThat(gone.exitCode()).as("%s", gone).isNotZero();
    assertThat(gone.stderr()).as("%s", gone).contains("NotFound");
  }

  @Test
  void getSecretsUsesKubectlsOwnColumns() {
    client
        .secrets()
        .inNamespace("default")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("listed-secret")
                .endMetadata()
                .addToData("k", "dg==")
                .build())
        .create();

    Kubectl.Result result = ok("get", "secrets");

    assertThat(result.stdout()).as("%s", result).startsWith("NAME");
    assertThat(row(result, "listed-secret")).as("%s", result).isNotEmpty();
  }

  @Test
  void clusterScopedCustomResources() {
    client
        .genericKubernetesResources(TestCrds.GADGETS)
        .resource(TestCrds.gadget("cluster-gadget", "eu-west-1"))
        .create();

    Kubectl.Result result = ok("get", "gd");
    assertThat(result.stdout().lines().findFirst().orElse(""))
        .as("%s", result)
        .containsPattern("NAME\\s+REGION\\s+READY$");
    assertThat(row(result, "cluster-gadget"))
        .as("%s", result)
        .containsExactly("cluster-gadget", "eu-west-1");

    Kubectl.Result wide = ok("get", "gadget", "cluster-gadget", "-o", "wide");
    assertThat(wide.stdout()).as("%s", wide).containsPattern("NAME\\s+REGION\\s+READY\\s+DETAIL");

    Kubectl.Result named = ok("get", "gadgets", "-o", "name");
    assertThat(named.stdout())
        .as("%s", named)
        .contains("gadget.example.proxyfleet.io/cluster-gadget");
  }

  @Test
  void createDescribeReplace() throws IOException {
    String yaml =
        """
        apiVersion: example.proxyfleet.io/v1
        kind: Widget
        metadata:
          name: created-w
        spec:
          size: %d
        """;
    Kubectl.Result created = ok("create", "-f", manifest("c1.yaml", yaml.formatted(1)).toString());
    assertThat(created.stdout()).as("%s", created).contains("created-w created");

    Kubectl.Result described = ok("describe", "wd", "created-w");
    assertThat(described.stdout())
        .as("%s", described)
        .contains("Name:         created-w")
        .contains("Kind:         Widget")
        .containsPattern("Size:\\s+1");

    Kubectl.Result replaced =
        ok("replace", "-f", manifest("c2.yaml", yaml.formatted(8)).toString());
    assertThat(replaced.stdout()).as("%s", replaced).contains("created-w replaced");
    assertThat(spec(widget("created-w"), "size")).isEqualTo(8);
  }

  @Test
  void namespacesAreListed() {
    Kubectl.Result result = ok("get", "ns");
    assertThat(row(result, "default")).as("%s", result).isNotEmpty();
  }

  /** describe finds an object's events with a field selector on involvedObject. */
  @Test
  void describeListsTheObjectsOwnEvents() {
    GenericKubernetesResource described = createWidget("evented-w", 1, null);
    createWidget("quiet-w", 1, null);
    for (String target : List.of("evented-w", "quiet-w")) {
      GenericKubernetesResource object = widget(target);
      client
          .v1()
          .events()
          .inNamespace("default")
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(target + ".event")
                  .endMetadata()
                  .withNewInvolvedObject()
                  .withApiVersion(TestCrds.API_VERSION)
                  .withKind("Widget")
                  .withName(target)
                  .withNamespace("default")
                  .withUid(object.getMetadata().getUid())
                  .endInvolvedObject()
                  .withReason(target.equals("evented-w") ? "Resized" : "Elsewhere")
                  .withMessage("event of " + target)
                  .withType("Normal")
                  .withCount(1)
                  .build())
          .create();
    }

    Kubectl.Result result = ok("describe", "wd", described.getMetadata().getName());

    assertThat(result.stdout()).as("%s", result).contains("Resized").doesNotContain("Elsewhere");
  }

  /** kubectl wait watches by polling (WatchAndFieldSelectorTest); get -w cannot follow that. */
  @Test
  void getWatchIsAKnownGapWithAClearError() {
    createWidget("watched-w", 1, null);

    Kubectl.Result result = kubectl.run("get", "wd", "-w");

    assertThat(result.exitCode()).as("%s", result).isNotZero();
    assertThat(result.stderr()).as("%s", result).contains("kubectl get -w is not supported");
  }
}
