package io.proxyfleet.block;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BlockIndexRegistryTest {

  @Test
  void attributesABlockToTheFirstListThatCoversIt() {
    BlockIndexRegistry registry = new BlockIndexRegistry();
    registry.publish(
        "manual", ParsedBlocklist.parse(List.of("127.1.0.0/24"), "spec.cidrs").index());
    registry.publish("rkn", ParsedBlocklist.parse(List.of("127.0.0.0/8"), "spec.cidrs").index());

    assertThat(registry.match(List.of("manual", "rkn"), "127.1.0.9"))
        .contains(new BlockMatch("manual", "127.1.0.0/24"));
    assertThat(registry.match(List.of("rkn", "manual"), "127.1.0.9"))
        .contains(new BlockMatch("rkn", "127.0.0.0/8"));
    assertThat(registry.match(List.of("manual"), "127.2.0.9")).isEmpty();
    assertThat(registry.match(List.of("missing"), "127.1.0.9")).isEmpty();
    assertThat(registry.checkerFor(List.of("manual")).check("127.1.0.1")).isPresent();
  }

  @Test
  void tellsListenersWhichListChanged() {
    BlockIndexRegistry registry = new BlockIndexRegistry();
    List<String> heard = new ArrayList<>();
    registry.addListener(heard::add);
    registry.publish("manual", BlockIndex.EMPTY);
    registry.withdraw("manual");
    registry.withdraw("never-published");
    assertThat(heard).containsExactly("manual", "manual");
    assertThat(registry.isPublished("manual")).isFalse();
  }

  @Test
  void countsAndSkipsMalformedEntries() {
    ParsedBlocklist parsed =
        ParsedBlocklist.parse(
            List.of("10.0.0.0/8", "bogus", "1.2.3.4/99", "2001:db8::/32"), "spec.cidrs");
    assertThat(parsed.entries()).isEqualTo(2);
    assertThat(parsed.parseErrors()).isEqualTo(2);
    assertThat(parsed.firstErrors())
        .containsExactly(
            "spec.cidrs[1]: 'bogus' is not an IPv4 address",
            "spec.cidrs[2]: '1.2.3.4/99': prefix length 99 is larger than 32");
    assertThat(parsed.index().rangeCount()).isEqualTo(2);
  }
}
