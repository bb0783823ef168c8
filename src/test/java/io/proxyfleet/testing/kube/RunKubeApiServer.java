package io.proxyfleet.testing.kube;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Starts the test suite's real kube-apiserver (with the CRDs installed) for a person or a
 * benchmark, writes an admin kubeconfig, and runs until Ctrl-C:
 *
 * <pre>
 * ./mvnw -q test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.proxyfleet.testing.kube.RunKubeApiServer -Dexec.args=.proxyfleet/real.kubeconfig
 * </pre>
 */
public final class RunKubeApiServer {

  private RunKubeApiServer() {}

  public static void main(String[] args) throws InterruptedException {
    Path kubeconfig = Path.of(args.length > 0 ? args[0] : ".proxyfleet/real.kubeconfig");
    String[] why = {""};
    Path bin = KubeBinaries.locate(why).orElseThrow(() -> new IllegalStateException(why[0]));
    KubeApiServer server = KubeApiServer.start(bin);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                }));
    RealKube.installCrds(server.admin(), Path.of("crds"));
    server.writeKubeconfig(kubeconfig, null, "default");
    System.out.println(
        "kube-apiserver "
            + server.url()
            + " is up with the CRDs installed; kubeconfig: "
            + kubeconfig.toAbsolutePath()
            + "\nPress Ctrl-C to stop it.");
    stopped.await();
  }
}
