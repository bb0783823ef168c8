package io.proxyfleet.cloud;

import io.proxyfleet.api.CloudProfile;

/** Builds the provider object for one CloudProfile of a given type. */
public interface CloudProviderFactory {
  /** Provider type as written in {@code CloudProfile.spec.provider}. */
  String type();

  /** A provider for the profile; throws {@link CloudException} with INVALID naming a bad field. */
  CloudProvider create(CloudProfile profile);
}
