package io.proxyfleet.api;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
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
@AdditionalPrinterColumn(
    name = "DESIRED",
    jsonPath = ".spec.replicas",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "READY",
    jsonPath = ".status.readyReplicas",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "BLOCKED",
    jsonPath = ".status.blockedReplicas",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "ROTATIONS",
    jsonPath = ".status.rotations",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "AGE",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class ProxyFleet extends CustomResource<ProxyFleetSpec, ProxyFleetStatus>
    implements Namespaced {

  /**
   * Reads the spec tolerantly: one bad value marks this object instead of stopping the informer.
   */
  @Override
  @JsonDeserialize(using = SpecReader.class)
  public void setSpec(ProxyFleetSpec spec) {
    super.setSpec(spec);
  }

  /** Writes back what the tolerant reader could not read, so a clone keeps its marks. */
  @Override
  @JsonSerialize(using = TolerantWriter.class)
  public ProxyFleetSpec getSpec() {
    return super.getSpec();
  }

  /** The tolerant reader of {@link ProxyFleetSpec}. */
  public static final class SpecReader extends TolerantReader<ProxyFleetSpec> {
    public SpecReader() {
      super(ProxyFleetSpec.class, "spec");
    }
  }
}
