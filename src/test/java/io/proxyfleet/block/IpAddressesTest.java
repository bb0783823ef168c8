package io.proxyfleet.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressesTest {

  @Test
  void parsesIpv4AddressesAndCidrs() {
    assertThat(IpAddresses.parseRange("10.1.2.3"))
        .isEqualTo(IpRange.ipv4(0x0A010203L, 0x0A010203L));
    IpRange r = IpAddresses.parseRange("52.58.0.0/15");
    assertThat(r.ipv4Size()).isEqualTo(1 << 17);
    assertThat(r.describe()).isEqualTo("52.58.0.0/15");
    assertThat(IpAddresses.parseRange("0.0.0.0/0").ipv4Size()).isEqualTo(1L << 32);
  }

  @Test
  void masksHostBitsTheWayRegistryListsNeedIt() {
    assertThat(IpAddresses.parseRange("10.1.2.3/8").describe()).isEqualTo("10.0.0.0/8");
  }

  @Test
  void parsesIpv6() {
    IpRange r = IpAddresses.parseRange("2a05:d014::/36");
    assertThat(r.ipv6()).isTrue();
    assertThat(r.describe()).isEqualTo("2a05:d014:0:0:0:0:0:0/36");
    assertThat(IpAddresses.parseRange("::1").describe()).isEqualTo("0:0:0:0:0:0:0:1/128");
    assertThat(IpAddresses.parseRange("::/0").describe()).isEqualTo("0:0:0:0:0:0:0:0/0");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "256.1.1.1",
        "1.2.3",
        "1.2.3.4.5",
        "1.2.3.4/33",
        "1.2.3.4/",
        "1..2.3",
        "1.2.3.",
        "example.com",
        "localhost",
        "::1/129",
        "12345::",
        "1.2.3.4/x",
        "01234.1.1.1"
      })
  void rejectsWhatIsNotALiteral(String text) {
    assertThatThrownBy(() -> IpAddresses.parseRange(text))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void errorMessagesQuoteTheEntry() {
    assertThatThrownBy(() -> IpAddresses.parseRange("1.2.3.4/40"))
        .hasMessageContaining("'1.2.3.4/40'")
        .hasMessageContaining("larger than 32");
  }

  /**
   * Property: the hand-written IPv6 parser agrees with the JDK on every text form of random
   * addresses.
   */
  @Test
  void ipv6ParserAgreesWithTheJdk() throws Exception {
    java.util.SplittableRandom random = new java.util.SplittableRandom(3);
    for (int n = 0; n < 20_000; n++) {
      byte[] b = new byte[16];
      random.nextBytes(b);
      // Runs of zero groups so that "::" appears in many places.
      int zeroFrom = random.nextInt(0, 17);
      int zeroTo = random.nextInt(zeroFrom, 17);
      for (int i = zeroFrom; i < zeroTo; i++) b[i] = 0;
      java.net.InetAddress jdk = java.net.InetAddress.getByAddress(b);
      String text = jdk.getHostAddress(); // full form, e.g. 2001:db8:0:0:0:0:0:1
      long hi = java.nio.ByteBuffer.wrap(b, 0, 8).getLong();
      long lo = java.nio.ByteBuffer.wrap(b, 8, 8).getLong();
      for (String form :
          new String[] {text, compress(text), text.toUpperCase(java.util.Locale.ROOT)}) {
        assertThat(IpAddresses.parseIpv6(form)).as(form).containsExactly(hi, lo);
      }
    }
    assertThat(IpAddresses.parseIpv6("::ffff:1.2.3.4")).containsExactly(0L, 0xFFFF01020304L);
    assertThat(IpAddresses.parseIpv6("1:2:3:4:5:6:1.2.3.4"))
        .containsExactly(0x0001000200030004L, 0x0005000601020304L);
    assertThat(IpAddresses.parseIpv6("::")).containsExactly(0L, 0L);
    assertThat(IpAddresses.parseIpv6("1::")).containsExactly(0x0001000000000000L, 0L);
    assertThat(IpAddresses.parseIpv6("1:2:3:4:5:6:7::"))
        .containsExactly(0x0001000200030004L, 0x0005000600070000L);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        ":",
        ":::",
        "1:::2",
        ":1::",
        "1::2::3",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:8::",
        "1::2:3:4:5:6:7:8",
        "12345::1",
        "1:",
        "::g",
        "::1.2.3",
        "::1.2.3.4:5",
        "1:2:3:4:5:6:7:1.2.3.4",
        "fe80::1%eth0",
        "::１",
        "::1 "
      })
  void rejectsWhatIsNotAnIpv6Literal(String text) {
    assertThatThrownBy(() -> IpAddresses.parseIpv6(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not an IPv6 address");
  }

  @Test
  void parsesValuesInsideALongerTextWithoutCopying() {
    long[] out = new long[4];
    String line = "x;10.1.2.3/16;2001:db8::/32;y";
    assertThat(IpAddresses.parseRange(line, 2, 13, out)).isFalse();
    assertThat(out).containsExactly(0, 0x0A010000L, 0, 0x0A01FFFFL);
    assertThat(IpAddresses.parseRange(line, 14, 27, out)).isTrue();
    assertThat(IpAddresses.parseIpv4(line, 2, 10)).isEqualTo(0x0A010203L);
  }

  @Test
  void quotesJunkShortAndPrintable() {
    String junk = "\u0001bad" + "z".repeat(100);
    assertThat(IpAddresses.quote(junk, 0, junk.length()))
        .startsWith("'?bad")
        .endsWith("'...")
        .hasSize(65);
  }

  /** Replaces the longest run of zero groups by "::", as RFC 5952 writes it. */
  private static String compress(String full) {
    String[] groups = full.split(":");
    int bestFrom = -1;
    int bestLength = 0;
    for (int i = 0; i < groups.length; ) {
      int j = i;
      while (j < groups.length && groups[j].equals("0")) j++;
      if (j - i > bestLength) {
        bestFrom = i;
        bestLength = j - i;
      }
      i = Math.max(j, i + 1);
    }
    if (bestLength < 2) return full;
    String head = String.join(":", java.util.Arrays.copyOfRange(groups, 0, bestFrom));
    String tail =
        String.join(
            ":", java.util.Arrays.copyOfRange(groups, bestFrom + bestLength, groups.length));
    return head + "::" + tail;
  }
}
