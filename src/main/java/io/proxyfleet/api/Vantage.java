package io.proxyfleet.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A place inside the censored network from which a probe agent tests the fleets' proxies, and the
 * results it reports. The agent ({@code proxyfleet probe-agent}) runs there with a token that may
 * write only this object's status.
 */
@Group(ApiGroup.GROUP)
@Version(ApiGroup.VERSION)
@Kind("Vantage")
@Plural("vantages")
@AdditionalPrinterColumn(
    name = "COUNTRY",
    jsonPath = ".spec.network.country",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "ASN",
    jsonPath = ".spec.network.asn",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "REACHABLE",
    jsonPath = ".status.reachable",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "UNREACHABLE",
    jsonPath = ".status.unreachable",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "LAST REPORT",
    jsonPath = ".status.lastReportTime",
    type = AdditionalPrinterColumn.Type.DATE)
public class Vantage extends CustomResource<VantageSpec, VantageStatus> implements Namespaced {

  /** Condition the operator writes on a Vantage: whether its reports are used. */
  public static final String ACCEPTED = "Accepted";

  /** Reason of {@code Accepted=False} for a vantage that reported once and then stopped. */
  public static final String SILENT = "Silent";
}
