package io.proxyfleet.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;

/** How to reach one cloud account: provider, credentials and launch details shared by fleets. */
@Group(ApiGroup.GROUP)
@Version(ApiGroup.VERSION)
@Kind("CloudProfile")
@Plural("cloudprofiles")
@AdditionalPrinterColumn(name = "PROVIDER", jsonPath = ".spec.provider", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "AGE", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class CloudProfile extends CustomResource<CloudProfileSpec, CloudProfileStatus> implements Namespaced {}
