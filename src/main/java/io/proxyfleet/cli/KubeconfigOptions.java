package io.proxyfleet.cli;

import io.fabric8.kubernetes.client.Config;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** How the client commands pick a cluster and namespace, the way kubectl does. */
final class KubeconfigOptions {

  private KubeconfigOptions() {}

  /** The given kubeconfig, else $KUBECONFIG, ~/.kube/config or the in-cluster account. */
  static Config config(Path kubeconfig) throws IOException {
    return kubeconfig == null
        ? Config.autoConfigure(null)
        : Config.fromKubeconfig(
            null, Files.readString(kubeconfig, StandardCharsets.UTF_8), kubeconfig.toString());
  }

  /** The namespace asked for, else the kubeconfig context's, else default. */
  static String namespace(String asked, Config config) {
    return asked != null
        ? asked
        : config.getNamespace() != null ? config.getNamespace() : "default";
  }
}
