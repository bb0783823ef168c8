package io.proxyfleet.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.proxyfleet.block.IpAddresses;
import io.proxyfleet.testing.TestData;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class BlockTimelineTest {

  static BlockTimeline read(String csv) throws Exception {
    return BlockTimeline.read(new ByteArrayInputStream(csv.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void readsTheCompiled2018Report() throws Exception {
    BlockTimeline t;
    try (InputStream in = TestData.open(TestData.TIMELINE_2018)) {
      t = BlockTimeline.read(in);
    }
    assertThat(t.rows()).isEqualTo(38);
    assertThat(t.skippedRows()).isZero();
    assertThat(t.events()).hasSize(38);
    assertThat(t.events().stream().map(BlockTimeline.Event::cidr).distinct()).hasSize(14);
    // Day-precision reports count from midnight UTC; exact commit times stay exact.
    assertThat(t.events().get(0).at()).isEqualTo(Instant.parse("2018-04-16T00:00:00Z"));
    assertThat(t.steps().keySet())
        .containsExactly(
            Instant.parse("2018-04-16T00:00:00Z"),
            Instant.parse("2018-04-17T00:00:00Z"),
            Instant.parse("2018-04-17T07:41:00Z"),
            Instant.parse("2018-04-17T09:21:29Z"),
            Instant.parse("2018-04-17T10:40:58Z"),
            Instant.parse("2018-04-17T12:08:28Z"));
    // A quoted note with commas does not shift the columns.
    assertThat(t.events().get(0).line()).isEqualTo(2);
    assertThat(t.indexAt(Instant.parse("2018-04-15T23:59:59Z")).isEmpty()).isTrue();
    assertThat(
            t.indexAt(Instant.parse("2018-04-16T00:00:00Z"))
                .containsIpv4(IpAddresses.parseIpv4("52.58.1.1")))
        .isTrue();
    assertThat(
            t.indexAt(Instant.parse("2018-04-16T00:00:00Z"))
                .containsIpv4(IpAddresses.parseIpv4("54.160.0.1")))
        .isFalse();
    assertThat(t.index().containsIpv4(IpAddresses.parseIpv4("34.200.0.1"))).isTrue();
    // The 13 analysed CIDRs cover 13.9 M addresses; with 5.184.0.0/13 (kept in the file) 14.4 M.
    assertThat(t.index().ipv4Addresses()).isEqualTo(14_417_920L);
  }

  @Test
  void readsAMinimalCsvAndCountsBadRows() throws Exception {
    BlockTimeline t =
        read(
            """
        time,cidr
        2018-04-16T10:00:00Z,10.0.0.0/24
        yesterday,10.0.1.0/24
        2018-04-16T11:00:00+03:00,10.0.2.0/24
        2018-04-16 12:00:00,10.0.3.0/24
        2018-04-16T13:00:00Z,10.0.4.0/33
        2018-04-16T14:00:00Z

        2018-04-16T09:00:00Z,"10.0.5.0/24"
        """);
    assertThat(t.rows()).isEqualTo(7);
    assertThat(t.skippedRows()).isEqualTo(3);
    assertThat(t.firstErrors())
        .containsExactly(
            "line 3: time 'yesterday' is not an ISO date or date-time",
            "line 6: '10.0.4.0/33': prefix length 33 is larger than 32",
            "line 7: has 1 fields, fewer than the header");
    assertThat(t.events())
        .extracting(BlockTimeline.Event::cidr)
        .containsExactly("10.0.2.0/24", "10.0.5.0/24", "10.0.0.0/24", "10.0.3.0/24");
    assertThat(t.events().get(0).at()).isEqualTo(Instant.parse("2018-04-16T08:00:00Z"));
    assertThat(t.events().get(3).at()).isEqualTo(Instant.parse("2018-04-16T12:00:00Z"));
  }

  @Test
  void aHeaderWithoutTheColumnsIsAClearError() {
    assertThatThrownBy(() -> read("when,range\n2018-04-16,10.0.0.0/8\n"))
        .isInstanceOf(TimelineFormatException.class)
        .hasMessageContaining("needs a 'cidr' column")
        .hasMessageContaining("time,cidr");
    assertThatThrownBy(() -> read(""))
        .isInstanceOf(TimelineFormatException.class)
        .hasMessageContaining("empty file");
  }
}
