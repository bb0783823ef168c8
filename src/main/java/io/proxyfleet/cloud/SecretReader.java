package io.proxyfleet.cloud;

import java.util.Map;
import java.util.Optional;

/**
 * Reads a Kubernetes Secret's decoded values, so cloud adapters can load credentials named by a
 * CloudProfile without depending on a Kubernetes client. The operator passes one backed by Fabric8;
 * tests pass a map.
 */
@FunctionalInterface
public interface SecretReader {

  /** The Secret's keys and decoded (UTF-8) values, or empty when the Secret does not exist. */
  Optional<Map<String, String>> read(String namespace, String name);

  /** A reader that finds no Secret at all. */
  static SecretReader none() {
    return (namespace, name) -> Optional.empty();
  }
}
