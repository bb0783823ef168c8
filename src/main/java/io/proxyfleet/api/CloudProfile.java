package io.proxyfleet.api;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
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
@AdditionalPrinterColumn(
    name = "PROVIDER",
    jsonPath = ".spec.provider",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "AGE",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class CloudProfile extends CustomResource<CloudProfileSpec, CloudProfileStatus>
    implements Namespaced {

  /**
   * Reads the spec tolerantly: one bad value marks this object instead of stopping the informer.
   */
  @Override
  @JsonDeserialize(using = SpecReader.class)
  public void setSpec(CloudProfileSpec spec) {
    super.setSpec(spec);
  }

  /** Writes back what the tolerant reader could not read, so a clone keeps its marks. */
  @Override
  @JsonSerialize(using = TolerantWriter.class)
  public CloudProfileSpec getSpec() {
    return super.getSpec();
  }

  /** The tolerant reader of {@link CloudProfileSpec}. */
  public static final class SpecReader extends TolerantReader<CloudProfileSpec> {
    public SpecReader() {
      super(CloudProfileSpec.class, "spec");
    }
  }
}
