package io.proxyfleet.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A fleet of proxies: how many, which protocol, where, and how they rotate when blocked. */
@Group(ApiGroup.GROUP)
@Version(ApiGroup.VERSION)
@Kind("ProxyFleet")
@Plural("proxyfleets")
@ShortNames("pf")
@AdditionalPrinterColumn(name = "DESIRED", jsonPath = ".spec.replicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "READY", jsonPath = ".status.readyReplicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "BLOCKED", jsonPath = ".status.blockedReplicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "ROTATIONS", jsonPath = ".status.rotations", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "AGE", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class ProxyFleet extends CustomResource<ProxyFleetSpec, ProxyFleetStatus> implements Namespaced {}
