package io.proxyfleet.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded API through the Fabric8 client, as the operator uses it. */
class EmbeddedKubernetesTest {

  private static EmbeddedKubernetes api;
  private static KubernetesClient client;

  @BeforeAll
  static void start() {
    api = EmbeddedKubernetes.start("127.0.0.1", 0);
    api.installCrds(TestCrds.all());
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
      widgets() {
    return client.genericKubernetesResources(TestCrds.WIDGETS);
  }

  @SuppressWarnings("unchecked")
  private static Object field(GenericKubernetesResource r, String section, String key) {
    Object value = r.getAdditionalProperties().get(section);
    return value instanceof Map<?, ?> map ? ((Map<String, Object>) map).get(key) : null;
  }

  @Test
  void urlAndPortDescribeTheListeningServer() {
    assertThat(api.port()).isPositive();
    assertThat(api.url()).isEqualTo("http://127.0.0.1:" + api.port());
    assertThat(client.getMasterUrl().toString()).startsWith(api.url());
  }

  @Test
  void startsWithDefaultNamespaceAndInstalledCrds() {
    assertThat(client.namespaces().withName("default").get()).isNotNull();
    assertThat(client.apiextensions().v1().customResourceDefinitions().list().getItems())
        .extracting(crd -> crd.getMetadata().getName())
        .contains("widgets.example.proxyfleet.io", "gadgets.example.proxyfleet.io");
  }

  @Test
  void installingTheSameCrdsAgainIsHarmless() {
    api.installCrds(TestCrds.all());
    assertThat(
            client
                .apiextensions()
                .v1()
                .customResourceDefinitions()
                .withName("widgets.example.proxyfleet.io")
                .get())
        .isNotNull();
  }

  @Test
  void createGetListPatchDeleteCustomResources() {
    widgets().resource(TestCrds.widget("crud-a", 1)).create();
    widgets().resource(TestCrds.widget("crud-b", 2)).create();

    GenericKubernetesResource a = widgets().inNamespace("default").withName("crud-a").get();
    assertThat(field(a, "spec", "size")).isEqualTo(1);
    assertThat(a.getMetadata().getResourceVersion()).isNotBlank();
    assertThat(a.getMetadata().getCreationTimestamp()).isNotBlank();
    assertThat(widgets().inNamespace("default").list().getItems())
        .extracting(w -> w.getMetadata().getName())
        .contains("crud-a", "crud-b");

    widgets()
        .inNamespace("default")
        .withName("crud-a")
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"size\":5}}");
    assertThat(field(widgets().inNamespace("default").withName("crud-a").get(), "spec", "size"))
        .isEqualTo(5);

    widgets()
        .inNamespace("default")
        .withName("crud-a")
        .patch(
            PatchContext.of(PatchType.JSON),
            "[{\"op\":\"replace\",\"path\":\"/spec/color\",\"value\":\"blue\"}]");
    GenericKubernetesResource patched = widgets().inNamespace("default").withName("crud-a").get();
    assertThat(field(patched, "spec", "color")).isEqualTo("blue");
    assertThat(field(patched, "spec", "size")).isEqualTo(5);

    widgets().inNamespace("default").withName("crud-a").delete();
    widgets().inNamespace("default").withName("crud-b").delete();
    assertThat(widgets().inNamespace("default").withName("crud-a").get()).isNull();
    assertThat(widgets().inNamespace("default").list().getItems())
        .extracting(w -> w.getMetadata().getName())
        .doesNotContain("crud-a", "crud-b");
  }

  @Test
  void clusterScopedCustomResources() {
    var gadgets = client.genericKubernetesResources(TestCrds.GADGETS);
    gadgets.resource(TestCrds.gadget("cluster-g", "eu-west-1")).create();
    GenericKubernetesResource g = gadgets.withName("cluster-g").get();
    assertThat(g.getMetadata().getNamespace()).isNull();
    assertThat(field(g, "spec", "region")).isEqualTo("eu-west-1");
    gadgets.withName("cluster-g").delete();
    assertThat(gadgets.withName("cluster-g").get()).isNull();
  }

  @Test
  void statusUpdateLeavesSpecAloneAndSpecUpdateLeavesStatusAlone() {
    widgets().resource(TestCrds.widget("status-w", 1)).create();
    Resource<GenericKubernetesResource> ref = widgets().inNamespace("default").withName("status-w");

    GenericKubernetesResource forStatus = ref.get();
    forStatus.setAdditionalProperty("status", Map.of("phase", "Ready"));
    forStatus.setAdditionalProperty("spec", Map.of("size", 99, "color", "red"));
    widgets().resource(forStatus).updateStatus();

    GenericKubernetesResource afterStatus = ref.get();
    assertThat(field(afterStatus, "status", "phase")).isEqualTo("Ready");
    assertThat(field(afterStatus, "spec", "size")).isEqualTo(1);

    GenericKubernetesResource forSpec = ref.get();
    forSpec.setAdditionalProperty("spec", Map.of("size", 2, "color", "red"));
    forSpec.setAdditionalProperty("status", Map.of("phase", "Overwritten"));
    widgets().resource(forSpec).update();

    GenericKubernetesResource afterSpec = ref.get();
    assertThat(field(afterSpec, "spec", "size")).isEqualTo(2);
    assertThat(field(afterSpec, "status", "phase")).isEqualTo("Ready");

    ref.delete();
  }

  @Test
  void staleResourceVersionIsAConflict() {
    widgets().resource(TestCrds.widget("conflict-w", 1)).create();
    Resource<GenericKubernetesResource> ref =
        widgets().inNamespace("default").withName("conflict-w");
    GenericKubernetesResource stale = ref.get();
    GenericKubernetesResource fresh = ref.get();
    fresh.setAdditionalProperty("spec", Map.of("size", 2));
    widgets().resource(fresh).update();

    stale.setAdditionalProperty("spec", Map.of("size", 3));
    assertThatThrownBy(() -> widgets().resource(stale).update())
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
    ref.delete();
  }

  @Test
  void informerSeesAddUpdateAndDelete() {
    List<String> events = new CopyOnWriteArrayList<>();
    SharedIndexInformer<GenericKubernetesResource> informer =
        widgets()
            .inNamespace("default")
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(GenericKubernetesResource obj) {
                    events.add("ADD " + obj.getMetadata().getName());
                  }

                  @Override
                  public void onUpdate(
                      GenericKubernetesResource oldObj, GenericKubernetesResource newObj) {
                    events.add(
                        "UPDATE "
                            + newObj.getMetadata().getName()
                            + " "
                            + field(newObj, "spec", "size"));
                  }

                  @Override
                  public void onDelete(
                      GenericKubernetesResource obj, boolean deletedFinalStateUnknown) {
                    events.add("DELETE " + obj.getMetadata().getName());
                  }
                });
    try {
      widgets().resource(TestCrds.widget("watched", 1)).create();
      await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("ADD watched"));

      widgets()
          .inNamespace("default")
          .withName("watched")
          .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"size\":7}}");
      await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("UPDATE watched 7"));

      widgets().inNamespace("default").withName("watched").delete();
      await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("DELETE watched"));
    } finally {
      informer.close();
    }
  }

  @Test
  void leasesForLeaderElection() {
    var lease =
        new LeaseBuilder()
            .withNewMetadata()
            .withName("leader")
            .withNamespace("default")
            .endMetadata()
            .withNewSpec()
            .withHolderIdentity("me")
            .withLeaseDurationSeconds(15)
            .endSpec()
            .build();
    client.leases().inNamespace("default").resource(lease).create();
    assertThat(
            client
                .leases()
                .inNamespace("default")
                .withName("leader")
                .get()
                .getSpec()
                .getHolderIdentity())
        .isEqualTo("me");
    client.leases().inNamespace("default").withName("leader").delete();
  }

  @Test
  void secretStringDataIsStoredAsData() {
    client
        .secrets()
        .inNamespace("default")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("string-data")
                .endMetadata()
                .addToStringData("user", "alice")
                .build())
        .create();
    var stored = client.secrets().inNamespace("default").withName("string-data").get();
    assertThat(stored.getStringData()).isNullOrEmpty();
    assertThat(
            new String(
                Base64.getDecoder().decode(stored.getData().get("user")), StandardCharsets.UTF_8))
        .isEqualTo("alice");
    client.secrets().inNamespace("default").withName("string-data").delete();
  }

  @Test
  void kubeconfigPointsAClientAtTheServer(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("nested/dir/kubeconfig");
    api.writeKubeconfig(file);

    String yaml = Files.readString(file);
    assertThat(yaml)
        .contains("server: " + api.url())
        .contains("current-context: proxyfleet-local")
        .contains("namespace: default")
        .contains("token: ");
    if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
      assertThat(Files.getPosixFilePermissions(file))
          .containsExactlyInAnyOrder(
              PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }

    Config config = Config.fromKubeconfig(yaml);
    assertThat(config.getCurrentContext().getName()).isEqualTo("proxyfleet-local");
    assertThat(config.getNamespace()).isEqualTo("default");
    try (KubernetesClient fromFile =
        new KubernetesClientBuilder()
            .withConfig(config)
            .withHttpClientFactory(new JdkHttpClientFactory())
            .build()) {
      assertThat(fromFile.namespaces().withName("default").get()).isNotNull();
      assertThat(fromFile.getKubernetesVersion().getGitVersion())
          .isEqualTo("v1.32.0-proxyfleet-local");
    }

    api.writeKubeconfig(file);
    assertThat(Files.readString(file)).isEqualTo(yaml);
  }

  @Test
  void closeStopsListening() {
    EmbeddedKubernetes other = EmbeddedKubernetes.start("127.0.0.1", 0);
    int port = other.port();
    assertThat(canConnect(port)).isTrue();

    other.close();
    other.close();

    assertThat(canConnect(port)).isFalse();
    assertThatThrownBy(
            () -> {
              try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
              }
            })
        .isInstanceOf(ConnectException.class);
  }

  @Test
  void explicitPortIsHonoured() throws IOException {
    int free;
    try (var probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      free = probe.getLocalPort();
    }
    try (EmbeddedKubernetes fixed = EmbeddedKubernetes.start("127.0.0.1", free)) {
      assertThat(fixed.port()).isEqualTo(free);
      assertThat(fixed.client().namespaces().withName("default").get()).isNotNull();
    }
  }

  @Test
  void startingOnABusyPortFailsWithTheAddress() {
    assertThatThrownBy(() -> EmbeddedKubernetes.start("127.0.0.1", api.port()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("127.0.0.1:" + api.port());
    assertThat(client.namespaces().withName("default").get()).isNotNull();
  }

  private static boolean canConnect(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
