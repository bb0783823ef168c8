package io.proxyfleet.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressesTest {

  @Test
  void parsesIpv4AddressesAndCidrs() {
    assertThat(IpAddresses.parseRange("10.1.2.3")).isEqualTo(IpRange.ipv4(0x0A010203L, 0x0A010203L));
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
      strings = {"", "256.1.1.1", "1.2.3", "1.2.3.4.5", "1.2.3.4/33", "1.2.3.4/", "1..2.3", "1.2.3.",
        "example.com", "localhost", "::1/129", "12345::", "1.2.3.4/x", "01234.1.1.1"})
  void rejectsWhatIsNotALiteral(String text) {
    assertThatThrownBy(() -> IpAddresses.parseRange(text)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void errorMessagesQuoteTheEntry() {
    assertThatThrownBy(() -> IpAddresses.parseRange("1.2.3.4/40"))
        .hasMessageContaining("'1.2.3.4/40'")
        .hasMessageContaining("larger than 32");
  }
}
