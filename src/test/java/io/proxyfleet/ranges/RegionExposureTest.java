package io.proxyfleet.ranges;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.replay.BlockTimeline;
import io.proxyfleet.testing.TestData;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Blocked fractions of the 2018 AWS (EC2) and 2021 Google Cloud ranges under the CIDRs reported
 * blocked in April 2018, compared with a naive computation that shares no code with the product:
 * CIDRs from the JSON and CSV text, nested prefixes dropped, then overlap summed pair by pair (two
 * CIDRs either nest or are disjoint, so the overlap of a pair is the smaller one or nothing).
 */
class RegionExposureTest {

  record Cidr(long start, int prefix) {
    long size() {
      return 1L << (32 - prefix);
    }

    boolean contains(Cidr o) {
      return o.prefix >= prefix && (o.start >>> (32 - prefix)) == (start >>> (32 - prefix));
    }

    static Cidr parse(String text) {
      String[] parts = text.split("/");
      String[] octets = parts[0].split("\\.");
      long ip = 0;
      for (String o : octets) ip = ip * 256 + Integer.parseInt(o);
      int prefix = Integer.parseInt(parts[1]);
      return new Cidr(ip & ~((1L << (32 - prefix)) - 1) & 0xFFFFFFFFL, prefix);
    }
  }

  /** Keeps only CIDRs not inside another one of the list (duplicates collapse too). */
  static List<Cidr> outermost(Set<Cidr> cidrs) {
    List<Cidr> out = new ArrayList<>();
    for (Cidr c : cidrs) {
      boolean nested = cidrs.stream().anyMatch(o -> !o.equals(c) && o.contains(c));
      if (!nested) out.add(c);
    }
    return out;
  }

  static Map<String, long[]> naive(
      String resource, String prefixKey, String regionKey, String service, List<Cidr> blocked)
      throws Exception {
    JsonNode root;
    try (InputStream in = TestData.open(resource)) {
      root = new ObjectMapper().readTree(in);
    }
    Map<String, Set<Cidr>> perRegion = new HashMap<>();
    for (JsonNode p : root.get("prefixes")) {
      if (p.has(prefixKey) && service.equals(p.path("service").asText())) {
        perRegion
            .computeIfAbsent(p.get(regionKey).asText(), k -> new LinkedHashSet<>())
            .add(Cidr.parse(p.get(prefixKey).asText()));
      }
    }
    Map<String, long[]> out = new HashMap<>();
    perRegion.forEach(
        (region, cidrs) -> {
          long total = 0;
          long hit = 0;
          for (Cidr c : outermost(cidrs)) {
            total += c.size();
            for (Cidr b : blocked) {
              if (c.contains(b) || b.contains(c)) hit += Math.min(c.size(), b.size());
            }
          }
          out.put(region, new long[] {total, hit});
        });
    return out;
  }

  static List<Cidr> reportedCidrs() throws Exception {
    String csv = new String(TestData.bytes(TestData.TIMELINE_2018), StandardCharsets.UTF_8);
    Set<Cidr> all = new LinkedHashSet<>();
    for (String line : csv.split("\n")) {
      String first = line.split(",")[0];
      if (first.contains("/")) all.add(Cidr.parse(first));
    }
    assertThat(all).hasSize(14);
    return outermost(all);
  }

  static BlockIndex reportedIndex() throws Exception {
    try (InputStream in = TestData.open(TestData.TIMELINE_2018)) {
      return BlockTimeline.read(in).index();
    }
  }

  static String pct(double fraction) {
    return String.format(Locale.ROOT, "%.2f", fraction * 100);
  }

  void assertMatchesNaive(CloudRanges ranges, Map<String, long[]> expected, BlockIndex index) {
    List<RegionExposure> exposure = ranges.exposure(index);
    assertThat(exposure).hasSize(expected.size());
    for (RegionExposure e : exposure) {
      long[] want = expected.get(e.region());
      assertThat(e.totalAddresses()).as("total of %s", e.region()).isEqualTo(want[0]);
      assertThat(e.blockedAddresses()).as("blocked in %s", e.region()).isEqualTo(want[1]);
      assertThat(e.fraction()).isEqualTo((double) want[1] / want[0]);
    }
    for (int i = 1; i < exposure.size(); i++) {
      assertThat(exposure.get(i).fraction()).isLessThanOrEqualTo(exposure.get(i - 1).fraction());
    }
  }

  @Test
  void aws2018Ec2UnderTheReportedBlocks() throws Exception {
    CloudRanges ranges = CloudRangeParserTest.parse(TestData.AWS_2018, RangePublisher.AWS, null);
    BlockIndex index = reportedIndex();
    assertMatchesNaive(
        ranges, naive(TestData.AWS_2018, "ip_prefix", "region", "EC2", reportedCidrs()), index);

    List<RegionExposure> exposure = ranges.exposure(index);
    RegionExposure worst = exposure.get(0);
    assertThat(worst.region()).isEqualTo("eu-central-1");
    assertThat(worst.totalAddresses()).isEqualTo(1_049_888);
    assertThat(worst.blockedAddresses()).isEqualTo(917_504);
    assertThat(pct(worst.fraction())).isEqualTo("87.39");
    assertThat(exposure.stream().map(RegionExposure::region).limit(3))
        .containsExactly("eu-central-1", "eu-west-1", "us-east-1");
    assertThat(pct(ranges.exposure("eu-west-1", index).orElseThrow().fraction()))
        .isEqualTo("55.81");
    assertThat(pct(ranges.exposure("us-east-1", index).orElseThrow().fraction()))
        .isEqualTo("40.65");
    assertThat(exposure.stream().filter(e -> e.blockedAddresses() == 0).count()).isEqualTo(12);
  }

  @Test
  void gcp2021UnderTheReportedBlocks() throws Exception {
    CloudRanges ranges = CloudRangeParserTest.parse(TestData.GCP_2021, RangePublisher.GCP, null);
    BlockIndex index = reportedIndex();
    assertMatchesNaive(
        ranges,
        naive(TestData.GCP_2021, "ipv4Prefix", "scope", "Google Cloud", reportedCidrs()),
        index);
    assertThat(ranges.exposure(index).get(0).region()).isEqualTo("us-central2");
    assertThat(pct(ranges.exposure("us-central2", index).orElseThrow().fraction()))
        .isEqualTo("84.29");
    assertThat(pct(ranges.exposure("europe-west3", index).orElseThrow().fraction()))
        .isEqualTo("36.74");
  }

  @Test
  void catalogAnswersPerProviderAndRegion() {
    CloudRangeCatalog catalog = CloudRangeCatalog.official();
    BlockIndex index =
        BlockIndex.builder()
            .add(io.proxyfleet.block.IpAddresses.parseRange("3.120.0.0/14"))
            .build();
    RegionExposure frankfurt = catalog.exposure("aws", "eu-central-1", index).orElseThrow();
    assertThat(frankfurt.blockedAddresses()).isPositive().isLessThanOrEqualTo(1L << 18);
    assertThat(catalog.blockedFraction("aws", "eu-central-1", index))
        .isEqualTo(frankfurt.fraction());
    assertThat(catalog.blockedFraction("aws", "no-such-region", index)).isNaN();
    assertThat(catalog.blockedFraction("gcp", "europe-west3", BlockIndex.EMPTY)).isZero();
    assertThat(catalog.exposure("aws", index).get(0).region()).isEqualTo("eu-central-1");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> catalog.ranges("azure"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("use aws or gcp");
  }
}
