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

/**
 * One proxy VM and its public IP, owned by a fleet. The spec is immutable: changes mean a new
 * Proxy.
 */
@Group(ApiGroup.GROUP)
@Version(ApiGroup.VERSION)
@Kind("Proxy")
@Plural("proxies")
@ShortNames("px")
@AdditionalPrinterColumn(
    name = "FLEET",
    jsonPath = ".spec.fleet",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "PROVIDER",
    jsonPath = ".spec.provider",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "REGION",
    jsonPath = ".spec.region",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "IP",
    jsonPath = ".status.publicIp",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "PHASE",
    jsonPath = ".status.phase",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "AGE",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class Proxy extends CustomResource<ProxySpec, ProxyStatus> implements Namespaced {

  /**
   * Reads the spec tolerantly: one bad value marks this object instead of stopping the informer.
   */
  @Override
  @JsonDeserialize(using = SpecReader.class)
  public void setSpec(ProxySpec spec) {
    super.setSpec(spec);
  }

  /** Writes back what the tolerant reader could not read, so a clone keeps its marks. */
  @Override
  @JsonSerialize(using = TolerantWriter.class)
  public ProxySpec getSpec() {
    return super.getSpec();
  }

  /** The tolerant reader of {@link ProxySpec}. */
  public static final class SpecReader extends TolerantReader<ProxySpec> {
    public SpecReader() {
      super(ProxySpec.class, "spec");
    }
  }
}
