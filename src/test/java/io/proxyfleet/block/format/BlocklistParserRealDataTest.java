package io.proxyfleet.block.format;

import static org.assertj.core.api.Assertions.assertThat;

import io.proxyfleet.block.IpRange;
import io.proxyfleet.block.ParsedBlocklist;
import io.proxyfleet.block.RowCounts;
import io.proxyfleet.testing.SharedData;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every blocklist in shared/data/rkn, parsed with its real format. Line and CIDR counts come from
 * shared/data/README.md; merged ranges and covered addresses were computed independently with
 * Python's ipaddress module ({@code ip_network(v, strict=False)}, sort, merge adjacent).
 */
class BlocklistParserRealDataTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    // file,                               lines,  CIDRs, merged ranges, IPv4 addresses
    "zi_ipv4_values_2025-10-01T1234Z.txt, 169581, 8,     86065,         196322",
    "zi_ipv4_values_2025-10-01T0623Z.txt, 169579, 8,     86063,         196320",
    "zi_ipv4_values_2022-07-20T0509Z.txt, 218388, 9,     93704,         245134",
    "antifilter_ipsum.lst,                10506,  10506, 9736,          3187200",
    "antifilter_subnet.lst,               120,    120,   100,           802852",
    "antifilter_community.lst,            688,    688,   635,           671970",
  })
  void readsEveryIpListExactly(String file, int lines, int cidrs, int ranges, long addresses)
      throws Exception {
    ParsedBlocklist parsed = parse(file, BlocklistFormat.IP_LIST);

    assertThat(parsed.rows()).isEqualTo(new RowCounts(lines, lines, 0, 0, 0));
    assertThat(parsed.entries()).isEqualTo(lines);
    assertThat(parsed.distinctValues()).isEqualTo(lines); // the lists are `sort -u` output
    assertThat(parsed.parseErrors()).isZero();
    assertThat(parsed.firstErrors()).isEmpty();
    assertThat(parsed.ipv6Values()).isZero();
    assertThat(parsed.index().ipv4RangeCount()).isEqualTo(ranges);
    assertThat(parsed.index().ipv6RangeCount()).isZero();
    assertThat(parsed.index().ipv4Addresses()).isEqualTo(addresses);
    try (var stream = Files.lines(SharedData.rkn(file))) {
      assertThat(stream.filter(l -> l.contains("/")).count()).as("CIDR lines").isEqualTo(cidrs);
    }
  }

  @Test
  void theRegistrySnapshotHoldsEightCidrsAmongSingleAddresses() throws Exception {
    // 169,573 single IPs + 8 CIDRs: covered addresses = 169,573 + the CIDRs' sizes (none overlap).
    List<String> lines = Files.readAllLines(SharedData.rkn("zi_ipv4_values_2025-10-01T1234Z.txt"));
    List<String> cidrs = lines.stream().filter(l -> l.contains("/")).toList();
    assertThat(cidrs).hasSize(8);
    ParsedBlocklist parsed = parse("zi_ipv4_values_2025-10-01T1234Z.txt", BlocklistFormat.IP_LIST);
    for (String cidr : cidrs) {
      String first = cidr.substring(0, cidr.indexOf('/'));
      assertThat(parsed.index().match(first))
          .as(cidr)
          .map(IpRange::ipv4Size)
          .get()
          .satisfies(
              size ->
                  assertThat(size)
                      .isGreaterThanOrEqualTo(
                          1L << (32 - Integer.parseInt(cidr.substring(cidr.indexOf('/') + 1)))));
    }
    assertThat(parsed.index().match(lines.get(0))).isPresent();
    assertThat(parsed.index().match(lines.get(lines.size() - 1))).isPresent();
  }

  @Test
  void readsTheRegistryDumpPartWithItsQuirks() throws Exception {
    ParsedBlocklist parsed = parse("zi_dump-08_2020-01-30_cp1251.csv", BlocklistFormat.ZAPRET_CSV);

    // 15,882 rows, no header in part 08; 13 URLs containing ';'; 146 rows with several URLs.
    assertThat(parsed.rows()).isEqualTo(new RowCounts(15882, 15882, 13, 146, 0));
    assertThat(parsed.parseErrors()).isZero();
    // 54,434 values joined by " | " (checked with cut/tr/sort), 12,216 distinct, 3,107 distinct
    // IPv6.
    assertThat(parsed.entries()).isEqualTo(54434);
    assertThat(parsed.distinctValues()).isEqualTo(12216);
    assertThat(parsed.ipv6Values()).isEqualTo(19568);
    assertThat(parsed.index().distinctIpv6Values()).isEqualTo(3107);
    // Part 08 has no CIDRs: the 9,109 distinct IPv4 addresses merge into 8,326 ranges.
    assertThat(parsed.index().ipv4Addresses()).isEqualTo(9109);
    assertThat(parsed.index().ipv4RangeCount()).isEqualTo(8326);
    assertThat(parsed.index().ipv6RangeCount()).isEqualTo(3004);
    assertThat(parsed.index().match("104.222.176.201")).isPresent(); // first row, telegra.ph
  }

  @Test
  void theDumpParsesTheSameWhenDeclaredUtf8BecauseOnlyTheAsciiIpColumnMatters() throws Exception {
    ParsedBlocklist cp1251 = parse("zi_dump-08_2020-01-30_cp1251.csv", BlocklistFormat.ZAPRET_CSV);
    ParsedBlocklist utf8;
    try (InputStream in =
        Files.newInputStream(SharedData.rkn("zi_dump-08_2020-01-30_cp1251.csv"))) {
      utf8 =
          BlocklistParser.parse(
              in, BlocklistFormat.ZAPRET_CSV, java.nio.charset.StandardCharsets.UTF_8);
    }
    assertThat(utf8.index().ipv4Ranges()).isEqualTo(cp1251.index().ipv4Ranges());
    assertThat(utf8.index().ipv6Ranges()).isEqualTo(cp1251.index().ipv6Ranges());
  }

  static ParsedBlocklist parse(String file, BlocklistFormat format) throws Exception {
    try (InputStream in = Files.newInputStream(SharedData.rkn(file))) {
      return BlocklistParser.parse(in, format, null);
    }
  }
}
