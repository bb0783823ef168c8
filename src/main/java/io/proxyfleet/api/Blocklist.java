package io.proxyfleet.api;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
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
@AdditionalPrinterColumn(
    name = "ENTRIES",
    jsonPath = ".status.entries",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "IPV4-ADDRESSES",
    jsonPath = ".status.ipv4Addresses",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "ERRORS",
    jsonPath = ".status.parseErrors",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "AGE",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class Blocklist extends CustomResource<BlocklistSpec, BlocklistStatus> {

  /**
   * Reads the spec tolerantly: one bad value marks this object instead of stopping the informer.
   */
  @Override
  @JsonDeserialize(using = SpecReader.class)
  public void setSpec(BlocklistSpec spec) {
    super.setSpec(spec);
  }

  /** Writes back what the tolerant reader could not read, so a clone keeps its marks. */
  @Override
  @JsonSerialize(using = TolerantWriter.class)
  public BlocklistSpec getSpec() {
    return super.getSpec();
  }

  /** The tolerant reader of {@link BlocklistSpec}. */
  public static final class SpecReader extends TolerantReader<BlocklistSpec> {
    public SpecReader() {
      super(BlocklistSpec.class, "spec");
    }
  }
}
