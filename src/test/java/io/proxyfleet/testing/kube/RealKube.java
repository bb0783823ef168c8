package io.proxyfleet.testing.kube;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension: one real kube-apiserver (and etcd) for the whole test run, with the CRDs of
 * {@code crds/} installed and Established. Test classes share it and keep apart by namespace and
 * object names. Inject {@link KubeApiServer} into a test method, constructor or lifecycle method.
 *
 * <p>Under {@code CI=true} the tests must run: a server that cannot be built or started fails them.
 * Elsewhere they are skipped with one line saying how to enable them.
 */
public final class RealKube implements BeforeAllCallback, ParameterResolver {

  private static final ExtensionContext.Namespace STORE =
      ExtensionContext.Namespace.create(RealKube.class);
  static final String HINT =
      "Real-API-server tests skipped: %s. Install Go 1.26 (src/test/kube/build.sh builds kube-apiserver "
          + "and etcd from the Go module proxy), or run .ci/run.";

  @Override
  public void beforeAll(ExtensionContext context) {
    server(context);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == KubeApiServer.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return server(context);
  }

  /** The shared server, started on first use; aborts (or fails under CI) when it cannot be had. */
  public static KubeApiServer server(ExtensionContext context) {
    Shared shared =
        context
            .getRoot()
            .getStore(STORE)
            .getOrComputeIfAbsent(Shared.class, k -> Shared.start(), Shared.class);
    if (shared.server == null) {
      String message = HINT.formatted(shared.why);
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        throw new IllegalStateException("CI=true requires the real API server: " + shared.why);
      }
      Assumptions.abort(message);
    }
    return shared.server;
  }

  /** The server and why it is missing, closed by JUnit when the whole run ends. */
  static final class Shared implements AutoCloseable {
    final KubeApiServer server;
    final String why;

    private Shared(KubeApiServer server, String why) {
      this.server = server;
      this.why = why;
    }

    static Shared start() {
      String[] why = {"unknown reason"};
      Path bin = KubeBinaries.locate(why).orElse(null);
      if (bin == null) {
        System.err.println(HINT.formatted(why[0]));
        return new Shared(null, why[0]);
      }
      KubeApiServer server;
      try {
        // With an audit log, so RBAC tests can compare what the operator used with what it was
        // granted.
        server = KubeApiServer.start(bin, true);
      } catch (RuntimeException e) {
        return new Shared(null, "kube-apiserver did not start: " + e.getMessage());
      }
      try {
        installCrds(server.admin(), Path.of("crds"));
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
      return new Shared(server, null);
    }

    @Override
    public void close() {
      if (server != null) {
        server.close();
      }
    }
  }

  /** Creates (or replaces) every CRD under {@code dir} and waits until each is Established. */
  public static List<CustomResourceDefinition> installCrds(KubernetesClient admin, Path dir) {
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files =
          s.filter(p -> p.toString().endsWith(".yml") || p.toString().endsWith(".yaml"))
              .sorted()
              .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<CustomResourceDefinition> installed =
        files.stream()
            .map(
                f -> {
                  try (InputStream in = Files.newInputStream(f)) {
                    CustomResourceDefinition crd =
                        admin
                            .getKubernetesSerialization()
                            .unmarshal(in, CustomResourceDefinition.class);
                    return admin
                        .apiextensions()
                        .v1()
                        .customResourceDefinitions()
                        .resource(crd)
                        .forceConflicts()
                        .serverSideApply();
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                })
            .toList();
    for (CustomResourceDefinition crd : installed) {
      admin
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .withName(crd.getMetadata().getName())
          .waitUntilCondition(
              c ->
                  c != null
                      && c.getStatus() != null
                      && c.getStatus().getConditions().stream()
                          .anyMatch(
                              x ->
                                  "Established".equals(x.getType())
                                      && "True".equals(x.getStatus())),
              60,
              TimeUnit.SECONDS);
    }
    return installed;
  }

  /**
   * Where operator processes log: under the build directory, so a failed run leaves them to read
   * (each test's temporary directory is deleted with it).
   */
  public static Path logFile(String testClass, String name) {
    Path dir =
        Path.of(System.getProperty("proxyfleet.buildDir", "target"), "realserver-logs", testClass);
    try {
      Files.createDirectories(dir);
      Path file = dir.resolve(name + ".log");
      Files.deleteIfExists(file);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * How long a test should wait for the operator on the real server (it is slower than the mock).
   */
  public static final Duration TIMEOUT = Duration.ofSeconds(60);
}
