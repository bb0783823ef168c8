package io.proxyfleet.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;

/** Blocked IP ranges shared by fleets (cluster-scoped, like a ClusterIssuer). */
@Group(ApiGroup.GROUP)
@Version(ApiGroup.VERSION)
@Kind("Blocklist")
@Plural("blocklists")
@AdditionalPrinterColumn(name = "ENTRIES", jsonPath = ".status.entries", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "IPV4-ADDRESSES", jsonPath = ".status.ipv4Addresses", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "ERRORS", jsonPath = ".status.parseErrors", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "AGE", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class Blocklist extends CustomResource<BlocklistSpec, BlocklistStatus> {}
