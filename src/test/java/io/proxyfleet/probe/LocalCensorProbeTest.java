package io.proxyfleet.probe;

import static org.assertj.core.api.Assertions.assertThat;

import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.Address;
import io.proxyfleet.cloud.Instance;
import io.proxyfleet.cloud.LaunchSpec;
import io.proxyfleet.cloud.OwnerTags;
import io.proxyfleet.cloud.ProxyCredentials;
import io.proxyfleet.cloud.local.LocalCensor;
import io.proxyfleet.cloud.local.LocalCloudProvider;
import io.proxyfleet.cloud.local.LoopbackNetwork;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Local mode's world as probes see it: a censor that drops, and daemons that die while their VM
 * runs.
 */
class LocalCensorProbeTest {

  static final ProxyCredentials CREDENTIALS = new ProxyCredentials("alice", "s3cret-Pass");
  static final String REGION = "local-212";

  LoopbackNetwork network;
  LocalCloudProvider cloud;
  ProxyProbe outside;
  ProxyProbe inside;
  int port;

  @BeforeEach
  void setUp() throws IOException {
    network = new LoopbackNetwork(Clock.systemUTC(), new SplittableRandom(8));
    cloud = new LocalCloudProvider(network, 2, Duration.ZERO);
    ProxyProbe.Target target = new ProxyProbe.Target("127.0.0.1", 9);
    outside = new ProxyProbe(Duration.ofSeconds(2), null, target, Clock.systemUTC());
    inside =
        new ProxyProbe(
            Duration.ofSeconds(2), LocalCensor.insideAddress(1), target, Clock.systemUTC());
    try (ServerSocket s = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
  }

  @AfterEach
  void tearDown() {
    network.close();
  }

  record Launched(String instanceId, InetSocketAddress address) {}

  Launched launch(String uid) {
    OwnerTags owner = new OwnerTags("c", "default", "fleet", "proxy-" + uid, uid);
    Instance instance =
        cloud.launch(
            new LaunchSpec(owner, REGION, REGION + "-s0", Protocol.SOCKS5, port, CREDENTIALS));
    Address address = cloud.allocateAddress(REGION, owner, Optional.of(instance.subnetId()));
    cloud.associateAddress(REGION, instance.id(), address);
    return new Launched(instance.id(), new InetSocketAddress(address.ip(), port));
  }

  @Test
  void theCensorDropsOnlyWhatComesFromInsideToWhatItCensors() {
    Launched a = launch("a");
    Launched b = launch("b");
    assertThat(inside.probe(Protocol.SOCKS5, a.address(), CREDENTIALS).outcome())
        .isEqualTo(ProbeOutcome.PASSED);

    LocalCensor.Update update =
        network
            .censor()
            .censor(
                "# the censor's list\n"
                    + a.address().getAddress().getHostAddress()
                    + "\nnot-an-ip\n\n");
    assertThat(update.censored()).isEqualTo(1);
    assertThat(update.skipped()).containsExactly("not-an-ip");

    assertThat(inside.probe(Protocol.SOCKS5, a.address(), CREDENTIALS).outcome())
        .as("dropped, not refused")
        .isEqualTo(ProbeOutcome.TIMEOUT);
    assertThat(outside.probe(Protocol.SOCKS5, a.address(), CREDENTIALS).outcome())
        .as("the world outside still reaches it")
        .isEqualTo(ProbeOutcome.PASSED);
    assertThat(inside.probe(Protocol.SOCKS5, b.address(), CREDENTIALS).outcome())
        .as("another address")
        .isEqualTo(ProbeOutcome.PASSED);

    // A whole range, and lifting it.
    network.censor().censor(b.address().getAddress().getHostAddress() + "/24");
    assertThat(inside.probe(Protocol.SOCKS5, b.address(), CREDENTIALS).outcome())
        .isEqualTo(ProbeOutcome.TIMEOUT);
    network.censor().censor("");
    assertThat(inside.probe(Protocol.SOCKS5, a.address(), CREDENTIALS).outcome())
        .isEqualTo(ProbeOutcome.PASSED);
    assertThat(inside.probe(Protocol.SOCKS5, b.address(), CREDENTIALS).outcome())
        .isEqualTo(ProbeOutcome.PASSED);
  }

  @Test
  void aDeadDaemonIsRefusedFromEverywhereWhileItsVmRuns() {
    Launched a = launch("a");
    assertThat(network.setDaemonRunning(a.instanceId(), false)).isTrue();
    assertThat(cloud.findInstance(REGION, "a"))
        .get()
        .extracting(Instance::state)
        .isEqualTo(Instance.State.RUNNING);
    assertThat(outside.probe(Protocol.SOCKS5, a.address(), CREDENTIALS).outcome())
        .isEqualTo(ProbeOutcome.REFUSED);
    assertThat(inside.probe(Protocol.SOCKS5, a.address(), CREDENTIALS).outcome())
        .isEqualTo(ProbeOutcome.REFUSED);

    // A new address does not revive a dead process.
    OwnerTags owner = new OwnerTags("c", "default", "fleet", "proxy-a", "a");
    Address fresh = cloud.allocateAddress(REGION, owner, Optional.empty());
    cloud.associateAddress(REGION, a.instanceId(), fresh);
    InetSocketAddress moved = new InetSocketAddress(fresh.ip(), port);
    assertThat(outside.probe(Protocol.SOCKS5, moved, CREDENTIALS).outcome())
        .isEqualTo(ProbeOutcome.REFUSED);

    assertThat(network.setDaemonRunning(a.instanceId(), true)).isTrue();
    assertThat(outside.probe(Protocol.SOCKS5, moved, CREDENTIALS).outcome())
        .isEqualTo(ProbeOutcome.PASSED);
    assertThat(network.setDaemonRunning("i-missing", false)).isFalse();
  }
}
