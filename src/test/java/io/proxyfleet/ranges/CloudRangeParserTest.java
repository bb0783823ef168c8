package io.proxyfleet.ranges;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.proxyfleet.block.IpAddresses;
import io.proxyfleet.testing.TestData;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** Counts checked against the data README and with jq/python on the same files. */
class CloudRangeParserTest {

  static CloudRanges parse(String resource, RangePublisher publisher, String service)
      throws Exception {
    try (InputStream in = TestData.open(resource)) {
      return CloudRangeParser.parse(in, publisher, service);
    }
  }

  static CloudRanges parse(String json, RangePublisher publisher) throws Exception {
    return CloudRangeParser.parse(
        new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), publisher, null);
  }

  @Test
  void aws2018() throws Exception {
    CloudRanges r = parse(TestData.AWS_2018, RangePublisher.AWS, null);
    assertThat(r.syncToken()).isEqualTo("1522952176");
    assertThat(r.createdAt()).isEqualTo("2018-04-05-18-16-16");
    assertThat(r.service()).isEqualTo("EC2");
    CloudRanges.Stats s = r.stats();
    assertThat(s.ipv4Records()).isEqualTo(1114);
    assertThat(s.distinctIpv4Prefixes()).isEqualTo(723);
    assertThat(s.ipv4Regions()).isEqualTo(22);
    assertThat(s.ipv6Records()).isEqualTo(409);
    assertThat(s.distinctIpv6Prefixes()).isEqualTo(253);
    assertThat(s.services())
        .containsEntry("AMAZON", 666)
        .containsEntry("EC2", 298)
        .containsEntry("S3", 68)
        .hasSize(7);
    assertThat(s.selectedRecords()).isEqualTo(298);
    assertThat(s.badRecords()).isZero();
    assertThat(r.regions())
        .hasSize(21)
        .containsKeys("eu-central-1", "us-east-1", "cn-north-1")
        .doesNotContainKey("GLOBAL");
    assertThat(r.region("eu-central-1").orElseThrow().totalAddresses()).isEqualTo(1_049_888);
    assertThat(r.totalAddresses()).isEqualTo(29_590_544);
  }

  @Test
  void aws2018OtherService() throws Exception {
    CloudRanges amazon = parse(TestData.AWS_2018, RangePublisher.AWS, "AMAZON");
    assertThat(amazon.stats().selectedRecords()).isEqualTo(666);
    // AMAZON is a superset of EC2 in every region.
    CloudRanges ec2 = parse(TestData.AWS_2018, RangePublisher.AWS, null);
    ec2.regions()
        .forEach(
            (name, region) ->
                assertThat(amazon.region(name).orElseThrow().totalAddresses())
                    .isGreaterThanOrEqualTo(region.totalAddresses()));
  }

  @Test
  void aws2025Snapshot() throws Exception {
    CloudRanges r = parse(TestData.AWS_2025, RangePublisher.AWS, null);
    assertThat(r.syncToken()).isEqualTo("1759237105");
    assertThat(r.createdAt()).isEqualTo("2025-09-30-12-58-25");
    assertThat(r.stats().ipv4Records()).isEqualTo(9270);
    assertThat(r.stats().distinctIpv4Prefixes()).isEqualTo(7023);
    assertThat(r.stats().ipv4Regions()).isEqualTo(42);
    assertThat(r.stats().ipv6Records()).isEqualTo(4311);
    assertThat(r.stats().selectedRecords()).isEqualTo(1571);
    assertThat(r.regions()).hasSize(42);
    assertThat(CloudRangeCatalog.snapshot(RangePublisher.AWS).syncToken()).isEqualTo("1759237105");
  }

  @Test
  void gcp2021() throws Exception {
    CloudRanges r = parse(TestData.GCP_2021, RangePublisher.GCP, null);
    assertThat(r.syncToken()).isEqualTo("1627405291584");
    assertThat(r.createdAt()).isEqualTo("2021-07-27T10:01:31.58447");
    assertThat(r.stats().ipv4Records()).isEqualTo(428);
    assertThat(r.stats().distinctIpv4Prefixes()).isEqualTo(428);
    assertThat(r.stats().ipv6Records()).isEqualTo(5);
    assertThat(r.stats().ipv4Regions()).isEqualTo(30);
    assertThat(r.stats().selectedRecords()).isEqualTo(428);
    assertThat(r.regions()).hasSize(30).containsKeys("europe-west3", "global");
  }

  @Test
  void gcp2025Snapshot() throws Exception {
    CloudRanges r = parse(TestData.GCP_2025, RangePublisher.GCP, null);
    assertThat(r.syncToken()).isEqualTo("1753409788780");
    assertThat(r.stats().ipv4Records()).isEqualTo(736);
    assertThat(r.stats().ipv6Records()).isEqualTo(46);
    assertThat(r.stats().ipv4Regions()).isEqualTo(46);
    assertThat(r.regions()).hasSize(46).containsKey("global");
    assertThat(CloudRangeCatalog.snapshot(RangePublisher.GCP).regions()).hasSize(46);
  }

  @Test
  void googJsonHasNoRegions() throws Exception {
    CloudRanges r = parse(TestData.GOOG_2024, RangePublisher.GCP, null);
    assertThat(r.syncToken()).isEqualTo("1714053903689");
    assertThat(r.stats().ipv4Records()).isEqualTo(73);
    assertThat(r.stats().ipv6Records()).isEqualTo(11);
    assertThat(r.stats().recordsWithoutRegion()).isEqualTo(73);
    assertThat(r.stats().badRecords()).isZero();
    assertThat(r.regions()).isEmpty();
  }

  @Test
  void badRecordsAreCountedAndNamed() throws Exception {
    CloudRanges r =
        parse(
            """
        {"syncToken":"1","createDate":"x","prefixes":[
          {"ip_prefix":"10.0.0.0/24","region":"r1","service":"EC2"},
          {"ip_prefix":"10.0.0.0/33","region":"r1","service":"EC2"},
          {"region":"r1","service":"EC2"},
          {"ip_prefix":"2001:db8::/32","region":"r1","service":"EC2"},
          {"ip_prefix":"10.0.1.0/24","region":"r1","service":"EC2"},
          "junk"
        ],"ipv6_prefixes":[{"ipv6_prefix":"nope","region":"r1","service":"EC2"}]}
        """,
            RangePublisher.AWS);
    assertThat(r.stats().badRecords()).isEqualTo(5);
    assertThat(r.stats().firstErrors()).hasSize(5);
    assertThat(r.stats().firstErrors().get(0)).startsWith("prefixes[1].ip_prefix: ").contains("33");
    assertThat(r.stats().firstErrors().get(1)).isEqualTo("prefixes[2]: no 'ip_prefix'");
    assertThat(r.stats().firstErrors().get(2))
        .startsWith("prefixes[3].ip_prefix: ")
        .contains("IPv6 prefix in an IPv4 field");
    assertThat(r.stats().firstErrors().get(4)).startsWith("ipv6_prefixes[0].ipv6_prefix: ");
    // Two adjacent /24s merge into one range of 512.
    RegionRanges r1 = r.region("r1").orElseThrow();
    assertThat(r1.prefixes()).isEqualTo(2);
    assertThat(r1.rangeCount()).isEqualTo(1);
    assertThat(r1.totalAddresses()).isEqualTo(512);
  }

  @Test
  void notJsonIsAClearError() {
    assertThatThrownBy(() -> parse("<html><body>502 Bad Gateway</body></html>", RangePublisher.AWS))
        .isInstanceOf(CloudRangeParseException.class)
        .hasMessageStartingWith("not JSON at line 1")
        .hasMessageContaining("ip-ranges.json");
    assertThatThrownBy(() -> parse("{\"syncToken\":\"1\"}", RangePublisher.GCP))
        .isInstanceOf(CloudRangeParseException.class)
        .hasMessageContaining("no 'prefixes' array");
    assertThatThrownBy(() -> parse("", RangePublisher.GCP))
        .isInstanceOf(CloudRangeParseException.class);
    assertThatThrownBy(
            () -> parse("{\"prefixes\":[{\"ip_prefix\":\"1.0.0.0/8\"", RangePublisher.AWS))
        .isInstanceOf(CloudRangeParseException.class)
        .hasMessageStartingWith("not JSON");
  }

  @Test
  void theOtherCloudsFileIsRejected() {
    assertThatThrownBy(() -> parse(TestData.GCP_2021, RangePublisher.AWS, null))
        .isInstanceOf(CloudRangeParseException.class)
        .hasMessageContaining("'ip_prefix'");
    assertThatThrownBy(() -> parse(TestData.AWS_2018, RangePublisher.GCP, null))
        .isInstanceOf(CloudRangeParseException.class)
        .hasMessageContaining("ipv4Prefix");
  }

  @Test
  void gzipIsDetected() throws Exception {
    byte[] json = TestData.bytes(TestData.GCP_2021);
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(json);
    }
    CloudRanges r =
        CloudRangeParser.parse(
            new ByteArrayInputStream(gz.toByteArray()), RangePublisher.GCP, null);
    assertThat(r.stats().ipv4Records()).isEqualTo(428);
  }

  @Test
  void drawsCoverEveryAddressOnceInOrder() throws Exception {
    CloudRanges r =
        parse(
            """
        {"prefixes":[
          {"ipv4Prefix":"10.0.5.0/24","service":"Google Cloud","scope":"r"},
          {"ipv4Prefix":"10.0.1.0/24","service":"Google Cloud","scope":"r"},
          {"ipv4Prefix":"10.0.1.128/25","service":"Google Cloud","scope":"r"}
        ]}
        """,
            RangePublisher.GCP);
    RegionRanges region = r.region("r").orElseThrow();
    assertThat(region.totalAddresses()).isEqualTo(512);
    assertThat(IpAddresses.formatIpv4(region.addressAt(0))).isEqualTo("10.0.1.0");
    assertThat(IpAddresses.formatIpv4(region.addressAt(255))).isEqualTo("10.0.1.255");
    assertThat(IpAddresses.formatIpv4(region.addressAt(256))).isEqualTo("10.0.5.0");
    assertThat(IpAddresses.formatIpv4(region.addressAt(511))).isEqualTo("10.0.5.255");
    assertThatThrownBy(() -> region.addressAt(512)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThat(region.contains(IpAddresses.parseIpv4("10.0.5.7"))).isTrue();
    assertThat(region.contains(IpAddresses.parseIpv4("10.0.2.0"))).isFalse();
    assertThat(region.contains(IpAddresses.parseIpv4("9.255.255.255"))).isFalse();
  }
}
