package io.proxyfleet.cloud.local;

import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.CloudException;
import io.proxyfleet.cloud.CloudException.Reason;
import io.proxyfleet.cloud.CloudProvider;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.cloud.Subnet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/** The {@code local} provider: one CloudProfile's view of a shared {@link LoopbackNetwork}. */
public final class LocalCloudProvider implements CloudProvider {

  /** The provider type as written in {@code CloudProfile.spec.provider}. */
  public static final String TYPE = "local";

  // RFC 1929 carries username and password behind one-byte lengths.
  private static final int MAX_CREDENTIAL_BYTES = 255;

  private final LoopbackNetwork network;
  private final int subnetsPerRegion;
  private final Duration bootDelay;

  /**
   * Creates a view of {@code network}.
   *
   * @param subnetsPerRegion subnets {@code local-R-s0 …} per region, 1 to 256; each holds 254
   *     addresses, which is this provider's address quota per region
   * @param bootDelay how long a launched instance stays PENDING before it reports RUNNING
   */
  public LocalCloudProvider(LoopbackNetwork network, int subnetsPerRegion, Duration bootDelay) {
    this.network = Objects.requireNonNull(network, "network");
    if (subnetsPerRegion < 1 || subnetsPerRegion > LocalRegions.MAX_SUBNETS) {
      throw new IllegalArgumentException(
          "subnetsPerRegion must be 1.." + LocalRegions.MAX_SUBNETS + ", was " + subnetsPerRegion);
    }
    Objects.requireNonNull(bootDelay, "bootDelay");
    if (bootDelay.isNegative()) {
      throw new IllegalArgumentException("bootDelay must not be negative, was " + bootDelay);
    }
    this.subnetsPerRegion = subnetsPerRegion;
    this.bootDelay = bootDelay;
  }

  @Override
  public String type() {
    return TYPE;
  }

  /** The shared network this provider draws from. */
  public LoopbackNetwork network() {
    return network;
  }

  @Override
  public boolean supports(io.proxyfleet.api.Protocol protocol) {
    return protocol == io.proxyfleet.api.Protocol.SOCKS5
        || protocol == io.proxyfleet.api.Protocol.HTTP;
  }

  @Override
  public List<Subnet> subnets(String region) {
    network.recordCall("subnets");
    int r = LocalRegions.regionNumber(region);
    List<Subnet> subnets = new ArrayList<>(subnetsPerRegion);
    for (int s = 0; s < subnetsPerRegion; s++) {
      subnets.add(LocalRegions.subnet(r, s));
    }
    return List.copyOf(subnets);
  }

  /** Hosts .1 to .254 of each subnet: exactly what {@link #allocateAddress} draws from. */
  @Override
  public List<io.proxyfleet.block.IpRange> addressSpace(String region) {
    int r = LocalRegions.regionNumber(region);
    List<io.proxyfleet.block.IpRange> ranges = new ArrayList<>(subnetsPerRegion);
    for (int s = 0; s < subnetsPerRegion; s++) {
      long base = (127L << 24) | ((long) r << 16) | ((long) s << 8);
      ranges.add(
          io.proxyfleet.block.IpRange.ipv4(
              base + LocalRegions.FIRST_HOST, base + LocalRegions.LAST_HOST));
    }
    return List.copyOf(ranges);
  }

  @Override
  public Optional<Instance> findInstance(String region, String ownerUid) {
    network.recordCall("findInstance");
    LocalRegions.regionNumber(region);
    return network.findInstance(region, ownerUid);
  }

  @Override
  public Instance launch(LaunchSpec spec) {
    network.recordCall("launch");
    Objects.requireNonNull(spec, "spec");
    if (spec.owner() == null) {
      throw new CloudException(
          Reason.INVALID, "owner must be set: every instance carries owner tags");
    }
    int r = LocalRegions.regionNumber(spec.region());
    int s = LocalRegions.subnetIndex(spec.region(), r, spec.subnetId(), subnetsPerRegion);
    if (!supports(spec.protocol())) {
      throw new CloudException(
          Reason.INVALID,
          "protocol "
              + spec.protocol()
              + " is not supported by the local provider; use socks5 or http");
    }
    if (spec.port() < 1 || spec.port() > 65535) {
      throw new CloudException(
          Reason.INVALID, "port " + spec.port() + " is not a TCP port (1..65535)");
    }
    checkCredentials(spec.credentials());
    return network.launch(spec, LocalRegions.subnet(r, s), bootDelay);
  }

  @Override
  public void terminate(String region, String instanceId) {
    network.recordCall("terminate");
    LocalRegions.regionNumber(region);
    network.terminate(region, instanceId);
  }

  @Override
  public List<Instance> listManagedInstances(String region, String cluster) {
    network.recordCall("listManagedInstances");
    LocalRegions.regionNumber(region);
    return network.listInstances(region, cluster);
  }

  @Override
  public Address allocateAddress(String region, OwnerTags owner, Optional<String> subnetHint) {
    network.recordCall("allocateAddress");
    int r = LocalRegions.regionNumber(region);
    if (owner == null) {
      throw new CloudException(
          Reason.INVALID, "owner must be set: every address carries owner tags");
    }
    OptionalInt hint =
        subnetHint == null || subnetHint.isEmpty()
            ? OptionalInt.empty()
            : OptionalInt.of(
                LocalRegions.subnetIndex(region, r, subnetHint.get(), subnetsPerRegion));
    return network.allocate(region, r, subnetsPerRegion, hint, owner);
  }

  @Override
  public List<Address> listManagedAddresses(String region, String cluster) {
    network.recordCall("listManagedAddresses");
    LocalRegions.regionNumber(region);
    return network.listAddresses(region, cluster);
  }

  @Override
  public void associateAddress(String region, String instanceId, Address address) {
    network.recordCall("associateAddress");
    LocalRegions.regionNumber(region);
    Objects.requireNonNull(address, "address");
    network.associate(region, instanceId, address.id());
  }

  @Override
  public void releaseAddress(String region, Address address) {
    network.recordCall("releaseAddress");
    LocalRegions.regionNumber(region);
    Objects.requireNonNull(address, "address");
    network.release(region, address.id());
  }

  /** Nothing to release: listeners belong to the shared network, which its creator closes. */
  @Override
  public void close() {}

  private static void checkCredentials(ProxyCredentials credentials) {
    if (credentials == null) {
      throw new CloudException(
          Reason.INVALID,
          "credentials must be set: the local proxies always require authentication");
    }
    checkCredential("credentials.username", credentials.username());
    checkCredential("credentials.password", credentials.password());
    if (credentials.username().indexOf(':') >= 0) {
      // HTTP Basic splits user and password at the first colon (RFC 7617).
      throw new CloudException(Reason.INVALID, "credentials.username must not contain ':'");
    }
  }

  private static void checkCredential(String field, String value) {
    int length = value == null ? 0 : value.length();
    if (length < 1 || length > MAX_CREDENTIAL_BYTES) {
      throw new CloudException(
          Reason.INVALID,
          field + " must be 1.." + MAX_CREDENTIAL_BYTES + " characters (SOCKS5 limit)");
    }
    // Netty's SOCKS5 decoder reads credentials as US-ASCII; anything else could never match.
    if (!value.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
      throw new CloudException(Reason.INVALID, field + " must be printable ASCII");
    }
  }
}
