package io.proxyfleet.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.proxyfleet.api.Protocol;
import io.proxyfleet.cloud.ProxyCredentials;
import java.net.URI;
import org.junit.jupiter.api.Test;

class ProxyUrisTest {

  @Test
  void encodesCredentialsSoEveryPasswordSurvivesTheUri() {
    ProxyCredentials c = new ProxyCredentials("pf-user", "p@ss:w/rd#1");
    String uri = ProxyUris.uri(Protocol.SOCKS5, "127.1.0.5", 1080, c);
    assertThat(uri).isEqualTo("socks5://pf-user:p%40ss%3Aw%2Frd%231@127.1.0.5:1080");
    URI parsed = URI.create(uri);
    assertThat(parsed.getHost()).isEqualTo("127.1.0.5");
    assertThat(parsed.getPort()).isEqualTo(1080);
    assertThat(parsed.getUserInfo()).isEqualTo("pf-user:p@ss:w/rd#1");
  }

  @Test
  void formatsEveryProtocol() {
    ProxyCredentials c = new ProxyCredentials("u", "secret");
    assertThat(ProxyUris.uri(Protocol.HTTP, "1.2.3.4", 8080, c)).isEqualTo("http://u:secret@1.2.3.4:8080");
    assertThat(ProxyUris.uri(Protocol.SOCKS5, "2001:db8::1", 443, c)).isEqualTo("socks5://u:secret@[2001:db8::1]:443");
    assertThat(ProxyUris.uri(Protocol.MTPROTO, "1.2.3.4", 443, c)).matches("tg://proxy\\?server=1\\.2\\.3\\.4&port=443&secret=[0-9a-f]{32}");
    assertThat(ProxyUris.uri(Protocol.SHADOWSOCKS, "1.2.3.4", 8388, c)).startsWith("ss://").endsWith("@1.2.3.4:8388");
  }

  @Test
  void credentialsNeverPrint() {
    assertThat(new ProxyCredentials("u", "hunter2").toString()).doesNotContain("hunter2");
  }
}
