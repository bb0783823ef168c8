package io.proxyfleet.realserver;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.proxyfleet.testing.kube.KubeApiServer;
import io.proxyfleet.testing.kube.OperatorProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The operator as shipped: the ServiceAccount, ClusterRole and binding of {@code
 * operator/rbac.yaml} applied unchanged, and operator processes that authenticate with a token of
 * that ServiceAccount.
 */
final class ShippedOperator {

  static final String NAMESPACE = "proxyfleet-system";
  static final String SERVICE_ACCOUNT = "proxyfleet-operator";
  static final Path RBAC = Path.of("operator/rbac.yaml");

  private ShippedOperator() {}

  /** Applies the shipped RBAC (idempotent) and returns its objects. */
  static List<HasMetadata> installRbac(KubernetesClient admin) {
    admin
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
        .createOr(NonDeletingOperation::update);
    try (InputStream in = Files.newInputStream(RBAC)) {
      List<HasMetadata> items = admin.load(in).items();
      for (HasMetadata item : items) {
        admin.resource(item).createOr(NonDeletingOperation::update);
      }
      return items;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A kubeconfig holding a fresh token of the shipped ServiceAccount. */
  static Path kubeconfig(KubeApiServer server, Path dir) {
    return kubeconfig(server, dir, token(server));
  }

  /** A kubeconfig holding {@code token}. */
  static Path kubeconfig(KubeApiServer server, Path dir, String token) {
    return server.writeKubeconfig(dir.resolve("operator.kubeconfig"), token, NAMESPACE);
  }

  /**
   * A fresh token of the shipped ServiceAccount (its {@code jti} tells its requests apart in the
   * audit log).
   */
  static String token(KubeApiServer server) {
    return server.serviceAccountToken(NAMESPACE, SERVICE_ACCOUNT, Duration.ofHours(2));
  }

  /**
   * Starts {@code proxyfleet operator} with leader election (its Lease in {@code leaseNamespace},
   * so test classes never wait for each other's leases to expire), the local provider on and the
   * shipped cloud-range snapshot; {@code podName} becomes its identity's base.
   */
  static OperatorProcess start(
      Path kubeconfig, Path log, String podName, String leaseNamespace, String... extra) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "--enable-local-provider",
                "--cluster-name=realserver",
                "--leader-election-namespace=" + leaseNamespace,
                "--cloud-ranges-refresh=0",
                "--reconcile-threads=4",
                "--leader-election-identity=" + podName,
                "--operator-namespace=" + NAMESPACE,
                // The tests' feed servers listen on loopback, which production refuses.
                "--blocklist-allowed-cidrs=127.0.0.0/8"));
    args.addAll(List.of(extra));
    return OperatorProcess.start(kubeconfig, log, Map.of(), args.toArray(String[]::new));
  }
}
