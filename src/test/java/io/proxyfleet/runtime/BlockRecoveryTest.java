package io.proxyfleet.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.proxyfleet.api.Proxy;
import io.proxyfleet.api.ProxyPhase;
import io.proxyfleet.api.ProxyStatus;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BlockRecoveryTest {

  static Proxy proxy(String ip, String blockedBy, String blockedSince, String ipAssignedAt, ProxyPhase phase) {
    Proxy p = new Proxy();
    ProxyStatus s = new ProxyStatus();
    s.setPublicIp(ip);
    s.setBlockedBy(blockedBy);
    s.setIpAssignedAt(ipAssignedAt);
    s.setPhase(phase);
    if (blockedSince != null) {
      s.getConditions().add(new ConditionBuilder().withType("Blocked").withStatus("True").withLastTransitionTime(blockedSince).build());
    } else {
      s.getConditions().add(new ConditionBuilder().withType("Blocked").withStatus("False").withLastTransitionTime(ipAssignedAt).build());
    }
    p.setStatus(s);
    return p;
  }

  final Proxy blocked = proxy("52.58.1.1", "rkn (52.58.0.0/15)", "2026-11-27T10:00:00Z", "2026-11-27T09:00:00Z", ProxyPhase.Running);

  @Test
  void fromBlockedToServingOnANewAddress() {
    Proxy clean = proxy("3.120.9.9", null, null, "2026-11-27T10:00:42.500Z", ProxyPhase.Running);
    assertThat(BlockRecovery.of(blocked, clean)).contains(Duration.ofMillis(42_500));
  }

  @Test
  void anythingElseIsNoRecovery() {
    assertThat(BlockRecovery.of(blocked, blocked)).as("still blocked").isEmpty();
    assertThat(BlockRecovery.of(blocked, proxy("52.58.1.1", null, null, "2026-11-27T10:00:05Z", ProxyPhase.Running)))
        .as("unblocked by a list change, same address: nothing was rotated").isEmpty();
    assertThat(BlockRecovery.of(blocked, proxy("3.120.9.9", null, null, "2026-11-27T10:00:05Z", ProxyPhase.Launching)))
        .as("not serving yet").isEmpty();
    Proxy clean = proxy("3.120.9.9", null, null, "2026-11-27T10:00:05Z", ProxyPhase.Running);
    assertThat(BlockRecovery.of(clean, clean)).as("was never blocked").isEmpty();
    assertThat(BlockRecovery.of(null, clean)).isEmpty();
  }
}
