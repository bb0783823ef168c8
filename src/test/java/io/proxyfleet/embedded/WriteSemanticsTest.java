package io.proxyfleet.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.autoscaling.v1.Scale;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.proxyfleet.local.CustomResourceDefinitions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Writes whose semantics the CRUD dispatcher got wrong, each checked as kube-apiserver behaves
 * (EmbeddedAgreesWithRealServerTest compares the two through kubectl): merge patches replace lists,
 * dry runs persist nothing, schema defaults are applied, the scale subresource works, and objects
 * never carry {@code status: null} or {@code namespace: null}.
 */
class WriteSemanticsTest {

  private static final ResourceDefinitionContext FLEETS =
      new ResourceDefinitionContext.Builder()
          .withGroup("proxyfleet.io")
          .withVersion("v1alpha1")
          .withKind("ProxyFleet")
          .withPlural("proxyfleets")
          .withNamespaced(true)
          .build();
  private static final ResourceDefinitionContext BLOCKLISTS =
      new ResourceDefinitionContext.Builder()
          .withGroup("proxyfleet.io")
          .withVersion("v1alpha1")
          .withKind("Blocklist")
          .withPlural("blocklists")
          .withNamespaced(false)
          .build();
  private static final PatchContext MERGE = PatchContext.of(PatchType.JSON_MERGE);

  private static EmbeddedKubernetes api;
  private static KubernetesClient client;

  @BeforeAll
  static void start() {
    api = EmbeddedKubernetes.start("127.0.0.1", 0);
    api.installCrds(CustomResourceDefinitions.all());
    client = api.client();
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  private static MixedOperation<
          GenericKubernetesResource,
          GenericKubernetesResourceList,
          Resource<GenericKubernetesResource>>
      fleets() {
    return client.genericKubernetesResources(FLEETS);
  }

  private static Resource<GenericKubernetesResource> blocklist(String name) {
    return client.genericKubernetesResources(BLOCKLISTS).withName(name);
  }

  private static GenericKubernetesResource createFleet(String name, int replicas) {
    return fleets()
        .inNamespace("default")
        .resource(
            client
                .getKubernetesSerialization()
                .unmarshal(
                    """
        apiVersion: proxyfleet.io/v1alpha1
        kind: ProxyFleet
        metadata: {name: %s, namespace: default}
        spec:
          replicas: %d
          placement: [{cloudProfile: local, regions: [local-1]}]
          rotation: {maxSurge: "50%%"}
        """
                        .formatted(name, replicas),
                    GenericKubernetesResource.class))
        .create();
  }

  private static GenericKubernetesResource createBlocklist(String name, String... cidrs) {
    GenericKubernetesResource list =
        client
            .getKubernetesSerialization()
            .unmarshal(
                "apiVersion: proxyfleet.io/v1alpha1\nkind: Blocklist\nmetadata: {name: "
                    + name
                    + "}\n",
                GenericKubernetesResource.class);
    list.setAdditionalProperty("spec", Map.of("cidrs", List.of(cidrs)));
    return client.genericKubernetesResources(BLOCKLISTS).resource(list).create();
  }

  @SuppressWarnings("unchecked")
  private static Object at(GenericKubernetesResource r, String... path) {
    Object node = r.getAdditionalProperties();
    for (String key : path) {
      if (!(node instanceof Map<?, ?> map)) {
        return null;
      }
      node = ((Map<String, Object>) map).get(key);
    }
    return node;
  }

  @Test
  void aMergePatchReplacesAListInsteadOfAppendingToIt() {
    createBlocklist("merge-lists", "127.1.0.0/24", "10.0.0.0/8");

    blocklist("merge-lists").patch(MERGE, "{\"spec\":{\"cidrs\":[]}}");
    assertThat(at(blocklist("merge-lists").get(), "spec", "cidrs")).isEqualTo(List.of());

    blocklist("merge-lists").patch(MERGE, "{\"spec\":{\"cidrs\":[\"192.0.2.1\"]}}");
    assertThat(at(blocklist("merge-lists").get(), "spec", "cidrs")).isEqualTo(List.of("192.0.2.1"));
  }

  @Test
  void aMergePatchRemovesKeysSetToNullAndDefaultsComeBack() {
    createFleet("merge-null", 2);
    var fleet = fleets().inNamespace("default").withName("merge-null");

    fleet.patch(MERGE, "{\"spec\":{\"rotation\":{\"maxAge\":\"2m\",\"maxSurge\":null}}}");

    GenericKubernetesResource patched = fleet.get();
    assertThat(at(patched, "spec", "rotation", "maxAge")).isEqualTo("2m");
    // maxSurge has a schema default, which a real server applies again after the removal.
    assertThat(at(patched, "spec", "rotation", "maxSurge")).isEqualTo("25%");
  }

  @Test
  void schemaDefaultsAreAppliedOnCreate() {
    GenericKubernetesResource fleet = createFleet("defaults", 2);

    assertThat(at(fleet, "spec", "protocol")).isEqualTo("socks5");
    assertThat(at(fleet, "spec", "port")).isEqualTo(443);
    assertThat(at(fleet, "spec", "rotation", "maxAddressDraws")).isEqualTo(10);
    assertThat(at(fleet, "spec", "rotation", "maxSurge")).isEqualTo("50%");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> placement =
        (List<Map<String, Object>>) at(fleet, "spec", "placement");
    assertThat(placement.get(0)).containsEntry("weight", 1);
    // Absent parents are not created: a fleet without status gets none.
    assertThat(fleet.getAdditionalProperties()).doesNotContainKey("status");
  }

  @Test
  void dryRunsAnswerAsIfDoneAndPersistNothing() {
    createFleet("dry", 2);
    createBlocklist("dry-list", "10.0.0.0/8");
    var fleet = fleets().inNamespace("default").withName("dry");
    String version = fleet.get().getMetadata().getResourceVersion();

    GenericKubernetesResource patched = fleet.dryRun().patch(MERGE, "{\"spec\":{\"replicas\":8}}");
    assertThat(at(patched, "spec", "replicas")).isEqualTo(8);
    assertThat(patched.getMetadata().getGeneration()).isEqualTo(2L);

    GenericKubernetesResource created =
        fleets()
            .inNamespace("default")
            .resource(withName(fleet.get(), "dry-other"))
            .dryRun()
            .create();
    assertThat(created.getMetadata().getName()).isEqualTo("dry-other");

    fleet.dryRun().delete();
    blocklist("dry-list").dryRun().delete();

    assertThat(fleet.get().getMetadata().getResourceVersion()).isEqualTo(version);
    assertThat(at(fleet.get(), "spec", "replicas")).isEqualTo(2);
    assertThat(fleets().inNamespace("default").withName("dry-other").get()).isNull();
    assertThat(blocklist("dry-list").get()).isNotNull();
    assertThatThrownBy(
            () ->
                fleets()
                    .inNamespace("default")
                    .resource(withName(fleet.get(), "dry"))
                    .dryRun()
                    .create())
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
  }

  private static GenericKubernetesResource withName(GenericKubernetesResource r, String name) {
    GenericKubernetesResource copy = client.getKubernetesSerialization().clone(r);
    copy.getMetadata().setName(name);
    copy.getMetadata().setResourceVersion(null);
    copy.getMetadata().setUid(null);
    return copy;
  }

  @Test
  void theScaleSubresourceReadsAndWritesThePathsTheCrdDeclares() {
    createFleet("scaled", 2);
    var fleet = fleets().inNamespace("default").withName("scaled");
    fleet
        .subresource("status")
        .patch(MERGE, "{\"status\":{\"replicas\":2,\"selector\":\"proxyfleet.io/fleet=scaled\"}}");

    Scale scale = fleet.scale();
    assertThat(scale.getSpec().getReplicas()).isEqualTo(2);
    assertThat(scale.getStatus().getReplicas()).isEqualTo(2);
    assertThat(scale.getStatus().getSelector()).isEqualTo("proxyfleet.io/fleet=scaled");

    fleet.scale(7);

    assertThat(at(fleet.get(), "spec", "replicas")).isEqualTo(7);
    assertThat(fleet.scale().getSpec().getReplicas()).isEqualTo(7);
  }

  @Test
  void aJsonPatchThatDoesNotApplyIsInvalidNotAServerError() {
    createFleet("json-test", 2);

    assertThatThrownBy(
            () ->
                fleets()
                    .inNamespace("default")
                    .withName("json-test")
                    .patch(
                        PatchContext.of(PatchType.JSON),
                        "[{\"op\":\"test\",\"path\":\"/spec/replicas\",\"value\":99}]"))
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(422));
  }

  @Test
  void patchedObjectsCarryNoNullStatusOrNamespace() throws IOException, InterruptedException {
    createFleet("no-nulls", 2);
    createBlocklist("no-nulls", "10.0.0.0/8");
    fleets()
        .inNamespace("default")
        .withName("no-nulls")
        .patch(MERGE, "{\"spec\":{\"replicas\":3}}");
    blocklist("no-nulls").patch(MERGE, "{\"spec\":{\"cidrs\":[]}}");

    HttpClient http = HttpClient.newHttpClient();
    String fleet =
        http.send(
                HttpRequest.newBuilder(
                        URI.create(
                            api.url()
                                + "/apis/proxyfleet.io/v1alpha1/namespaces/default/proxyfleets/no-nulls"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    String list =
        http.send(
                HttpRequest.newBuilder(
                        URI.create(api.url() + "/apis/proxyfleet.io/v1alpha1/blocklists/no-nulls"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(fleet).doesNotContain("\"status\":null");
    assertThat(list).doesNotContain("\"namespace\":null").doesNotContain("\"status\":null");
  }
}
